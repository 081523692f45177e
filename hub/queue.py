"""The queue state machine: every command's effect, in one SQLite transaction each.

A ticket's life: ``printing`` (requested) -> ``waiting`` (on paper) -> ``called`` (at a
counter) -> ``done`` / ``skipped`` / ``no_show``; or ``printing`` -> ``cancelled`` (print
failed) / ``expired`` (never confirmed, or left over from a past day). A transfer puts a
called ticket back to ``waiting`` in another service with its original issue time.

Commands are idempotent: ``(device, id)`` and the reply are recorded in the transaction that
applies the effect, and a repeated command gets the recorded reply and changes nothing.
Refusals are replies (``ok: false``); only storage failures raise (StorageError).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from antrean.errors import StorageError
from antrean.messages import Command
from antrean.site import Counter, Service, Site

from . import strings
from .estimate import Pace
from .schedule import Schedule
from .snapshot import Snapshots, number
from .store import Store
from .strings import refusal

COMMAND_MEMORY_MS = 7 * 24 * 3600 * 1000
log = logging.getLogger("antrean.hub.queue")
# What a command changed, as snapshot keys: ("service", id), ("counter", id), or ALL.
ALL = ("all",)


@dataclass
class Outcome:
    reply: dict                                 # {"ok": True, "result": {...}} or an error
    changed: set[tuple] = field(default_factory=set)  # snapshot keys to republish
    calls: list[dict] = field(default_factory=list)  # Call objects made, in order


class Refused(Exception):
    """A handler refuses the command. Writes made before raising are kept (e.g. a ticket
    expired by a late confirmation): handlers check before they write, unless on purpose."""

    def __init__(self, key: str, **fields: Any):
        super().__init__(key)
        self.reply = refusal(key, **fields)


@dataclass
class _Run:
    """One command being executed."""

    device: str
    msg: Any                # the command's Struct (antrean.messages)
    now: int
    local: dt.datetime
    changed: set[tuple] = field(default_factory=set)
    calls: list[dict] = field(default_factory=list)

    @property
    def day(self) -> str:
        return self.local.date().isoformat()

    def touch_service(self, *service_ids: str) -> None:
        self.changed.update(("service", s) for s in service_ids)

    def touch_counter(self, counter: Counter) -> None:
        """The counter's state, and its services' (their waits depend on its pace, its
        pause and the tickets it takes from them)."""
        self.changed.add(("counter", counter.id))
        self.touch_service(*counter.services)


class QueueEngine:
    def __init__(self, store: Store, site: Site):
        from .counters import CounterDesk      # the counter commands live next door
        from .issuing import TicketDesk        # the kiosk commands
        self.store = store
        self.site = site
        self.schedule = Schedule(site)
        self.pace = Pace(store, site)
        self.views = Snapshots(store, site, self.schedule, self.pace)
        tickets, counters = TicketDesk(self), CounterDesk(self)
        self._handlers: dict[str, Callable[[_Run], dict]] = {
            "ticket.request": tickets.request, "ticket.printed": tickets.printed,
            "ticket.print_failed": tickets.print_failed, "lease.request": tickets.lease,
            "ticket.offline": tickets.offline,
            "counter.next": counters.next, "counter.recall": counters.recall,
            "counter.skip": counters.skip, "counter.finish": counters.finish,
            "counter.transfer": counters.transfer, "counter.pause": counters.pause,
            "counter.resume": counters.resume,
        }
        with store.transaction():
            for cid in site.counters:
                store.run("INSERT OR IGNORE INTO counters (id, paused, regular_run) "
                          "VALUES (?, 0, ?)", (cid, site.rules.priority_every))
        self._reset_upto = store.meta("reset_upto")     # ordinal of the last day reset
        self._minute: tuple | None = None
        self._opening: tuple | None = None

    # ---- commands -----------------------------------------------------------------------
    def execute(self, device: str, msg: Command, now_ms: int) -> Outcome:
        """Apply one decoded command (see the module docstring)."""
        mtype = msg.__struct_config__.tag
        handler = self._handlers[mtype]
        run = _Run(device, msg, now_ms, self.schedule.local(now_ms))
        try:
            with self.store.transaction():
                seen = self.store.value("SELECT reply FROM commands WHERE device = ? AND id = ?",
                                        (device, msg.id))
                if seen is not None:
                    return Outcome(json.loads(seen))
                try:
                    reply = {"ok": True, "result": handler(run)}
                except Refused as r:
                    reply = r.reply
                self.store.run("INSERT INTO commands (device, id, type, at, reply) "
                               "VALUES (?, ?, ?, ?, ?)", (device, msg.id, mtype, now_ms,
                                                          json.dumps(reply)))
        except StorageError:
            self.views.forget()
            raise
        except Exception:   # a bug: rolled back, so the device may retry with the same id
            self.views.forget()             # what is kept in memory may be rolled back too
            log.exception("command %s from %s failed", mtype, device)
            return Outcome(refusal("internal"))
        return Outcome(reply, run.changed, run.calls)

    # ---- time -----------------------------------------------------------------------------
    def tick(self, now_ms: int) -> Outcome:
        """Expire unconfirmed tickets, run the daily reset when due, and notice opening and
        closing times. Runs every second: one indexed query when there is nothing to do."""
        changed: set[tuple] = set()
        local = self.schedule.local(now_ms)
        cutoff = now_ms - self.site.rules.confirm_timeout_s * 1000
        late = self.store.all("SELECT * FROM tickets WHERE status = 'printing' "
                              "AND issued_at < ?", (cutoff,))
        if late:
            with self.store.transaction():
                for row in late:
                    self.expire(row, now_ms)
            changed.update(("service", r["service"]) for r in late)
        due = local.date()
        if local.time() < self.site.rules.daily_reset:
            due -= dt.timedelta(days=1)
        if self._reset_upto is None or self._reset_upto < due.toordinal():
            with self.store.transaction():
                self._daily_reset(due, now_ms)
            changed.add(ALL)
        minute = (local.date(), local.hour, local.minute)
        if minute != self._minute:
            self._minute = minute
            changed |= self._opening_changes(local)
        return Outcome({"ok": True, "result": {}}, changed, [])

    def _opening_changes(self, local: dt.datetime) -> set[tuple]:
        """Once a minute: the services that opened or closed since, or ALL on a new day
        (every day's figures and each counter's calls of the day start afresh)."""
        opening = {sid: (d.open, d.reason) for sid, d in (
            (sid, self.schedule.decide(s, local)) for sid, s in self.site.services.items())}
        before, self._opening = self._opening, (local.date(), opening)
        if before is None:
            return set()
        if before[0] != local.date():
            return {ALL}
        return {("service", sid) for sid, o in opening.items() if before[1].get(sid) != o}

    def _daily_reset(self, due: dt.date, now_ms: int) -> None:
        """Close what is left of the days before ``due``: queued and called tickets become
        ``expired`` (kept for history), counters drop them, priority runs start afresh."""
        day = due.isoformat()
        self.store.run("UPDATE counters SET ticket = NULL, call_id = NULL WHERE ticket IN "
                       "(SELECT id FROM tickets WHERE status IN ('printing', 'waiting', "
                       "'called') AND day < ?)", (day,))
        self.store.run("UPDATE tickets SET status = 'expired', finished_at = ? WHERE status IN "
                       "('printing', 'waiting', 'called') AND day < ?", (now_ms, day))
        self.store.run("UPDATE counters SET regular_run = ? WHERE ticket IS NULL",
                       (self.site.rules.priority_every,))
        # Remembered command ids only guard against redelivery and retries, which come within
        # minutes; a week's worth is ample and keeps the table from growing for ever.
        self.store.run("DELETE FROM commands WHERE at < ?", (now_ms - COMMAND_MEMORY_MS,))
        self.store.set_meta("reset_upto", due.toordinal())
        self._reset_upto = due.toordinal()
        log.info("daily reset: tickets before %s closed", day)

    # ---- snapshots ------------------------------------------------------------------------
    def snapshots(self, keys: set[tuple], now_ms: int) -> dict[tuple, dict]:
        """The bodies of the snapshots named by ``keys`` (ALL: every one), by key."""
        if ALL in keys:
            bodies = {("service", sid): b for sid, b in self.views.services(now_ms).items()}
            return bodies | {("counter", cid): self.views.counter(cid, now_ms)
                             for cid in self.site.counters}
        out = {}
        paused = self.views.paused() if any(k[0] == "service" for k in keys) else set()
        for kind, ident in keys:
            if kind == "service" and ident in self.site.services:
                out[(kind, ident)] = self.views.service(ident, now_ms, paused)
            elif kind == "counter" and ident in self.site.counters:
                out[(kind, ident)] = self.views.counter(ident, now_ms)
        return out

    # ---- shared by the desks --------------------------------------------------------------
    def expire(self, row: dict, now_ms: int) -> None:
        """A ticket never confirmed: void, and its number no longer counts for the quota."""
        self.store.run("UPDATE tickets SET status = 'expired', finished_at = ? WHERE id = ?",
                       (now_ms, row["id"]))
        if not row["offline"]:
            self.store.run("UPDATE service_days SET used = used - 1 WHERE service = ? "
                           "AND day = ?", (row["origin"], row["day"]))

    def service_day(self, service: str, day: str) -> dict:
        self.store.run("INSERT OR IGNORE INTO service_days (service, day, next_seq, used) "
                       "VALUES (?, ?, 1, 0)", (service, day))
        return self.store.one("SELECT * FROM service_days WHERE service = ? AND day = ?",
                              (service, day))

    def service(self, service_id: str) -> Service:
        svc = self.site.services.get(service_id)
        if svc is None:
            raise Refused("unknown_service", service=service_id)
        return svc

    def counter(self, counter_id: int) -> Counter:
        counter = self.site.counters.get(counter_id)
        if counter is None:
            raise Refused("unknown_counter", counter=counter_id)
        return counter

    def closed_refusal(self, svc: Service, local: dt.datetime) -> Refused | None:
        """The refusal for a service not open at ``local`` (None when open)."""
        decision = self.schedule.decide(svc, local)
        if decision.open:
            return None
        names = {"name": svc.name, "name_en": svc.name_en}
        if decision.reason == "on_break":
            return Refused("on_break", until_id=strings.clock_id(decision.reopens),
                           until_en=strings.clock_en(decision.reopens), **names)
        key = "holiday" if decision.reason == "holiday" else "closed"
        if decision.reopens is None:
            return Refused(f"{key}_unknown", **names)
        when_id, when_en = strings.when(decision.reopens, local.date())
        return Refused("holiday" if key == "holiday" else "closed_later",
                       when_id=when_id, when_en=when_en, **names)

    def format_number(self, service_id: str, seq: int) -> str:
        return number(self.site.services[service_id].prefix, seq)
