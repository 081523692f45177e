"""The hall display's core: what to show and what to announce, from the hub's messages.

No Kivy, no MQTT. The app hands every payload to :meth:`DisplayState.receive` and the link
state to :meth:`DisplayState.on_link`; it renders :meth:`DisplayState.view` and speaks the
calls ``receive`` returns. The rules (docs/protocol.md):

- each counter's snapshot (``state.counter``) is ordered by ``(epoch, rev)``; one that is not
  newer than the one shown for that counter is ignored, so a late or replayed snapshot never
  rolls back;
- the view is "not up to date" while the link is down or the hub's heartbeat
  (``state/clock``) has been missing for more than ``stale_after_s``;
- a call is announced once, ever: only when its ``call_id`` is above the durable memory and it
  is not older than ``max_age_s`` on the hub's clock. The memory is raised *before* the call
  is handed out for speaking (at-most-once). Calls come from ``event/called`` (fast) and from
  each counter's retained ``last_call`` (the truth), deduplicated by ``call_id``. Until the
  hub's clock is known a call's age is unknown, so candidates wait for the first heartbeat.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from antrean import protocol
from antrean.clock import HubClock
from antrean.errors import ConfigError, ProtocolError
from antrean.messages import Call, Called, Clock, StateCounter
from antrean.site import Display, Site

log = logging.getLogger(__name__)

# The payload types a display accepts; anything else on its topics is refused. A call is
# the protocol's own :class:`~antrean.messages.Call` (call_id, number, counter, at, recall).
ACCEPTED = (StateCounter, Clock, Called)
MAX_CALLS = 20          # recent calls kept (the view shows ``recent_count`` of them)


class Memory(Protocol):
    def last(self) -> int | None: ...
    def remember(self, call_id: int) -> None: ...
    def db(self) -> int | None: ...
    def switch(self, db: int) -> None: ...


@dataclass(frozen=True)
class CounterView:
    counter: int
    name: str
    agency: str             # agency display name, for grouping
    number: str | None      # None: serving nobody now
    paused: bool
    service: str | None = None      # the service of ``number`` (its name, in the language)
    priority: str | None = None     # the kind of the ticket shown (None: regular or idle)


@dataclass(frozen=True)
class View:
    latest: Call | None                 # the newest call of the shown counters
    counters: tuple[CounterView, ...]
    recent: tuple[Call, ...]            # newest first, without ``latest``
    stale: bool                         # show the "not up to date" banner
    ever_fresh: bool                    # False until the first heartbeat: "connecting"


@dataclass(frozen=True)
class DisplaySettings:
    """How one display behaves, resolved from the site config."""

    counters: tuple[int, ...]           # the counters it shows and announces, in order
    language: str = "id"
    max_age_s: float = 60.0             # never announce a call older than this (hub clock)
    stale_after_s: float = 5.0          # heartbeat missing this long: "not up to date"
    recent_count: int = 5

    @classmethod
    def of(cls, site: Site, display: Display, **overrides) -> DisplaySettings:
        return cls(counters=shown_counters(site, display), language=display.language,
                   **overrides)

    def __post_init__(self):
        if not self.counters:
            raise ConfigError("the display shows no counter", key="counters")
        if not self.max_age_s > 0 or not self.stale_after_s > 0:
            raise ConfigError("max_age_s and stale_after_s must be positive seconds")


def shown_counters(site: Site, display: Display) -> tuple[int, ...]:
    """The display's own counters, else those of its agencies, else every counter."""
    if display.counters:
        unknown = [c for c in display.counters if c not in site.counters]
        if unknown:
            raise ConfigError(f"unknown counter(s) {unknown}", key=f"displays.{display.id}")
        chosen = display.counters
    elif display.agencies:
        chosen = tuple(c.id for c in site.counters.values() if c.agency in display.agencies)
    else:
        chosen = tuple(site.counters)
    if display.layout == "counter" and len(chosen) != 1:
        raise ConfigError("a counter display shows exactly one counter",
                          key=f"displays.{display.id}.counters")
    return tuple(sorted(chosen))


