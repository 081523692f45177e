"""Install Antrean's system pieces on an existing Raspberry Pi OS (``antrean install``).

For a Pi that was not flashed with our image: the ``antrean`` user and device groups
(systemd-sysusers), the units with ``ExecStart=`` pointing at this installation, the
journald, udev and tmpfiles drop-ins (package data, :mod:`antrean.deploy.files`), then
:func:`antrean.deploy.provision.provision` with the device file. ``root`` may be an image's
root (it has ``etc/passwd``: sysusers runs with ``--root``) or a bare fake root in a test
(user creation is only printed).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from antrean.deploy.devicefile import ROLES, check
from antrean.deploy.files import device_template, units_dir
from antrean.deploy.provision import BOOT_DEVICE_FILE, main_provision, provision
from antrean.errors import AntreanError, ConfigError, UsageError

__all__ = ["install", "main_install", "main_provision"]   # the CLI's `provision` lives here too

DEFAULT_EXECUTABLE = "/opt/antrean/bin/antrean"     # what the unit files in the repo name
# Source in systemd/ -> destination under root.
DROP_INS = {
    "journald.conf.d/antrean.conf": "etc/systemd/journald.conf.d/antrean.conf",
    "sysusers.d/antrean.conf": "etc/sysusers.d/antrean.conf",
    "tmpfiles.d/antrean.conf": "etc/tmpfiles.d/antrean.conf",
    "udev/60-antrean-gpio.rules": "etc/udev/rules.d/60-antrean-gpio.rules",
}


def default_executable() -> str:
    """The ``antrean`` command of this installation, for the units' ``ExecStart=``."""
    beside = Path(sys.prefix) / "bin" / "antrean"
    found = str(beside) if beside.is_file() else shutil.which("antrean")
    return found or DEFAULT_EXECUTABLE


class Installer:
    """Carries out (or, dry, prints) each step; ``log`` lists what was done."""

    def __init__(self, root: Path, dry_run: bool, units: Path, executable: str):
        self.root, self.dry_run, self.units, self.executable = root, dry_run, units, executable
        self.log: list[str] = []

    def say(self, text: str) -> None:
        self.log.append(text)
        print(("(dry run) " if self.dry_run else "") + text)

    def write(self, rel: str, data: bytes, mode: int = 0o644) -> None:
        self.say(f"write {self.root / rel}")
        if not self.dry_run:
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            path.chmod(mode)

    def run(self, argv: list[str]) -> None:
        self.say("run " + " ".join(argv))
        if not self.dry_run:
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise UsageError(f"{argv[0]} failed ({done.returncode}): {done.stderr.strip()}")

    @property
    def real_root(self) -> bool:
        return self.root.resolve() == Path("/")

    def users(self) -> None:
        conf = self.units / "sysusers.d/antrean.conf"
        if self.real_root:
            self.run(["systemd-sysusers", str(conf)])
        elif (self.root / "etc/passwd").is_file():   # an image's root filesystem
            self.run(["systemd-sysusers", f"--root={self.root}", str(conf)])
        else:
            lines = [ln for ln in conf.read_text().splitlines() if ln[:1] in ("u", "g", "m")]
            self.say(f"skip users on a fake root {self.root} (no etc/passwd); would apply:")
            for line in lines:
                self.say(f"    {line}")

    def copy_units(self) -> None:
        for unit in sorted([*self.units.glob("*.service"), *self.units.glob("*.path")]):
            text = unit.read_text().replace(DEFAULT_EXECUTABLE, self.executable)
            self.write(f"etc/systemd/system/{unit.name}", text.encode())
        for source, dest in DROP_INS.items():
            self.write(dest, (self.units / source).read_bytes())

    def activate(self) -> None:
        """Make a running system pick the new files up (not for an image or fake root)."""
        if not self.real_root:
            return
        self.run(["systemd-tmpfiles", "--create", "/etc/tmpfiles.d/antrean.conf"])
        self.run(["systemctl", "daemon-reload"])
        # Debian's own broker instance would hold port 1883; ours runs with our config.
        self.run(["systemctl", "disable", "--now", "mosquitto.service"])
        self.run(["udevadm", "control", "--reload"])


def _device_file(inst: Installer, role: str, device_file: str | None) -> Path | None:
    """Put the device file where boot-time provisioning reads it; None = template written."""
    target = inst.root / BOOT_DEVICE_FILE.lstrip("/")
    if device_file is None and not target.is_file():
        template = device_template()
        inst.write(str(target.relative_to(inst.root)),
                   template.replace("ROLE=kiosk", f"ROLE={role}").encode())
        inst.say(f"edit {target}, then run: antrean provision")
        return None
    source = Path(device_file) if device_file else target
    if not source.is_file():
        raise ConfigError("the device file does not exist", path=str(source))
    device, _ = check(source)
    if device is not None and device.role != role:
        raise UsageError(f"{source} says ROLE={device.role}, but you asked to install {role}")
    if source.resolve() != target.resolve():
        inst.write(str(target.relative_to(inst.root)), source.read_bytes())
    return target


def install(role: str, device_file: str | None = None, root: str = "/", dry_run: bool = False,
            units: str | None = None, executable: str | None = None) -> int:
    """Install for ``role`` and provision; returns the exit code (0, or 3 for a bad file)."""
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    inst = Installer(Path(root), dry_run, Path(units) if units else units_dir(),
                     executable or default_executable())
    if not (inst.units / "antrean-hub.service").is_file():
        raise ConfigError("unit files not found: pass --units, or reinstall antrean",
                          path=str(inst.units))
    inst.users()
    inst.copy_units()
    inst.activate()
    target = _device_file(inst, role, device_file)
    if target is None or dry_run:
        return 0
    result = provision(target, inst.root)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    for line in result.summary:
        print(line)
    if result.exit_code == 0 and inst.real_root:
        print("done: reboot to start Antrean (sudo reboot)")
    return result.exit_code


def main_install(argv: list[str] | None = None) -> int:
    """``antrean install``: set this Raspberry Pi OS up for one role."""
    parser = argparse.ArgumentParser(
        prog="antrean install",
        description="Install Antrean's services on an existing Raspberry Pi OS: the antrean "
                    "user and groups, the systemd units, journald/udev settings, then apply "
                    "the device file.")
    parser.add_argument("role", choices=ROLES, help="what this device is")
    parser.add_argument("--device-file", help="a filled-in device file (copied to "
                        f"{BOOT_DEVICE_FILE}); without it the template is put there to edit")
    parser.add_argument("--root", default="/", help="root filesystem to install into")
    parser.add_argument("--dry-run", action="store_true", help="only print what would be done")
    parser.add_argument("--units", help="folder with the unit files "
                        "(default: those installed with antrean)")
    parser.add_argument("--executable", help="the antrean command the units run "
                        "(default: the one of this installation)")
    args = parser.parse_args(argv)
    try:
        return install(args.role, args.device_file, args.root, args.dry_run, args.units,
                       args.executable)
    except AntreanError as exc:
        print(f"antrean install: {exc}", file=sys.stderr)
        return exc.exit_code
