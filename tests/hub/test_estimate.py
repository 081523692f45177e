"""Estimated waits: people ahead by the priority rule, and recent service times."""
from __future__ import annotations

import pytest

from hub import estimate
from antrean.site import QueueRules
from tests.fixtures.sites import small_site


@pytest.mark.parametrize("before, other, priority, expected", [
    (0, 5, False, 0), (3, 5, False, 4), (6, 1, False, 7), (0, 0, True, 0),
    (1, 10, True, 4), (2, 1, True, 3),
])
def test_people_ahead(before, other, priority, expected):
    assert estimate.ahead(before, other, priority, every=3) == expected


def test_wait_minutes_round_up_and_split_over_counters():
    assert estimate.wait_minutes(0, 600_000, 1) == 0
    assert estimate.wait_minutes(3, 600_000, 2) == 15
    assert estimate.wait_minutes(1, 90_000, 1) == 2
    assert estimate.wait_minutes(4, 600_000, 0) == 40          # nobody serving: as if one


def test_the_pace_follows_the_last_twenty_services(make_hall):
    hall = make_hall(small_site(rules=QueueRules(priority_every=3)))
    assert hall.engine.pace.of("KTP") == 10 * 60_000            # standard_minutes
    for minutes in [30] * 5 + [2] * estimate.RECENT:
        hall.issue("KTP")
        hall.next(1)
        hall.advance(minutes * 60)
        hall.ok("box-1", "counter.finish", counter=1)
    assert hall.engine.pace.of("KTP") == 2 * 60_000             # the 30-minute ones aged out
    for _ in range(3):
        hall.issue("KTP")
    # Two counters serve KTP (1 and 2): 3 ahead of a new ticket x 2 min / 2 counters.
    assert hall.engine.views.service("KTP", hall.now)["wait_min"] == 3
    hall.ok("box-1", "counter.pause", counter=2)
    assert hall.engine.views.service("KTP", hall.now)["wait_min"] == 6
