"""The engine as a whole: idempotency, what changed, failures, the tick and durability."""
from __future__ import annotations

import pytest

from antrean.errors import StorageError
from hub.queue import ALL
from antrean.site import QueueRules
from tests.fixtures.sites import OFFICE, small_site

from .conftest import at


def test_a_replayed_command_gets_the_recorded_reply_and_changes_nothing(hall):
    first = hall.send("kiosk-1", "ticket.request", cmd_id="req-1", service="KTP")
    hall.advance(3)
    again = hall.send("kiosk-1", "ticket.request", cmd_id="req-1", service="KTP")
    assert again.reply == first.reply and again.changed == set() and again.calls == []
    assert hall.store.value("SELECT COUNT(*) FROM tickets") == 1
    # The same id from another device is another command.
    other = hall.send("hub", "ticket.request", cmd_id="req-1", service="KTP")
    assert other.reply["result"]["ticket"]["number"] == "A-002"


def test_a_replayed_call_is_not_announced_again(hall):
    hall.issue("KTP")
    first = hall.send("box-1", "counter.next", cmd_id="press-1", counter=1)
    assert len(first.calls) == 1 and first.changed == {("counter", 1), ("service", "KTP")}
    again = hall.send("box-1", "counter.next", cmd_id="press-1", counter=1)
    assert again.calls == [] and again.reply == first.reply
    assert hall.store.value("SELECT COUNT(*) FROM calls") == 1


def test_a_refusal_is_recorded_too(make_hall):
    hall = make_hall(small_site(OFFICE), now=at(2026, 11, 23, 7, 59))
    closed = hall.send("kiosk-1", "ticket.request", cmd_id="early", service="KTP").reply
    hall.now = at(2026, 11, 23, 8, 1)
    assert hall.send("kiosk-1", "ticket.request", cmd_id="early", service="KTP").reply == closed
    assert hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]["number"] == "A-001"


def test_what_each_command_says_changed(hall):
    # Only the service or counter touched (a pause: the counter's services, whose waits
    # depend on it): a command's cost and its broadcast do not grow with the hall.
    ktp, kk, one = ("service", "KTP"), ("service", "KK"), ("counter", 1)
    t = hall.send("kiosk-1", "ticket.request", service="KTP")
    assert t.changed == {ktp}
    ticket_id = t.reply["result"]["ticket"]["id"]
    assert hall.send("kiosk-1", "ticket.printed", ticket=ticket_id).changed == {ktp}
    hall.next(1)
    assert hall.send("box-1", "counter.recall", counter=1).changed == {one, ktp}
    assert hall.send("box-1", "counter.finish", counter=1).changed == {one, ktp}   # its pace
    assert hall.send("box-1", "counter.pause", counter=2).changed == \
        {("counter", 2), kk, ("service", "AKTA"), ktp}
    assert hall.send("kiosk-1", "ticket.request", service="NOPE").changed == set()


def test_a_bug_in_a_handler_answers_internal_and_rolls_back(hall, monkeypatch):
    # Fault injection: a handler that writes, then breaks (every command decodes into its
    # type, so no payload reaches a handler malformed).
    def broken(run):
        hall.store.run("UPDATE counters SET paused = 1")
        raise KeyError("a bug")
    monkeypatch.setitem(hall.engine._handlers, "lease.request", broken)
    out = hall.send("kiosk-1", "lease.request", cmd_id="broken", service="KTP")
    assert out.reply["error"]["code"] == "internal" and out.changed == set()
    assert hall.store.value("SELECT COUNT(*) FROM commands") == 0
    assert hall.store.value("SELECT COUNT(*) FROM counters WHERE paused = 1") == 0


def test_in_one_batch_a_broken_command_rolls_back_alone(hall, monkeypatch):
    """The hub runs the commands that arrived together in one transaction (group commit):
    a command that breaks takes back only its own writes."""
    def broken(run):
        hall.store.run("UPDATE counters SET paused = 1")
        raise KeyError("a bug")
    monkeypatch.setitem(hall.engine._handlers, "lease.request", broken)
    with hall.store.transaction():
        before = hall.send("kiosk-1", "ticket.request", service="KTP")
        bad = hall.send("kiosk-1", "lease.request", service="KTP")
        after = hall.send("kiosk-1", "ticket.request", service="KK")
    assert before.reply["ok"] and after.reply["ok"]
    assert bad.reply["error"]["code"] == "internal"
    assert hall.store.value("SELECT COUNT(*) FROM tickets") == 2
    assert hall.store.value("SELECT COUNT(*) FROM commands") == 2
    assert hall.store.value("SELECT COUNT(*) FROM counters WHERE paused = 1") == 0


