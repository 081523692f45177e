"""The button box's state machine: events in, actions out (no GPIO, no MQTT)."""
import pytest

from counter_button.core import ButtonCore, Led, Pattern, Send


def online_core(counters=(1, 2), t=0.0) -> ButtonCore:
    core = ButtonCore(counters)
    core.start(t)
    core.link(True, t)
    core.heartbeat(t)
    return core


def hall(rev, counters, *, epoch=1, at=1_000):
    return {"epoch": epoch, "rev": rev, "at": at, "counters": counters, "calls": []}


def sends(actions):
    return [a for a in actions if isinstance(a, Send)]


def leds(actions):
    return {a.counter: a.pattern for a in actions if isinstance(a, Led)}


CALL = {"call_id": 7, "ticket": "d.KTP.12", "number": "A-012", "service": "KTP",
        "counter": 1, "recall": 0, "at": 5_000}


def ok(result):
    return {"v": 1, "type": "reply", "id": "x", "ok": True, "result": result}


def refused(code):
    return {"v": 1, "type": "reply", "id": "x", "ok": False,
            "error": {"code": code, "message": "..."}}


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
    core.hall(hall(1, {"1": {"paused": False, "number": "A-001"}}), 0.5)
    (send,) = sends(core.press(1, "skip", 1.0))
    assert send.mtype == "counter.skip"
    result = ok({"call": None, "skipped": {"number": "A-001"}})
    assert leds(core.reply(1, send.token, result, 1.1)) == {1: Pattern.OFF}


def test_hall_snapshot_sets_leds_and_older_ones_are_ignored():
    core = online_core()
    assert leds(core.hall(hall(5, {"1": {"paused": False, "number": "A-003"},
                                   "2": {"paused": True, "number": "B-001"}}), 1)) == \
        {1: Pattern.ON}
    assert core.hall(hall(4, {"1": {"paused": False, "number": None}}), 1) == []
    assert core.hall(hall(5, {"1": {"paused": False, "number": None}}), 1) == []
    # a hub restart: a new epoch starts its revs again
    assert leds(core.hall(hall(1, {"1": {"paused": False, "number": None}}, epoch=2), 1)) == \
        {1: Pattern.OFF}


def test_snapshot_older_than_a_reply_does_not_undo_it():
    core = online_core()
    (send,) = sends(core.press(1, "next", 1.0))
    core.reply(1, send.token, ok({"call": CALL}), 1.1)           # call at hub time 5000
    assert core.hall(hall(9, {"1": {"paused": False, "number": None}}, at=4_999), 1.2) == []
    assert core.pattern(1, 1.2) is Pattern.ON
    assert leds(core.hall(hall(10, {"1": {"paused": False, "number": None}}, at=6_000),
                          1.3)) == {1: Pattern.OFF}


def test_bad_snapshot_entries_are_ignored_not_fatal():
    core = online_core()
    core.hall(hall(1, {"1": "junk", "2": {"paused": "yes", "number": 12}}), 1)
    assert core.pattern(1, 1) is Pattern.OFF and core.pattern(2, 1) is Pattern.OFF


def test_unknown_counter_or_kind_is_ignored():
    core = online_core()
    assert core.press(9, "next", 1) == []
    assert core.press(1, "dance", 1) == []
    assert core.reply(1, 12345, ok({}), 1) == []
