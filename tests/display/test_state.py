"""The display core: snapshot order, the banner, what is announced (once, ever)."""
from __future__ import annotations

import json

import pytest

from antrean.clock import HubClock
from antrean.errors import ConfigError
from antrean.protocol import Topics, encode
from display.memory import AnnounceMemory
from display.state import DisplaySettings, DisplayState, counter_topics, shown_counters
from tests.fixtures.sites import small_site

T0 = 1_795_400_000_000      # hub ms


class Ticking:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def call(call_id, number="A-012", counter=3, at=T0, recall=0):
    return {"call_id": call_id, "ticket": f"t{call_id}", "number": number, "service": "KTP",
            "counter": counter, "recall": recall, "at": at}


def counter(rev, cid=3, number=None, last_call=None, paused=False, epoch=7, at=T0, **db):
    """Counter ``cid``'s ``state.counter``: serving ``number`` (called by ``last_call``), or
    nobody when ``number`` is None; ``last_call`` stays after the ticket is done."""
    serving = number is not None
    return encode("state.counter", **db, epoch=epoch, rev=rev, at=at, counter=cid,
                  paused=paused, number=number, service="KTP" if serving else None,
                  call_id=last_call["call_id"] if serving and last_call else None,
                  last_call=last_call)


def serving(rev, c, **kw):
    """The snapshot of ``c``'s counter right after call ``c``."""
    return counter(rev, c["counter"], c["number"], c, **kw)


def beat(now=T0, rev=1):
    return encode("clock", epoch=7, rev=rev, now=now, tz="Asia/Jakarta")


def called(c):
    return encode("called", call=c)


@pytest.fixture
def site():
    return small_site()


@pytest.fixture
def mono():
    return Ticking()


def make(site, tmp_path, mono, device="display-hall", **overrides):
    settings = DisplaySettings.of(site, site.displays[device], **overrides)
    state = DisplayState(site, settings, AnnounceMemory(tmp_path / "mem.json"),
                         HubClock(monotonic=mono, wall=lambda: 0.0))
    state.on_link(True)
    return state


def ids(calls):
    return [c.call_id for c in calls]



def shown(state, cid):
    """(number, paused) on counter ``cid``'s tile."""
    (tile,) = [c for c in state.view().counters if c.counter == cid]
    return tile.number, tile.paused


