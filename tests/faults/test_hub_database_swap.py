"""A hub whose database is swapped mid-day: for a fresh one (a new card) and for a restored
backup (the same database, older). The real hub behind a real Mosquitto, a display's real
core with its durable memory on the broker, a kiosk and a counter box speaking the protocol.
Every call made after a swap is announced exactly once, and nothing made before is again."""
from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from antrean.deploy.broker import run_broker
from antrean.clock import HubClock
from antrean.mqtt import HallClient
from display.memory import AnnounceMemory
from display.state import DisplaySettings, DisplayState
from hub.service import HubService
from tests.fixtures.hallclock import hall_clock
from tests.fixtures.sites import small_site
from tests.fixtures.waiting import wait_until
from tests.hub.test_service import Device


class DisplayCore:
    """The display's core as display/app.py wires it, without a window: what it would speak
    is collected in ``announced``."""

    def __init__(self, site, broker, memory_path: Path):
        device = site.displays["display-hall"]
        self.state = DisplayState(site, DisplaySettings.of(site, device),
                                  AnnounceMemory(memory_path), HubClock())
        self.announced: list[int] = []
        self._lock = threading.Lock()
        self.client = HallClient(site=site.id, device=device.id, role="display",
                                 password=broker.passwords[device.id], host=broker.host,
                                 port=broker.port,
                                 deliver=lambda f: f())     # one thread: paho's
        t = self.client.topics
        for topic, qos in ((t.all_counters, 1), (t.called, 1), (t.clock, 0)):
            self.client.subscribe(topic, self._on_message, qos=qos)
        self.client.on_link(self.state.on_link)
        self.client.start()

    def _on_message(self, msg) -> None:
        fresh = self.state.receive(msg.payload, retained=msg.retain)
        with self._lock:
            self.announced += [c.call_id for c in fresh]

    def spoken(self) -> list[int]:
        with self._lock:
            return list(self.announced)


class SwappableHall:
    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.site = small_site()
        self.broker = run_broker(self.site, tmp_path / "broker")
        self.clock = hall_clock()          # one clock for every hub, as the hall's time
        self.db = tmp_path / "hub.sqlite"
        self.hub = self._thread = None
        self.start()
        self.display = DisplayCore(self.site, self.broker, tmp_path / "announced.json")
        self.kiosk, self.box = (Device(self.site, self.broker, d) for d in ("kiosk-1", "box-1"))

    def start(self) -> None:
        self.hub = HubService(self.site, str(self.db), self.broker.host, self.broker.port,
                              password=self.broker.passwords["hub"],
                              now_ms=self.clock)
        self._thread = threading.Thread(target=self.hub.run, daemon=True, name="hub")
        self._thread.start()
        assert self.hub.client.wait_connected(10)

    def stop(self) -> None:
        self.hub.stop()
        self._thread.join(10)

    def backup(self, to: Path) -> None:
        """The hub's database copied as a backup tool does (SQLite's online backup)."""
        with sqlite3.connect(self.db) as live, sqlite3.connect(to) as copy:
            live.backup(copy)

    def replace_db(self, with_file: Path | None) -> None:
        """The card swap: the hub stops, its database is replaced (or gone), it starts."""
        self.stop()
        for path in self.db.parent.glob(self.db.name + "*"):
            path.unlink()
        if with_file is not None:
            shutil.copy(with_file, self.db)
        self.start()

    def call_next(self, tickets: int = 1) -> list[int]:
        """Visitors take tickets, then counter 1 calls each; the call ids made."""
        for _ in range(tickets):
            t = self.kiosk.ask("ticket.request", service="KTP")["result"]["ticket"]
            assert self.kiosk.ask("ticket.printed", ticket=t["id"])["ok"]
        return [self.box.ask("counter.next", counter=1)["result"]["call"]["call_id"]
                for _ in range(tickets)]

    def close(self) -> None:
        for d in (self.kiosk, self.box, self.display):
            d.client.stop()
        self.stop()
        self.broker.stop()


@pytest.fixture
def hall(tmp_path):
    h = SwappableHall(tmp_path)
    yield h
    h.close()


def wait_spoken(hall, made: list[int]) -> None:
    wait_until(lambda: len(hall.display.spoken()) >= len(made), 20,
               f"the display to announce {made}")


@pytest.mark.parametrize("swap", ["fresh", "restored backup"])
def test_every_call_after_a_database_swap_is_spoken_exactly_once(hall, tmp_path, swap):
    """Given a display that has announced the morning's calls, when the hub's database is
    swapped for a fresh one or for a backup from before some of those calls, then every call
    the hub makes afterwards is announced once, and no earlier one again."""
    made = hall.call_next(2)
    backup = tmp_path / "backup.sqlite"
    hall.backup(backup)                     # the backup knows calls 1-2 ...
    made += hall.call_next(2)               # ... not 3-4, which the display has spoken
    wait_spoken(hall, made)
    old_db = hall.hub.db_id
    hall.replace_db(None if swap == "fresh" else backup)
    assert (hall.hub.db_id == old_db) is (swap == "restored backup")
    after = hall.call_next(3)
    assert min(after) > max(made)           # the new calls are new to every display
    made += after
    wait_spoken(hall, made)
    assert hall.display.spoken() == made
    assert hall.display.state.view().latest.call_id == after[-1]
