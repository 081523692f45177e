"""Pins from the site config: checked, with a clear message naming the key."""
import pytest

from antrean.errors import ConfigError
from antrean.site import ButtonBox
from counter_button.wiring import pins_of


def box(pins, counters=(1, 2)):
    return ButtonBox("box-1", counters=counters, pins=pins)


def test_reads_required_and_optional_pins():
    pins = pins_of(box({"1": {"next": 17, "recall": 27, "led": 23},
                        "2": {"next": 5, "recall": 6, "skip": 13, "pause": 12, "led": 19}}))
    assert [(p.counter, p.skip, p.pause) for p in pins] == [(1, None, None), (2, 13, 12)]
    assert pins[0].buttons() == {"next": 17, "recall": 27}


@pytest.mark.parametrize("pins, key, words", [
    ({"1": {"next": 17, "led": 23}, "2": {"next": 5, "recall": 6, "led": 19}},
     "button_boxes[box-1].pins.1.recall", "missing"),
    ({"1": {"next": 17, "recall": 27, "led": 40}, "2": {"next": 5, "recall": 6, "led": 19}},
     "button_boxes[box-1].pins.1.led", "2-27"),
    ({"1": {"next": 17, "recall": 27, "led": 23, "beep": 4},
      "2": {"next": 5, "recall": 6, "led": 19}}, "button_boxes[box-1].pins.1.beep", "unknown"),
    ({"1": {"next": 17, "recall": 27, "led": 23}, "2": {"next": 17, "recall": 6, "led": 19}},
     "button_boxes[box-1].pins.2.next", "used twice"),
    ({"1": {"next": 17, "recall": 27, "led": 23}}, "button_boxes[box-1].pins", "counter 2"),
    ({"1": {"next": True, "recall": 27, "led": 23}, "2": {"next": 5, "recall": 6, "led": 19}},
     "button_boxes[box-1].pins.1.next", "BCM"),
])
def test_bad_pins_name_the_key(pins, key, words):
    with pytest.raises(ConfigError) as e:
        pins_of(box(pins), source="hall.toml")
    assert e.value.key == key and words in str(e.value) and "hall.toml" in str(e.value)


def test_virtual_fills_missing_pins_and_a_pause_button_on_free_pins():
    pins = pins_of(box({"1": {"next": 17, "recall": 27, "led": 23}}), virtual=True)
    used = [pin for p in pins for pin in (*p.buttons().values(), p.led)]
    assert len(used) == len(set(used))
    assert all(p.pause is not None for p in pins)
    assert pins[1].skip == 13             # counter 2 got the example plan's second row
