"""A real button box (gpiozero MockFactory pins) in a network namespace, against the real hub
behind the hall's broker: presses while the link is cut, and presses over a bad link.

BRIEF: "A counter whose link is down shows it on its LED and does not fire stale presses
minutes later"; "never two visitors called by one press".
"""
from __future__ import annotations

import json
import subprocess
import threading
import time

import pytest

from tests.faults.conftest import SITE_FILE
from tests.fixtures.waiting import wait_until

NEXT_1, NEXT_3 = 17, 16         # mini-hall.toml: box-1's NEXT pins of counters 1 and 3
RESOLVED = ("on", "fast", "refused", "off")

pytestmark = pytest.mark.root


class BoxProcess:
    """tests/faults/box_driver.py inside the namespace: taps in, LED changes out."""

    def __init__(self, ns, broker):
        self.proc = ns.python(["-m", "tests.faults.box_driver", str(SITE_FILE), ns.root_addr,
                               str(broker.port), str(broker.password_file("box-1"))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.leds: list[tuple[int, str]] = []
        self.synced: set[int] = set()
        self.statuses: list[dict] = []
        self._cond = threading.Condition()
        self._lines = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            msg = json.loads(line)
            with self._cond:
                if "led" in msg:
                    self.leds.append((msg["led"], msg["pattern"]))
                elif "synced" in msg:
                    self.synced.add(msg["synced"])
                elif "status" in msg:
                    self.statuses.append(msg["status"])
                self._cond.notify_all()

    def _send(self, line: str) -> int:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        self._lines += 1
        return self._lines - 1

    def _wait(self, predicate, timeout: float, what: str):
        with self._cond:
            if not self._cond.wait_for(predicate, timeout):
                pytest.fail(f"box: timed out after {timeout} s waiting for {what}; "
                            f"LEDs {self.leds[-10:]}")

    def led(self, counter: int) -> str | None:
        with self._cond:
            return next((p for c, p in reversed(self.leds) if c == counter), None)

    def mark(self) -> int:
        with self._cond:
            return len(self.leds)

    def since(self, mark: int, counter: int) -> list[str]:
        with self._cond:
            return [p for c, p in self.leds[mark:] if c == counter]

    def wait_led(self, counter: int, pattern: str, timeout: float = 10) -> None:
        self._wait(lambda: self.led(counter) == pattern, timeout, f"LED {counter} {pattern}")

    def tap(self, pin: int) -> None:
        """Press and release, then wait until the box's loop has handled both edges."""
        self._send(f"tap {pin}")
        n = self._send("sync")
        self._wait(lambda: n in self.synced, 10, "the press to be handled")

    def status(self) -> dict:
        with self._cond:
            count = len(self.statuses)
        self._send("status")
        self._wait(lambda: len(self.statuses) > count, 10, "the status")
        return self.statuses[-1]

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.proc.stdout.close()


@pytest.fixture
def box(netns, open_hall):
    b = BoxProcess(netns, open_hall.broker)
    try:
        b.wait_led(1, "off", timeout=15)        # online, serving nobody
        yield b
    finally:
        b.close()


def box_commands(hall, since_ms: int = 0) -> list[dict]:
    import sqlite3
    db = sqlite3.connect(f"file:{hall.db}?mode=ro", uri=True, timeout=5)
    try:
        rows = db.execute("SELECT id, type, at, reply FROM commands WHERE device = 'box-1' "
                          "AND at >= ? ORDER BY at", (since_ms,)).fetchall()
    finally:
        db.close()
    return [{"id": r[0], "type": r[1], "at": r[2], "reply": json.loads(r[3])} for r in rows]


def test_presses_while_cut_off_call_nobody_then_or_later_and_presses_after_healing_work(
        netns, open_hall, box):
    hall = open_hall
    for _ in range(4):
        hall.ticket("KTP")
    # Given an online box whose counter 1 serves A-001.
    box.tap(NEXT_1)
    box.wait_led(1, "on")
    assert [c["number"] for c in hall.calls()] == ["A-001"]

    # When the link is cut and NEXT is pressed at once (before anything noticed the cut),
    netns.cut()
    cut_at = time.monotonic()
    box.tap(NEXT_1)
    # then the LED blinks fast (no answer, then offline) within the heartbeat limit,
    box.wait_led(1, "fast", timeout=8)
    wait_until(lambda: not box.status()["online"], 8, "the box to know it is offline")
    # and a press while it knows it is offline sends nothing: the LED stays on fast blink.
    mark = box.mark()
    box.tap(NEXT_1)
    assert box.since(mark, 1) == [] and box.led(1) == "fast"
    # The first press must be stale by the time the link returns (hub rule: 5 s).
    wait_until(lambda: time.monotonic() - cut_at > 8, 10, "the cut to last 8 s")

    # When the link returns, the box comes back online showing A-001 still served,
    netns.heal()
    wait_until(lambda: box.status()["online"], 20, "the box back online")
    box.wait_led(1, "on", timeout=10)
    # and a press now calls the next visitor: exactly one more call, nothing from the cut.
    box.tap(NEXT_1)
    wait_until(lambda: len(hall.calls()) >= 2, 10, "the call after healing")
    box.wait_led(1, "on")
    assert [c["number"] for c in hall.calls()] == ["A-001", "A-002"]
    # Whatever of the cut reached the hub was refused as stale, not executed.
    late = [c for c in box_commands(hall) if not c["reply"]["ok"]]
    assert all(c["reply"]["error"]["code"] == "stale" for c in late), late


@pytest.mark.slow
def test_fifty_presses_over_a_lossy_slow_link_never_call_twice(netns, open_hall, box):
    hall = open_hall
    for _ in range(55):
        hall.ticket("KTP")
    started_ms = hall.hub_clock.now_ms()           # calls and commands carry the hub's time
    # Given 10 % packet loss and 50 ms delay each way on the box's link,
    netns.impair(delay_ms=50, loss_pct=10)
    outcomes = []
    # when NEXT is pressed 50 times, each time after the last press was resolved,
    for _ in range(50):
        box.tap(NEXT_1)
        wait_until(lambda: box.led(1) in RESOLVED, 15, "the press to resolve", step=0.02)
        outcomes.append(box.led(1))
    netns.clear()
    # then every press ended in a call or a visible error / refusal,
    assert len(outcomes) == 50 and set(outcomes) <= set(RESOLVED)
    calls = [c for c in hall.calls() if c["at"] >= started_ms]
    executed = [c for c in box_commands(hall, started_ms)
                if c["type"] == "counter.next" and c["reply"]["ok"]]
    # each executed command made exactly one call and no ticket was called twice,
    assert sorted(c["reply"]["result"]["call"]["call_id"] for c in executed) == \
        [c["call_id"] for c in calls]
    assert len({c["ticket"] for c in calls}) == len(calls)
    assert all(c["recall"] == 0 and c["counter"] == 1 for c in calls)
    # and no press made more than one call: a lit LED is one call, an error at most one.
    lit = outcomes.count("on")
    assert lit <= len(calls) <= 50
    assert len(calls) - lit <= outcomes.count("fast")
    print(f"\n50 presses over 10% loss + 50 ms: {lit} answered, "
          f"{outcomes.count('fast')} errors, {len(calls)} calls")
