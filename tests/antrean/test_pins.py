"""antrean/pins.py: the one check of a button box's pins, made by `antrean config check` and
by `antrean counter` alike."""
from pathlib import Path

import pytest

from antrean.config import check_site, load_site
from antrean.errors import ConfigError
from antrean.pins import pin_error, pin_problems
from antrean.site import ButtonBox
from counter_button.wiring import pins_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MINI = (EXAMPLES / "mini-hall.toml").read_text(encoding="utf-8")
GOOD = {"1": {"next": 17, "recall": 27, "led": 23}, "2": {"next": 5, "recall": 6, "led": 19}}


@pytest.mark.parametrize("pin", range(2, 28))
def test_every_header_gpio_but_the_eeprom_pair_is_a_pin(pin):
    assert pin_error(pin) is None


@pytest.mark.parametrize("value, says", [
    (0, "HAT ID EEPROM"), (1, "HAT ID EEPROM"), (28, "does not exist"), (99, "does not exist"),
    (-1, "does not exist"), (True, "BCM GPIO number"), ("17", 'not the text "17"'),
    (17.0, "not the number 17.0"),
])
def test_numbers_that_are_no_usable_pin(value, says):
    assert says in pin_error(value)


def test_a_header_position_gets_the_gpio_it_is():
    assert pin_error(11) is None          # GPIO11 itself, though header pin 11 is GPIO17
    assert "header pin 33 is GPIO13: write 13" in pin_error(33)
    assert "header pin" not in pin_error(28)      # header pin 28 is ID_SC: no hint to it


def test_problems_are_all_listed_with_their_key():
    pins = {"1": {"next": 17, "recall": 99, "led": 17}, "3": {"next": 4, "recall": 5, "led": 6}}
    found = [(p.key, p.message.split(";")[0]) for p in pin_problems(pins, [1, 2])]
    assert found == [
        (("3",), "pins for counter '3', which this box does not list in counters"),
        (("1", "recall"), "recall: GPIO 99 does not exist on the Raspberry Pi's 40-pin header"),
        (("1", "led"), "GPIO 17 is used twice in this box: counter 1 next and counter 1 led"),
        ((), "no pins for counter 2"),
    ]
    assert [p.key for p in pin_problems(pins, [1, 2], need_all=False)][-1] == ("1", "led")


BAD_BOXES = {
    "not on the header": {**GOOD, "2": {"next": 5, "recall": 6, "led": 99}},
    "EEPROM pin": {**GOOD, "2": {"next": 1, "recall": 6, "led": 19}},
    "twice across counters": {**GOOD, "2": {"next": 5, "recall": 6, "led": 23}},
    "twice in a counter": {**GOOD, "2": {"next": 5, "recall": 5, "led": 19}},
    "missing LED": {**GOOD, "2": {"next": 5, "recall": 6}},
    "no pins for a counter": {"1": GOOD["1"]},
}


def toml_box(pins: dict) -> str:
    """MINI with box-1 serving counters 1 and 2 with these pins."""
    head = MINI.index("[[button_boxes]]")
    rows = "".join(f"{c} = {{ {', '.join(f'{k} = {v}' for k, v in p.items())} }}\n"
                   for c, p in pins.items())
    return (MINI[:head] + '[[button_boxes]]\nid = "box-1"\n'
            f"counters = [1, 2]\n[button_boxes.pins]\n{rows}")


@pytest.mark.parametrize("pins", BAD_BOXES.values(), ids=list(BAD_BOXES))
def test_config_check_refuses_what_the_counter_refuses(tmp_path, pins):
    # Given a hall file whose box has bad pins.
    path = tmp_path / "hall.toml"
    path.write_text(toml_box(pins), encoding="utf-8")
    # When config check reads it, and the box would start with the same pins.
    checked = [p.message for p in check_site(path)]
    with pytest.raises(ConfigError) as refused:
        pins_of(ButtonBox("box-1", counters=(1, 2), pins=pins),
                source=str(path))
    # Then both say the same, and config check also gives the line.
    assert checked == [refused.value.message]
    assert check_site(path)[0].line is not None


def test_good_pins_pass_both_and_two_boxes_may_use_the_same_pins(tmp_path):
    path = tmp_path / "hall.toml"
    path.write_text(toml_box(GOOD), encoding="utf-8")
    assert check_site(path) == []
    site = load_site(EXAMPLES / "mpp-madiun.toml")
    boxes = list(site.button_boxes.values())
    assert boxes[0].pins["1"] == boxes[1].pins["5"]       # box-1 and box-2 wired alike
    for box in boxes:                 # every box config check passes also starts
        assert len(pins_of(box, source=site.source)) == len(box.counters)
