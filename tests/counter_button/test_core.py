"""The button box's state machine: events in, actions out (no GPIO, no MQTT)."""
import pytest

from antrean.messages import Reply, StateCounter
from antrean.protocol import decode, encode
from counter_button.core import ButtonCore, Led, Pattern, Send


def online_core(counters=(1, 2), t=0.0) -> ButtonCore:
    core = ButtonCore(counters)
    core.start(t)
    core.link(True, t)
    core.heartbeat(t)
    return core


DB = 2964123357


def state(counter, rev, number=None, *, paused=False, epoch=1, at=1_000, db=DB):
    """A ``state.counter`` snapshot as the controller hands it over: encoded and decoded."""
    return decode(encode("state.counter", db=db, epoch=epoch, rev=rev, at=at, counter=counter,
                         paused=paused, number=number, service="KTP" if number else None,
                         call_id=1 if number else None, last_call=None), (StateCounter,))


def sends(actions):
    return [a for a in actions if isinstance(a, Send)]


def leds(actions):
    return {a.counter: a.pattern for a in actions if isinstance(a, Led)}


CALL = {"call_id": 7, "ticket": "d.KTP.12", "number": "A-012", "service": "KTP",
        "counter": 1, "recall": 0, "at": 5_000}


TICKET = {"id": "2027-01-15.KTP.1", "number": "A-001", "service": "KTP", "day": "2027-01-15",
          "seq": 1, "status": "skipped", "issued_at": 1_000, "counter": 1}


def ok(result):
    """A reply as the command channel hands it over: encoded and decoded."""
    return decode(encode("reply", id="x", ok=True, result=result), (Reply,))


def refused(code):
    return decode(encode("reply", id="x", ok=False, error={"code": code, "message": "..."}),
                  (Reply,))


def test_starts_offline_and_fast_blinks_until_link_and_heartbeat():
    core = ButtonCore((1, 2))
    assert leds(core.start(0)) == {1: Pattern.FAST, 2: Pattern.FAST}
    assert core.link(True, 0) == []                       # still no heartbeat
    assert leds(core.heartbeat(0.5)) == {1: Pattern.OFF, 2: Pattern.OFF}


def test_next_sends_once_waits_slow_then_steady_on_call():
    core = online_core()
    actions = core.press(1, "next", 1.0)
    (send,) = sends(actions)
    assert (send.counter, send.mtype) == (1, "counter.next")
    assert leds(actions) == {1: Pattern.SLOW}
    assert leds(core.reply(1, send.token, ok({"call": CALL}), 1.1)) == {1: Pattern.ON}


def test_press_while_in_flight_sends_nothing_other_counter_still_works():
    core = online_core()
    core.press(1, "next", 1.0)
    assert core.press(1, "next", 1.01) == []
    assert core.press(1, "recall", 1.02) == []
    assert [s.mtype for s in sends(core.press(2, "recall", 1.03))] == ["counter.recall"]


def test_press_while_offline_sends_nothing_and_led_blinks_fast():
    core = online_core()
    core.link(False, 1.0)
    assert sends(core.press(1, "next", 1.1)) == []
    assert core.pattern(1, 1.1) is Pattern.FAST


def test_missing_heartbeat_for_five_seconds_is_offline():
    core = online_core(t=0.0)
    assert core.tick(5.0) == []
    assert leds(core.tick(5.1)) == {1: Pattern.FAST, 2: Pattern.FAST}
    assert sends(core.press(1, "next", 5.2)) == []
    assert leds(core.heartbeat(6.0)) == {1: Pattern.OFF, 2: Pattern.OFF}


def test_timeout_blinks_fast_for_a_while_and_nothing_is_resent():
    core = online_core()
    (send,) = sends(core.press(1, "next", 1.0))
    actions = core.reply(1, send.token, None, 5.0)
    assert sends(actions) == [] and leds(actions) == {1: Pattern.FAST}
    core.heartbeat(5.0)
    assert leds(core.tick(5.0 + core.error_s + 0.01)) == {1: Pattern.OFF}
    # a late reply to the timed-out command changes nothing
    assert core.reply(1, send.token, ok({"call": CALL}), 9.0) == []


@pytest.mark.parametrize("kind, reply", [
    ("recall", refused("nothing_to_recall")),
    ("next", refused("counter_paused")),
    ("next", ok({"call": None})),               # nobody waiting
])
def test_refusals_double_flash_then_revert(kind, reply):
    core = online_core()
    (send,) = sends(core.press(1, kind, 1.0))
    assert leds(core.reply(1, send.token, reply, 1.1)) == {1: Pattern.REFUSED}
    assert core.tick(1.1 + core.refused_s - 0.01) == []
    assert leds(core.tick(1.1 + core.refused_s)) == {1: Pattern.OFF}


