"""Offline end to end: a kiosk leases numbers, loses the broker, keeps printing, is killed
with SIGKILL halfway, restarts, and when the broker is back every printed ticket reaches the
hub exactly once, in issue-time order, with no number given twice.

The kiosk side runs as a subprocess (tests/kiosk/issuer_driver.py: the app's wiring without
a screen) so that kill -9 is real; the broker, the hub and the printer are real too."""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections import Counter

import pytest

from kiosk.escpos_decode import decode
from tests.fixtures.waiting import wait_until
from tests.kiosk.kiosk_hall import ROOT, hall  # noqa: F401 (fixture)

SERVICE = "KTP"


class KioskProcess:
    def __init__(self, h, tmp_path):
        self.log = open(tmp_path / f"driver-{os.urandom(3).hex()}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.kiosk.issuer_driver", str(h.config), h.broker.host,
             str(h.broker.port), str(h.printer.port), str(tmp_path / "kiosk-state"),
             str(h.clock.now_ms()), str(h.broker.password_file("kiosk-1"))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True)
        self.events: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        with self.proc.stdout:
            for line in self.proc.stdout:
                self.events.put(json.loads(line))

    def tell(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, event: str, timeout: float = 20) -> dict:
        while True:
            try:
                got = self.events.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"kiosk never said {event!r}; log: {self.log.name}")
            if got["event"] == event:
                return got

    def printed(self, n: int) -> list[dict]:
        out = [self.expect("printed") for _ in range(n)]
        assert all(p["ok"] for p in out), out
        return out

    def back_online(self, broker, drain_timeout: float) -> None:
        """The broker returns: the kiosk reconnects and hands its whole outbox over."""
        broker.start()
        self.expect("up", timeout=30)
        self.tell("drain")
        self.expect("drained", timeout=drain_timeout)

    def kill9(self) -> None:
        self.proc.kill()          # SIGKILL: no goodbye, no flush, paho's queue is lost
        self.proc.wait(10)
        self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(10)
        elif not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        self.reader.join(5)
        self.log.close()


def test_offline_tickets_survive_a_kill_and_reach_the_hub_once_in_order(hall, tmp_path):
    # given a kiosk online with a lease of 30 numbers and two tickets issued online
    h = hall(lease_size=30)
    first = KioskProcess(h, tmp_path)
    try:
        first.expect("up")
        first.tell(f"lease {SERVICE} 20")
        first.expect("leased")
        first.tell(f"issue {SERVICE} 2")
        online = first.printed(2)
        assert not any(p["offline"] for p in online)
        first.tell("drain")
        first.expect("drained")

        # when the broker goes away and the kiosk prints 10 tickets, then is killed (-9)
        h.broker.stop()
        first.tell(f"issue {SERVICE} 10")
        offline = first.printed(10)
    finally:
        first.kill9()
    # and a restarted kiosk prints 10 more before the broker returns
    second = KioskProcess(h, tmp_path)
    try:
        second.tell(f"issue {SERVICE} 10")
        offline += second.printed(10)
        assert all(p["offline"] for p in offline)
        second.back_online(h.broker, drain_timeout=30)
    finally:
        second.close()

    # then every printed ticket is at the hub exactly once, waiting, in issue-time order
    printed = [p["number"] for p in online + offline]
    assert len(set(printed)) == 22, Counter(printed).most_common(3)
    paper = []
    while (job := h.printer.wait_for_job(1.0)) is not None:
        paper += [line.text.strip() for line in decode(job.data).lines
                  if line.text.strip().startswith("A-")]
    assert paper == printed                     # what the screen said is what is on paper
    waiting = h.tickets(f"service = '{SERVICE}' AND status = 'waiting'")
    assert [t["number"] for t in waiting] == printed
    assert [bool(t["offline"]) for t in waiting] == [False] * 2 + [True] * 20
    issued = [t["issued_at"] for t in waiting]
    assert issued == sorted(issued)
    # requests that timed out while the broker was down never became valid tickets
    others = h.tickets(f"service = '{SERVICE}' AND status NOT IN ('waiting', 'printing', "
                       "'expired')")
    assert others == []


@pytest.mark.slow
def test_a_day_offline_goes_back_in_a_few_messages_per_ticket(hall, tmp_path):
    """Given a kiosk that printed a whole day's 300 tickets with the hub away, when the link
    returns, then each reaches the hub exactly once, with at most two ticket.offline
    messages per ticket at the broker (each under one id for life), and no refusal."""
    n = 300
    h = hall(lease_size=n)
    commands = h.watch_commands("kiosk-1")
    kiosk = KioskProcess(h, tmp_path)
    try:
        kiosk.expect("up")
        kiosk.tell(f"lease {SERVICE} {n}")
        kiosk.expect("leased")
        h.broker.stop()
        kiosk.tell(f"issue {SERVICE} {n}")
        printed = kiosk.printed(n)
        assert all(p["offline"] for p in printed)
        kiosk.back_online(h.broker, drain_timeout=120)
    finally:
        kiosk.close()
    waiting = h.tickets(f"service = '{SERVICE}' AND status = 'waiting'")
    assert sorted(t["number"] for t in waiting) == sorted(p["number"] for p in printed)
    wait_until(lambda: len({c["number"] for c in commands if c["type"] == "ticket.offline"})
               >= n, 30, "the watcher to see every hand-over")
    sent = [c for c in commands if c["type"] == "ticket.offline"]
    per_ticket = Counter(c["number"] for c in sent)
    ids = {c["number"]: set() for c in sent}
    for c in sent:
        ids[c["number"]].add(c["id"])
    assert len(per_ticket) == n and max(per_ticket.values()) <= 2, per_ticket.most_common(3)
    assert all(len(v) == 1 for v in ids.values())
