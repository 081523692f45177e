"""The real hall display (Kivy under Xvfb, speaking into WAV files) in a network namespace,
cut off from the hall's broker for half a minute while the hub makes 30 calls.

What the hall must see and hear (BRIEF: "no stale or repeated calls after a network glitch"):
during the cut the screen says it is not up to date; when the link returns it shows the hub's
current state within a second of reconnecting, and none of the calls made during the cut is
spoken (they are shown, not shouted out late). A call made after the link returned is.
"""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from display.strings import TEXT
from tests.faults.conftest import SITE_FILE
from tests.fixtures.waiting import wait_until

STALE = TEXT["id"]["stale"]
CUT_S = 30              # how long the display is cut off
SETTLE_S = 8            # quiet time at the end of the cut (the display's grace, if any)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.root,
    pytest.mark.needs("Xvfb", "espeak-ng"),
]


class DisplayProcess:
    """``antrean display`` inside the namespace; what it shows is read from its
    ``--screenshot`` JSON, what it says from its ``--audio file:`` folder."""

    def __init__(self, ns, tmp_path: Path, xdisplay: str, broker):
        self.shot = tmp_path / "shots" / "display-hall.png"
        self.calls = tmp_path / "spoken"
        self.kivy_home = tmp_path / "kivy"
        env = {"DISPLAY": xdisplay, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1",
               "KIVY_HOME": str(self.kivy_home), "KIVY_WINDOW": "sdl2",
               "XDG_CACHE_HOME": str(tmp_path / "cache")}
        self.proc = ns.python(
            ["-c", "import sys; from display.app import main; sys.exit(main(sys.argv[1:]))",
             "--config", str(SITE_FILE), "--device", "display-hall", "--host", ns.root_addr,
             "--port", str(broker.port), "--password-file",
             str(broker.password_file("display-hall")), "--windowed", "800x480",
             "--screenshot", str(self.shot),
             "--audio", f"file:{self.calls}", "--memory", str(tmp_path / "memory.json")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def shown(self) -> dict | None:
        if self.proc.poll() is not None:
            logs = "".join(p.read_text(errors="replace")
                           for p in sorted(self.kivy_home.glob("logs/*.txt")))
            pytest.fail(f"the display exited ({self.proc.returncode}): "
                        f"{self.proc.stderr.read()[-2000:]}{logs[-3000:]}")
        try:
            shown = json.loads(self.shot.with_suffix(".json").read_text())
        except (FileNotFoundError, ValueError):
            return None
        shown["written"] = self.shot.with_suffix(".json").stat().st_mtime
        return shown

    def wait_shown(self, what: str, check, timeout: float = 30) -> dict:
        return wait_until(lambda: (s := self.shown()) is not None and check(s) and s,
                          timeout, what)

    def spoken(self) -> list[str]:
        return sorted(p.name for p in self.calls.glob("*.wav"))

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.proc.stderr.close()


def label(call: dict) -> str:
    return f"call{call['call_id']}-{call['number']}-loket{call['counter']}"


def hub_view(counters: dict[int, dict]) -> dict:
    """What a hall display must show for the counters' snapshots: each counter's number, the
    newest call."""
    calls = [s["last_call"] for s in counters.values() if s["last_call"]]
    latest = max(calls, key=lambda c: c["call_id"], default=None)
    return {"tiles": [counters[c]["number"] or "-" for c in (1, 2, 3)],
            "latest": latest["number"] if latest else ""}


def screen_view(shown: dict) -> dict:
    return {"tiles": [t["number"] for t in shown["tiles"]], "latest": shown["latest_number"]}


def test_a_display_cut_off_for_30_s_catches_up_at_once_and_speaks_no_old_call(
        netns, open_hall, xdisplay, tmp_path):
    hall = open_hall
    # Given a queue: 11 tickets for each counter, and one call the display heard.
    for service in ("KTP", "KK", "PAM-BAYAR"):
        for _ in range(11):
            hall.ticket(service)
    display = DisplayProcess(netns, tmp_path, xdisplay, hall.broker)
    try:
        display.wait_shown("the display up to date", lambda s: s["banner"] == ""
                           and s["time_text"] != "--:--", timeout=40)
        first = hall.call_next(3)
        wait_until(lambda: display.spoken() == [f"0001-{label(first)}.wav"], 30,
                   "the first call spoken")

        # When the display's link is cut,
        netns.cut()
        cut_at = time.monotonic()
        # then within seconds it says it is not up to date;
        display.wait_shown("the stale banner", lambda s: s["banner"] == STALE, timeout=15)
        # and while it is cut off, the hub makes 30 calls it cannot hear.
        made = [hall.call_next(counter) for _ in range(10) for counter in (1, 2, 3)]
        assert len({c["call_id"] for c in made}) == 30
        wait_until(lambda: time.monotonic() - cut_at >= CUT_S - SETTLE_S, CUT_S, "the cut")
        during = display.shown()
        assert during["banner"] == STALE
        assert during["latest_number"] == first["number"]     # it really heard nothing
        wait_until(lambda: time.monotonic() - cut_at >= CUT_S, CUT_S, "the end of the cut")

        # When the link returns,
        healed_at = time.monotonic()
        netns.heal()
        online = wait_until(lambda: hall.watch.online_since("display-hall", healed_at), 20,
                            "the display to reconnect")
        # then it shows the hub's current state, banner gone. (How fast is a benchmark's
        # question — about a second here, bounded by the next heartbeat and the screenshot's
        # debounce; a timed assertion would only make this test flaky on a loaded machine.)
        truth = hub_view(hall.watch.counters)
        assert truth["latest"] == made[-1]["number"]
        shown = display.wait_shown("the current state", lambda s: screen_view(s) == truth
                                   and s["banner"] == "", timeout=15)
        caught_up = shown["written"] - (time.time() - time.monotonic())   # as monotonic
        print(f"display caught up {caught_up - online:.2f} s after reconnecting")

        # A call made after the link returned is spoken; none of the 30 old ones ever is.
        fresh = hall.call_next(1)
        wait_until(lambda: any(label(fresh) in name for name in display.spoken()), 30,
                   "the fresh call spoken")
        old = [n for n in display.spoken() if any(label(c) in n for c in made)]
        assert old == [], f"spoke {len(old)} calls made during the cut: {old}"
        assert display.spoken() == [f"0001-{label(first)}.wav", f"0002-{label(fresh)}.wav"]
    finally:
        display.close()
