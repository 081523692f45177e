"""Opening hours, breaks and holidays in the site's time zone."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from antrean.errors import ConfigError
from antrean.site import WEEKDAYS, Hours, Period
from hub.schedule import Schedule
from tests.fixtures.sites import OFFICE, small_site

from .conftest import at


@pytest.fixture
def office():
    site = small_site(OFFICE, holidays=frozenset({dt.date(2026, 12, 25)}))
    return Schedule(site), site.services["KTP"]


@pytest.mark.parametrize("when, is_open, reason, reopens", [
    (at(2026, 11, 23, 8, 0), True, None, None),
    (at(2026, 11, 23, 11, 59, 59), True, None, None),
    (at(2026, 11, 23, 7, 59), False, "service_closed", "2026-11-23 08:00"),
    (at(2026, 11, 23, 12, 0), False, "on_break", "2026-11-23 13:00"),
    (at(2026, 11, 27, 11, 45), False, "on_break", "2026-11-27 13:30"),
    (at(2026, 11, 23, 15, 30), False, "service_closed", "2026-11-24 08:00"),
    (at(2026, 11, 28, 9, 0), False, "service_closed", "2026-11-30 08:00"),   # Saturday
    (at(2026, 12, 25, 9, 0), False, "holiday", "2026-12-28 08:00"),          # Friday holiday
    (at(2026, 12, 24, 16, 0), False, "service_closed", "2026-12-28 08:00"),  # skips the holiday
])
def test_decisions(office, when, is_open, reason, reopens):
    schedule, ktp = office
    d = schedule.decide(ktp, schedule.local(when))
    assert (d.open, d.reason) == (is_open, reason)
    assert (d.reopens.strftime("%Y-%m-%d %H:%M") if d.reopens else None) == reopens


def test_local_time_is_the_sites_not_the_machines():
    site = small_site(OFFICE)
    jakarta = Schedule(site)
    utc = Schedule(dataclasses.replace(site, timezone="UTC"))
    moment = at(2026, 11, 23, 6, 30)           # 06:30 WIB = 23:30 UTC the day before
    assert jakarta.day(moment) == "2026-11-23" and utc.day(moment) == "2026-11-22"
    assert jakarta.decide(site.services["KTP"], jakarta.local(moment)).reason == "service_closed"


def test_a_service_that_never_opens_has_no_reopening(office):
    schedule, ktp = office
    never = dataclasses.replace(ktp, hours=dataclasses.replace(ktp.hours, week={}))
    d = schedule.decide(never, schedule.local(at(2026, 11, 23, 9)))
    assert d.reason == "service_closed" and d.reopens is None


def test_an_unknown_time_zone_is_a_config_error():
    with pytest.raises(ConfigError, match="time zone"):
        Schedule(dataclasses.replace(small_site(), timezone="Asia/Atlantis"))


@pytest.mark.parametrize("when", [at(2026, 11, 24, 23, 59, 59), at(2026, 11, 25, 0, 0),
                                  at(2026, 11, 24, 23, 59) + 59_999])
def test_a_day_open_to_24_00_holds_its_last_moment_and_the_next_days_first(when):
    schedule, site = Schedule(small_site()), small_site()        # ALL_DAY: "00:00-24:00"
    assert schedule.decide(site.services["KTP"], schedule.local(when)).open


def test_23_59_closes_the_last_minute():
    site = small_site(Hours({d: (Period(dt.time(0, 0), dt.time(23, 59)),) for d in WEEKDAYS}))
    schedule = Schedule(site)
    d = schedule.decide(site.services["KTP"], schedule.local(at(2026, 11, 24, 23, 59, 30)))
    assert (d.open, d.reason, d.reopens.strftime("%d %H:%M")) == \
        (False, "service_closed", "25 00:00")
