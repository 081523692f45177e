"""Random interleavings of kiosk and counter commands, restarts and replays, against the
engine's invariants (a real SQLite file per example)."""
from __future__ import annotations

import hashlib
import itertools
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from antrean import protocol
from antrean.site import QueueRules
from hub.queue import ALL, QueueEngine
from hub.store import Store
from tests.fixtures.sites import small_site

from .conftest import MONDAY_9

SERVICES = ("KTP", "KK", "AKTA", "PAM-BAYAR")
ASKED = ("KTP", "KTP", "KTP", "KK", "AKTA", "PAM-BAYAR")    # crowd one queue: more contention
COUNTERS = (1, 2, 3)
EVERY = 2
STATE_TABLES = ("tickets", "calls", "counters", "service_days", "leases", "servings")


class HallMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = tempfile.TemporaryDirectory(prefix="antrean-prop-")
        self.path = Path(self.dir.name) / "hub.sqlite"
        self.site = small_site(quota=12, rules=QueueRules(priority_every=EVERY, max_recalls=1,
                                                          lease_size=3))
        self.store = Store(self.path)
        self.engine = QueueEngine(self.store, self.site)
        self.now = MONDAY_9
        self.ids = itertools.count()
        self.history: list[tuple[str, dict, dict]] = []     # (device, msg, reply)
        self.tickets: list[str] = []
        self.numbers: set[tuple[str, str, int]] = set()        # (service, day, seq) handed out
        self.leases: list[dict] = []
        # Per counter: calls of one kind in a row while the other kind was waiting there.
        self.streak = {c: (None, 0) for c in COUNTERS}

    def teardown(self):
        self.store.close()
        self.dir.cleanup()

    # ---- helpers --------------------------------------------------------------------------
    def send(self, device: str, mtype: str, **fields) -> dict:
        msg = protocol.decode(protocol.encode(mtype, id=f"c{next(self.ids)}", sent_at=self.now,
                                              **fields), protocol.COMMANDS)
        before = self.engine.snapshots({ALL}, self.now)
        out = self.engine.execute(device, msg, self.now)
        self.check_changed(before, out.changed)
        self.history.append((device, msg, out.reply))
        return out.reply

    def check_changed(self, before: dict, changed: set) -> None:
        """The hub republishes only what a command says it changed: every snapshot that
        differs afterwards must be named."""
        after = self.engine.snapshots({ALL}, self.now)
        moved = {k for k in after if after[k] != before.get(k)}
        assert ALL in changed or moved <= changed, f"changed but not named: {moved - changed}"

    def hand_out(self, service: str, day: str, seq: int) -> None:
        key = (service, day, seq)
        assert key not in self.numbers, f"number issued twice: {key}"
        self.numbers.add(key)

    def waiting(self) -> list[dict]:
        return self.store.all("SELECT rowid AS rid, * FROM tickets WHERE status = 'waiting'")

    def dump(self) -> str:
        rows = {t: self.store.all(f"SELECT * FROM {t} ORDER BY rowid") for t in STATE_TABLES}
        return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()

    # ---- kiosk ----------------------------------------------------------------------------
    @rule(service=st.sampled_from(ASKED), priority=st.sampled_from([None, None, "elderly"]),
          printed=st.booleans(), count=st.integers(1, 3))
    def request(self, service, priority, printed, count):
        for _ in range(count):
            self.request_one(service, priority, printed)

    def request_one(self, service, priority, printed):
        reply = self.send("kiosk-1", "ticket.request", service=service, priority=priority)
        if reply["ok"]:
            t = reply["result"]["ticket"]
            self.hand_out(t["service"], t["day"], t["seq"])
            self.tickets.append(t["id"])
            if printed:          # the usual path: confirmed at once
                self.send("kiosk-1", "ticket.printed", ticket=t["id"])

    @precondition(lambda self: self.tickets)
    @rule(pick=st.integers(0, 10_000), fail=st.booleans())
    def confirm(self, pick, fail):
        ticket = self.tickets[pick % len(self.tickets)]
        self.send("kiosk-1", "ticket.print_failed" if fail else "ticket.printed", ticket=ticket)

    @rule(service=st.sampled_from(SERVICES))
    def lease(self, service):
        reply = self.send("kiosk-1", "lease.request", service=service)
        if reply["ok"]:
            lease = reply["result"]["lease"]
            for seq in range(lease["first"], lease["last"] + 1):
                self.hand_out(service, lease["day"], seq)
            self.leases.append(lease)

    @precondition(lambda self: self.leases)
    @rule(pick=st.integers(0, 10_000), back_s=st.integers(0, 600))
    def offline(self, pick, back_s):
        lease = self.leases[pick % len(self.leases)]
        seq = lease["first"] + pick % (lease["last"] - lease["first"] + 1)
        reply = self.send("kiosk-1", "ticket.offline", service=lease["service"], number=seq,
                          day=lease["day"], issued_at=self.now - back_s * 1000, priority=None)
        if reply["ok"]:
            self.tickets.append(reply["result"]["ticket"]["id"])

    # ---- counters -------------------------------------------------------------------------
    @rule(counter=st.sampled_from(COUNTERS), presses=st.integers(1, 4), skip=st.booleans())
    def call_next(self, counter, presses, skip):
        for press in range(presses):
            self.press_next(counter, skip and press == 0)

    def press_next(self, counter, skip):
        before = {t["id"]: t for t in self.waiting()}
        reply = self.send("box-1", "counter.skip" if skip else "counter.next", counter=counter)
        call = reply["result"]["call"] if reply["ok"] else None
        if call is None:
            return
        called = before.get(call["ticket"])
        assert called is not None, "called a ticket that was not waiting"
        same = [t for t in before.values()
                if t["service"] == called["service"] and t["prio"] == called["prio"]]
        assert min(same, key=lambda t: (t["issued_at"], t["rid"]))["id"] == called["id"], \
            "first in, first out broken within a service and kind"
        self.check_streak(counter, called, before.values())

    def check_streak(self, counter, called, waiting) -> None:
        serves = self.site.counters[counter].services
        other = [t for t in waiting if t["service"] in serves and t["prio"] != called["prio"]]
        kind, run = self.streak[counter]
        run = run + 1 if (other and kind == called["prio"]) else (1 if other else 0)
        self.streak[counter] = (called["prio"], run)
        limit = 1 if called["prio"] else EVERY
        assert run <= limit, f"counter {counter}: {run} calls of one kind while the other waits"

    @rule(counter=st.sampled_from(COUNTERS),
          command=st.sampled_from(["counter.recall", "counter.finish", "counter.pause",
                                   "counter.resume"]))
    def counter_command(self, counter, command):
        self.send("box-1", command, counter=counter)

    @rule(counter=st.sampled_from(COUNTERS), service=st.sampled_from(SERVICES))
    def transfer(self, counter, service):
        self.send("box-1", "counter.transfer", counter=counter, service=service)

    # ---- time, replays, restarts ----------------------------------------------------------
    @rule(seconds=st.sampled_from([1, 5, 30, 61, 3600]))
    def advance(self, seconds):
        before = self.engine.snapshots({ALL}, self.now)
        self.now += seconds * 1000
        self.check_changed(before, self.engine.tick(self.now).changed)

    @precondition(lambda self: self.history)
    @rule(pick=st.integers(0, 10_000))
    def replay(self, pick):
        device, msg, reply = self.history[pick % len(self.history)]
        before = self.dump()
        out = self.engine.execute(device, msg, self.now)
        assert out.reply == reply and out.changed == set() and out.calls == []
        assert self.dump() == before

    @rule()
    def restart(self):
        state = self.engine.snapshots({ALL}, self.now)
        before = self.dump()
        self.store.close()
        self.store = Store(self.path)
        self.engine = QueueEngine(self.store, self.site)
        assert self.dump() == before
        assert self.engine.snapshots({ALL}, self.now) == state

    # ---- invariants -----------------------------------------------------------------------
    @invariant()
    def one_ticket_per_counter_and_one_counter_per_ticket(self):
        called = {r["id"]: r["counter"] for r in self.store.all(
            "SELECT id, counter FROM tickets WHERE status = 'called'")}
        current = {r["ticket"]: r["id"] for r in self.store.all(
            "SELECT id, ticket FROM counters WHERE ticket IS NOT NULL")}
        assert called == current

    @invariant()
    def the_waiting_counts_are_the_waiting_tickets(self):
        kept = {(r["service"], r["prio"]): r["n"] for r in self.store.all(
            "SELECT * FROM waiting_counts") if r["n"]}
        counted = {(r["service"], r["prio"]): r["n"] for r in self.store.all(
            "SELECT service, prio, COUNT(*) AS n FROM tickets WHERE status = 'waiting' "
            "GROUP BY service, prio")}
        assert kept == counted

    @invariant()
    def the_quota_ledger_adds_up(self):
        for row in self.store.all("SELECT * FROM service_days"):
            online, offline = (self.store.value(
                "SELECT COUNT(*) FROM tickets WHERE origin = ? AND day = ? AND offline = ? "
                "AND status NOT IN ('cancelled', 'expired')", (row["service"], row["day"], o))
                for o in (0, 1))
            assert row["used"] == online + offline        # leased numbers do not count
            assert online <= self.site.services[row["service"]].daily_quota

    @invariant()
    def only_printed_tickets_were_ever_called(self):
        assert self.store.value(
            "SELECT COUNT(*) FROM calls c JOIN tickets t ON t.id = c.ticket "
            "WHERE t.printed_at IS NULL") == 0


HallMachine.TestCase.settings = settings(
    max_examples=50, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestHall = HallMachine.TestCase
