"""A whole hall day through the display's core: 3,000 calls over a simulated 10 hours.

The display core runs as a process of its own (this module run as a script): the real
HallClient, DisplayState, AnnounceMemory (a file, fsync'd per call) and AnnouncementQueue
composing every call from the espeak-ng clips, with a sink that only notes which call it
played. The test plays the hub through a real Mosquitto as fast as the display keeps up:
a heartbeat carrying the simulated hub time, then ``event/called``, then the retained
``state/counter/<counter>`` of the counter that called (its ``last_call`` the same call, so
every call reaches the display twice), 12 simulated seconds per call. The display subscribes
as the app does (``counter_topics``: one wildcard for the whole hall).

Then: every call is announced exactly once, and the display's resident memory after the
day is within a few MB of what it was after warm-up.
"""
from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from antrean.protocol import encode

ROOT = Path(__file__).resolve().parents[2]
CALLS = 3000
WARM_UP = 500
DAY_START_MS = 1_795_399_200_000        # 2026-11-23 08:00 WIB
STEP_MS = 12_000                        # 10 hours / 3,000 calls
# Calls published ahead of what the display spoke. Each call moves the hub clock 12 s on, so
# a voice queue further behind than 60 s of simulated time would rightly skip calls as old.
AHEAD = 3
MAX_GROWTH_KB = 5 * 1024

pytestmark = [pytest.mark.slow,
              pytest.mark.needs("espeak-ng")]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


class DisplayCore:
    """The runner process (``main`` below) and the call ids it spoke, in order."""

    def __init__(self, broker, tmp_path: Path, voice_cache: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.display.test_day", broker.host, str(broker.port),
             str(tmp_path / "memory.json"), str(voice_cache),
             str(broker.password_file("display-hall"))], cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.spoken: list[int] = []
        self.ready = threading.Event()
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            msg = json.loads(line)
            if "ready" in msg:
                self.ready.set()
            with self._cond:
                if "spoken" in msg:
                    self.spoken.append(msg["spoken"])
                self._cond.notify_all()

    def wait_spoken(self, count: int, timeout: float = 30) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.spoken) >= count, timeout)

    def close(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
        return err


class SimulatedHub:
    """Publishes what the hub would during the day, on simulated time."""

    def __init__(self, client):
        self.client, self.topics = client, client.topics
        self.rev = 0

    def call(self, n: int) -> None:
        now = DAY_START_MS + n * STEP_MS
        counter = 1 + n % 3
        number = f"{'ABD'[counter - 1]}-{n // 3 + 1:03d}"
        call = {"call_id": n + 1, "ticket": f"2026-11-23.X.{n}", "number": number,
                "service": "KTP", "counter": counter, "recall": 0, "at": now}
        self.client.publish(self.topics.clock, encode(
            "clock", epoch=1, rev=self.rev, now=now, tz="Asia/Jakarta"), qos=0)
        self.client.publish(self.topics.called, encode("called", call=call))
        self.rev += 1
        self.client.publish(self.topics.counter(counter), encode(
            "state.counter", epoch=1, rev=self.rev, at=now, counter=counter, paused=False,
            number=number, service="KTP", call_id=n + 1, last_call=call), retain=True)


def test_a_day_of_3000_calls_is_announced_once_each_in_flat_memory(
        broker, client_for, tmp_path, voice_cache):
    display = DisplayCore(broker, tmp_path, voice_cache)
    err = ""
    try:
        assert display.ready.wait(30), "the display core did not connect"
        hub = SimulatedHub(client_for("hub"))
        warm = None
        for n in range(CALLS):
            if n >= AHEAD:
                assert display.wait_spoken(n - AHEAD + 1), f"stuck at call {n - AHEAD + 1}"
            if n == WARM_UP:
                assert display.wait_spoken(WARM_UP)
                warm = rss_kb(display.proc.pid)
            hub.call(n)
        assert display.wait_spoken(CALLS, timeout=60), f"{len(display.spoken)} spoken"
        end = rss_kb(display.proc.pid)
    finally:
        err = display.close()
    twice = [c for c, k in collections.Counter(display.spoken).items() if k > 1]
    assert display.spoken == list(range(1, CALLS + 1)), (
        f"{len(display.spoken)} spoken, duplicates {twice[:10]}; {err[-2000:]}")
    growth = end - warm
    print(f"\ndisplay core RSS: {warm / 1024:.1f} MB after {WARM_UP} calls, "
          f"{end / 1024:.1f} MB after {CALLS} (+{growth} kB)")
    assert growth < MAX_GROWTH_KB, f"resident memory grew {growth} kB over the day"


# ---- the display core process --------------------------------------------------------------
class NotingSink:
    """Plays nothing; says which call it played (the label names it)."""

    def play(self, wav: bytes, label: str) -> None:
        print(json.dumps({"spoken": int(label.split("-")[0][len("call"):])}), flush=True)

    def interrupt(self) -> None:
        pass


def main(host: str, port: str, memory_path: str, voice_cache: str,
         password_file: str) -> None:
    import logging

    import msgspec

    from antrean.clock import HubClock
    from antrean.mqtt import HallClient
    from display import clips
    from display.memory import AnnounceMemory
    from display.player import AnnouncementQueue
    from display.state import DisplaySettings, DisplayState, counter_topics
    from tests.fixtures.sites import small_site

    logging.basicConfig(level=logging.WARNING)
    site = small_site()
    device = site.displays["display-hall"]
    clock = HubClock()
    settings = DisplaySettings.of(site, device)
    state = DisplayState(site, settings, AnnounceMemory(memory_path), clock)
    voice = AnnouncementQueue({"id": clips.load_clip_set("id", voice_cache)}, NotingSink(),
                              clock=lambda: clock.now_ms() / 1000)
    client = HallClient(site=site.id, device=device.id, role="display",
                        password=Path(password_file).read_text().strip(), host=host,
                        port=int(port))

    def on_message(msg) -> None:
        for call in state.receive(msg.payload, retained=msg.retain):
            voice.announce(msgspec.structs.asdict(call))

    wanted = [(t, 1) for t in counter_topics(client.topics, site, settings)]
    for topic, qos in (*wanted, (client.topics.called, 1), (client.topics.clock, 0)):
        client.subscribe(topic, on_message, qos=qos)
    client.on_link(state.on_link)
    client.start()
    if client.wait_connected(20):
        print(json.dumps({"ready": True}), flush=True)
    threading.Event().wait()        # until the test terminates us


if __name__ == "__main__":
    main(*sys.argv[1:6])
