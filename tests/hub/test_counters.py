"""Counter commands: call order, priority rule, recall, skip, finish, transfer, pause, rights."""
from __future__ import annotations

import dataclasses

import pytest

from antrean.site import ButtonBox, QueueRules
from tests.fixtures.sites import small_site


def test_next_calls_first_in_first_out_and_completes_the_previous(hall):
    a1, a2 = hall.issue("KTP"), hall.issue("KTP")
    call = hall.next(1)
    assert call["ticket"] == a1["id"] and call["number"] == "A-001" and call["recall"] == 0
    hall.advance(300)
    assert hall.next(1)["ticket"] == a2["id"]
    assert hall.status(a1["id"]) == "done"
    row = hall.store.one("SELECT * FROM tickets WHERE id = ?", (a1["id"],))
    assert row["called_at"] == row["issued_at"] and row["finished_at"] == row["called_at"] + 300_000
    assert row["counter"] == 1
    served = hall.store.one("SELECT ms, counter, outcome FROM servings WHERE ticket = ?",
                            (a1["id"],))
    assert served == {"ms": 300_000, "counter": 1, "outcome": "done"}
    assert hall.next(1) is None                      # nobody waits: counter free
    assert hall.status(a2["id"]) == "done"
    assert hall.engine.views.counter(1, hall.now)["number"] is None


def test_strict_policy_serves_the_counters_first_service_first(hall):
    kk = hall.issue("KK")
    hall.advance(1)
    ktp = hall.issue("KTP")
    # Counter 1 is strict with (KTP, KK): KTP first although KK is older.
    assert hall.next(1)["ticket"] == ktp["id"]
    assert hall.next(1)["ticket"] == kk["id"]


def test_oldest_policy_serves_the_oldest_ticket_across_services(hall):
    ktp = hall.issue("KTP")
    hall.advance(1)
    kk = hall.issue("KK")
    # Counter 2 is "oldest" with (KK, AKTA, KTP).
    assert hall.next(2)["ticket"] == ktp["id"]
    assert hall.next(2)["ticket"] == kk["id"]


def test_one_priority_after_every_n_regular_and_neither_kind_starves(make_hall):
    hall = make_hall(small_site(rules=QueueRules(priority_every=2)))
    regular = [hall.issue("KTP") for _ in range(5)]
    prio = [hall.issue("KTP", priority="elderly") for _ in range(3)]
    order = [hall.next(1)["ticket"] for _ in range(8)]
    r, p = [t["id"] for t in regular], [t["id"] for t in prio]
    # A fresh counter owes the priority queue a turn; then two regular per priority.
    assert order == [p[0], r[0], r[1], p[1], r[2], r[3], p[2], r[4]]


def test_when_only_priority_waits_it_is_called_back_to_back(hall):
    prio = [hall.issue("KTP", priority="disabled") for _ in range(3)]
    assert [hall.next(1)["ticket"] for _ in range(3)] == [t["id"] for t in prio]


def test_recall_makes_a_new_call_and_counts(hall):
    ticket = hall.issue("KTP")
    first = hall.next(1)
    again = hall.ok("box-1", "counter.recall", counter=1)["call"]
    assert again["ticket"] == ticket["id"] and again["recall"] == 1
    assert again["call_id"] == first["call_id"] + 1
    assert hall.ok("box-1", "counter.recall", counter=1)["call"]["recall"] == 2
    assert hall.refused("box-1", "counter.recall", counter=2) == "nothing_to_recall"


def test_skip_marks_skipped_or_no_show_and_calls_the_next(hall):
    t1, t2, t3 = hall.issue("KTP"), hall.issue("KTP"), hall.issue("KTP")
    hall.next(1)
    out = hall.ok("box-1", "counter.skip", counter=1)
    assert out["skipped"]["id"] == t1["id"] and out["skipped"]["status"] == "skipped"
    assert out["call"]["ticket"] == t2["id"]
    for _ in range(hall.site.rules.max_recalls):
        hall.ok("box-1", "counter.recall", counter=1)
    out = hall.ok("box-1", "counter.skip", counter=1)
    assert out["skipped"]["status"] == "no_show" and out["call"]["ticket"] == t3["id"]
    out = hall.ok("box-1", "counter.skip", counter=1)
    assert out["call"] is None
    assert hall.refused("box-1", "counter.skip", counter=1) == "nothing_to_recall"
    # Set aside for good: never called again.
    assert hall.next(1) is None


def test_finish_completes_without_calling(hall):
    t1, t2 = hall.issue("KTP"), hall.issue("KTP")
    hall.next(1)
    done = hall.ok("box-1", "counter.finish", counter=1)["ticket"]
    assert done["id"] == t1["id"] and done["status"] == "done"
    assert hall.status(t2["id"]) == "waiting"
    assert hall.refused("box-1", "counter.finish", counter=1) == "nothing_to_recall"


