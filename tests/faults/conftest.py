"""A whole hall for fault tests: the mini hall's real broker (listening on every address, so
devices in a network namespace reach it), the real hub in a thread, and hub-side tools.

The tools are operator tools with logins of their own (``ops-*``, added to a copy of the
mini hall's TOML), so they never clash with the device under test: ``ops-kiosk`` issues
tickets, ``ops-officer`` calls at any counter (docs/protocol.md lets operator tools with
``commands = true`` use every counter), ``ops-watch`` keeps
each counter's latest ``state.counter`` and every presence message.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import msgspec
import pytest

from antrean.clock import HubClock
from antrean.command import CommandChannel
from antrean.config import load_site
from antrean.mqtt import HallClient
from hub.service import HubService
from tests.fixtures.hallclock import hall_clock
from tests.fixtures.sites import with_tool_logins
from tests.fixtures.netns import netns, open_broker  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
SITE_FILE = ROOT / "examples" / "mini-hall.toml"
CONNECT_S = 10


class Watch:
    """``ops-watch``: each counter's newest ``state.counter`` and every presence message,
    with arrival times (monotonic)."""

    def __init__(self, client: HallClient):
        self.counters: dict[int, dict] = {}
        self.presence: list[tuple[float, dict]] = []
        self._cond = threading.Condition()
        client.subscribe(client.topics.all_counters, self._on_counter)
        client.subscribe(client.topics.all_presence, self._on_presence)

    def _on_counter(self, msg) -> None:
        snap = json.loads(msg.payload)
        with self._cond:
            shown = self.counters.get(snap["counter"])
            if shown is None or (snap["epoch"], snap["rev"]) > (shown["epoch"], shown["rev"]):
                self.counters[snap["counter"]] = snap
            self._cond.notify_all()

    def _on_presence(self, msg) -> None:
        with self._cond:
            self.presence.append((time.monotonic(), json.loads(msg.payload)))
            self._cond.notify_all()

    def wait(self, predicate, timeout: float):
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def online_since(self, device: str, after: float) -> float | None:
        """When ``device`` said ``online`` after the monotonic time ``after``."""
        with self._cond:
            return next((t for t, p in self.presence if t > after and p["device"] == device
                         and p["state"] == "online"), None)


class Hall:
    """The mini hall around the real hub; see the module docstring."""

    def __init__(self, site, broker, db: Path):
        self.site, self.broker, self.db = site, broker, db
        self.hub_clock = hall_clock()        # one clock for every incarnation of the hub
        self.hub = HubService(site, str(db), broker.host, broker.port,
                              password=broker.passwords["hub"], now_ms=self.hub_clock)
        self._thread = threading.Thread(target=self.hub.run, daemon=True, name="hub")
        self._thread.start()
        self._clients: list[HallClient] = []
        self.clock = HubClock()
        self.kiosk = self._channel("ops-kiosk")
        self.officer = self._channel("ops-officer")
        watcher = self._client("ops-watch")
        self.watch = Watch(watcher)
        watcher.start()
        for c in self._clients:
            if not c.wait_connected(CONNECT_S):
                raise RuntimeError(f"{c.device} did not connect:\n" + "\n".join(broker.log))
        if not self.hub.client.wait_connected(CONNECT_S):
            raise RuntimeError("the hub did not connect")

    def _client(self, device: str) -> HallClient:
        client = HallClient(site=self.site.id, device=device, role="operator",
                            password=self.broker.passwords[device], host=self.broker.host,
                            port=self.broker.port, announce=False)
        self._clients.append(client)
        return client

    def _channel(self, device: str) -> CommandChannel:
        client = self._client(device)
        channel = CommandChannel(client, client.topics, device, self.clock)
        client.start()
        return channel

    def ticket(self, service: str) -> str:
        """A ticket on paper, waiting: its number."""
        got = self.kiosk.request("ticket.request", {"service": service}, timeout=5)
        if not got.ok:
            raise RuntimeError(f"ticket refused: {got.error}")
        ticket = got.result.ticket
        done = self.kiosk.request("ticket.printed", {"ticket": ticket.id}, timeout=5)
        if not done.ok:
            raise RuntimeError(f"print confirmation refused: {done.error}")
        return ticket.number

    def call_next(self, counter: int) -> dict:
        """The Call object made, as the wire has it."""
        got = self.officer.request("counter.next", {"counter": counter}, timeout=5)
        if not got.ok or got.result.call is None:
            raise RuntimeError(f"counter {counter} called nobody: {got}")
        return msgspec.to_builtins(got.result.call)

    def calls(self) -> list[dict]:
        """The hub's calls table, read from its SQLite file."""
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
        try:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM calls ORDER BY call_id")]
        finally:
            db.close()

    def close(self) -> None:
        for c in self._clients:
            c.stop(timeout=2)
        self.hub.stop()
        self._thread.join(10)


@pytest.fixture
def site(tmp_path):
    return load_site(with_tool_logins(SITE_FILE, tmp_path))


@pytest.fixture
def open_hall(site, tmp_path):
    """A broker on every address and a hub; yields the :class:`Hall`."""
    broker = open_broker(site, tmp_path / "broker")
    hall = None
    try:
        hall = Hall(site, broker, tmp_path / "hub.sqlite")
        yield hall
    finally:
        if hall is not None:
            hall.close()
        broker.stop()
