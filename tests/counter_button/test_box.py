"""The gpiozero adapter on MockFactory pins: edges out, LED patterns on the LED pin."""
import threading

import pytest

from counter_button.box import GpioBox
from counter_button.core import Pattern
from counter_button.wiring import CounterPins

WIRING = [CounterPins(1, next=17, recall=27, led=23), CounterPins(2, next=5, recall=6, led=19,
                                                                   skip=13)]


class Edges:
    def __init__(self):
        self.got = []
        self.cond = threading.Condition()

    def edge(self, counter, button, pressed, t):
        with self.cond:
            self.got.append((counter, button, pressed))
            self.cond.notify_all()

    def held(self, counter, button):
        with self.cond:
            self.got.append((counter, button, "held"))
            self.cond.notify_all()

    def wait_for(self, item, timeout=5.0):
        with self.cond:
            return self.cond.wait_for(lambda: item in self.got, timeout)


@pytest.fixture
def edges():
    return Edges()


@pytest.fixture
def box(mock_factory, edges):
    b = GpioBox(WIRING, on_edge=edges.edge, on_held=edges.held, hold_time=0.2)
    yield b
    b.close()


def test_buttons_report_press_and_release_edges(box, edges, mock_factory):
    pin = mock_factory.pin(17)
    pin.drive_low()
    pin.drive_high()
    assert edges.got == [(1, "next", True), (1, "next", False)]


def test_held_recall_is_reported(box, edges, mock_factory):
    mock_factory.pin(27).drive_low()
    assert edges.wait_for((1, "recall", "held"), timeout=3)
    mock_factory.pin(27).drive_high()
    # NEXT has no long press
    mock_factory.pin(17).drive_low()
    mock_factory.pin(17).drive_high()
    assert (1, "next", "held") not in edges.got


def test_buttons_use_the_internal_pull_up(box, mock_factory):
    assert mock_factory.pin(17).pull == "up" and mock_factory.pin(13).pull == "up"


def test_steady_and_off(box, mock_factory):
    led = mock_factory.pin(23)
    box.show(1, Pattern.ON)
    assert led.state and box.lit(1)
    box.show(1, Pattern.OFF)
    assert not led.state and not box.lit(1)


@pytest.mark.parametrize("pattern, period", [(Pattern.SLOW, 0.5), (Pattern.FAST, 0.1)])
def test_blinks(box, mock_factory, pattern, period):
    led = mock_factory.pin(23)
    led.clear_states()
    box.show(1, pattern)
    assert led.wait_changes(5)
    box.show(1, Pattern.OFF)
    led.assert_states_and_times([(0.0, False), (0.0, True), (period, False), (period, True),
                                 (period, False), (period, True)])


def test_double_flash_starts_dark_even_over_a_lit_led(box, mock_factory):
    led = mock_factory.pin(23)
    box.show(1, Pattern.ON)
    led.clear_states()
    box.show(1, Pattern.REFUSED)
    assert led.wait_changes(5)
    # lit -> dark at once, two 0.1 s flashes 0.1 s apart, then dark
    led.assert_states_and_times([(0.0, True), (0.0, False), (0.2, True), (0.1, False),
                                 (0.1, True), (0.1, False)])
    box.show(1, Pattern.ON)      # the core reverts to the base pattern after the flash
    assert led.state


def test_each_counter_has_its_own_led(box, mock_factory):
    box.show(2, Pattern.ON)
    assert mock_factory.pin(19).state and not mock_factory.pin(23).state


def test_close_releases_the_pins(mock_factory, edges):
    first = GpioBox(WIRING, on_edge=edges.edge, on_held=edges.held)
    first.close()
    again = GpioBox(WIRING, on_edge=edges.edge, on_held=edges.held)   # no "pin in use"
    again.close()


def test_a_pin_in_use_is_a_hardware_error(mock_factory, edges):
    from gpiozero import LED

    from antrean.errors import HardwareError
    taken = LED(23)
    try:
        with pytest.raises(HardwareError, match="GPIO"):
            GpioBox(WIRING, on_edge=edges.edge, on_held=edges.held)
    finally:
        taken.close()
