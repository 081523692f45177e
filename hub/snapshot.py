"""Building the protocol's objects from the database: Ticket, Call, CounterState and the bodies
of the ``state.service`` and ``state.counter`` snapshots (docs/protocol.md, "Shared objects"
and "Snapshots"). Read-only; the adapter adds the envelope, ``epoch``, ``rev`` and ``at``.

One service's or one counter's snapshot costs a few indexed queries on that service or
counter alone (the partial index of waiting tickets, one row per service and day), so a
command's cost does not grow with the hall. ``services()`` builds all of them at once with
aggregate queries, for the moments everything may have changed.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from antrean.site import Site

from . import estimate
from .estimate import Pace
from .schedule import Schedule
from .store import Store

QUEUED = ("printing", "waiting")
TICKET_SQL = "SELECT rowid AS rid, * FROM tickets"


def number(prefix: str, seq: int) -> str:
    """The printed number: prefix, dash, sequence padded to three digits (A-007, A-1234)."""
    return f"{prefix}-{seq:03d}"


def hhmm(moment: dt.datetime | None) -> str | None:
    return None if moment is None else f"{moment.hour:02d}:{moment.minute:02d}"


class Snapshots:
    def __init__(self, store: Store, site: Site, schedule: Schedule, pace: Pace):
        self.store = store
        self.site = site
        self.schedule = schedule
        self.pace = pace
        self._paused: set[int] | None = None
        # service -> the counters serving it, so one service's state needs no walk of all
        self._serves: dict[str, tuple[int, ...]] = {sid: () for sid in site.services}
        for c in site.counters.values():
            for sid in c.services:
                self._serves[sid] = (*self._serves.get(sid, ()), c.id)

    # ---- shared objects -------------------------------------------------------------------
    def ticket_row(self, ticket_id: str) -> dict | None:
        return self.store.one(f"{TICKET_SQL} WHERE id = ?", (ticket_id,))

    def ticket(self, row: dict | str) -> dict[str, Any]:
        """The Ticket object. ``ahead`` and ``wait_min`` are given while the ticket is queued
        (printing or waiting) and null once it has been called or closed."""
        if isinstance(row, str):
            row = self.ticket_row(row)
        people = wait = None
        if row["status"] in QUEUED and row["service"] in self.site.services:
            people = self._ahead(row)
            wait = estimate.wait_minutes(people, self.pace.of(row["service"]),
                                         self.serving(row["service"]))
        return {"id": row["id"], "number": row["number"], "service": row["service"],
                "day": row["day"], "seq": row["seq"], "priority": row["priority"],
                "status": row["status"], "issued_at": row["issued_at"], "ahead": people,
                "wait_min": wait, "counter": row["counter"], "recalls": row["recalls"],
                "offline": bool(row["offline"])}

    def _ahead(self, row: dict) -> int:
        counts = self.waiting(row["service"])
        # Those of its kind after it, counted on the index from its place to the end: none
        # for a ticket just issued, few for one near the back, so this stays small.
        after = self.store.value(
            "SELECT COUNT(*) FROM tickets WHERE status = 'waiting' AND service = ? AND prio = ? "
            "AND issued_at >= ? AND NOT (issued_at = ? AND rowid <= ?)",   # a range seek
            (row["service"], row["prio"], row["issued_at"], row["issued_at"], row["rid"]))
        before = counts[row["prio"]] - after - (row["status"] == "waiting")
        return estimate.ahead(before, counts[1 - row["prio"]], bool(row["prio"]),
                              self.site.rules.priority_every)

    def waiting(self, service_id: str) -> dict[int, int]:
        """Waiting tickets of a service by kind (0 regular, 1 priority), from the counts the
        database's triggers keep."""
        counts = {0: 0, 1: 0}
        for r in self.store.all("SELECT prio, n FROM waiting_counts WHERE service = ?",
                                (service_id,)):
            counts[r["prio"]] = r["n"]
        return counts

    @staticmethod
    def call(row: dict) -> dict[str, Any]:
        return {"call_id": row["call_id"], "ticket": row["ticket"], "number": row["number"],
                "service": row["service"], "counter": row["counter"], "recall": row["recall"],
                "at": row["at"], "priority": row.get("priority")}

    def counter_state(self, counter_id: int) -> dict[str, Any]:
        row = self.store.one("SELECT paused, ticket FROM counters WHERE id = ?", (counter_id,))
        ticket = self.ticket(row["ticket"]) if row and row["ticket"] else None
        return {"counter": counter_id, "paused": bool(row and row["paused"]), "ticket": ticket}

    def serving_counters(self) -> dict[str, int]:
        """Per service: how many counters serving it are not paused."""
        paused = self.paused()
        return {sid: sum(c not in paused for c in cids) for sid, cids in self._serves.items()}

    def serving(self, service_id: str, paused: set[int] | None = None) -> int:
        paused = self.paused() if paused is None else paused
        return sum(c not in paused for c in self._serves.get(service_id, ()))

    def paused(self) -> set[int]:
        """The paused counters (kept in memory: the hub is its database's one writer;
        ``forget()`` after a pause, a resume or a rollback)."""
        if self._paused is None:
            self._paused = {r["id"] for r in
                            self.store.all("SELECT id FROM counters WHERE paused = 1")}
        return self._paused

    def forget(self) -> None:
        self._paused = None
        self.pace.forget()

    # ---- state.service ------------------------------------------------------------------
    def service(self, service_id: str, now_ms: int,
                paused: set[int] | None = None) -> dict[str, Any]:
        """The body of one service's ``state.service``: queries on that service only
        (``paused``: the paused counters, when the caller already knows them)."""
        local = self.schedule.local(now_ms)
        day = local.date().isoformat()
        waiting = self.waiting(service_id)
        sd = self.store.one("SELECT next_seq, used, last_called FROM service_days "
                            "WHERE service = ? AND day = ?", (service_id, day))
        oldest = self.store.one("SELECT MIN(issued_at) AS at FROM tickets "
                                "WHERE service = ? AND status = 'waiting'", (service_id,))
        return {**self._service_body(service_id, local, waiting.get(0, 0), waiting.get(1, 0),
                                     sd, self.pace.of(service_id),
                                     self.serving(service_id, paused)),
                "oldest_at": oldest["at"] if oldest else None}

    def services(self, now_ms: int) -> dict[str, dict[str, Any]]:
        """Every service's body at once, with a few aggregate queries (link-up, day change)."""
        local = self.schedule.local(now_ms)
        day = local.date().isoformat()
        waiting: dict[tuple[str, int], int] = {
            (r["service"], r["prio"]): r["n"] for r in self.store.all(
                "SELECT service, prio, n FROM waiting_counts")}
        days = {r["service"]: r for r in self.store.all(
            "SELECT service, next_seq, used, last_called FROM service_days WHERE day = ?",
            (day,))}
        pace = self.pace.all()
        counters = self.serving_counters()
        # The oldest waiting ticket per service, from the partial index of waiting tickets.
        oldest = {r["service"]: r["at"] for r in self.store.all(
            "SELECT service, MIN(issued_at) AS at FROM tickets WHERE status = 'waiting' "
            "GROUP BY service")}
        return {sid: {**self._service_body(sid, local, waiting.get((sid, 0), 0),
                                           waiting.get((sid, 1), 0), days.get(sid), pace[sid],
                                           counters.get(sid, 0)),
                      "oldest_at": oldest.get(sid)}
                for sid in self.site.services}

    def _service_body(self, sid: str, local: dt.datetime, regular: int, prio: int,
                      sd: dict | None, pace_ms: float, serving: int) -> dict[str, Any]:
        svc = self.site.services[sid]
        sd = sd or {"next_seq": 1, "used": 0, "last_called": None}
        left = max(0, svc.daily_quota - sd["used"]) if svc.daily_quota else None
        decision = self.schedule.decide(svc, local)
        reason, reopens = decision.reason, decision.reopens
        if reason is None and left == 0:
            reason, reopens = "quota_exhausted", self.schedule.next_day_opening(svc, local)
        every = self.site.rules.priority_every
        return {
            "service": sid, "day": local.date().isoformat(),
            "open": reason is None, "reason": reason, "opens_at": hhmm(reopens),
            "opens_on": reopens.date().isoformat() if reopens else None,
            "waiting": regular + prio, "priority_waiting": prio,
            "wait_min": estimate.wait_minutes(estimate.ahead(regular, prio, False, every),
                                              pace_ms, serving),
            "quota_left": left, "last_called": sd["last_called"],
            "next_number": number(svc.prefix, sd["next_seq"])}

    # ---- state.counter ------------------------------------------------------------------
    def counter(self, counter_id: int, now_ms: int) -> dict[str, Any]:
        """The body of one counter's ``state.counter``."""
        r = self.store.one(
            "SELECT c.paused, c.call_id, t.number, t.service FROM counters c "
            "LEFT JOIN tickets t ON t.id = c.ticket WHERE c.id = ?", (counter_id,)) or {}
        # Its newest call (an index on (counter, call_id)), and only today's: a display that
        # starts in the morning must not show yesterday's last calls as current.
        last = self.store.one("SELECT c.*, t.priority FROM calls c LEFT JOIN tickets t "
                              "ON t.id = c.ticket WHERE c.counter = ? ORDER BY c.call_id DESC "
                              "LIMIT 1", (counter_id,))
        if last and last["at"] < self.midnight(now_ms):
            last = None
        serving = r.get("number") is not None
        return {"counter": counter_id, "paused": bool(r.get("paused")),
                "number": r.get("number"), "service": r.get("service"),
                "call_id": r.get("call_id") if serving else None,
                "last_call": self.call(last) if last else None}

    def midnight(self, now_ms: int) -> int:
        return self.schedule.at_ms(self.schedule.local(now_ms).date(), dt.time(0))
