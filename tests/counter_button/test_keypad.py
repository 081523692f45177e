"""Debouncing and the long press on RECALL, on plain timestamps."""
from counter_button.keypad import Keypad, Switch


def presses(keypad, events):
    out = []
    for counter, button, pressed, t in events:
        kind = keypad.edge(counter, button, pressed, t)
        if kind:
            out.append(kind)
    return out


def bouncy(counter, button, t0, *, hold=0.2, bounces=4, step=0.001):
    """A press and release, each with contact bounce."""
    events = []
    for start, final in ((t0, True), (t0 + hold, False)):
        for i in range(bounces * 2 + 1):
            state = final if i % 2 == 0 else not final
            events.append((counter, button, state, start + i * step))
    return events


def test_bounce_on_press_and_release_is_one_press():
    keypad = Keypad({1: ("next", "recall")})
    assert presses(keypad, bouncy(1, "next", 10.0)) == ["next"]


def test_two_real_presses_are_two():
    keypad = Keypad({1: ("next", "recall")})
    assert presses(keypad, bouncy(1, "next", 10.0) + bouncy(1, "next", 10.5)) == \
        ["next", "next"]


def test_recall_fires_on_release_once_despite_bounce():
    keypad = Keypad({1: ("next", "recall")})
    events = bouncy(1, "recall", 10.0)
    press_part = [e for e in events if e[3] < 10.1]
    assert presses(keypad, press_part) == []
    assert presses(keypad, [e for e in events if e[3] >= 10.1]) == ["recall"]


def test_held_recall_is_skip_and_its_release_is_nothing():
    keypad = Keypad({1: ("next", "recall")})
    assert keypad.edge(1, "recall", True, 10.0) is None
    assert keypad.held(1, "recall") == "skip"
    assert keypad.held(1, "recall") is None             # gpiozero repeating: still one
    assert keypad.edge(1, "recall", False, 12.0) is None


def test_without_long_press_recall_fires_on_press():
    keypad = Keypad({1: ("recall",)}, long_press=False)
    assert keypad.edge(1, "recall", True, 1.0) == "recall"
    assert keypad.held(1, "recall") is None


def test_release_lost_in_bounce_does_not_swallow_the_next_press():
    switch = Switch(debounce_s=0.05)
    assert switch.edge(True, 1.0)
    assert not switch.edge(False, 1.02)      # a too-short tap: its release looks like bounce
    assert switch.edge(True, 2.0) and switch.down


def test_counters_are_independent_and_unknown_buttons_ignored():
    keypad = Keypad({1: ("next",), 2: ("next",)})
    assert keypad.edge(1, "next", True, 1.0) == "next"
    assert keypad.edge(2, "next", True, 1.001) == "next"
    assert keypad.edge(3, "next", True, 1.002) is None
    assert keypad.edge(1, "pause", True, 1.003) is None
