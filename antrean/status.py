"""`antrean status`: which device is online, which printer is out of paper.

Reads the retained presence and health of every device from the broker (with an operator
tool's login, ``[[operators]]`` in the site config) and prints one line per device of the
site config, devices never seen included, then one line saying what needs a technician. A
device that is offline shows for how long, from its last presence or health report, and what
it last reported only as "was: ...".

Exit codes:
  0  all is well: every device of the site config is online, no printer or device problem
  7  the broker cannot be reached, or it refused the login; the message says which
  8  something needs a technician: a device offline, lost or never seen, a printer that is
     not ready (paper low or out, cover open, offline), a device reporting errors (a
     display whose voice fails, a button box's fault)
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import threading
import time
import zoneinfo
from pathlib import Path

import msgspec

from . import protocol
from .device_settings import add_login_arguments, own_password, own_tls_ca
from .errors import EXIT_ATTENTION, BrokerError
from .messages import Health, Presence
from .protocol import Topics

KINDS = {"presence": (Presence,), "health": (Health,)}

PRINTER_WORDS = {"ok": "printer ok", "paper_low": "PAPER LOW", "no_paper": "NO PAPER",
                 "cover_open": "COVER OPEN", "offline": "PRINTER OFFLINE",
                 "unknown": "printer status unknown"}
# "unknown" is what a printer that cannot answer status (the file backend) always says.
PRINTER_PROBLEMS = ("paper_low", "no_paper", "cover_open", "offline")


def collect(site, host: str, port: int, wait_s: float, *, password: str,
            operator: str | None = None, tls_ca: Path | None = None) -> dict[str, dict]:
    """Presence and health per device id, as the broker holds them now, read with the
    login of ``operator`` (default: the site's first operator that only reads)."""
    from .mqtt import HallClient
    topics = Topics(site.id)
    seen: dict[str, dict] = {}
    lock = threading.Lock()

    def on(kind):
        def handler(msg):
            try:
                body = protocol.decode(msg.payload, KINDS[kind])
            except protocol.ProtocolError:
                return
            with lock:
                seen.setdefault(topics.device_of(msg.topic), {})[kind] = body
        return handler

    login = status_login(site, operator)
    client = HallClient(site=site.id, device=login.id, role="operator",
                        password=password, host=host, port=port, announce=False,
                        tls_ca=tls_ca)
    client.subscribe(topics.all_presence, on("presence"))
    client.subscribe(topics.all_health, on("health"))
    client.start()
    try:
        if not client.wait_connected(wait_s):
            raise BrokerError(no_link(client, host, port, wait_s))
        time.sleep(wait_s)   # retained messages arrive right after subscribing; a CLI may wait
    finally:
        client.stop()
    return seen


def status_login(site, operator: str | None):
    """The operator tool ``antrean status`` logs in as (its own login: the broker ties the
    client id to the login, so a borrowed device login would knock that device off)."""
    from .errors import UsageError
    if operator is not None:
        if operator not in site.operators:
            raise UsageError(f"no operator {operator!r} in the site config (operators: "
                             f"{', '.join(site.operators) or 'none'})")
        return site.operators[operator]
    readers = sorted(site.operators.values(), key=lambda o: o.commands)
    if not readers:
        raise UsageError("antrean status logs in as an operator tool: declare one in the site "
                         'config ([[operators]] id = "ops-status")')
    return readers[0]


def no_link(client, host: str, port: int, wait_s: float) -> str:
    """Why ``client`` has no link: the broker refused its login, or it was not reached."""
    if client.login_refused.is_set():
        return (f"broker {host}:{port} refused the login: {client.last_refusal} (is the "
                "password the one in the keys file? antrean credentials makes it, and the "
                "hub card's password file must be the one it wrote)")
    return (f"broker {host}:{port} unreachable: no connection within {wait_s:g} s (is "
            "antrean-broker running there, and are the address and port right?)")


def last_seen(info: dict) -> int | None:
    """When the device last said something (its presence or its health), in ms."""
    times = [m.at for m in (info.get("presence"), info.get("health")) if m and m.at]
    return max(times) if times else None


def trouble(info: dict, now_ms: int) -> str | None:
    """What about this device needs a technician now, or None. Only an online device's
    health counts: an offline one's printer state is what it was, not what it is."""
    presence: Presence | None = info.get("presence")
    health: Health | None = info.get("health")
    if presence is None:
        return "never seen"
    if presence.state != "online":
        seen = last_seen(info)
        return presence.state + (f" {ago(now_ms - seen)}" if seen else "")
    if health is None:
        return None
    found = []
    if health.printer and health.printer.status in PRINTER_PROBLEMS:
        found.append(PRINTER_WORDS[health.printer.status])
    if health.errors:
        found.append("errors: " + "; ".join(health.errors[:3]))
    return ", ".join(found) or None


def describe(device: str, info: dict, now_ms: int, tz: str = "Asia/Jakarta") -> str:
    """One line for ``device`` from its decoded Presence and Health (either may be absent);
    times in the hall's time zone ``tz``."""
    presence: Presence | None = info.get("presence")
    health: Health | None = info.get("health")
    state = presence.state.upper() if presence else "NEVER SEEN"
    parts = [f"{device:<16} {state:<10}"]
    details = _health_words(health) if health else []
    if presence is not None and presence.state != "online":
        seen = last_seen(info)
        if seen:
            parts.append(f"{presence.state} {ago(now_ms - seen)} (last seen "
                         f"{clock(seen, now_ms, tz)})")
        if details:
            parts.append("was: " + ", ".join(details))
        return "  ".join(parts)
    parts += details
    if health:
        parts.append(f"report {max(0, now_ms - health.at) // 1000} s old")
    return "  ".join(parts)


def _health_words(health: Health) -> list[str]:
    words = [f"v{health.version or '?'} up {health.uptime_s // 60} min"]
    if health.printer:
        words.append(PRINTER_WORDS.get(health.printer.status, health.printer.status))
    if health.outbox:
        words.append(f"{health.outbox} offline tickets not yet at the hub")
    if health.errors:
        words.append("errors: " + "; ".join(health.errors[:3]))
    return words


def ago(ms: int) -> str:
    """A duration as a technician says it: 40 s, 5 min, 3 h 12 min, 4 days."""
    seconds = max(0, ms) // 1000
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} days"


