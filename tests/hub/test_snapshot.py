"""The objects and snapshots devices render: Ticket, CounterState, state.queues, state.hall."""
from __future__ import annotations

from antrean import protocol
from tests.fixtures.sites import OFFICE, small_site

from .conftest import at


def test_the_queues_snapshot_describes_every_service(hall):
    hall.issue("KTP")
    hall.issue("KTP", priority="elderly")
    hall.issue("KTP")
    hall.next(1)                                         # the priority ticket goes first
    state = hall.engine.queues_state(hall.now)
    assert state["day"] == "2026-11-23" and set(state["services"]) == set(hall.site.services)
    ktp = state["services"]["KTP"]
    assert ktp == {"open": True, "reason": None, "opens_at": None, "opens_on": None,
                   "waiting": 2, "priority_waiting": 0, "wait_min": 10, "quota_left": None,
                   "last_called": "A-002", "next_number": "A-004"}
    payload = protocol.encode("state.queues", epoch=1, rev=1, at=hall.now, **state)
    assert protocol.decode(payload)["services"]["KTP"]["waiting"] == 2


def test_a_closed_service_says_when_it_opens(make_hall):
    hall = make_hall(small_site(OFFICE), now=at(2026, 11, 23, 12, 30))
    kk = hall.engine.queues_state(hall.now)["services"]["KK"]
    assert (kk["open"], kk["reason"], kk["opens_at"], kk["opens_on"]) == \
        (False, "on_break", "13:00", "2026-11-23")


def test_the_hall_snapshot_holds_every_counter_and_the_newest_calls(hall):
    for _ in range(25):
        hall.issue("KTP")
    for _ in range(23):
        hall.next(1)
    state = hall.engine.hall_state(hall.now)
    assert list(state["counters"]) == ["1", "2", "3"]
    one = state["counters"]["1"]
    assert one["number"] == "A-023" and one["service"] == "KTP" and one["paused"] is False
    assert one["call_id"] == state["calls"][0]["call_id"]
    ids = [c["call_id"] for c in state["calls"]]
    assert len(ids) == 20 and ids == sorted(ids, reverse=True) and ids[0] == 23
    assert state["counters"]["3"] == {"paused": False, "number": None, "service": None,
                                      "call_id": None}


def test_yesterdays_calls_are_not_shown_as_current(hall):
    hall.issue("KTP")
    hall.next(1)
    hall.now = at(2026, 11, 24, 8)
    hall.engine.tick(hall.now)
    assert hall.engine.hall_state(hall.now)["calls"] == []


def test_a_ticket_tells_how_many_are_ahead_while_it_waits(hall):
    hall.issue("KTP")
    hall.issue("KTP")
    third = hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]
    assert third["ahead"] == 2 and third["wait_min"] == 10      # 2 x 10 min over 2 counters
    hall.ok("kiosk-1", "ticket.printed", ticket=third["id"])
    hall.next(1)
    hall.next(2)
    hall.next(1)
    state = hall.engine.views.counter_state(1)
    assert state["ticket"]["id"] == third["id"]
    assert state["ticket"]["status"] == "called" and state["ticket"]["ahead"] is None
    assert state["ticket"]["counter"] == 1
