"""A whole button box (real gpiozero on MockFactory pins, real broker) against a stand-in hub.

Given / when / then: the box is online (heartbeats, link up), a finger drives the mock pins,
and we look at what reaches the hub and at the LED the box shows.

"Nothing more was sent" is proven by ordering, not by waiting: after the presses under test,
a sentinel press on another counter goes through the same loop and the same MQTT connection,
so once the sentinel's command has arrived, any extra command would have arrived before it.
"""
import threading

import pytest

from counter_button.app import CounterBox
from tests.counter_button.conftest import LedLog, call, ticket

FINGER_S = 0.1     # how long a finger rests on a button (physical time, not synchronisation)


def hold(seconds: float) -> None:
    threading.Event().wait(seconds)


def tap(pin) -> None:
    """A press and a release, then the finger lifts (no human presses twice within ms)."""
    pin.drive_low()
    hold(FINGER_S)
    pin.drive_high()
    hold(FINGER_S)


def bounce(pin, final_low: bool, times: int = 5) -> None:
    """Contact bounce: several edges within microseconds, ending in the final state."""
    for _ in range(times):
        pin.drive_low()
        pin.drive_high()
    if final_low:
        pin.drive_low()


@pytest.fixture
def leds():
    return LedLog()


@pytest.fixture
def make_box(hall_site, broker, mock_factory, leds):
    made = []

    def make(**kw) -> CounterBox:
        box = CounterBox(hall_site, "box-1", password=broker.passwords["box-1"],
                         host=broker.host, port=broker.port,
                         on_led=leds, **{"hold_time": 0.3, **kw})
        made.append(box)
        box.start()
        return box

    yield make
    for box in made:
        box.stop()


@pytest.fixture
def box(make_box, hub, leds):
    b = make_box()
    for counter in (1, 2, 3):
        assert leds.wait_for(counter, "off"), f"counter {counter} never came online"
    return b


def commands_for(hub, counter):
    return [c for c in hub.all_commands() if c.get("counter") == counter]


def sentinel(hub, mock_factory):
    """Press NEXT on counter 3 and wait until the hub has it (see the module docstring)."""
    before = len(commands_for(hub, 3))
    tap(mock_factory.pin(16))
    assert hub.command(lambda c: c["counter"] == 3 and len(commands_for(hub, 3)) > before)


def test_starts_fast_blinking_until_the_hub_is_heard(make_box, leds, hub):
    make_box()
    assert leds.wait_for(3, "fast")
    assert leds.seen[:3] == [(1, "fast"), (2, "fast"), (3, "fast")]
    assert leds.wait_for(1, "off")


def test_bouncing_press_and_release_send_exactly_one_command(box, hub, mock_factory, leds):
    pin = mock_factory.pin(17)
    bounce(pin, final_low=True)
    first = hub.command(lambda c: c["counter"] == 1)
    assert first["type"] == "counter.next"
    assert abs(first["sent_at"] - hub.now_ms) < 2_000      # on the hub's clock
    hub.reply("box-1", first, {"call": call(1, "A-001")})
    assert leds.wait_for(1, "on")
    hold(FINGER_S)
    pin.drive_high()
    bounce(pin, final_low=False)             # release bounce, after the answer came
    sentinel(hub, mock_factory)
    assert [c["id"] for c in commands_for(hub, 1)] == [first["id"]]


def test_press_while_in_flight_sends_nothing_and_blinks_slowly(box, hub, mock_factory, leds):
    tap(mock_factory.pin(17))
    first = hub.command(lambda c: c["counter"] == 1)
    assert leds.now(1) == "slow"
    tap(mock_factory.pin(17))
    tap(mock_factory.pin(27))                 # RECALL too
    sentinel(hub, mock_factory)
    assert len(commands_for(hub, 1)) == 1
    hub.reply("box-1", first, {"call": call(1, "A-001")})
    assert leds.wait_for(1, "on")
    led = mock_factory.pin(23)
    assert led.state