def test_refused_twice_flashes_twice():
    core = online_core()
    for t in (1.0, 1.2):
        (send,) = sends(core.press(1, "recall", t))
        assert leds(core.reply(1, send.token, refused("nothing_to_recall"), t + 0.05)) == \
            {1: Pattern.REFUSED}


@pytest.mark.parametrize("code", ["stale", "internal", "not_allowed", "bad_payload"])
def test_error_replies_blink_fast(code):
    core = online_core()
    (send,) = sends(core.press(1, "next", 1.0))
    assert leds(core.reply(1, send.token, refused(code), 1.1)) == {1: Pattern.FAST}
    assert core.status(1.1)["1"]["last_error"] == code


def test_pause_toggles_between_pause_and_resume():
    core = online_core()
    (send,) = sends(core.press(1, "pause", 1.0))
    assert send.mtype == "counter.pause"
    paused = ok({"counter": {"counter": 1, "paused": True, "ticket": None}})
    assert leds(core.reply(1, send.token, paused, 1.1)) == {1: Pattern.OFF}
    (send,) = sends(core.press(1, "pause", 2.0))
    assert send.mtype == "counter.resume"


def test_skip_with_nobody_next_turns_off_without_flash():
    core = online_core()
    core.counter_state(state(1, 1, "A-001"), 0.5)
    (send,) = sends(core.press(1, "skip", 1.0))
    assert send.mtype == "counter.skip"
    result = ok({"call": None, "skipped": TICKET})
    assert leds(core.reply(1, send.token, result, 1.1)) == {1: Pattern.OFF}


def test_snapshot_sets_leds_and_older_ones_are_ignored():
    core = online_core()
    assert leds(core.counter_state(state(1, 5, "A-003"), 1)) == {1: Pattern.ON}
    assert core.counter_state(state(2, 6, "B-001", paused=True), 1) == []   # paused: still off
    assert core.counter_state(state(1, 4), 1) == []
    assert core.counter_state(state(1, 5), 1) == []
    # a hub restart: a new epoch starts its revs again
    assert leds(core.counter_state(state(1, 1, epoch=2), 1)) == {1: Pattern.OFF}


def test_each_counter_orders_its_own_snapshots():
    # given counter 1 at rev 5
    core = online_core()
    core.counter_state(state(1, 5, "A-003"), 1)
    # when counter 2's snapshots come with lower and higher revs (revs count across topics)
    assert leds(core.counter_state(state(2, 3, "B-001"), 1)) == {2: Pattern.ON}
    assert leds(core.counter_state(state(2, 9), 1.1)) == {2: Pattern.OFF}
    # and an old one of counter 1 arrives after counter 2's newer one
    assert core.counter_state(state(1, 4), 1.2) == []
    # then counter 1 kept its state while counter 2 took its news
    assert core.pattern(1, 1.2) is Pattern.ON and core.pattern(2, 1.2) is Pattern.OFF


def test_another_hub_database_forgets_the_order():
    # given snapshots of a hub database with a late epoch
    core = online_core()
    core.counter_state(state(1, 50, "A-003", epoch=9), 1)
    core.counter_state(state(2, 51, "B-001", epoch=9), 1)
    # when the hall's hub runs on another database, whose epochs say nothing of the old
    assert leds(core.counter_state(state(1, 1, epoch=1, db=DB + 1), 2)) == {1: Pattern.OFF}
    # then every counter takes the new database's snapshots as they come, in their order
    assert leds(core.counter_state(state(2, 2, "B-007", paused=True, db=DB + 1), 2)) == \
        {2: Pattern.OFF}
    assert core.counter_state(state(2, 2, "B-008", db=DB + 1), 2) == []
    assert core.status(2)["2"] == {"led": "off", "paused": True, "number": "B-007",
                                   "last_error": None}


def test_snapshot_of_a_counter_not_on_this_box_is_ignored():
    core = online_core()
    assert core.counter_state(state(9, 1, "A-001"), 1) == []
    assert set(core.status(1)) == {"1", "2"}


def test_snapshot_older_than_a_reply_does_not_undo_it():
    core = online_core()
    (send,) = sends(core.press(1, "next", 1.0))
    core.reply(1, send.token, ok({"call": CALL}), 1.1)           # call at hub time 5000
    assert core.counter_state(state(1, 9, at=4_999), 1.2) == []
    assert core.pattern(1, 1.2) is Pattern.ON
    assert leds(core.counter_state(state(1, 10, at=6_000), 1.3)) == {1: Pattern.OFF}


def test_unknown_counter_or_kind_is_ignored():
    core = online_core()
    assert core.press(9, "next", 1) == []
    assert core.press(1, "dance", 1) == []
    assert core.reply(1, 12345, ok({}), 1) == []
