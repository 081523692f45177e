"""The `antrean` command: one subcommand per role and tool.

Each subcommand is a thin call into the library; this module only dispatches and maps our
exception tree to exit codes (see antrean/errors.py for the table).
"""
from __future__ import annotations

import importlib
import logging
import os
import sys

from .errors import AntreanError

# name -> (module, function taking argv, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "hub": ("hub.service", "main", "run the hub: the one writer of the queue"),
    "kiosk": ("kiosk.app", "main", "run a ticket kiosk (touchscreen + printer)"),
    "display": ("display.app", "main", "run a hall or counter display (screen + voice)"),
    "counter": ("counter_button.app", "main", "run a counter button box (GPIO buttons + LEDs)"),
    "demo": ("antrean.deploy.demo", "main",
             "run a whole hall on this computer with virtual hardware"),
    "config": ("antrean.config_cli", "main", "check a site configuration file (config check FILE)"),
    "credentials": ("antrean.deploy.credentials", "main",
                    "make and rotate the broker passwords (keys file, hub's password file)"),
    "tls": ("antrean.deploy.tls", "main",
            "make the hall's CA and the broker's TLS certificate (site option broker_tls)"),
    "broker-config": ("antrean.deploy.broker", "main_broker_config",
                      "write Mosquitto config, passwords and ACL from the site config"),
    "broker-guard": ("antrean.deploy.broker_guard", "main",
                     "move a corrupt Mosquitto persistence file aside before the broker starts"),
    "status": ("antrean.status", "main", "show which devices are online and their health"),
    "web": ("web.service", "main", "serve the hall's web page: queues, devices, alerts (hub)"),
    "protocol-docs": ("antrean.wire_docs", "main",
                      "write the protocol's JSON Schema and AsyncAPI document from the code"),
    "virtual-printer": ("kiosk.virtual_printer", "main",
                        "run a virtual ESC/POS printer on TCP that saves tickets as images"),
    "provision": ("antrean.deploy.install", "main_provision",
                  "apply the device file from the boot partition (first boot)"),
    "install": ("antrean.deploy.install", "main_install",
                "install the units and provisioning on an existing Raspberry Pi OS"),
}

USAGE = "usage: antrean COMMAND [ARGS...]   (antrean COMMAND --help for details)"


def _help() -> str:
    width = max(map(len, COMMANDS))
    lines = [USAGE, "", "commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, (_, _, text) in COMMANDS.items()]
    lines += ["", "exit codes: 0 ok, 1 bug, 2 usage, 3 config, 4 protocol, 5 hardware, "
              "6 storage, 7 broker, 8 status: something needs a technician"]
    return "\n".join(lines)


def quiet_escpos(record: logging.LogRecord) -> bool:
    """python-escpos logs on the root logger at INFO for every connection it closes: a
    line per printer status check (every 30 s) in the kiosk's journal. Its warnings stay."""
    return record.levelno >= logging.WARNING or f"{os.sep}escpos{os.sep}" not in record.pathname


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_help())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"antrean: unknown command {name!r}\n\n{_help()}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(quiet_escpos)
    module, func, _ = COMMANDS[name]
    try:
        entry = getattr(importlib.import_module(module), func)
        return int(entry(rest) or 0)
    except AntreanError as e:
        print(f"antrean {name}: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
