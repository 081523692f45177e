"""The objects and snapshots devices render: Ticket, CounterState, state.service,
state.counter."""
from __future__ import annotations

from antrean import protocol
from tests.fixtures.sites import OFFICE, small_site

from .conftest import at


def test_a_service_snapshot_describes_that_service(hall):
    hall.issue("KTP")
    hall.issue("KTP", priority="elderly")
    hall.issue("KTP")
    hall.next(1)                                         # the priority ticket goes first
    ktp = hall.engine.views.service("KTP", hall.now)
    assert ktp == {"service": "KTP", "day": "2026-11-23", "open": True, "reason": None,
                   "opens_at": None, "opens_on": None, "waiting": 2, "priority_waiting": 0,
                   "wait_min": 10, "quota_left": None, "last_called": "A-002",
                   "next_number": "A-004", "oldest_at": hall.now}
    payload = protocol.encode("state.service", epoch=1, rev=1, at=hall.now, **ktp)
    assert protocol.decode(payload).waiting == 2


def test_a_service_snapshot_says_when_its_oldest_waiting_ticket_was_issued(hall):
    first_at = hall.now
    hall.issue("KK")
    hall.now += 5 * 60_000
    hall.issue("KK")
    assert hall.engine.views.service("KK", hall.now)["oldest_at"] == first_at
    hall.next(2)                                         # the first KK ticket is called
    assert hall.engine.views.service("KK", hall.now)["oldest_at"] == first_at + 5 * 60_000
    assert hall.engine.views.services(hall.now)["KK"]["oldest_at"] == first_at + 5 * 60_000
    hall.next(2)
    assert hall.engine.views.service("KK", hall.now)["oldest_at"] is None


def test_all_services_at_once_equal_each_one_alone(hall):
    for service in ("KTP", "KTP", "KK", "PAM-BAYAR"):
        hall.issue(service, priority="elderly" if service == "KK" else None)
    hall.next(1)
    hall.ok("box-1", "counter.pause", counter=2)
    together = hall.engine.views.services(hall.now)
    assert set(together) == set(hall.site.services)
    assert together == {sid: hall.engine.views.service(sid, hall.now)
                        for sid in hall.site.services}


def test_a_closed_service_says_when_it_opens(make_hall):
    hall = make_hall(small_site(OFFICE), now=at(2026, 11, 23, 12, 30))
    kk = hall.engine.views.service("KK", hall.now)
    assert (kk["open"], kk["reason"], kk["opens_at"], kk["opens_on"]) == \
        (False, "on_break", "13:00", "2026-11-23")


def test_a_counter_snapshot_holds_its_ticket_and_its_last_call(hall):
    for _ in range(3):
        hall.issue("KTP")
    hall.next(1)
    second = hall.next(1)
    one = hall.engine.views.counter(1, hall.now)
    assert one["number"] == "A-002" and one["service"] == "KTP" and one["paused"] is False
    assert one["call_id"] == second["call_id"] == one["last_call"]["call_id"]
    assert one["last_call"]["number"] == "A-002" and one["last_call"]["counter"] == 1
    hall.ok("box-1", "counter.finish", counter=1)
    done = hall.engine.views.counter(1, hall.now)
    assert (done["number"], done["call_id"]) == (None, None)
    assert done["last_call"]["number"] == "A-002"       # kept: the display's recent calls
    assert hall.engine.views.counter(3, hall.now) == {
        "counter": 3, "paused": False, "number": None, "service": None, "call_id": None,
        "last_call": None}


def test_yesterdays_calls_are_not_shown_as_current(hall):
    hall.issue("KTP")
    hall.next(1)
    hall.now = at(2026, 11, 24, 8)
    hall.engine.tick(hall.now)
    assert hall.engine.views.counter(1, hall.now)["last_call"] is None


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


def test_a_counter_snapshots_last_call_carries_the_priority_kind(hall):
    hall.issue("KTP", priority="pregnant")
    call = hall.next(1)
    last = hall.engine.views.counter(1, hall.now)["last_call"]
    assert last == call and last["priority"] == "pregnant"
