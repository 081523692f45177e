"""The button box's decisions, free of GPIO and MQTT: events in, actions out.

Every event (a press, a reply or its timeout, the broker link, the hub's heartbeat, a
counter's ``state.counter`` snapshot, a clock tick) returns a list of actions: :class:`Send` a
command, or show a :class:`Led` pattern. ``now`` is this Pi's monotonic clock in seconds; the
hub's clock (``sent_at``) is the command channel's business.

The LED language, one LED per counter (docs/counter-button.md says the same for technicians):

=================  ==========================================================================
steady on          serving a ticket
slow blink         waiting for the hub's answer to the last press
fast blink         error, or offline: broker link down or no hub heartbeat for over 5 s
off                paused, or nobody being served
short double flash the press was refused (nothing to recall, nobody waiting, counter paused)
=================  ==========================================================================

Rules that keep one press one command:
- while a counter's command is unanswered, further presses on that counter send nothing;
- while the hub is unreachable a press sends nothing (it is not queued for later either);
- a command that got no answer in time shows an error and is never re-sent with a new id.
"""
from __future__ import annotations

import enum
import logging
import math
from dataclasses import dataclass, field
from typing import Iterable

from antrean.messages import Reply, Result, StateCounter

log = logging.getLogger(__name__)

KINDS = ("next", "recall", "skip", "pause")
HEARTBEAT_TIMEOUT_S = 5.0     # docs/protocol.md: no heartbeat for 5 s = hub unreachable
REFUSED_FLASH_S = 0.7         # how long the double flash pattern lasts before the LED reverts
ERROR_HOLD_S = 3.0            # how long an error (timeout, stale, ...) blinks fast
# Refusals that mean "nothing to do" rather than "something is wrong".
REFUSALS = ("nothing_to_recall", "counter_paused")


class Pattern(str, enum.Enum):
    ON = "on"
    OFF = "off"
    SLOW = "slow"
    FAST = "fast"
    REFUSED = "refused"


@dataclass(frozen=True)
class Send:
    """Send ``mtype`` for ``counter``; report the answer with ``reply(counter, token, ...)``."""

    counter: int
    mtype: str
    token: int


@dataclass(frozen=True)
class Led:
    counter: int
    pattern: Pattern


@dataclass
class _Counter:
    paused: bool = False
    number: str | None = None        # the ticket being served, None = nobody
    mark_ms: int = 0                 # hub time of the state we last learnt from a reply
    order: tuple[int, int] = (-1, -1)    # (epoch, rev) of the last snapshot taken
    inflight: int | None = None      # token of the unanswered command
    inflight_kind: str = ""
    refused_until: float = -math.inf
    error_until: float = -math.inf
    last_error: str | None = None
    shown: Pattern | None = None


