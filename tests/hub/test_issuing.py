"""Kiosk commands: issuing, confirmations, refusals, quota, leases and offline tickets."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from antrean.site import Kiosk, QueueRules
from tests.fixtures.sites import OFFICE, small_site

from .conftest import MONDAY_9, at


def test_numbers_run_per_service_and_day_with_the_service_prefix(hall):
    a1 = hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]
    b1 = hall.ok("kiosk-1", "ticket.request", service="KK")["ticket"]
    a2 = hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]
    assert [a1["number"], b1["number"], a2["number"]] == ["A-001", "B-001", "A-002"]
    assert a1["id"] == "2026-11-23.KTP.1" and a1["status"] == "printing"
    assert a1["day"] == "2026-11-23" and a1["seq"] == 1 and a1["offline"] is False

    hall.now = at(2026, 11, 24, 9)          # a new day starts again at 1
    assert hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]["number"] == "A-001"


def test_numbers_past_999_keep_every_digit(hall):
    hall.store.run("INSERT INTO service_days (service, day, next_seq, used) "
                   "VALUES ('KTP', '2026-11-23', 1234, 0)")
    assert hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]["number"] == "A-1234"


def test_printed_makes_it_waiting_and_failed_cancels_it(hall):
    t1 = hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]
    t2 = hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]
    assert hall.ok("kiosk-1", "ticket.printed", ticket=t1["id"])["ticket"]["status"] == "waiting"
    failed = hall.ok("kiosk-1", "ticket.print_failed", ticket=t2["id"], reason="no paper")
    assert failed["ticket"]["status"] == "cancelled" and failed["ticket"]["ahead"] is None
    # A cancelled ticket can neither be confirmed nor called.
    assert hall.refused("kiosk-1", "ticket.printed", ticket=t2["id"]) == "ticket_not_printing"
    assert hall.next(1)["ticket"] == t1["id"]
    assert hall.next(1) is None


def test_a_repeated_confirmation_with_a_new_id_is_harmless(hall):
    ticket = hall.issue("KTP")
    again = hall.ok("kiosk-1", "ticket.printed", ticket=ticket["id"])["ticket"]
    assert again["status"] == "waiting"
    assert hall.refused("kiosk-1", "ticket.print_failed", ticket=ticket["id"]) == \
        "ticket_not_printing"


def test_an_unconfirmed_ticket_expires_and_is_never_called(hall):
    ticket = hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]
    hall.advance(hall.site.rules.confirm_timeout_s - 1)
    hall.engine.tick(hall.now)
    assert hall.status(ticket["id"]) == "printing"
    hall.advance(2)
    assert ("service", "KTP") in hall.engine.tick(hall.now).changed
    assert hall.status(ticket["id"]) == "expired"
    assert hall.next(1) is None


def test_a_late_confirmation_the_same_day_makes_the_ticket_valid_in_its_place(hall):
    """The kiosk printed it but its confirmation was held up by a lost link: the visitor
    holds paper, so the ticket is served, before tickets issued after it."""
    late = hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]
    hall.advance(hall.site.rules.confirm_timeout_s + 1)
    hall.engine.tick(hall.now)
    assert hall.status(late["id"]) == "expired"
    later = hall.issue("KTP")
    out = hall.send("kiosk-1", "ticket.printed", ticket=late["id"])
    assert out.reply["ok"] and ("service", "KTP") in out.changed
    assert hall.status(late["id"]) == "waiting"
    assert hall.next(1)["ticket"] == late["id"]
    assert hall.next(1)["ticket"] == later["id"]


def test_a_confirmation_from_a_past_day_is_refused(hall):
    ticket = hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]
    hall.advance(24 * 3600)
    hall.engine.tick(hall.now)
    assert hall.refused("kiosk-1", "ticket.printed", ticket=ticket["id"]) == "expired"


def test_only_the_issuing_kiosk_or_an_operator_confirms(make_hall):
    site = small_site()
    site = dataclasses.replace(site, kiosks={**site.kiosks, "kiosk-2": Kiosk("kiosk-2")})
    hall = make_hall(site)
    ticket = hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]
    assert hall.refused("kiosk-2", "ticket.printed", ticket=ticket["id"]) == "not_allowed"
    assert hall.refused("kiosk-1", "ticket.printed", ticket="2026-11-23.KTP.99") == \
        "unknown_ticket"
    assert hall.ok("ops-tool", "ticket.printed", ticket=ticket["id"])["ticket"]["status"] == \
        "waiting"


def test_unknown_service_and_a_kiosk_limited_to_its_services(make_hall):
    site = small_site()
    site = dataclasses.replace(site, kiosks={
        "kiosk-1": Kiosk("kiosk-1", services=("KTP",))})
    hall = make_hall(site)
    assert hall.refused("kiosk-1", "ticket.request", service="NOPE") == "unknown_service"
    assert hall.refused("kiosk-1", "ticket.request", service="KK") == "not_allowed"
    assert hall.refused("box-1", "ticket.request", service="KTP") == "not_allowed"
    assert hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]["number"] == "A-001"
    assert hall.ok("hub", "ticket.request", service="KK")["ticket"]["number"] == "B-001"


def test_priority_only_where_the_service_allows_it(hall):
    reply = hall.send("kiosk-1", "ticket.request", service="AKTA", priority="elderly").reply
    assert reply["error"]["code"] == "priority_not_allowed"
    assert "prioritas" in reply["error"]["message"]
    t = hall.ok("kiosk-1", "ticket.request", service="KTP", priority="pregnant")["ticket"]
    assert t["priority"] == "pregnant"


@pytest.mark.parametrize("now, code, said_id, said_en", [
    (at(2026, 11, 23, 7, 30), "service_closed", "pukul 08.00", "at 08:00"),
    (at(2026, 11, 23, 12, 15), "on_break", "sampai pukul 13.00", "until 13:00"),
    (at(2026, 11, 27, 12, 0), "on_break", "sampai pukul 13.30", "until 13:30"),   # Friday prayer
    (at(2026, 11, 23, 16, 0), "service_closed", "besok pukul 08.00", "tomorrow at 08:00"),
    (at(2026, 11, 27, 16, 0), "service_closed", "Senin, 30 November pukul 08.00",
     "on Monday 30 November at 08:00"),
])
def test_outside_opening_hours_the_refusal_says_when_to_come(make_hall, now, code, said_id,
                                                             said_en):
    hall = make_hall(small_site(OFFICE), now=now)
    reply = hall.send("kiosk-1", "ticket.request", service="KTP").reply
    assert reply["error"]["code"] == code
    assert said_id in reply["error"]["message"] and "KTP Elektronik" in reply["error"]["message"]
    assert said_en in reply["error"]["message_en"]
    assert hall.store.value("SELECT COUNT(*) FROM tickets") == 0


def test_a_holiday_closes_every_service(make_hall):
    hall = make_hall(small_site(OFFICE, holidays=frozenset({dt.date(2026, 11, 23)})),
                     now=at(2026, 11, 23, 10))
    reply = hall.send("kiosk-1", "ticket.request", service="KK").reply
    assert reply["error"]["code"] == "holiday"
    assert "libur nasional" in reply["error"]["message"]
    assert "besok pukul 08.00" in reply["error"]["message"]


def test_the_quota_counts_valid_and_offline_tickets_never_leased_numbers(make_hall):
    hall = make_hall(small_site(quota=5, rules=QueueRules(lease_size=2)))
    t1 = hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]
    hall.ok("kiosk-1", "ticket.print_failed", ticket=t1["id"])          # gives its place back
    hall.issue("KTP")
    hall.ok("kiosk-1", "ticket.request", service="KTP")                 # printing counts
    lease = hall.ok("kiosk-1", "lease.request", service="KTP")["lease"]
    assert lease["last"] - lease["first"] + 1 == 2
    assert hall.engine.views.service("KTP", hall.now)["quota_left"] == 3
    assert _offline(hall, lease["first"], MONDAY_9)["ok"]                # it came back: counts
    hall.issue("KTP")
    assert hall.engine.views.service("KTP", hall.now)["quota_left"] == 1
    hall.issue("KTP")
    reply = hall.send("kiosk-1", "ticket.request", service="KTP").reply
    assert reply["error"]["code"] == "quota_exhausted"
    assert "besok" in reply["error"]["message"] and "tomorrow" in reply["error"]["message_en"]
    assert hall.refused("kiosk-1", "lease.request", service="KTP") == "quota_exhausted"
    state = hall.engine.views.service("KTP", hall.now)
    assert state["open"] is False and state["reason"] == "quota_exhausted"
    assert state["quota_left"] == 0 and state["opens_on"] == "2026-11-24"
    assert _offline(hall, lease["last"], MONDAY_9)["ok"]     # on paper: taken past the quota


def test_a_quota_of_two_with_a_lease_held_still_serves_two_visitors_online(make_hall):
    """Madiun's small quotas: a kiosk connecting (and leasing) must not use them up."""
    hall = make_hall(small_site(quota=2))
    lease = hall.ok("kiosk-1", "lease.request", service="KTP")["lease"]
    assert lease["last"] - lease["first"] + 1 == 2          # at most the quota left
    assert [hall.issue("KTP")["number"] for _ in range(2)] == ["A-001", "A-002"]
    assert hall.refused("kiosk-1", "ticket.request", service="KTP") == "quota_exhausted"


