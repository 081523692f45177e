"""Putting Antrean on cards and computers: the device file and provisioning, the installer,
the broker's set-up (config, passwords, ACL, the persistence guard), the credentials tool and
the one-computer demo.

Nothing in the running roles imports this package (they read only their own settings, see
:mod:`antrean.device_settings`). Its unit files, device-file template and example halls are
package data (:mod:`antrean.deploy.files`), so it works the same from a checkout and from an
installed wheel.
"""
