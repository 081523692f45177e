"""Fuzzing every device's handler of the hub's ``state/...`` (and ``event/called``) payloads,
in process, with the real cores: the display's DisplayState, the button box's Controller,
the kiosk's Catalog and the HubClock every device keeps. For any payload: no exception
escapes, and one the protocol refuses changes nothing a device shows or remembers."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antrean import messages, protocol
from antrean.clock import HubClock
from antrean.errors import ProtocolError
from antrean.mqtt import Incoming
from counter_button.controller import Controller
from counter_button.core import ButtonCore
from counter_button.keypad import Keypad
from display.memory import AnnounceMemory
from display.state import ACCEPTED, DisplaySettings, DisplayState
from kiosk.catalog import Catalog
from tests.fixtures.sites import small_site

from .strategies import FAST, SITE_SERVICES, SLOW, state_payloads

SITE = small_site()
TOPICS = protocol.Topics(SITE.id)


def refused(payload: bytes, kinds: tuple) -> bool:
    try:
        protocol.decode(payload, kinds)
    except ProtocolError:
        return True
    return False


def frozen_clock() -> HubClock:
    """The hub's clock as a device keeps it, with time standing still: what it says then
    depends only on the heartbeats it took."""
    return HubClock(monotonic=lambda: 100.0, wall=lambda: 0.0)


# ---- display ------------------------------------------------------------------------------
class Display:
    def __init__(self, tmp_path, device: str):
        self.memory = AnnounceMemory(tmp_path / f"{device}.json")
        self.state = DisplayState(SITE, DisplaySettings.of(SITE, SITE.displays[device]),
                                  self.memory, frozen_clock())
        self.state.on_link(True)

    def seen(self) -> tuple:
        return (self.state.view(), self.memory.last(), self.memory.db(),
                self.state.hub_now_ms(), self.state.tz)

    def check(self, payload: bytes, retained: bool) -> None:
        before = self.seen()
        spoken = self.state.receive(payload, retained)
        if refused(payload, ACCEPTED):
            assert spoken == [] and self.seen() == before


display_payloads = state_payloads("state.counter", "called", "clock")
display_ids = st.sampled_from(["display-hall", "display-3"])


@pytest.fixture
def displays(tmp_path):
    """A hall display and a counter display, each kept across the examples."""
    return {d: Display(tmp_path, d) for d in ("display-hall", "display-3")}


@FAST
@given(device=display_ids, payload=display_payloads, retained=st.booleans())
def test_a_display_takes_any_payload_and_a_bad_one_changes_nothing(displays, device, payload,
                                                                   retained):
    displays[device].check(payload, retained)


@pytest.mark.slow
@SLOW
@given(device=display_ids, payload=display_payloads, retained=st.booleans())
def test_a_display_takes_any_payload_10k(displays, device, payload, retained):
    displays[device].check(payload, retained)


# ---- button box ---------------------------------------------------------------------------
class Box:
    NOW = 5.0       # the core's time for the patterns compared

    def __init__(self):
        self.leds: list = []
        core = ButtonCore(SITE.button_boxes["box-1"].counters)
        self.controller = Controller(core, Keypad({c: ("next",) for c in core.counter_ids}),
                                     clock=frozen_clock(), on_led=lambda *a: self.leds.append(a))
        core.start(0.0)
        core.link(True, 0.0)

    def seen(self) -> tuple:
        core = self.controller.core
        return (core.status(self.NOW), core.online(self.NOW), self.controller.clock.synced,
                self.controller.clock.now_ms(), len(self.leds))

    def check(self, topic: str, payload: bytes) -> None:
        before = self.seen()
        if topic == TOPICS.clock:
            self.controller._on_clock(Incoming(topic, payload, False, 0))    # as subscribed
            kinds = (messages.Clock,)
        else:
            self.controller._on_counter(Incoming(topic, payload, True, 1))
            kinds = (messages.StateCounter,)
        if refused(payload, kinds):
            assert self.seen() == before


box_topics = st.sampled_from([TOPICS.clock, TOPICS.counter(1), TOPICS.counter(3)])
box_payloads = state_payloads("state.counter", "clock")


@FAST
@given(topic=box_topics, payload=box_payloads)
def test_a_button_box_takes_any_payload_and_a_bad_one_changes_nothing(topic, payload):
    Box().check(topic, payload)


@pytest.mark.slow
@SLOW
@given(topic=box_topics, payload=box_payloads)
def test_a_button_box_takes_any_payload_10k(topic, payload):
    Box().check(topic, payload)


# ---- kiosk --------------------------------------------------------------------------------
class KioskView:
    def __init__(self):
        self.catalogs = {k: Catalog(SITE, SITE.kiosks[k]) for k in ("kiosk-1", "kiosk-2")}

    def seen(self, c: Catalog) -> tuple:
        return dict(c.queues), c.version, c.day, c.db

    def check(self, kiosk: str, topic: str, payload: bytes) -> None:
        catalog = self.catalogs[kiosk]
        before = self.seen(catalog)
        taken = catalog.receive(topic, payload)
        if refused(payload, (messages.StateService,)):
            assert not taken and self.seen(catalog) == before
        if taken:       # what the screens list from it
            assert catalog.agencies("id") and catalog.agencies("en")


@pytest.fixture
def kiosks():
    """Both kiosks' catalogs, kept across the examples (a state taken stays, as on a kiosk)."""
    return KioskView()


kiosk_ids = st.sampled_from(["kiosk-1", "kiosk-2"])
kiosk_topics = st.sampled_from([TOPICS.service(s) for s in SITE_SERVICES])
kiosk_payloads = state_payloads("state.service")


@FAST
@given(kiosk=kiosk_ids, topic=kiosk_topics, payload=kiosk_payloads)
def test_a_kiosk_takes_any_service_state_and_a_bad_one_changes_nothing(kiosks, kiosk, topic,
                                                                       payload):
    kiosks.check(kiosk, topic, payload)


@pytest.mark.slow
@SLOW
@given(kiosk=kiosk_ids, topic=kiosk_topics, payload=kiosk_payloads)
def test_a_kiosk_takes_any_service_state_10k(kiosks, kiosk, topic, payload):
    kiosks.check(kiosk, topic, payload)


# ---- every device's clock -----------------------------------------------------------------
@pytest.fixture
def clock():
    return frozen_clock()


def check_heartbeat(clock: HubClock, payload: bytes) -> None:
    before = (clock.synced, clock.now_ms())
    clock.on_heartbeat(payload)
    if refused(payload, (messages.Clock,)):
        assert (clock.synced, clock.now_ms()) == before


heartbeats = state_payloads("clock")


@FAST
@given(payload=heartbeats)
def test_the_hub_clock_takes_any_heartbeat_and_a_bad_one_changes_nothing(clock, payload):
    check_heartbeat(clock, payload)


@pytest.mark.slow
@SLOW
@given(payload=heartbeats)
def test_the_hub_clock_takes_any_heartbeat_10k(clock, payload):
    check_heartbeat(clock, payload)
