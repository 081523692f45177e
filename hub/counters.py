"""The counter commands: next, recall, skip, finish, transfer, pause, resume.

Call order (docs/protocol.md, "Call order"): the kind first — after every
``rules.priority_every`` regular calls at this counter the oldest priority ticket goes, and
when only one kind waits that kind is called — then the service by the counter's policy
(``strict``: first service in the counter's order; ``oldest``: earliest issue time), and
first in, first out by ``issued_at`` within a service. ``regular_run`` on the counter row
counts regular calls since its last priority call.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from antrean.site import Counter

from .queue import Refused, _Run

if TYPE_CHECKING:
    from .queue import QueueEngine


class CounterDesk:
    def __init__(self, engine: "QueueEngine"):
        self.engine = engine
        self.store = engine.store
        self.site = engine.site

    # ---- checks ---------------------------------------------------------------------------
    def _open(self, run: _Run) -> tuple[Counter, dict]:
        """The counter, after the checks every counter command shares, and its row."""
        counter = self.engine.counter(run.msg.counter)
        box = self.site.button_boxes.get(run.device)
        mine = box is not None and counter.id in box.counters
        if not mine and not self.site.may_act_for_all(run.device):
            raise Refused("counter_not_yours", device=run.device, counter=counter.id)
        age_ms = run.now - run.msg.sent_at
        if age_ms > self.site.rules.stale_press_s * 1000:
            raise Refused("stale", counter=counter.id, age=age_ms // 1000)
        row = self.store.one("SELECT * FROM counters WHERE id = ?", (counter.id,))
        return counter, row

    def _current(self, counter: Counter, row: dict) -> dict:
        if not row["ticket"]:
            raise Refused("nothing_to_recall", counter=counter.id)
        return self.engine.views.ticket_row(row["ticket"])

    # ---- commands -------------------------------------------------------------------------
    def next(self, run: _Run) -> dict:
        counter, row = self._open(run)
        if row["paused"]:
            raise Refused("counter_paused", counter=counter.id)
        if row["ticket"]:
            self._close(self._current(counter, row), "done", run)
        run.changed.add(("counter", counter.id))
        return {"call": self._call_next(counter, row, run)}

    def recall(self, run: _Run) -> dict:
        counter, row = self._open(run)
        ticket = self._current(counter, row)
        self.store.run("UPDATE tickets SET recalls = recalls + 1 WHERE id = ?", (ticket["id"],))
        run.changed.add(("counter", counter.id))
        return {"call": self._record_call(ticket, counter.id, ticket["recalls"] + 1, run)}

    def skip(self, run: _Run) -> dict:
        """Set the current ticket aside for good, then call the next one (unless paused)."""
        counter, row = self._open(run)
        ticket = self._current(counter, row)
        status = "no_show" if ticket["recalls"] >= self.site.rules.max_recalls else "skipped"
        self._close(ticket, status, run)
        run.changed.add(("counter", counter.id))
        call = None if row["paused"] else self._call_next(counter, row, run)
        return {"call": call, "skipped": self.engine.views.ticket(ticket["id"])}

    def finish(self, run: _Run) -> dict:
        counter, row = self._open(run)
        ticket = self._current(counter, row)
        self._close(ticket, "done", run)
        run.changed.add(("counter", counter.id))
        return {"ticket": self.engine.views.ticket(ticket["id"])}

    def transfer(self, run: _Run) -> dict:
        """Hand the current ticket to another service's queue, keeping its issue time (so it
        is near the front there); its recalls start again at the new counter."""
        counter, row = self._open(run)
        target = self.engine.service(run.msg.service)
        ticket = self._current(counter, row)
        self._serving(ticket, counter.id, "transferred", run.now)
        self.store.run("UPDATE tickets SET status = 'waiting', service = ?, counter = NULL, "
                       "served_at = NULL, recalls = 0, transfers = transfers + 1 WHERE id = ?",
                       (target.id, ticket["id"]))
        self._free(counter.id)
        run.changed.add(("counter", counter.id))
        run.touch_service(target.id)                # one more waiting there
        return {"ticket": self.engine.views.ticket(ticket["id"])}

    def pause(self, run: _Run) -> dict:
        return self._set_paused(run, True)

    def resume(self, run: _Run) -> dict:
        return self._set_paused(run, False)

    def _set_paused(self, run: _Run, paused: bool) -> dict:
        counter, _ = self._open(run)
        self.store.run("UPDATE counters SET paused = ? WHERE id = ?", (int(paused), counter.id))
        self.engine.views.forget()
        run.touch_counter(counter)          # displays show it; waits depend on open counters
        return {"counter": self.engine.views.counter_state(counter.id)}

    # ---- calling --------------------------------------------------------------------------
    def _call_next(self, counter: Counter, row: dict, run: _Run) -> dict | None:
        ticket = self._pick(counter, row["regular_run"])
        if ticket is None:
            return None
        run_after = 0 if ticket["prio"] else row["regular_run"] + 1
        self.store.run("UPDATE counters SET regular_run = ? WHERE id = ?", (run_after, counter.id))
        self.store.run("UPDATE tickets SET status = 'called', counter = ?, "
                       "called_at = COALESCE(called_at, ?), served_at = ? WHERE id = ?",
                       (counter.id, run.now, run.now, ticket["id"]))
        return self._record_call(ticket, counter.id, ticket["recalls"], run)

    def _pick(self, counter: Counter, regular_run: int) -> dict | None:
        """The ticket ``counter.next`` calls now (see the module docstring), or None."""
        heads: dict[int, list[tuple[int, dict]]] = {0: [], 1: []}
        for rank, sid in enumerate(counter.services):
            for prio in (0, 1):
                head = self.store.one(
                    "SELECT rowid AS rid, id, prio, priority, issued_at, recalls, number, service "
                    "FROM tickets WHERE status = 'waiting' AND service = ? AND prio = ? "
                    "ORDER BY issued_at, rowid LIMIT 1", (sid, prio))
                if head:
                    heads[prio].append((rank, head))
        if heads[0] and heads[1]:
            kind = 1 if regular_run >= self.site.rules.priority_every else 0
        elif heads[0] or heads[1]:
            kind = 0 if heads[0] else 1
        else:
            return None
        if counter.policy == "oldest":
            return min(heads[kind], key=lambda h: (h[1]["issued_at"], h[1]["rid"]))[1]
        return min(heads[kind], key=lambda h: h[0])[1]

    def _record_call(self, ticket: dict, counter_id: int, recall: int, run: _Run) -> dict:
        cur = self.store.run(
            "INSERT INTO calls (ticket, number, service, counter, recall, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (ticket["id"], ticket["number"], ticket["service"], counter_id, recall, run.now))
        call_id = cur.lastrowid
        self.store.run("UPDATE counters SET ticket = ?, call_id = ? WHERE id = ?",
                       (ticket["id"], call_id, counter_id))
        self.store.run("INSERT INTO service_days (service, day, next_seq, used, last_called) "
                       "VALUES (?, ?, 1, 0, ?) ON CONFLICT (service, day) "
                       "DO UPDATE SET last_called = excluded.last_called",
                       (ticket["service"], run.day, ticket["number"]))
        call = {"call_id": call_id, "ticket": ticket["id"], "number": ticket["number"],
                "service": ticket["service"], "counter": counter_id, "recall": recall,
                "at": run.now, "priority": ticket.get("priority")}
        run.calls.append(call)
        run.touch_service(ticket["service"])        # one fewer waiting; its last_called
        return call

    # ---- closing --------------------------------------------------------------------------
    def _close(self, ticket: dict, status: str, run: _Run) -> None:
        """End the current ticket as ``done``, ``skipped`` or ``no_show``; free the counter."""
        self.store.run("UPDATE tickets SET status = ?, finished_at = ? WHERE id = ?",
                       (status, run.now, ticket["id"]))
        if status == "done":
            self._serving(ticket, ticket["counter"], "done", run.now)
            run.touch_service(ticket["service"])    # its pace, hence its wait
        self._free(ticket["counter"])

    def _serving(self, ticket: dict, counter_id: int, outcome: str, now: int) -> None:
        started = ticket["served_at"] or now
        self.store.run("INSERT INTO servings (ticket, service, counter, started_at, ended_at, "
                       "ms, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (ticket["id"], ticket["service"], counter_id, started, now,
                        max(0, now - started), outcome))
        if outcome == "done":
            self.engine.pace.record(ticket["service"])

    def _free(self, counter_id: int) -> None:
        self.store.run("UPDATE counters SET ticket = NULL, call_id = NULL WHERE id = ?",
                       (counter_id,))
