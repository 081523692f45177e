"""The virtual finger's keys and strokes."""
from counter_button.finger import TAP_S, counter_for, parse_line, stroke
from counter_button.wiring import CounterPins


def test_digits_pick_the_loket_number_or_the_nth_counter():
    assert counter_for("2", [1, 2, 3]) == 2
    assert counter_for("1", [5, 6, 7, 8]) == 5
    assert counter_for("9", [5, 6]) is None


def test_lines():
    assert parse_line("1n\n", [1, 2, 3], 2) == (1, ["next"])
    assert parse_line("r", [1, 2, 3], 2) == (2, ["recall"])
    assert parse_line("3", [1, 2, 3], 1) == (3, [])
    assert parse_line("3 s p", [1, 2, 3], 1) == (3, ["skip", "pause"])
    assert parse_line("1x", [1, 2, 3], 1) is None
    assert parse_line("7n", [1, 2, 3], 1) is None


def test_skip_without_its_pin_is_a_long_recall():
    pins = CounterPins(1, next=17, recall=27, led=23)
    assert stroke(pins, "next", 1.5).pin == 17 and stroke(pins, "next", 1.5).hold_s == TAP_S
    long = stroke(pins, "skip", 1.5)
    assert long.pin == 27 and long.hold_s > 1.5
    assert stroke(pins, "skip", 0) is None          # no long press configured
    assert stroke(pins, "pause", 1.5) is None       # not wired
    assert stroke(CounterPins(1, 17, 27, 23, skip=13), "skip", 1.5).pin == 13
