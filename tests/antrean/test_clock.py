"""HubClock: the hub's time as a device sees it."""
from __future__ import annotations

import math
import threading

from antrean.clock import HubClock
from antrean.protocol import Topics, encode

T = Topics("mpp-test")
HUB_NOW = 1_795_400_000_000


class Fake:
    """A clock the test moves by hand (seconds)."""

    def __init__(self, t: float):
        self.t = t

    def __call__(self) -> float:
        return self.t


def make():
    mono, wall = Fake(1000.0), Fake(1_700_000_000.25)
    return HubClock(monotonic=mono, wall=wall), mono, wall


def test_falls_back_to_local_wall_time_until_the_first_heartbeat():
    clock, _, wall = make()
    assert not clock.synced
    assert clock.now_ms() == 1_700_000_000_250
    assert clock.age_s() == math.inf
    assert not clock.fresh()


def test_advances_hub_time_by_local_monotonic_progress():
    clock, mono, wall = make()
    clock.observe(HUB_NOW)
    mono.t += 2.5
    wall.t -= 3600   # someone sets the local wall clock back: it does not matter
    assert clock.now_ms() == HUB_NOW + 2500
    assert clock.age_s() == 2.5
    assert clock.fresh() and clock.fresh(max_age_s=2.5) and not clock.fresh(max_age_s=2)


def test_each_heartbeat_resets_the_base_and_the_age():
    clock, mono, _ = make()
    clock.observe(HUB_NOW)
    mono.t += 6
    assert not clock.fresh()
    clock.observe(HUB_NOW + 5000)   # the hub's clock moved less than ours: the hub wins
    assert clock.now_ms() == HUB_NOW + 5000
    assert clock.age_s() == 0 and clock.fresh()


def test_heartbeat_payloads_are_validated():
    clock, mono, _ = make()
    clock.on_heartbeat(encode("clock", epoch=1, rev=2, now=HUB_NOW, tz="Asia/Jakarta"))
    assert clock.now_ms() == HUB_NOW
    for bad in (b"{", encode("clock", epoch=1, rev=2, now="soon", tz="Asia/Jakarta"),
                encode("presence", device="x", role="hub", state="online", session="s",
                       bdseq=1)):
        clock.on_heartbeat(bad)
    mono.t += 1
    assert clock.now_ms() == HUB_NOW + 1000


def test_follows_the_hub_heartbeat_over_the_broker(client_for):
    display = client_for("display-hall", start=False)
    clock = HubClock()
    seen = threading.Event()
    clock.follow(display, T)
    display.subscribe(T.clock, lambda msg: seen.set(), qos=0)
    display.start()
    assert display.wait_connected(5)
    hub = client_for("hub")
    hub.publish(T.clock, encode("clock", epoch=1, rev=1, now=HUB_NOW, tz="Asia/Jakarta"),
                qos=0)
    assert seen.wait(5)
    # Handlers run in order on one loop, so the clock handler ran before `seen` was set.
    assert clock.synced and clock.fresh()
    assert HUB_NOW <= clock.now_ms() < HUB_NOW + 5000