def test_transfer_keeps_the_issue_time_and_frees_the_counter(hall):
    early = hall.issue("PAM-BAYAR")
    hall.advance(60)
    later = hall.issue("PAM-BAYAR")
    assert hall.next(1) is None
    # Counter 1 (KTP, KK) gets nobody; counter 3 calls the early PAM ticket and sends it on.
    assert hall.next(3)["ticket"] == early["id"]
    moved = hall.ok("box-1", "counter.transfer", counter=3, service="KK")["ticket"]
    assert moved["service"] == "KK" and moved["status"] == "waiting"
    assert moved["issued_at"] == early["issued_at"] and moved["number"] == "D-001"
    assert hall.engine.views.counter(3, hall.now)["number"] is None
    hall.advance(1)
    kk = hall.issue("KK")
    assert hall.next(1)["ticket"] == early["id"]     # first in KK by its original time
    assert hall.next(3)["ticket"] == later["id"]
    assert hall.next(1)["ticket"] == kk["id"]
    assert hall.refused("box-1", "counter.transfer", counter=3, service="NOPE") == \
        "unknown_service"


def test_pause_refuses_next_and_resume_allows_it(hall):
    ticket = hall.issue("KTP")
    state = hall.ok("box-1", "counter.pause", counter=1)["counter"]
    assert state == {"counter": 1, "paused": True, "ticket": None}
    assert hall.refused("box-1", "counter.next", counter=1) == "counter_paused"
    assert hall.engine.views.counter(1, hall.now)["paused"] is True
    assert hall.ok("box-1", "counter.resume", counter=1)["counter"]["paused"] is False
    assert hall.next(1)["ticket"] == ticket["id"]


def test_a_paused_counter_may_still_recall_and_skip_without_calling(hall):
    hall.issue("KTP")
    hall.issue("KTP")
    hall.next(1)
    hall.ok("box-1", "counter.pause", counter=1)
    assert hall.ok("box-1", "counter.recall", counter=1)["call"]["recall"] == 1
    assert hall.ok("box-1", "counter.skip", counter=1)["call"] is None


def test_a_box_operates_only_its_counters(make_hall):
    site = small_site()
    site = dataclasses.replace(site, button_boxes={"box-1": ButtonBox("box-1",
                                                                      counters=(1,))})
    hall = make_hall(site)
    hall.issue("PAM-BAYAR")
    assert hall.refused("box-1", "counter.next", counter=3) == "not_allowed"
    assert hall.refused("kiosk-1", "counter.next", counter=1) == "not_allowed"
    assert hall.refused("box-1", "counter.next", counter=9) == "unknown_counter"
    assert hall.ok("ops-cli", "counter.next", counter=3)["call"]["number"] == "D-001"
    assert hall.ok("hub", "counter.pause", counter=3)["counter"]["paused"] is True
    # An operator declared to read only, or a tool nobody declared, acts for no counter
    # (the broker's ACL already keeps them off cmd topics; the hub checks again).
    assert hall.refused("ops-watch", "counter.resume", counter=3) == "not_allowed"
    assert hall.refused("ops-intruder", "counter.resume", counter=3) == "not_allowed"


@pytest.mark.parametrize("age_s, stale", [(4.9, False), (5, False), (5.001, True), (120, True)])
def test_a_stale_press_is_refused_and_changes_nothing(hall, age_s, stale):
    hall.issue("KTP")
    out = hall.send("box-1", "counter.next", counter=1, sent_at=hall.now - int(age_s * 1000))
    if stale:
        assert out.reply["error"]["code"] == "stale" and out.changed == set() and not out.calls
        assert hall.next(1)["number"] == "A-001"
    else:
        assert out.reply["result"]["call"]["number"] == "A-001"


def test_call_ids_keep_rising_across_restarts_and_days(hall):
    hall.issue("KTP")
    first = hall.next(1)["call_id"]
    hall.store.run("DELETE FROM calls")            # even if history were ever pruned
    hall = hall.reopen()
    hall.advance(86_400)
    hall.engine.tick(hall.now)
    hall.issue("KTP")
    assert hall.next(1)["call_id"] > first


def test_a_call_says_whether_its_ticket_is_priority_and_a_recall_too(hall):
    # given a regular and a priority ticket of one service (one prefix, one numbering)
    hall.issue("KTP")
    hall.issue("KTP", priority="elderly")
    # when the counter calls both and recalls the second
    first, second = hall.next(1), hall.next(1)
    again = hall.ok("box-1", "counter.recall", counter=1)["call"]
    # then each call carries its ticket's kind (a fresh counter owes priority a turn)
    assert (first["priority"], second["priority"]) == ("elderly", None)
    assert first["number"][:2] == second["number"][:2] == "A-"
    assert again["priority"] is None and again["ticket"] == second["ticket"]