def test_press_while_broker_is_down_sends_nothing_now_or_later(box, hub, broker, mock_factory,
                                                              leds):
    broker.stop()
    assert leds.wait_for(1, "fast")
    tap(mock_factory.pin(17))
    assert leds.now(1) == "fast"
    broker.start()
    assert box.client.wait_connected(10) and hub.client.wait_connected(10)
    assert leds.wait_for(1, "off", timeout=10)
    sentinel(hub, mock_factory)
    assert commands_for(hub, 1) == []


def test_missing_heartbeat_means_offline(box, hub, mock_factory, leds):
    hub.pause_heartbeat()
    assert leds.wait_for(1, "fast", timeout=8)
    tap(mock_factory.pin(17))
    hub.resume_heartbeat()
    assert leds.wait_for(1, "off", timeout=5)
    sentinel(hub, mock_factory)
    assert commands_for(hub, 1) == []


def test_unanswered_command_shows_error_and_is_never_resent(make_box, hub, mock_factory, leds):
    make_box(reply_timeout_s=0.5)
    assert leds.wait_for(1, "off")
    tap(mock_factory.pin(17))
    first = hub.command(lambda c: c["counter"] == 1)
    assert leds.wait_for(1, "fast", timeout=3)
    assert leds.wait_for(1, "off", timeout=6)     # the error shows for a while, then clears
    hub.reply("box-1", first, {"call": call(1, "A-001")})   # too late: ignored
    sentinel(hub, mock_factory)
    assert [c["id"] for c in commands_for(hub, 1)] == [first["id"]]
    assert leds.now(1) == "off"


def test_refused_recall_double_flashes_the_led(box, hub, mock_factory, leds):
    led = mock_factory.pin(23)
    tap(mock_factory.pin(27))
    first = hub.command(lambda c: c["counter"] == 1)
    assert first["type"] == "counter.recall"
    led.clear_states()
    hub.reply("box-1", first, error="nothing_to_recall")
    assert leds.wait_for(1, "refused")
    assert leds.wait_for(1, "off")
    states = [s.state for s in led.states]
    assert states[-4:] == [True, False, True, False]


def test_long_press_on_recall_is_skip(box, hub, mock_factory, leds):
    pin = mock_factory.pin(27)
    pin.drive_low()
    skip = hub.command(lambda c: c["counter"] == 1)   # sent while still held
    assert skip["type"] == "counter.skip"
    hub.reply("box-1", skip, {"call": call(1, "A-002"), "skipped": ticket(1, "A-001")})
    assert leds.wait_for(1, "on")
    pin.drive_high()
    sentinel(hub, mock_factory)
    assert [c["type"] for c in commands_for(hub, 1)] == ["counter.skip"]


def test_own_skip_and_pause_buttons(box, hub, mock_factory, leds):
    tap(mock_factory.pin(13))
    skip = hub.command(lambda c: c["counter"] == 2)
    assert skip["type"] == "counter.skip"
    hub.reply("box-1", skip, {"call": call(2, "B-004"), "skipped": ticket(2, "B-003")})
    assert leds.wait_for(2, "on")
    tap(mock_factory.pin(12))
    pause = hub.command(lambda c: c["type"] == "counter.pause")
    assert pause["counter"] == 2
    hub.reply("box-1", pause, {"counter": {"counter": 2, "paused": True, "ticket": None}})
    assert leds.wait_for(2, "off")
    tap(mock_factory.pin(12))                 # the same button again: resume
    assert hub.command(lambda c: c["type"] == "counter.resume" and c["counter"] == 2)


def test_snapshot_drives_the_led(box, hub, mock_factory, leds):
    hub.counter(1, number="A-007", call_id=3)
    hub.counter(2, paused=True)
    hub.counter(3)
    assert leds.wait_for(1, "on")
    assert mock_factory.pin(23).state and not mock_factory.pin(19).state


def test_health_reports_each_counters_led(box, hub, client_for):
    from tests.fixtures.broker import Inbox, json_of
    inbox = Inbox()
    watcher = client_for("hub")
    watcher.subscribe(watcher.topics.health("box-1"), inbox)
    msg = inbox.wait_for(lambda m: "counters" in json_of(m))
    health = json_of(msg)
    assert health["role"] == "counter" and set(health["counters"]) == {"1", "2", "3"}
