"""`antrean status`: which device is online, which printer is out of paper.

Reads the retained presence and health of every device from the broker (with an operator
tool's login, ``[[operators]]`` in the site config) and prints one line per device of the
site config, devices never seen included.
"""
from __future__ import annotations

import argparse
import json
import threading
import time

import msgspec

from . import protocol
from .credentials import add_login_arguments, own_password
from .messages import Health, Presence
from .protocol import Topics

KINDS = {"presence": (Presence,), "health": (Health,)}

PRINTER_WORDS = {"ok": "printer ok", "paper_low": "PAPER LOW", "no_paper": "NO PAPER",
                 "cover_open": "COVER OPEN", "offline": "PRINTER OFFLINE",
                 "unknown": "printer status unknown"}


def collect(site, host: str, port: int, wait_s: float, *, password: str,
            operator: str | None = None) -> dict[str, dict]:
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
                        password=password, host=host, port=port, announce=False)
    client.subscribe(topics.all_presence, on("presence"))
    client.subscribe(topics.all_health, on("health"))
    client.start()
    try:
        client.wait_connected(wait_s)
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


def describe(device: str, info: dict, now_ms: int) -> str:
    """One line for ``device`` from its decoded Presence and Health (either may be absent)."""
    presence: Presence | None = info.get("presence")
    health: Health | None = info.get("health")
    state = presence.state.upper() if presence else "NEVER SEEN"
    parts = [f"{device:<16} {state:<10}"]
    if health:
        parts.append(f"v{health.version or '?'} up {health.uptime_s // 60} min")
        if health.printer:
            parts.append(PRINTER_WORDS.get(health.printer.status, health.printer.status))
        if health.outbox:
            parts.append(f"{health.outbox} offline tickets not yet at the hub")
        if health.errors:
            parts.append("errors: " + "; ".join(health.errors[:3]))
        parts.append(f"report {max(0, now_ms - health.at) // 1000} s old")
    return "  ".join(parts)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="antrean status", description=__doc__)
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
    seen = collect(site, args.host, args.port, args.wait, password=password, operator=login)
    if args.json:
        print(json.dumps(msgspec.to_builtins(seen), indent=2))
        return 0
    now = int(time.time() * 1000)
    for device in ["hub", *(d.id for d in site.devices())]:
        print(describe(device, seen.get(device, {}), now))
    return 0
