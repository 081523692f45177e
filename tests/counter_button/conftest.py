"""Fixtures for the button box: gpiozero's MockFactory, a wired test hall, a stand-in hub.

The stand-in hub is a real MQTT client logged in as ``hub`` on the real test broker: it
sends heartbeats and snapshots and answers commands the way docs/protocol.md says, so the
box under test cannot tell it from the hub.
"""
from __future__ import annotations

import dataclasses
import threading

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPin

from antrean.protocol import encode
from tests.fixtures.broker import Inbox, json_of
from tests.fixtures.sites import small_site

PINS = {
    "1": {"next": 17, "recall": 27, "led": 23},
    "2": {"next": 5, "recall": 6, "skip": 13, "pause": 12, "led": 19},
    "3": {"next": 16, "recall": 20, "led": 26},
}


class WatchedPin(MockPin):
    """A MockPin a test can wait on: ``wait_changes(n)`` until it changed state n times
    since its last ``clear_states()`` (LED blinks run on gpiozero's threads)."""

    def __init__(self, factory, info):
        self._changed = threading.Condition()
        super().__init__(factory, info)

    def _change_state(self, value):
        with self._changed:
            changed = super()._change_state(value)
            self._changed.notify_all()
        return changed

    def wait_changes(self, n: int, timeout: float = 5.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.states) > n, timeout)


@pytest.fixture
def mock_factory():
    """MockFactory as gpiozero's default for one test, restored after (as in gpiozero's own
    tests/conftest.py); its pins are :class:`WatchedPin`."""
    saved = Device.pin_factory
    Device.pin_factory = MockFactory(pin_class=WatchedPin)
    try:
        yield Device.pin_factory
    finally:
        Device.pin_factory.reset()
        Device.pin_factory = saved


@pytest.fixture
def hall_site():
    """small_site() with box-1's pins wired (overrides the broker fixtures' site)."""
    site = small_site()
    box = dataclasses.replace(site.button_boxes["box-1"], pins=PINS)
    return dataclasses.replace(site, button_boxes={"box-1": box})


class LedLog:
    """``on_led`` for a box: records each counter's patterns and lets a test wait for one."""

    def __init__(self):
        self.seen: list[tuple[int, str]] = []
        self._cond = threading.Condition()

    def __call__(self, counter, pattern) -> None:
        with self._cond:
            self.seen.append((counter, pattern.value))
            self._cond.notify_all()

    def now(self, counter) -> str | None:
        with self._cond:
            return next((p for c, p in reversed(self.seen) if c == counter), None)

    def wait_for(self, counter: int, pattern: str, timeout: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.now(counter) == pattern, timeout)

    def count(self, counter: int, pattern: str) -> int:
        with self._cond:
            return sum(1 for c, p in self.seen if (c, p) == (counter, pattern))


class StandInHub:
    """Heartbeats every 0.5 s, snapshots on demand, and replies to the box's commands."""

    def __init__(self, client):
        self.client = client
        self.topics = client.topics
        self.commands = Inbox()
        client.subscribe(self.topics.all_cmds, self.commands)
        self.now_ms = 1_800_000_000_000
        self.db = 2964123357
        self._beating = threading.Event()
        self._stop = threading.Event()
        self.rev = 0
        self.resume_heartbeat()
        threading.Thread(target=self._beat, daemon=True).start()

    def _beat(self) -> None:
        while not self._stop.wait(0.5):      # the hub's period, not a synchronisation
            if self._beating.is_set():
                self.now_ms += 500
                self.client.publish(self.topics.clock, encode(
                    "clock", db=self.db, epoch=1, rev=self.rev, now=self.now_ms,
                    tz="Asia/Jakarta"), qos=0)

    def pause_heartbeat(self) -> None:
        self._beating.clear()

    def resume_heartbeat(self) -> None:
        self._beating.set()

    def stop(self) -> None:
        self._stop.set()

    def counter(self, counter: int, *, paused: bool = False, number: str | None = None,
                call_id: int = 1) -> None:
        """Publish ``counter``'s retained snapshot; ``rev`` counts across all counters."""
        self.rev += 1
        serving = number is not None
        self.client.publish(self.topics.counter(counter), encode(
            "state.counter", db=self.db, epoch=1, rev=self.rev, at=self.now_ms,
            counter=counter, paused=paused, number=number, service="KTP" if serving else None,
            call_id=call_id if serving else None,
            last_call=call(counter, number, call_id, self.now_ms) if serving else None),
            qos=1, retain=True).done.wait(5)

    def command(self, predicate=lambda c: True, timeout: float = 5.0) -> dict | None:
        msg = self.commands.wait_for(lambda m: predicate(json_of(m)), timeout)
        return None if msg is None else json_of(msg)

    def all_commands(self) -> list[dict]:
        return [json_of(m) for m in self.commands.messages]

    def reply(self, device: str, command: dict, result: dict | None = None,
              error: str | None = None) -> None:
        fields = {"id": command["id"], "ok": error is None}
        if error is None:
            fields["result"] = result or {}
        else:
            fields["error"] = {"code": error, "message": "ditolak", "message_en": "refused"}
        self.client.publish(self.topics.reply(device), encode("reply", **fields), qos=1)


def call(counter: int, number: str, call_id: int = 1, at: int = 1_800_000_000_000) -> dict:
    return {"call_id": call_id, "ticket": f"2027-01-15.KTP.{call_id}", "number": number,
            "service": "KTP", "counter": counter, "recall": 0, "at": at}


def ticket(counter: int, number: str, seq: int = 1, status: str = "skipped") -> dict:
    """A ticket as the hub's reply holds it (a skip's ``skipped``)."""
    return {"id": f"2027-01-15.KTP.{seq}", "number": number, "service": "KTP",
            "day": "2027-01-15", "seq": seq, "status": status, "issued_at": 1_800_000_000_000,
            "counter": counter}


@pytest.fixture
def hub(client_for):
    stand_in = StandInHub(client_for("hub"))
    yield stand_in
    stand_in.stop()