def clock(ms: int, now_ms: int, tz: str) -> str:
    """``12:03`` today, ``2026-11-27 12:03`` on another day (in the hall's time zone)."""
    zone = zoneinfo.ZoneInfo(tz)
    when = dt.datetime.fromtimestamp(ms / 1000, zone)
    today = dt.datetime.fromtimestamp(now_ms / 1000, zone).date()
    return when.strftime("%H:%M" if when.date() == today else "%Y-%m-%d %H:%M")


def summary(troubles: dict[str, str], devices: int) -> str:
    if not troubles:
        return f"all {devices} devices online, nothing needs a technician"
    listed = ", ".join(f"{d} ({t})" for d, t in troubles.items())
    return f"{len(troubles)} of {devices} devices need a technician: {listed}"


def report(site, seen: dict[str, dict], now_ms: int, as_json: bool = False) -> int:
    """Print what ``collect`` found for every device of ``site``; the exit code."""
    devices = ["hub", *(d.id for d in site.devices())]
    troubles = {d: t for d in devices if (t := trouble(seen.get(d, {}), now_ms))}
    if as_json:
        print(json.dumps({**msgspec.to_builtins(seen), "_needs_technician": troubles},
                         indent=2))
    else:
        for device in devices:
            print(describe(device, seen.get(device, {}), now_ms, site.timezone))
        print(summary(troubles, len(devices)))
    return EXIT_ATTENTION if troubles else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="antrean status", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="site config (TOML)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--wait", type=float, default=1.5, help="seconds to listen")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--as", dest="operator", metavar="OPERATOR",
                        help="the operator tool to log in as (default: the first that only "
                             "reads)")
    add_login_arguments(parser)
    args = parser.parse_args(argv)

    from .config import load_site
    site = load_site(args.config)
    login = status_login(site, args.operator).id
    password = own_password(login, args.device_config, args.password_file)
    tls_ca = own_tls_ca(site.broker_tls, args.tls_ca, args.device_config)
    seen = collect(site, args.host, args.port, args.wait, password=password,
                   operator=login, tls_ca=tls_ca)    # BrokerError: exit code 7
    return report(site, seen, int(time.time() * 1000), as_json=args.json)