def test_an_expired_ticket_gives_its_quota_back(make_hall):
    hall = make_hall(small_site(quota=1))
    hall.ok("kiosk-1", "ticket.request", service="KTP")
    assert hall.refused("kiosk-1", "ticket.request", service="KTP") == "quota_exhausted"
    hall.advance(hall.site.rules.confirm_timeout_s + 1)
    hall.engine.tick(hall.now)
    assert hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]["number"] == "A-002"


def test_leases_come_from_their_own_range_and_online_numbers_follow_from_001(hall):
    """The first visitor of the day gets 001 however many kiosks leased before, and online
    numbers never jump; leased numbers (5001 on) never collide with them or each other."""
    lease = hall.ok("kiosk-1", "lease.request", service="KTP")["lease"]
    assert lease == {"service": "KTP", "day": "2026-11-23", "first": 5001, "last": 5010}
    assert hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]["number"] == "A-001"
    second = hall.ok("kiosk-1", "lease.request", service="KTP")["lease"]
    assert (second["first"], second["last"]) == (5011, 5020)
    assert hall.ok("kiosk-1", "ticket.request", service="KTP")["ticket"]["number"] == "A-002"
    assert hall.engine.views.service("KTP", hall.now)["next_number"] == "A-003"


def test_no_lease_when_the_service_does_not_open_again_today(make_hall):
    hall = make_hall(small_site(OFFICE), now=at(2026, 11, 23, 16))
    assert hall.refused("kiosk-1", "lease.request", service="KTP") == "service_closed"
    before = make_hall(small_site(OFFICE), now=at(2026, 11, 24, 7),
                       path=hall.store.path + ".next-morning")
    assert before.ok("kiosk-1", "lease.request", service="KTP")["lease"]["first"] == 5001


