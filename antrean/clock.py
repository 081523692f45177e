"""The hub's clock as a device sees it.

Pis have no real-time clock, so the hub is the time every device aligns to: it sends a
``clock`` heartbeat every second (docs/protocol.md, ``state/clock``). Between heartbeats a
device advances the hub's time by its own monotonic clock, which never jumps when NTP (or
nobody) sets the wall clock. A heartbeat older than a few seconds means "hub unreachable".
"""
from __future__ import annotations

import logging
import math
import time
from typing import Callable

from .errors import ProtocolError
from .messages import Clock
from .protocol import Topics, decode

log = logging.getLogger(__name__)
_CLOCK = (Clock,)


class HubClock:
    """``observe()`` each heartbeat; ``now_ms()`` is then the hub's time in ms since the epoch.

    Until the first heartbeat ``now_ms()`` falls back to this device's wall clock, and
    ``fresh()`` is False. ``monotonic`` and ``wall`` are seams for tests (seconds, as floats).
    """

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time):
        self._monotonic = monotonic
        self._wall = wall
        # (hub ms, local monotonic s) of the last heartbeat, replaced as one tuple so a
        # reader on another thread never sees half an update.
        self._last: tuple[int, float] | None = None

    def observe(self, hub_now_ms: int) -> None:
        self._last = (int(hub_now_ms), self._monotonic())

    @property
    def synced(self) -> bool:
        return self._last is not None

    def now_ms(self) -> int:
        last = self._last
        if last is None:
            return int(self._wall() * 1000)
        hub_ms, seen = last
        return hub_ms + int(round((self._monotonic() - seen) * 1000))

    def age_s(self) -> float:
        """Seconds since the last heartbeat; infinity before the first."""
        last = self._last
        return math.inf if last is None else max(0.0, self._monotonic() - last[1])

    def fresh(self, max_age_s: float = 5) -> bool:
        """A heartbeat arrived within ``max_age_s`` (the protocol's "hub reachable")."""
        return self.age_s() <= max_age_s

    def on_heartbeat(self, payload: bytes) -> None:
        """Feed a raw ``state/clock`` payload; a bad one is logged and ignored."""
        try:
            msg = decode(payload, _CLOCK)
        except ProtocolError as e:
            log.warning("ignoring bad clock heartbeat: %s", e)
            return
        self.observe(msg.now)

    def follow(self, client, topics: Topics) -> None:
        """Subscribe ``client`` (a :class:`~antrean.mqtt.HallClient`) to the heartbeat.
        QoS 0 as the hub sends it: a late heartbeat is worse than a missing one."""
        client.subscribe(topics.clock, lambda msg: self.on_heartbeat(msg.payload), qos=0)


class PresetClock:
    """The hub's own clock set to a chosen moment, running at real speed from there.

    A hall runs its hub on the wall clock. A rehearsal or a test runs it from a moment it
    picks (``antrean hub --clock-from``: a Friday 11:50, the minute before the daily reset),
    so what the hall does never depends on when it runs; every device follows the hub's
    clock through the heartbeat. ``set()`` jumps to another moment; time never stops.
    """

    def __init__(self, start_ms: int, *, monotonic: Callable[[], float] = time.monotonic):
        self._monotonic = monotonic
        self._base = (int(start_ms), monotonic())     # replaced whole, as in HubClock

    def now_ms(self) -> int:
        start_ms, at = self._base
        return start_ms + int((self._monotonic() - at) * 1000)

    def set(self, ms: int) -> None:
        self._base = (int(ms), self._monotonic())

    __call__ = now_ms