@dataclass
class ButtonCore:
    """The state machine of every counter of one button box."""

    counters: Iterable[int]
    heartbeat_timeout_s: float = HEARTBEAT_TIMEOUT_S
    refused_s: float = REFUSED_FLASH_S
    error_s: float = ERROR_HOLD_S
    _state: dict[int, _Counter] = field(init=False)
    _link_up: bool = field(init=False, default=False)
    _heartbeat_at: float = field(init=False, default=-math.inf)
    _db: int | None = field(init=False, default=None)     # the hub database last seen
    _tokens: int = field(init=False, default=0)

    def __post_init__(self):
        self._state = {int(c): _Counter() for c in self.counters}

    # ---- events ------------------------------------------------------------------------------

    def start(self, now: float) -> list:
        """The first LED patterns (offline until the link and a heartbeat arrive)."""
        return self._refresh(now)

    def press(self, counter: int, kind: str, now: float) -> list:
        c = self._state.get(counter)
        if c is None or kind not in KINDS:
            log.warning("press %s on unknown counter %s ignored", kind, counter)
            return []
        if not self.online(now):
            log.info("loket %s: %s pressed while the hub is unreachable; not sent", counter, kind)
            return self._refresh(now)
        if c.inflight is not None:
            log.info("loket %s: %s pressed while %s is unanswered; ignored", counter, kind,
                     c.inflight_kind)
            return []
        if kind == "pause":
            mtype = "counter.resume" if c.paused else "counter.pause"
        else:
            mtype = f"counter.{kind}"
        self._tokens += 1
        c.inflight, c.inflight_kind = self._tokens, mtype
        c.refused_until = c.error_until = -math.inf
        return [Send(counter, mtype, self._tokens), *self._refresh(now)]

    def reply(self, counter: int, token: int, reply: Reply | None, now: float,
              hub_ms: int = 0) -> list:
        """The hub's reply to ``token`` (docs/protocol.md), or None on timeout. ``hub_ms``
        is the hub's time now, to order this news against snapshots."""
        c = self._state.get(counter)
        if c is None or c.inflight != token:
            return []
        mtype, c.inflight = c.inflight_kind, None
        if reply is None:
            self._fail(c, "timeout", now)
        elif reply.ok:
            self._succeeded(c, mtype, reply.result, now, hub_ms)
        else:
            # A refusal without its error object says nothing more than "it went wrong".
            code = reply.error.code if reply.error else "internal"
            if code in REFUSALS:
                self._refuse(c, now)
            else:
                self._fail(c, code, now)
            log.info("loket %s: %s refused: %s %s", counter, mtype, code,
                     reply.error.message if reply.error else "")
        return self._refresh(now)

    def link(self, up: bool, now: float) -> list:
        self._link_up = up
        return self._refresh(now)

    def heartbeat(self, now: float) -> list:
        self._heartbeat_at = now
        return self._refresh(now)

    def counter_state(self, snapshot: StateCounter, now: float) -> list:
        """A ``state.counter`` snapshot; one of a counter not on this box, or not newer than
        the last one of its counter, changes nothing."""
        self._follow_db(snapshot.db)
        c = self._state.get(snapshot.counter)
        order = (snapshot.epoch, snapshot.rev)
        if c is None or order <= c.order:
            return []
        # A new epoch (the hub restarted) starts a new rev count.
        c.order = order
        if snapshot.at < c.mark_ms:
            return []       # older than what a reply already told us
        c.number = snapshot.number or None
        c.paused = snapshot.paused
        return self._refresh(now)

    def tick(self, now: float) -> list:
        """Time passes: heartbeats go stale, flashes end."""
        return self._refresh(now)

    # ---- queries -----------------------------------------------------------------------------

    @property
    def counter_ids(self) -> tuple[int, ...]:
        return tuple(self._state)

    def online(self, now: float) -> bool:
        return self._link_up and now - self._heartbeat_at <= self.heartbeat_timeout_s

    def pattern(self, counter: int, now: float) -> Pattern:
        c = self._state[counter]
        if not self.online(now):
            return Pattern.FAST
        if c.inflight is not None:
            return Pattern.SLOW
        if now < c.refused_until:
            return Pattern.REFUSED
        if now < c.error_until:
            return Pattern.FAST
        if c.paused or c.number is None:
            return Pattern.OFF
        return Pattern.ON

    def status(self, now: float) -> dict:
        """For the health report: each counter's LED and what it knows."""
        return {str(cid): {"led": self.pattern(cid, now).value, "paused": c.paused,
                           "number": c.number, "last_error": c.last_error}
                for cid, c in self._state.items()}

    # ---- helpers -----------------------------------------------------------------------------

    def _succeeded(self, c: _Counter, mtype: str, result: Result | None, now: float,
                   hub_ms: int) -> None:
        result = result or Result()
        c.last_error = None
        if mtype in ("counter.pause", "counter.resume"):
            state = result.counter
            if state is not None:
                c.paused = state.paused
                c.number = (state.ticket.number or None) if state.ticket else None
            c.mark_ms = max(c.mark_ms, hub_ms)
            return
        if result.call is not None:
            c.number = result.call.number or None
            c.mark_ms = max(c.mark_ms, result.call.at)
            return
        c.number = None
        c.mark_ms = max(c.mark_ms, hub_ms)
        if mtype == "counter.next":
            self._refuse(c, now)    # nobody waiting: the officer should see it at once

    def _follow_db(self, db) -> None:
        # Another hub database (a card swap): its epochs and revs say nothing about the old.
        if db is None or db == self._db:
            return
        self._db = db
        for c in self._state.values():
            c.order = (-1, -1)

    def _refuse(self, c: _Counter, now: float) -> None:
        c.refused_until = now + self.refused_s
        c.shown = None      # flash again even if the last press was refused too

    def _fail(self, c: _Counter, code: str, now: float) -> None:
        c.last_error = code
        c.error_until = now + self.error_s

    def _refresh(self, now: float) -> list:
        actions = []
        for cid, c in self._state.items():
            pattern = self.pattern(cid, now)
            if pattern != c.shown:
                c.shown = pattern
                actions.append(Led(cid, pattern))
        return actions