def test_a_storage_failure_raises_storage_error(hall):
    hall.store.close()
    with pytest.raises(StorageError):
        hall.send("kiosk-1", "ticket.request", service="KTP")


def test_the_daily_reset_closes_the_previous_day(hall):
    called, waiting = hall.issue("KK"), hall.issue("KTP")
    hall.ok("kiosk-1", "ticket.request", service="KTP")      # still printing
    assert hall.next(2)["ticket"] == called["id"]
    hall.engine.tick(hall.now)
    hall.now = at(2026, 11, 24, 0, 20)                        # after midnight, before 00:30
    hall.engine.tick(hall.now)
    assert hall.status(waiting["id"]) == "waiting"            # confirm timeout aside
    hall.now = at(2026, 11, 24, 0, 30)
    out = hall.engine.tick(hall.now)
    assert out.changed == {ALL}
    assert hall.status(waiting["id"]) == "expired" and hall.status(called["id"]) == "expired"
    assert hall.engine.views.counter(2, hall.now)["number"] is None
    assert hall.next(1) is None and hall.next(2) is None
    assert hall.store.value("SELECT COUNT(*) FROM tickets") == 3    # kept for history
    fresh = hall.issue("KTP")
    assert fresh["number"] == "A-001" and hall.next(1)["ticket"] == fresh["id"]


def test_the_reset_runs_once_even_across_a_restart(hall):
    hall.engine.tick(hall.now)
    hall.now = at(2026, 11, 24, 8)
    assert hall.engine.tick(hall.now).changed == {ALL}
    ticket = hall.issue("KTP")
    hall = hall.reopen()
    hall.engine.tick(hall.now)
    assert hall.status(ticket["id"]) == "waiting"


def test_a_quiet_tick_changes_nothing(hall):
    hall.engine.tick(hall.now)
    hall.issue("KTP")
    hall.advance(1)
    assert hall.engine.tick(hall.now).changed == set()


def test_the_tick_notices_opening_and_closing(make_hall):
    hall = make_hall(small_site(OFFICE), now=at(2026, 11, 23, 11, 59))
    hall.engine.tick(hall.now)
    hall.now = at(2026, 11, 23, 11, 59, 30)
    assert hall.engine.tick(hall.now).changed == set()
    hall.now = at(2026, 11, 23, 12, 0)                        # the lunch break starts
    assert hall.engine.tick(hall.now).changed == {("service", s) for s in hall.site.services}
    assert hall.engine.views.service("KTP", hall.now)["reason"] == "on_break"


def test_reopening_the_file_gives_the_same_state(hall):
    for service in ("KTP", "KTP", "KK", "PAM-BAYAR"):
        hall.issue(service)
    hall.next(1)
    hall.ok("box-1", "counter.pause", counter=2)
    state = hall.engine.snapshots({ALL}, hall.now)
    assert len(state) == len(hall.site.services) + len(hall.site.counters)
    again = hall.reopen()
    assert again.engine.snapshots({ALL}, hall.now) == state


def test_memory_databases_work_too(make_hall):
    hall = make_hall(path=":memory:", site=small_site(rules=QueueRules(lease_size=3)))
    hall.issue("KTP")
    assert hall.next(1)["number"] == "A-001"


def test_the_daily_reset_forgets_command_ids_older_than_a_week(hall):
    old = hall.send("kiosk-1", "ticket.request", service="KTP", cmd_id="old-1")
    hall.advance(3 * 24 * 3600)
    hall.engine.tick(hall.now)
    recent = hall.send("kiosk-1", "ticket.request", service="KTP", cmd_id="recent-1")
    hall.advance(5 * 24 * 3600)
    hall.engine.tick(hall.now)
    kept = {r["id"] for r in hall.store.all("SELECT id FROM commands")}
    assert "recent-1" in kept and "old-1" not in kept
    # A command still remembered keeps its answer.
    assert hall.send("kiosk-1", "ticket.request", service="KTP", cmd_id="recent-1").reply == \
        recent.reply
    assert old.reply["ok"]