def counter_topics(topics: protocol.Topics, site: Site, settings: DisplaySettings) -> list[str]:
    """The state a display subscribes to: its own counters' only (one wildcard for all)."""
    if set(settings.counters) == set(site.counters):
        return [topics.all_counters]
    return [topics.counter(c) for c in settings.counters]


class DisplayState:
    """See the module docstring. ``clock`` is the hub's clock; this state feeds it every
    heartbeat it receives."""

    def __init__(self, site: Site, settings: DisplaySettings, memory: Memory, clock: HubClock):
        self.site, self.settings, self.memory, self.clock = site, settings, memory, clock
        self._shown = set(settings.counters)
        self._order: dict[int, tuple[int, int]] = {}    # counter -> (epoch, rev) shown
        self._counters: dict[int, StateCounter] = {}    # counter -> its latest snapshot
        self._calls: dict[int, Call] = {}               # recent calls by call_id
        self._pending: dict[int, Call] = {}             # waiting for the hub clock
        self._link_up = False
        self.tz = _zone(site.timezone)

    # ---- inputs ------------------------------------------------------------------------
    def receive(self, payload: bytes, retained: bool = False) -> list[Call]:
        """One payload from the broker. Returns the calls to announce now, oldest first (the
        memory already holds them). A bad payload is logged and changes nothing.

        ``retained`` is MQTT's flag: the broker replaying state on (re)connect. Calls seen
        that way happened while this display was away (a cut link, a reboot, a broker
        restart): they are shown, never spoken late in a burst."""
        try:
            msg = protocol.decode(payload, ACCEPTED)
        except ProtocolError as e:
            log.warning("refused a payload: %s", e)
            return []
        self._follow_db(msg.db)
        if isinstance(msg, StateCounter):
            return self._on_counter(msg, speak=not retained)
        if isinstance(msg, Called):
            return self._on_called(msg)
        return self._on_clock(msg)

    def on_link(self, up: bool) -> None:
        self._link_up = up

    def _follow_db(self, db: int | None) -> None:
        """Another hub database (a card swap, a rebuild): its epochs, revisions and call ids
        start anew, so forget what was shown and announced, and take its state as it comes."""
        if db is None or db == self.memory.db():
            return
        if self.memory.db() is not None:
            log.warning("the hub's database changed (%s -> %s): starting afresh",
                        self.memory.db(), db)
            self._order.clear()
            self._counters.clear()
            self._calls.clear()
            self._pending.clear()
        self.memory.switch(db)

    # ---- outputs -----------------------------------------------------------------------
    def stale(self) -> bool:
        return not (self._link_up and self.clock.fresh(self.settings.stale_after_s))

    def hub_now_ms(self) -> int | None:
        """The hub's clock now; None before the first heartbeat (this Pi's clock is no
        substitute: it has no RTC)."""
        return self.clock.now_ms() if self.clock.synced else None

    def local_time(self) -> dt.datetime | None:
        now = self.hub_now_ms()
        return None if now is None else dt.datetime.fromtimestamp(now / 1000, self.tz)

    def view(self) -> View:
        calls = sorted((c for c in self._calls.values() if c.counter in self._shown),
                       key=lambda c: c.call_id, reverse=True)
        latest = calls[0] if calls else None
        return View(latest, tuple(self._counter_view(c) for c in self.settings.counters),
                    tuple(calls[1:1 + self.settings.recent_count]), self.stale(),
                    self.clock.synced)

    def _counter_view(self, cid: int) -> CounterView:
        counter = self.site.counters[cid]
        agency = self.site.agencies.get(counter.agency)
        name = (agency.name if self.settings.language == "id" else agency.name_en) if agency \
            else counter.agency
        snap = self._counters.get(cid)
        number, paused = (snap.number, snap.paused) if snap is not None else (None, False)
        service = snap.service if snap is not None else None
        # The priority of the number shown: that of the call that brought it.
        last = snap.last_call if snap is not None else None
        priority = last.priority if last is not None and last.number == number else None
        # An event newer than the snapshot's last call shows at once; the next snapshot
        # confirms it. A call the snapshot already knew never brings back a number the
        # counter is done with (idle or paused: ``number`` null).
        newest = max((c for c in self._calls.values() if c.counter == cid),
                     key=lambda c: c.call_id, default=None)
        if newest is not None and newest.call_id > _last_call_id(snap):
            number, service, priority = newest.number, newest.service, newest.priority
        return CounterView(cid, counter.name, name, number, paused,
                           self.service_name(service) if number else None, priority)

    def service_name(self, service_id: str | None) -> str:
        """A service's name in the display's language ("" for none; its id if the hall's
        config does not know it, e.g. a hub running a newer config)."""
        if not service_id:
            return ""
        service = self.site.services.get(service_id)
        if service is None:
            return service_id
        return service.name if self.settings.language == "id" else service.name_en

    # ---- handlers ----------------------------------------------------------------------
    def _newer(self, msg: StateCounter) -> bool:
        key, shown = (msg.epoch, msg.rev), self._order.get(msg.counter)
        if shown is not None and key <= shown:
            log.debug("ignored counter %s %s: not newer than %s", msg.counter, key, shown)
            return False
        self._order[msg.counter] = key
        return True

    def _on_counter(self, msg: StateCounter, speak: bool = True) -> list[Call]:
        # A last_call of another counter never gets here: StateCounter refuses it.
        if msg.counter not in self._shown or not self._newer(msg):
            return []
        self._counters[msg.counter] = msg
        self._forget_past_days(msg.at)
        last = msg.last_call
        if last is None:
            return []
        self._calls[last.call_id] = last
        self._keep_recent()
        if speak:
            return self._consider([last])
        # Replayed on (re)connect: it happened while we were away. Shown, never spoken late.
        remembered = self.memory.last()
        if remembered is None or last.call_id > remembered:
            self.memory.remember(last.call_id)
        return []

    def _forget_past_days(self, at: int) -> None:
        """Calls of a day before the snapshot's (built at ``at``, hub ms) are over: after the
        daily reset they must not come back as a counter's number or the latest call. Earlier
        calls of the same day stay in the recent list (a visitor who missed theirs)."""
        today = self._day_of(at)
        for cid in [i for i, c in self._calls.items() if self._day_of(c.at) < today]:
            del self._calls[cid]

    def _day_of(self, ms: int) -> dt.date:
        return dt.datetime.fromtimestamp(ms / 1000, self.tz).date()

    def _on_called(self, msg: Called) -> list[Call]:
        call = msg.call
        self._calls[call.call_id] = call
        self._keep_recent()
        return self._consider([call])

    def _on_clock(self, msg: Clock) -> list[Call]:
        self.clock.observe(msg.now)
        self.tz = _zone(msg.tz, fallback=self.tz)
        pending, self._pending = list(self._pending.values()), {}
        return self._consider(pending)

    def _keep_recent(self) -> None:
        for cid in sorted(self._calls)[:-MAX_CALLS]:
            del self._calls[cid]

    def _consider(self, calls: list[Call]) -> list[Call]:
        """The announce-once rule. Remembers before returning: a crash after this loses at
        most the calls being spoken, never repeats one."""
        now = self.hub_now_ms()
        last = self.memory.last()
        fresh: list[Call] = []
        for call in sorted({c.call_id: c for c in calls}.values(), key=lambda c: c.call_id):
            if call.counter not in self._shown or (last is not None and call.call_id <= last):
                continue
            if now is None:
                self._pending[call.call_id] = call
                continue
            if now - call.at > self.settings.max_age_s * 1000:
                log.info("not announcing call %s (%s): %.0f s old", call.call_id, call.number,
                         (now - call.at) / 1000)
                continue
            fresh.append(call)
            last = call.call_id
        if fresh:
            self.memory.remember(fresh[-1].call_id)
        return fresh


def _last_call_id(snapshot: StateCounter | None) -> int:
    last = snapshot.last_call if snapshot is not None else None
    return last.call_id if last is not None else -1


def _zone(name: str, fallback: dt.tzinfo | None = None) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):    # OSError: a name too long
        if fallback is not None:
            return fallback
        raise ConfigError(f"unknown time zone {name!r}", key="timezone") from None