# ---- snapshot order --------------------------------------------------------------------
def test_a_newer_snapshot_is_shown_and_an_older_or_equal_one_is_ignored(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(counter(10, 3, "D-002", call(2, "D-002")))
    state.receive(counter(9, 3, "D-001", call(1, "D-001")))
    state.receive(counter(10, 3, "D-009", call(9, "D-009")))
    assert shown(state, 3) == ("D-002", False)
    # A new epoch (the hub restarted) wins even with a lower rev.
    state.receive(counter(1, 3, None, call(2, "D-002"), paused=True, epoch=8))
    assert shown(state, 3) == (None, True)


def test_snapshots_are_ordered_per_counter_not_across_counters(site, tmp_path, mono):
    """Given counter 1 shown at rev 9, when counter 3's snapshot of rev 5 comes (rev counts
    across all topics, and each topic is ordered on its own), then it is shown; an older
    one of counter 1 still is not."""
    state = make(site, tmp_path, mono)
    state.receive(counter(9, 1, "A-003", call(5, "A-003", counter=1)))
    state.receive(counter(5, 3, "D-001", call(4, "D-001")))
    state.receive(counter(8, 1, "A-002", call(3, "A-002", counter=1)))
    assert (shown(state, 1), shown(state, 3)) == (("A-003", False), ("D-001", False))
    state.receive(counter(4, 3, "D-000", call(2, "D-000")))     # older for counter 3
    state.receive(counter(6, 3, None, call(4, "D-001")))       # newer for counter 3
    assert (shown(state, 1), shown(state, 3)) == (("A-003", False), (None, False))


def test_a_snapshot_of_a_counter_the_display_does_not_show_is_ignored(site, tmp_path, mono):
    counter_display = make(site, tmp_path, mono, device="display-3")
    counter_display.receive(beat())
    assert counter_display.receive(serving(5, call(41, "A-001", counter=1))) == []
    assert counter_display.view().latest is None and counter_display.memory.last() is None
    # A counter no longer in the site config (a lingering retained topic) is ignored too.
    hall = make(site, tmp_path / "hall", mono)
    hall.receive(beat())
    assert hall.receive(serving(5, call(42, "X-001", counter=9))) == []
    assert hall.receive(serving(6, call(43, "X-002", counter=9)), retained=True) == []
    assert hall.view().latest is None and hall.memory.last() is None
    assert [c.counter for c in hall.view().counters] == [1, 2, 3]


def test_a_display_subscribes_to_the_counters_it_shows(site):
    topics = Topics(site.id)
    hall = DisplaySettings.of(site, site.displays["display-hall"])
    three = DisplaySettings.of(site, site.displays["display-3"])
    assert counter_topics(topics, site, hall) == [topics.all_counters]
    assert counter_topics(topics, site, three) == [topics.counter(3)]
    assert topics.counter(3).endswith("/state/counter/3")


# ---- what is shown -----------------------------------------------------------------------
def test_the_view_lists_the_display_counters_with_names_and_agencies(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(counter(1, 1, "A-003", call(5, "A-003", counter=1)))
    view = state.view()
    assert [(c.counter, c.name, c.agency, c.number) for c in view.counters] == [
        (1, "Loket 1", "Disdukcapil", "A-003"), (2, "Loket 2", "Disdukcapil", None),
        (3, "Loket 3", "Perumda Air Minum", None)]


def test_the_recent_calls_are_the_counters_last_calls_newest_first(site, tmp_path, mono):
    """Given a display that just connected, when each counter's retained snapshot comes (in
    any order), then the newest last_call is the latest call and the others follow, newest
    first; a counter done with its ticket still lists its last call."""
    state = make(site, tmp_path, mono)
    state.receive(counter(3, 3, "D-004", call(41, "D-004")), retained=True)
    state.receive(counter(7, 1, None, call(40, "A-010", counter=1)), retained=True)
    state.receive(counter(5, 2, "B-002", call(42, "B-002", counter=2)), retained=True)
    view = state.view()
    assert view.latest.call_id == 42 and ids(view.recent) == [41, 40]
    # A counter's next call replaces its last_call; the calls heard stay in the list.
    state.receive(called(call(43, "A-011", counter=1, at=T0 + 1000)))
    state.receive(counter(8, 1, "A-011", call(43, "A-011", counter=1, at=T0 + 1000)))
    view = state.view()
    assert view.latest.number == "A-011" and ids(view.recent) == [42, 41, 40]


def test_the_banner_shows_until_a_heartbeat_and_when_it_stops_or_the_link_drops(
        site, tmp_path, mono):
    state = make(site, tmp_path, mono, stale_after_s=5)
    assert state.view().stale and not state.view().ever_fresh
    state.receive(beat())
    assert not state.view().stale and state.view().ever_fresh
    mono.now += 5.5
    assert state.view().stale
    state.receive(beat(T0 + 5500))
    assert not state.view().stale
    state.on_link(False)
    assert state.view().stale
    state.on_link(True)
    assert not state.view().stale


def test_an_event_shows_before_the_snapshot_catches_up(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(counter(5, 3, "D-001", call(40, "D-001")))
    state.receive(called(call(41, "D-002")))
    assert shown(state, 3) == ("D-002", False)
    # A snapshot taken before the call does not hide it; the one after confirms it.
    state.receive(counter(6, 3, "D-001", call(40, "D-001")))
    assert shown(state, 3) == ("D-002", False)
    assert ids(state.view().recent) == [40]
    state.receive(counter(7, 3, "D-002", call(41, "D-002")))
    assert shown(state, 3) == ("D-002", False)
    assert state.view().latest.call_id == 41 and ids(state.view().recent) == [40]


def test_a_counter_done_with_its_ticket_shows_idle_or_paused_not_its_last_number(site, tmp_path,
                                                                                 mono):
    """Given counter 3 called A-012 (event and snapshot), when the hub's next snapshot says
    it serves nobody and is paused (its last_call still A-012), then the display shows no
    number and the pause."""
    state = make(site, tmp_path, mono)
    state.receive(beat())
    state.receive(called(call(41)))
    state.receive(serving(2, call(41)))
    assert shown(state, 3) == ("A-012", False)
    state.receive(counter(3, 3, None, call(41), paused=True))
    assert shown(state, 3) == (None, True)
    assert state.view().latest.number == "A-012"        # still the latest call
    state.receive(called(call(42, "A-013")))          # a newer call shows at once
    assert shown(state, 3) == ("A-013", True)


# ---- what is announced -------------------------------------------------------------------
def test_a_call_is_announced_once_from_the_event_and_not_again_from_the_snapshot(
        site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(beat())
    assert ids(state.receive(called(call(41)))) == [41]
    assert state.receive(called(call(41))) == []           # QoS 1 redelivery
    assert state.receive(serving(5, call(41))) == []
    assert state.memory.last() == 41
    assert state.view().latest.number == "A-012"


def test_a_call_seen_only_in_a_live_snapshot_is_announced_once(site, tmp_path, mono):
    """Given the event/called of call 41 was lost, when counter 3's live snapshot holds it as
    its last_call, then it is announced, once: not by the next snapshot, nor a late event."""
    state = make(site, tmp_path, mono)
    state.receive(beat())
    assert ids(state.receive(serving(5, call(41)))) == [41]
    assert state.receive(counter(6, 3, "A-012", call(41), paused=True)) == []
    assert state.receive(counter(7, 3, None, call(41))) == []
    assert state.receive(called(call(41))) == []
    assert state.memory.last() == 41


def test_a_recall_is_a_new_call_and_is_announced(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(beat())
    state.receive(called(call(41)))
    assert ids(state.receive(called(call(42, recall=1, at=T0 + 100)))) == [42]


def test_calls_older_than_the_maximum_age_are_not_announced(site, tmp_path, mono):
    state = make(site, tmp_path, mono, max_age_s=60)
    state.receive(beat(T0 + 61_000))
    assert state.receive(called(call(41, at=T0))) == []
    assert state.receive(serving(5, call(41, at=T0))) == []
    assert ids(state.receive(called(call(42, at=T0 + 2_000)))) == [42]


def test_a_live_snapshot_waits_for_the_hub_clock_to_judge_ages(site, tmp_path, mono):
    state = make(site, tmp_path, mono, max_age_s=60)
    old = call(40, "A-010", counter=1, at=T0 - 300_000)
    recent = call(41, "A-011", at=T0 - 10_000)
    assert state.receive(serving(5, recent)) == []          # age unknown yet
    assert state.receive(serving(6, old)) == []
    assert state.view().latest.call_id == 41                 # but shown at once
    assert ids(state.receive(beat(T0))) == [41]


def test_calls_replayed_by_the_broker_on_reconnect_are_shown_never_spoken(
        site, tmp_path, mono):
    """Given a display that was cut off while calls happened (all still younger than the
    maximum age), when the broker replays the counters' retained snapshots on reconnect,
    then their last calls are on screen but none is spoken; the next live call is."""
    state = make(site, tmp_path, mono, max_age_s=60)
    state.receive(beat(T0))
    assert ids(state.receive(called(call(40, "A-010", at=T0)))) == [40]
    state.receive(beat(T0 + 25_000))
    # Calls 41..60 happened; each counter's snapshot holds its own latest (58, 59, 60).
    missed = [call(57 + c, f"A-0{57 + c}", counter=c, at=T0 + (17 + c) * 1000)
              for c in (3, 1, 2)]
    for rev, c in enumerate(missed, start=20):
        assert state.receive(serving(rev, c), retained=True) == []
    assert state.view().latest.call_id == 60 and ids(state.view().recent) == [59, 58, 40]
    assert state.memory.last() == 60
    assert state.receive(beat(T0 + 26_000)) == []
    assert state.receive(called(call(55, "A-055", at=T0 + 15_000))) == []
    assert ids(state.receive(called(call(61, "A-061", at=T0 + 26_500)))) == [61]


def test_after_a_reboot_the_retained_calls_are_not_announced_again(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(beat())
    assert ids(state.receive(serving(4, call(40, "A-011", counter=1)))) == [40]
    assert ids(state.receive(serving(5, call(41)))) == [41]
    # The process dies; a new one starts from the same memory file and gets the same
    # snapshots (whether the broker marks them retained or the hub re-sends them live).
    again = make(site, tmp_path, Ticking())
    assert again.receive(serving(5, call(41)), retained=True) == []
    assert again.receive(serving(4, call(40, "A-011", counter=1))) == []
    assert again.receive(beat()) == []
    assert again.receive(called(call(41))) == []
    assert ids(again.receive(called(call(42, at=T0 + 500)))) == [42]


def test_a_retained_snapshot_raises_the_memory_and_is_never_spoken(site, tmp_path, mono):
    """Given a display that has spoken nothing yet, when a retained snapshot holds a call
    younger than the maximum age, then it is shown, not spoken, not even once the hub's
    clock is known; the memory is raised past it, and never lowered by an older one."""
    state = make(site, tmp_path, mono)
    assert state.receive(serving(5, call(41)), retained=True) == []
    assert state.memory.last() == 41
    assert state.receive(beat()) == []
    assert state.view().latest.call_id == 41 and shown(state, 3) == ("A-012", False)
    assert state.receive(serving(6, call(39, "A-001", counter=1)), retained=True) == []
    assert state.memory.last() == 41
    assert state.receive(called(call(41))) == []


def test_memory_is_raised_before_the_call_is_handed_out(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(beat())
    state.receive(called(call(41)))
    # What a crash right now would leave behind: the file already says 41.
    assert AnnounceMemory(tmp_path / "mem.json").last() == 41
    state.receive(serving(5, call(42, at=T0 + 100)))
    assert AnnounceMemory(tmp_path / "mem.json").last() == 42


def test_calls_of_other_counters_are_neither_shown_nor_announced_on_a_counter_display(
        site, tmp_path, mono):
    state = make(site, tmp_path, mono, device="display-3")
    state.receive(beat())
    assert state.receive(called(call(41, "A-001", counter=1))) == []
    assert ids(state.receive(called(call(42, "D-001", counter=3)))) == [42]
    view = state.view()
    assert [c.counter for c in view.counters] == [3]
    assert view.latest.number == "D-001" and view.recent == ()


# ---- bad input, time, config, another database -------------------------------------------
# What a hub of Antrean 0.2 published (state/hall): no longer a display's input.
OLD_HALL = json.dumps({"v": 1, "type": "state.hall", "epoch": 7, "rev": 6, "at": T0,
                       "counters": {"3": {"paused": False, "number": "A-012", "call_id": 41}},
                       "calls": [call(41)]}).encode()


def test_bad_payloads_are_refused_without_changing_anything(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(beat())
    for bad in (b"", b"{", b'{"v":2,"type":"called"}', encode("called", call={"call_id": "x"}),
                encode("reply", id=None, ok=True),
                encode("state.counter", epoch=7, rev=3, at=T0, counter=3, paused="no",
                       number=None, last_call=None),
                serving(4, {**call(41), "call_id": "x"}),
                counter(5, 3, "A-012", call(41, counter=1)),    # another counter's call
                OLD_HALL):
        assert state.receive(bad) == []
    assert state.view().latest is None and state.memory.last() is None
    assert shown(state, 3) == (None, False)


def test_the_local_time_follows_the_hub_clock_in_the_site_zone(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    assert state.local_time() is None
    state.receive(beat(T0))
    mono.now += 60
    moment = state.local_time()
    assert moment.utcoffset().total_seconds() == 7 * 3600
    assert moment.timestamp() == pytest.approx(T0 / 1000 + 60)


def test_which_counters_a_display_shows(site):
    assert shown_counters(site, site.displays["display-hall"]) == (1, 2, 3)
    assert shown_counters(site, site.displays["display-3"]) == (3,)
    from dataclasses import replace
    by_agency = replace(site.displays["display-hall"], agencies=("pdam",))
    assert shown_counters(site, by_agency) == (3,)
    with pytest.raises(ConfigError):
        shown_counters(site, replace(site.displays["display-3"], counters=(3, 1)))
    with pytest.raises(ConfigError):
        shown_counters(site, replace(site.displays["display-3"], counters=(99,)))


def test_a_new_hub_database_is_followed_even_when_its_numbers_start_lower(site, tmp_path, mono):
    """Given a display that spoke call 50 of one database and shows epoch 9, when the hub comes
    back on another database (epoch 1, call 1: its clock was wrong), then its state is shown
    and its calls are spoken, each once."""
    state = make(site, tmp_path, mono)
    state.receive(encode("clock", db=11, epoch=9, rev=1, now=T0, tz="Asia/Jakarta"))
    assert ids(state.receive(encode("called", db=11, call=call(50)))) == [50]
    state.receive(serving(5, call(50), epoch=9, db=11))
    state.receive(encode("clock", db=22, epoch=1, rev=1, now=T0, tz="Asia/Jakarta"))
    assert ids(state.receive(serving(2, call(1, "A-001"), epoch=1, db=22))) == [1]
    assert state.view().latest.number == "A-001" and shown(state, 3) == ("A-001", False)
    assert state.receive(encode("called", db=22, call=call(1, "A-001"))) == []
    assert (state.memory.db(), state.memory.last()) == (22, 1)


# ---- the morning after, another database, a refused snapshot --------------------------------
DAY_MS = 24 * 3600 * 1000


def test_after_the_daily_reset_a_display_left_running_shows_no_number_of_yesterday(
        site, tmp_path, mono):
    """Given a display left on overnight that heard counter 3 call A-012, when the hub's
    daily reset publishes counter 3 serving nobody with no call today (last_call null),
    then the tile shows no number and yesterday's call is not the latest."""
    state = make(site, tmp_path, mono)
    state.receive(beat())
    state.receive(called(call(41)))
    state.receive(serving(2, call(41)))
    state.receive(beat(T0 + DAY_MS))
    state.receive(counter(3, 3, None, None, at=T0 + DAY_MS))
    assert shown(state, 3) == (None, False)
    assert state.view().latest is None


def test_after_a_database_change_a_call_shows_before_its_counter_snapshot(site, tmp_path, mono):
    """Given counter 3 shown serving A-050 (call 50) of database 11, when database 22's first
    call (call 1, A-001) comes as an event before counter 3's new snapshot, then the tile
    shows A-001, as it would for any event ahead of its snapshot."""
    state = make(site, tmp_path, mono)
    state.receive(encode("clock", db=11, epoch=9, rev=1, now=T0, tz="Asia/Jakarta"))
    state.receive(encode("called", db=11, call=call(50, "A-050")))
    state.receive(serving(5, call(50, "A-050"), epoch=9, db=11))
    state.receive(encode("clock", db=22, epoch=1, rev=1, now=T0, tz="Asia/Jakarta"))
    assert ids(state.receive(encode("called", db=22, call=call(1, "A-001")))) == [1]
    assert shown(state, 3) == ("A-001", False)


def test_a_refused_snapshot_does_not_move_the_counter_order(site, tmp_path, mono):
    """Given a state.counter of rev 9 refused (its last_call is another counter's), when a
    valid one of rev 6 comes, then it is shown: a refused payload changes nothing."""
    state = make(site, tmp_path, mono)
    assert state.receive(counter(9, 3, "A-012", call(41, counter=1))) == []
    state.receive(counter(6, 3, "D-001", call(40, "D-001")))
    assert shown(state, 3) == ("D-001", False)


def test_earlier_calls_of_the_day_stay_in_the_recent_list(site, tmp_path, mono):
    """Given counter 3 called A-012 and then A-013, when its snapshot for A-013 arrives,
    then A-012 is still among the recent calls: a visitor who missed theirs can see it."""
    state = make(site, tmp_path, mono)
    state.receive(beat(T0 + 60_000))
    first, second = call(41, "A-012", at=T0), call(42, "A-013", at=T0 + 30_000)
    state.receive(called(first))
    state.receive(called(second))
    state.receive(serving(5, second, at=T0 + 30_000))
    view = state.view()
    assert view.latest.number == "A-013" and [c.number for c in view.recent] == ["A-012"]


def prio_call(call_id, number, kind="elderly", **kw):
    return {**call(call_id, number, **kw), "priority": kind}


def tile(state, cid):
    (t,) = [c for c in state.view().counters if c.counter == cid]
    return t


def test_a_priority_call_is_marked_on_its_counter_in_the_latest_and_in_the_recent_list(
        site, tmp_path, mono):
    # given a regular call, then a priority ticket of the same prefix called at counter 3
    state = make(site, tmp_path, mono)
    state.receive(beat())
    state.receive(serving(1, call(40, "A-001")))
    assert tile(state, 3).priority is None
    state.receive(called(prio_call(41, "A-015")))
    # then the counter, the latest call and (once it is older) the recent list say priority
    assert (tile(state, 3).number, tile(state, 3).priority) == ("A-015", "elderly")
    assert state.view().latest.priority == "elderly"
    state.receive(serving(2, prio_call(41, "A-015")))          # the snapshot confirms it
    assert tile(state, 3).priority == "elderly"
    state.receive(called(call(42, "A-002")))
    assert (tile(state, 3).number, tile(state, 3).priority) == ("A-002", None)
    assert [c.priority for c in state.view().recent] == ["elderly", None]
    # a snapshot whose ticket is done shows no number and so no mark
    state.receive(counter(3, 3, None, prio_call(43, "A-016")))
    assert (tile(state, 3).number, tile(state, 3).priority) == (None, None)


def test_a_call_from_an_older_hub_without_priority_is_regular(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(called(call(40, "A-001")))           # no "priority" key at all
    assert state.view().latest.priority is None and tile(state, 3).priority is None
