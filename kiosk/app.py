"""The ticket kiosk's entry point: ``antrean kiosk --config SITE.toml --device ID``.

Reads the site config, resolves the printer (the card's ``--device-config`` replaces the site
config's, ``--printer`` replaces both) and starts
the touchscreen (:mod:`kiosk.screens.touchscreen`, the Kivy App). Kivy is imported only once
the arguments are good, so ``--help`` and a bad argument answer at once.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from antrean.device_settings import add_login_arguments, own_password, own_tls_ca
from antrean.errors import ConfigError, UsageError
from antrean.window import configure_window, window_size
from kiosk.strings import LANGUAGES


# What stays of the configured printer when its backend and address are replaced.
KEPT = ("paper", "cutter", "timeout", "status_timeout")


def _kept(configured: dict | None) -> dict:
    return {k: configured[k] for k in KEPT if k in (configured or {})}


def printer_config(spec: str | None, configured: dict) -> dict:
    """The printer settings: the kiosk's config, with ``--printer SPEC`` replacing its
    backend and address (paper, cutter and timeouts stay as configured)::

        network:HOST[:PORT]   serial:DEVICE[:BAUD]   file:PATH   usb:VID:PID (hex)   dummy
    """
    base = dict(configured or {"backend": "dummy"})
    if not spec:
        return base
    keep = _kept(base)
    backend, _, rest = spec.partition(":")
    try:
        if backend == "network" and rest:
            host, _, port = rest.rpartition(":") if rest.count(":") == 1 else (rest, "", "")
            return {**keep, "backend": "network", "host": host or rest,
                    "port": int(port) if port else 9100}
        if backend == "serial" and rest:
            device, _, baud = rest.partition(":")
            return {**keep, "backend": "serial", "device": device,
                    "baudrate": int(baud) if baud else 9600}
        if backend == "file" and rest:
            return {**keep, "backend": "file", "path": rest}
        if backend == "usb" and rest.count(":") == 1:
            vid, pid = rest.split(":")
            return {**keep, "backend": "usb", "vendor": int(vid, 16), "product": int(pid, 16)}
        if backend == "dummy" and not rest:
            return {**keep, "backend": "dummy"}
    except ValueError:
        pass
    raise UsageError(f"--printer {spec!r}: use network:HOST:PORT, serial:DEVICE:BAUD, "
                     "file:PATH, usb:VID:PID (hex) or dummy")


def device_printer(path: Path, configured: dict) -> dict:
    """The card's own printer from ``device.toml`` (``PRINTER=`` of its device file, written
    by ``antrean provision``), in place of the site config's; paper, cutter and timeouts stay
    as the site config has them. Without a ``[printer]`` table the site config's stands."""
    from antrean.device_settings import read_device_config
    own = read_device_config(path).get("printer")
    if own is None:
        return configured
    if not isinstance(own, dict) or "backend" not in own:
        raise ConfigError("[printer] needs a backend", path=str(path), key="printer")
    return {**_kept(configured), **own}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="antrean kiosk",
        description="Run a ticket kiosk: visitors tap an agency and a service and take a "
                    "printed number. Keeps printing from leased numbers when the hub is "
                    "unreachable and hands those tickets over when it is back.")
    p.add_argument("--config", required=True, metavar="SITE.toml", help="the site config")
    p.add_argument("--device", required=True, help="this kiosk's id in the site config")
    p.add_argument("--host", default="127.0.0.1", help="broker host (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=1883, help="broker port (default 1883)")
    p.add_argument("--device-config", type=Path, metavar="device.toml",
                   help="this card's settings from `antrean provision`; its [printer] (the "
                        "device file's PRINTER=) replaces the site config's printer, its "
                        "[broker] password is the kiosk's login")
    add_login_arguments(p, device_config=False)
    p.add_argument("--printer", metavar="SPEC",
                   help="override the configured printer: network:HOST:PORT, "
                        "serial:/dev/ttyUSB0:9600, file:/dev/usb/lp0, usb:VID:PID, dummy")
    p.add_argument("--state-dir", type=Path, default=Path("/var/lib/antrean/kiosk"),
                   help="where the outbox of leased numbers and offline tickets is kept "
                        "(default %(default)s)")
    p.add_argument("--windowed", metavar="WxH",
                   help="a window of this size instead of full screen, e.g. 800x480 or "
                        "1080x1920")
    p.add_argument("--screenshots", metavar="DIR", type=Path,
                   help="after every screen change, save the window as DIR/<device>.png")
    p.add_argument("--language", choices=LANGUAGES, default="id",
                   help="the language a visitor sees first (default id)")
    p.add_argument("--demo-visitors", type=float, default=0, metavar="SECONDS",
                   help="demo only: a pretend visitor takes one step through the screens "
                        "every SECONDS (0 = off)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    from antrean.config import device_of, load_site   # the TOML loader; only the app needs it
    site = load_site(args.config)
    kiosk = device_of(site, "kiosk", args.device, args.config)
    configured = kiosk.printer
    if args.device_config:
        configured = device_printer(args.device_config, configured)
    printer = printer_config(args.printer, configured)
    password = own_password(kiosk.id, args.device_config, args.password_file)
    tls_ca = own_tls_ca(site.broker_tls, args.tls_ca, args.device_config)
    size = window_size(args.windowed) if args.windowed else None
    from kiosk.printer import open_printer
    open_printer(printer)          # a bad printer setting stops us here, before the window
    from kiosk.screens.touchscreen import MAX_FPS, KioskApp
    configure_window(size, max_fps=MAX_FPS, touchscreen=True)
    shot = args.screenshots / f"{kiosk.id}.png" if args.screenshots else None
    KioskApp(site=site, kiosk=kiosk, password=password, host=args.host, port=args.port,
             printer=printer, tls_ca=tls_ca,
             state_dir=args.state_dir, language=args.language, screenshot=shot,
             visitors_every_s=args.demo_visitors).run()
    return 0