def _offline(hall, number, issued_at, day="2026-11-23", service="KTP", **kw):
    return hall.send("kiosk-1", "ticket.offline", service=service, number=number, day=day,
                     issued_at=issued_at, priority=kw.get("priority"),
                     cmd_id=kw.get("cmd_id")).reply


def test_an_offline_ticket_is_placed_by_its_issue_time(hall):
    lease = hall.ok("kiosk-1", "lease.request", service="KTP")["lease"]
    hall.advance(60)
    online = hall.issue("KTP")                       # A-001, issued now
    reply = _offline(hall, lease["first"], MONDAY_9 + 30_000)   # printed earlier, offline
    ticket = reply["result"]["ticket"]
    assert ticket["number"] == "A-5001" and ticket["status"] == "waiting" and ticket["offline"]
    assert ticket["ahead"] == 0
    assert hall.next(1)["ticket"] == ticket["id"]
    assert hall.next(1)["ticket"] == online["id"]


def test_an_offline_ticket_is_accepted_once_even_under_a_new_id(hall):
    hall.ok("kiosk-1", "lease.request", service="KTP")
    first = _offline(hall, 5003, MONDAY_9)
    again = _offline(hall, 5003, MONDAY_9 + 5)          # a new command id, same number
    assert again["result"]["ticket"]["id"] == first["result"]["ticket"]["id"]
    assert hall.store.value("SELECT COUNT(*) FROM tickets") == 1


