"""The box's loop: work from other threads runs in order, and nothing bad stops it."""
import threading

from antrean.clock import HubClock
from antrean.mqtt import Incoming
from antrean.protocol import encode
from counter_button.controller import Controller
from counter_button.core import ButtonCore
from counter_button.keypad import Keypad
from tests.counter_button.conftest import LedLog


def make():
    leds = LedLog()
    controller = Controller(ButtonCore([1]), Keypad({1: ("next", "recall")}), clock=HubClock(),
                            on_led=leds)
    controller.start()
    return controller, leds


def test_a_failing_job_is_logged_and_the_loop_goes_on(caplog):
    controller, leds = make()
    ran = threading.Event()
    try:
        controller.put(lambda: 1 / 0)
        controller.put(ran.set)
        assert ran.wait(5)
    finally:
        controller.stop()
    assert "ZeroDivisionError" in caplog.text


def test_heartbeats_and_bad_snapshots_through_the_handlers():
    controller, leds = make()
    clock = encode("clock", epoch=1, rev=1, now=1_800_000_000_000, tz="Asia/Jakarta")
    try:
        assert leds.wait_for(1, "fast")
        controller.put(lambda: controller.core.link(True, 0))   # as on_link would say
        controller.put(lambda: controller._on_clock(Incoming("t", clock, False, 0)))
        assert leds.wait_for(1, "off")
        assert controller.clock.synced
        done = threading.Event()
        controller.put(lambda: controller._on_hall(Incoming("t", b'{"v":1,"type":"state.hall"}',
                                                            True, 1)))
        controller.put(lambda: controller._on_clock(Incoming("t", b"junk", False, 0)))
        controller.put(done.set)
        assert done.wait(5) and leds.now(1) == "off"
    finally:
        controller.stop()
