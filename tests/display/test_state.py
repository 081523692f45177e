"""The display core: snapshot order, the banner, what is announced (once, ever)."""
from __future__ import annotations

import pytest

from antrean.clock import HubClock
from antrean.errors import ConfigError
from antrean.protocol import encode
from display.memory import AnnounceMemory
from display.state import DisplaySettings, DisplayState, shown_counters
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


def hall(rev, calls=(), counters=None, epoch=7, at=T0):
    return encode("state.hall", epoch=epoch, rev=rev, at=at,
                  counters=counters if counters is not None else {}, calls=list(calls))


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


def test_a_newer_snapshot_is_shown_and_an_older_or_equal_one_is_ignored(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(hall(10, counters={"3": {"paused": False, "number": "D-002", "call_id": 2}}))
    state.receive(hall(9, counters={"3": {"paused": False, "number": "D-001", "call_id": 1}}))
    state.receive(hall(10, counters={"3": {"paused": False, "number": "D-009", "call_id": 9}}))
    assert state.view().counters[2].number == "D-002"
    # A new epoch (the hub restarted) wins even with a lower rev.
    state.receive(hall(1, epoch=8, counters={"3": {"paused": True, "number": None,
                                                   "call_id": 2}}))
    shown = state.view().counters[2]
    assert (shown.number, shown.paused) == (None, True)


def test_the_view_lists_the_display_counters_with_names_and_agencies(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(hall(1, counters={"1": {"paused": False, "number": "A-003", "call_id": 5}}))
    view = state.view()
    assert [(c.counter, c.name, c.agency, c.number) for c in view.counters] == [
        (1, "Loket 1", "Disdukcapil", "A-003"), (2, "Loket 2", "Disdukcapil", None),
        (3, "Loket 3", "Perumda Air Minum", None)]


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


def test_a_call_is_announced_once_from_the_event_and_not_again_from_the_snapshot(
        site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(beat())
    assert ids(state.receive(called(call(41)))) == [41]
    assert state.receive(called(call(41))) == []           # QoS 1 redelivery
    assert state.receive(hall(5, [call(41)])) == []
    assert state.memory.last() == 41
    assert state.view().latest.number == "A-012"


def test_a_recall_is_a_new_call_and_is_announced(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(beat())
    state.receive(called(call(41)))
    assert ids(state.receive(called(call(42, recall=1, at=T0 + 100)))) == [42]


def test_calls_older_than_the_maximum_age_are_not_announced(site, tmp_path, mono):
    state = make(site, tmp_path, mono, max_age_s=60)
    state.receive(beat(T0 + 61_000))
    assert state.receive(called(call(41, at=T0))) == []
    assert ids(state.receive(called(call(42, at=T0 + 2_000)))) == [42]


def test_a_live_snapshot_waits_for_the_hub_clock_to_judge_ages(site, tmp_path, mono):
    state = make(site, tmp_path, mono, max_age_s=60)
    old, recent = call(40, "A-010", at=T0 - 300_000), call(41, "A-011", at=T0 - 10_000)
    assert state.receive(hall(5, [recent, old])) == []      # age unknown yet
    assert state.view().latest.call_id == 41                 # but shown at once
    assert ids(state.receive(beat(T0))) == [41]


def test_calls_replayed_by_the_broker_on_reconnect_are_shown_never_spoken(
        site, tmp_path, mono):
    """Given a display that was cut off while calls happened (all still younger than the
    maximum age), when the broker replays the retained hall snapshot on reconnect, then the
    calls are on screen but none is spoken; the next live call is."""
    state = make(site, tmp_path, mono, max_age_s=60)
    state.receive(beat(T0))
    assert ids(state.receive(called(call(40, "A-010", at=T0)))) == [40]
    missed = [call(i, f"A-0{i}", at=T0 + (i - 40) * 1000) for i in range(41, 61)]
    state.receive(beat(T0 + 25_000))
    assert state.receive(hall(9, missed), retained=True) == []
    assert state.view().latest.call_id == 60
    assert state.receive(beat(T0 + 26_000)) == []
    assert state.receive(called(call(55, "A-055", at=T0 + 15_000))) == []
    assert ids(state.receive(called(call(61, "A-061", at=T0 + 26_500)))) == [61]


def test_after_a_reboot_the_retained_calls_are_not_announced_again(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(beat())
    assert ids(state.receive(hall(5, [call(41), call(40, "A-011")]))) == [40, 41]
    # The process dies; a new one starts from the same memory file and gets the same
    # retained snapshot (the broker restarted too: a new connection, same retained state).
    again = make(site, tmp_path, Ticking())
    assert again.receive(hall(5, [call(41), call(40, "A-011")])) == []
    assert again.receive(beat()) == []
    assert again.receive(called(call(41))) == []
    assert ids(again.receive(called(call(42, at=T0 + 500)))) == [42]


def test_memory_is_raised_before_the_call_is_handed_out(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(beat())
    state.receive(called(call(41)))
    # What a crash right now would leave behind: the file already says 41.
    assert AnnounceMemory(tmp_path / "mem.json").last() == 41


def test_calls_of_other_counters_are_neither_shown_nor_announced_on_a_counter_display(
        site, tmp_path, mono):
    state = make(site, tmp_path, mono, device="display-3")
    state.receive(beat())
    assert state.receive(called(call(41, "A-001", counter=1))) == []
    assert ids(state.receive(called(call(42, "D-001", counter=3)))) == [42]
    view = state.view()
    assert [c.counter for c in view.counters] == [3]
    assert view.latest.number == "D-001" and view.recent == ()


def test_an_event_shows_before_the_snapshot_catches_up(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(hall(5, counters={"3": {"paused": False, "number": "D-001", "call_id": 40}},
                       calls=[call(40, "D-001")]))
    state.receive(called(call(41, "D-002")))
    assert state.view().counters[2].number == "D-002"
    # A snapshot taken before the call does not hide it; the one after confirms it.
    state.receive(hall(6, counters={"3": {"paused": False, "number": "D-001", "call_id": 40}},
                       calls=[call(40, "D-001")]))
    assert state.view().counters[2].number == "D-002"
    assert ids(state.view().recent) == [40]


def test_bad_payloads_are_refused_without_changing_anything(site, tmp_path, mono):
    state = make(site, tmp_path, mono)
    state.receive(beat())
    for bad in (b"", b"{", b'{"v":2,"type":"called"}', encode("called", call={"call_id": "x"}),
                encode("reply", id=None, ok=True)):
        assert state.receive(bad) == []
    assert state.view().latest is None and state.memory.last() is None


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
    spoken = state.receive(encode("called", db=11, call=call(50)))
    assert [c.call_id for c in spoken] == [50]
    state.receive(encode("clock", db=22, epoch=1, rev=1, now=T0, tz="Asia/Jakarta"))
    first = encode("state.hall", db=22, epoch=1, rev=2, at=T0, counters={"3": {
        "paused": False, "number": "A-001", "service": "KTP", "call_id": 1}},
        calls=[call(1, "A-001")])
    assert [c.call_id for c in state.receive(first)] == [1]
    assert state.view().latest.number == "A-001"
    assert state.receive(encode("called", db=22, call=call(1, "A-001"))) == []
    assert (state.memory.db(), state.memory.last()) == (22, 1)


def test_a_counter_done_with_its_ticket_shows_idle_or_paused_not_its_last_number(site, tmp_path,
                                                                                 mono):
    """Given counter 3 called A-012 (event and snapshot), when the hub's next snapshot says
    it serves nobody and is paused, then the display shows no number and the pause."""
    state = make(site, tmp_path, mono)
    state.receive(beat())
    state.receive(called(call(41)))
    serving = {"3": {"paused": False, "number": "A-012", "service": "KTP", "call_id": 41}}
    state.receive(hall(2, [call(41)], serving))
    assert [c.number for c in state.view().counters if c.counter == 3] == ["A-012"]
    done = {"3": {"paused": True, "number": None, "service": None, "call_id": None}}
    state.receive(hall(3, [call(41)], done))
    (three,) = [c for c in state.view().counters if c.counter == 3]
    assert (three.number, three.paused) == (None, True)
    state.receive(called(call(42, "A-013")))          # a newer call shows at once
    assert [c.number for c in state.view().counters if c.counter == 3] == ["A-013"]