def test_an_offline_number_outside_the_devices_leases_is_refused(make_hall):
    site = small_site()
    site = dataclasses.replace(site, kiosks={**site.kiosks, "kiosk-2": Kiosk("kiosk-2")})
    hall = make_hall(site)
    assert _offline(hall, 5001, MONDAY_9)["error"]["code"] == "lease_exhausted"
    hall.ok("kiosk-2", "lease.request", service="KTP")            # 5001..5010: kiosk-2's
    assert _offline(hall, 5001, MONDAY_9)["error"]["code"] == "lease_exhausted"
    hall.ok("kiosk-1", "lease.request", service="KTP")            # 5011..5020
    assert _offline(hall, 5011, MONDAY_9)["ok"]
    assert _offline(hall, 5021, MONDAY_9)["error"]["code"] == "lease_exhausted"
    assert _offline(hall, 1, MONDAY_9)["error"]["code"] == "lease_exhausted"   # online range
    assert _offline(hall, 5011, MONDAY_9, service="KK")["error"]["code"] == "lease_exhausted"


def test_an_offline_ticket_from_a_past_day_is_kept_as_expired_and_refused(hall):
    hall.ok("kiosk-1", "lease.request", service="KTP")
    hall.now = at(2026, 11, 24, 9)
    reply = _offline(hall, 5002, MONDAY_9, day="2026-11-23")
    assert reply["error"]["code"] == "expired" and "2026-11-23" in reply["error"]["message"]
    assert hall.status("2026-11-23.KTP.5002") == "expired"
    assert _offline(hall, 5002, MONDAY_9, day="2026-11-23")["error"]["code"] == "expired"
    assert hall.next(1) is None


def test_offline_priority_is_dropped_where_the_service_has_none(hall):
    hall.ok("kiosk-1", "lease.request", service="AKTA")
    ticket = _offline(hall, 5001, MONDAY_9, service="AKTA",
                      priority="elderly")["result"]["ticket"]
    assert ticket["priority"] is None and ticket["status"] == "waiting"


def test_an_offline_issue_time_ahead_of_the_hub_is_clamped(hall):
    hall.ok("kiosk-1", "lease.request", service="KTP")
    ticket = _offline(hall, 5001, hall.now + 3_600_000)["result"]["ticket"]
    assert ticket["issued_at"] == hall.now


def test_a_ticket_request_delivered_late_is_refused_and_uses_no_number(hall):
    """A request paho sends after a reconnect, long after the kiosk printed from its lease,
    must not leave a number nobody holds."""
    late = hall.send("kiosk-1", "ticket.request", service="KTP",
                     sent_at=hall.now - (hall.site.rules.stale_press_s + 1) * 1000)
    assert late.reply["error"]["code"] == "stale" and late.changed == set()
    assert hall.issue("KTP")["number"] == "A-001"
