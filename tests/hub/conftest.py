"""Fixtures for the hub's engine tests: a real SQLite file per test and a small driver that
sends commands the way the MQTT adapter does (decoded Structs, the hub's clock passed in)."""
from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from antrean import protocol
from hub.queue import Outcome, QueueEngine
from hub.store import Store
from tests.fixtures.sites import small_site

WIB = dt.timezone(dt.timedelta(hours=7))      # Asia/Jakarta, the fixture site's zone


def at(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> int:
    """Milliseconds since the epoch for a wall-clock time in Jakarta."""
    return int(dt.datetime(year, month, day, hour, minute, second, tzinfo=WIB).timestamp() * 1000)


MONDAY_9 = at(2026, 11, 23, 9)   # a Monday, inside every fixture's opening hours


class Hall:
    """Drives a QueueEngine: ``send`` returns the Outcome; ``ok`` the result of a command that
    must succeed; ``refused`` the error code of one that must not."""

    def __init__(self, store: Store, site, now: int = MONDAY_9, opened: list | None = None):
        self.opened = opened if opened is not None else []
        self.opened.append(self)
        self.store = store
        self.site = site
        self.engine = QueueEngine(store, site)
        self.now = now
        self._ids = itertools.count(1)

    def send(self, device: str, mtype: str, *, cmd_id: str | None = None,
             sent_at: int | None = None, **fields) -> Outcome:
        # As the hub's adapter hands it over: decoded from a real payload.
        payload = protocol.encode(mtype, id=cmd_id or f"cmd-{next(self._ids)}",
                                  sent_at=self.now if sent_at is None else sent_at, **fields)
        return self.engine.execute(device, protocol.decode(payload, protocol.COMMANDS),
                                   self.now)

    def ok(self, device: str, mtype: str, **fields) -> dict:
        reply = self.send(device, mtype, **fields).reply
        assert reply["ok"], reply
        return reply["result"]

    def refused(self, device: str, mtype: str, **fields) -> str:
        reply = self.send(device, mtype, **fields).reply
        assert not reply["ok"], reply
        err = reply["error"]
        assert err["message"] and err["message_en"], err
        return err["code"]

    def issue(self, service: str, priority: str | None = None, device: str = "kiosk-1") -> dict:
        """A ticket requested and printed: now waiting."""
        ticket = self.ok(device, "ticket.request", service=service, priority=priority)["ticket"]
        return self.ok(device, "ticket.printed", ticket=ticket["id"])["ticket"]

    def next(self, counter: int, device: str = "box-1") -> dict | None:
        return self.ok(device, "counter.next", counter=counter)["call"]

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)

    def reopen(self) -> "Hall":
        """The same database file opened again, as after a restart."""
        self.store.close()
        again = Hall(Store(self.store.path), self.site, self.now, self.opened)
        again._ids = self._ids          # a device never reuses an id for a new intent
        return again

    def status(self, ticket_id: str) -> str:
        return self.store.value("SELECT status FROM tickets WHERE id = ?", (ticket_id,))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hub.sqlite"


@pytest.fixture
def make_hall(db_path):
    """``make_hall(site=None, now=MONDAY_9, path=db_path)``: a Hall on a real file."""
    opened: list[Hall] = []

    def make(site=None, now: int = MONDAY_9, path=None) -> Hall:
        return Hall(Store(path or db_path), site or small_site(), now, opened)
    yield make
    for hall in opened:
        try:
            hall.store.close()
        except Exception:
            pass


@pytest.fixture
def hall(make_hall) -> Hall:
    return make_hall()
