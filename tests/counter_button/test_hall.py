"""End to end: a MockFactory button press -> real broker -> the real hub -> reply -> LED.

The hub is :class:`hub.service.HubService` on a real SQLite file; a kiosk's ticket request is
sent through the real broker by a second client, so the counter has somebody to call.
"""
import threading

import pytest

from antrean.clock import HubClock
from antrean.command import CommandChannel
from antrean.messages import Ticket
from counter_button.app import CounterBox
from hub.service import HubService
from tests.fixtures.hallclock import hall_clock
from tests.counter_button.conftest import LedLog


@pytest.fixture
def real_hub(hall_site, broker, tmp_path):
    service = HubService(hall_site, str(tmp_path / "hub.sqlite"), broker.host, broker.port,
                         password=broker.passwords["hub"],
                         now_ms=hall_clock())
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    yield service
    service.stop()
    thread.join(10)


def issue_ticket(client_for, service="KTP") -> Ticket:
    kiosk = client_for("kiosk-1")
    clock = HubClock()
    clock.follow(kiosk, kiosk.topics)
    channel = CommandChannel(kiosk, kiosk.topics, "kiosk-1", clock)
    ticket = channel.request("ticket.request", {"service": service}, timeout=5)
    assert ticket.ok, ticket
    printed = channel.request("ticket.printed", {"ticket": ticket.result.ticket.id}, timeout=5)
    assert printed.ok, printed
    return printed.result.ticket


def tap(pin) -> None:
    finger = threading.Event()      # the finger on the button and lifting: physical time
    pin.drive_low()
    finger.wait(0.1)
    pin.drive_high()
    finger.wait(0.1)


def test_press_next_calls_the_waiting_ticket_and_the_led_stays_on(
        hall_site, broker, real_hub, client_for, mock_factory):
    leds = LedLog()
    box = CounterBox(hall_site, "box-1", password=broker.passwords["box-1"], host=broker.host,
                     port=broker.port, on_led=leds)
    box.start()
    try:
        assert leds.wait_for(1, "off", timeout=10)      # the hub's heartbeat is heard
        ticket = issue_ticket(client_for)
        tap(mock_factory.pin(17))                       # counter 1, NEXT
        assert leds.wait_for(1, "on", timeout=10)
        assert mock_factory.pin(23).state
        assert box.core.status(0)["1"]["number"] == ticket.number
        # nobody else waits: NEXT completes the ticket and is refused with a double flash
        tap(mock_factory.pin(17))
        assert leds.wait_for(1, "refused", timeout=10)
        assert leds.wait_for(1, "off", timeout=5)
        # and RECALL now has nothing to recall
        tap(mock_factory.pin(27))
        assert leds.wait_for(1, "refused", timeout=10)
    finally:
        box.stop()


def test_a_restarted_box_shows_the_call_from_the_hubs_retained_counter_state(
        hall_site, broker, real_hub, client_for, mock_factory):
    # given counter 1 called a ticket, and its box went away
    first = LedLog()
    box = CounterBox(hall_site, "box-1", password=broker.passwords["box-1"], host=broker.host,
                     port=broker.port, on_led=first)
    box.start()
    try:
        assert first.wait_for(1, "off", timeout=10)
        ticket = issue_ticket(client_for)
        tap(mock_factory.pin(17))
        assert first.wait_for(1, "on", timeout=10)
    finally:
        box.stop()
    # when the box starts again, with no press and no reply
    again = LedLog()
    box = CounterBox(hall_site, "box-1", password=broker.passwords["box-1"], host=broker.host,
                     port=broker.port, on_led=again)
    box.start()
    try:
        # then counter 1's retained state.counter lights its LED; idle counter 2 stays off
        assert again.wait_for(1, "on", timeout=10)
        assert box.core.status(0)["1"]["number"] == ticket.number
        assert again.wait_for(2, "off")
    finally:
        box.stop()
