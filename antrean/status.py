"""`antrean status`: which device is online, which printer is out of paper.

Reads the retained presence and health of every device from the broker (with the hub's
login) and prints one line per device of the site config, devices never seen included.
"""
from __future__ import annotations

import argparse
import json
import threading
import time

import msgspec

from . import protocol
from .messages import Health, Presence
from .protocol import Topics

KINDS = {"presence": (Presence,), "health": (Health,)}

PRINTER_WORDS = {"ok": "printer ok", "paper_low": "PAPER LOW", "no_paper": "NO PAPER",
                 "cover_open": "COVER OPEN", "offline": "PRINTER OFFLINE",
                 "unknown": "printer status unknown"}


def collect(site, host: str, port: int, wait_s: float) -> dict[str, dict]:
    """Presence and health per device id, as the broker holds them now."""
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

    client = HallClient(site=site.id, device="hub-status", role="hub",
                        password=site.hub_password, host=host, port=port, username="hub",
                        announce=False)
    client.subscribe(topics.all_presence, on("presence"))
    client.subscribe(topics.all_health, on("health"))
    client.start()
    try:
        client.wait_connected(wait_s)
        time.sleep(wait_s)   # retained messages arrive right after subscribing; a CLI may wait
    finally:
        client.stop()
    return seen


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
    args = parser.parse_args(argv)

    from .config import load_site
    site = load_site(args.config)
    seen = collect(site, args.host, args.port, args.wait)
    if args.json:
        print(json.dumps(msgspec.to_builtins(seen), indent=2))
        return 0
    now = int(time.time() * 1000)
    for device in ["hub", *(d.id for d in site.devices())]:
        print(describe(device, seen.get(device, {}), now))
    return 0
