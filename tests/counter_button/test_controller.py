"""The box's loop: work from other threads runs in order, and nothing bad stops it."""
import threading

from antrean.clock import HubClock
from antrean.mqtt import Incoming
from antrean.protocol import Topics, encode
from counter_button.controller import Controller
from counter_button.core import ButtonCore
from counter_button.keypad import Keypad
from tests.counter_button.conftest import LedLog


def snapshot(rev: int, number: str | None, paused=False) -> bytes:
    return encode("state.counter", db=7, epoch=1, rev=rev, at=1_800_000_000_000, counter=1,
                  paused=paused, number=number, service="KTP" if number else None,
                  call_id=1 if number else None, last_call=None)


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
        controller.put(lambda: controller._on_counter(Incoming("t", snapshot(1, "A-001"),
                                                               True, 1)))
        assert leds.wait_for(1, "on")
        done = threading.Event()
        for bad in (b'{"v":1,"type":"state.hall"}', snapshot(2, None, paused="yes")):
            controller.put(lambda bad=bad: controller._on_counter(Incoming("t", bad, True, 1)))
        controller.put(lambda: controller._on_clock(Incoming("t", b"junk", False, 0)))
        controller.put(done.set)
        assert done.wait(5) and leds.now(1) == "on"
    finally:
        controller.stop()


class FakeClient:
    """What ``attach_hub`` needs of a HallClient: topics and subscriptions."""

    def __init__(self):
        self.topics = Topics("mpp-test")
        self.subscribed: list[str] = []

    def subscribe(self, topic_filter, handler, qos=1):
        self.subscribed.append(topic_filter)

    def on_link(self, callback):
        pass


def test_subscribes_to_the_state_of_its_own_counters_only():
    client = FakeClient()
    controller = Controller(ButtonCore([2, 5]), Keypad({2: ("next",), 5: ("next",)}),
                            clock=HubClock())
    controller.attach_hub(client, channel=None)
    topics = client.topics
    assert sorted(client.subscribed) == sorted([topics.clock, topics.counter(2),
                                                topics.counter(5)])
