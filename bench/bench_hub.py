"""Hub benchmark (not a test): figures printed as ratios measured in the same run.

(a) call latency: a counter's command leaving the client -> a subscriber holding the updated
    hall snapshot, p50/p99 over CALLS calls, beside raw one-hop MQTT latency on the same broker;
(b) durable hub commands per second (engine on a SQLite file) beside raw SQLite commits/s;
(c) the hub's resident memory with a day of history (TICKETS tickets).

Run: .venv/bin/python bench/bench_hub.py   (about a minute)
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from antrean import protocol  # noqa: E402
from antrean.broker import run_broker  # noqa: E402
from antrean.mqtt import HallClient  # noqa: E402
from antrean.protocol import Topics  # noqa: E402
from hub.queue import QueueEngine  # noqa: E402
from hub.store import Store  # noqa: E402
from tests.fixtures.sites import small_site  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", 2000))
TICKETS = int(os.environ.get("BENCH_TICKETS", 5000))
HUB = """
import sys
from tests.fixtures.sites import small_site
from hub.service import HubService
HubService(small_site(), sys.argv[1], "127.0.0.1", int(sys.argv[2])).run()
"""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def now_ms() -> int:
    return int(time.time() * 1000)


class Peer:
    """A device on the broker that can send commands and wait for what it wants to see."""

    def __init__(self, site, broker, device, password):
        self.topics = Topics(site.id)
        self.device = device
        self.cond = threading.Condition()
        self.replies: dict[str, dict] = {}
        self.hall_rev = (0, 0)
        self.hall: dict = {}
        self.echo: dict[str, float] = {}
        self.client = HallClient(site=site.id, device=device, role="kiosk", password=password,
                                 host=broker.host, port=broker.port)
        self.client.subscribe(self.topics.reply(device), self._reply)
        self.client.subscribe(self.topics.hall, self._hall)
        self.client.start()
        self.client.wait_connected(10)

    def _reply(self, msg):
        body = json.loads(msg.payload)
        with self.cond:
            self.replies[body["id"]] = body
            self.cond.notify_all()

    def _hall(self, msg):
        body = json.loads(msg.payload)
        with self.cond:
            self.hall = body
            self.hall_rev = (body["epoch"], body["rev"])
            self.cond.notify_all()

    def ask(self, mtype, **fields) -> dict:
        cid = uuid.uuid4().hex
        self.client.publish(self.topics.cmd(self.device),
                            protocol.encode(mtype, id=cid, sent_at=now_ms(), **fields))
        with self.cond:
            if not self.cond.wait_for(lambda: cid in self.replies, 10):
                raise TimeoutError(mtype)
            return self.replies.pop(cid)


def raw_mqtt_latency(site, broker, n=2000) -> list[float]:
    """One hop through the broker: hub publishes, a subscriber of the same process receives."""
    topics = Topics(site.id)
    got = threading.Event()
    client = HallClient(site=site.id, device="hub", role="hub", password=site.hub_password,
                        host=broker.host, port=broker.port)
    client.subscribe(topics.called, lambda m: got.set())
    client.start()
    client.wait_connected(10)
    out = []
    payload = protocol.encode("called", call={"call_id": 0})
    for _ in range(n):
        got.clear()
        t0 = time.perf_counter()
        client.publish(topics.called, payload, qos=0)
        got.wait(5)
        out.append((time.perf_counter() - t0) * 1000)
    client.stop()
    return out


def call_latency(site, broker, db) -> tuple[list[float], int]:
    hub = subprocess.Popen([sys.executable, "-c", HUB, str(db), str(broker.port)], cwd=ROOT)
    try:
        box = Peer(site, broker, "box-1", site.button_boxes["box-1"].password)
        with box.cond:     # the hub is up once its first snapshot is out
            box.cond.wait_for(lambda: box.hall_rev != (0, 0), 20)
        kiosk = Peer(site, broker, "kiosk-1", site.kiosks["kiosk-1"].password)
        for i in range(TICKETS):
            service = ("KTP", "KK", "PAM-BAYAR")[i % 3]
            t = kiosk.ask("ticket.request", service=service)["result"]["ticket"]
            kiosk.ask("ticket.printed", ticket=t["id"])
        lat = []
        for i in range(CALLS):
            counter = (1, 2, 3)[i % 3]
            with box.cond:
                before = box.hall_rev
            t0 = time.perf_counter()
            reply = box.ask("counter.next", counter=counter)
            call = reply["result"]["call"]
            with box.cond:
                box.cond.wait_for(lambda: box.hall_rev > before and call and
                                  box.hall["counters"][str(counter)]["call_id"] ==
                                  call["call_id"], 10)
            lat.append((time.perf_counter() - t0) * 1000)
        rss = int([line for line in open(f"/proc/{hub.pid}/status")
                   if line.startswith("VmRSS")][0].split()[1]) // 1024
        kiosk.client.stop()
        box.client.stop()
        return lat, rss
    finally:
        hub.send_signal(signal.SIGTERM)
        hub.wait(10)


def engine_rate(site, path: Path, n=3000) -> float:
    store = Store(path)
    engine = QueueEngine(store, site)
    t0 = time.perf_counter()
    for _ in range(n):
        engine.execute("kiosk-1", {"v": 1, "type": "ticket.request", "id": uuid.uuid4().hex,
                                   "sent_at": now_ms(), "service": "KTP"}, now_ms())
    rate = n / (time.perf_counter() - t0)
    store.close()
    return rate


def sqlite_rate(path: Path, n=3000) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    t0 = time.perf_counter()
    for i in range(n):
        db.execute("BEGIN")
        db.execute("INSERT INTO t (v) VALUES (?)", (str(i),))
        db.execute("COMMIT")
    rate = n / (time.perf_counter() - t0)
    db.close()
    return rate


def main() -> None:
    site = small_site()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        broker = run_broker(site, tmp / "broker")
        try:
            raw = raw_mqtt_latency(site, broker)
            lat, rss = call_latency(site, broker, tmp / "hub.sqlite")
        finally:
            broker.stop()
        eng = engine_rate(site, tmp / "engine.sqlite")
        raw_sql = sqlite_rate(tmp / "raw.sqlite")
    print(f"(a) call latency over {len(lat)} calls: p50 {pct(lat, 50):.2f} ms, "
          f"p99 {pct(lat, 99):.2f} ms (target <= 3 / 10 ms)")
    print(f"    raw MQTT one hop: p50 {pct(raw, 50):.3f} ms, p99 {pct(raw, 99):.3f} ms; "
          f"call p50 = {pct(lat, 50) / pct(raw, 50):.1f}x raw hop")
    print(f"(b) durable hub commands: {eng:.0f}/s; raw SQLite WAL FULL commits: "
          f"{raw_sql:.0f}/s; ratio {eng / raw_sql:.2f} (target >= 1000/s)")
    print(f"(c) hub resident memory with {TICKETS} tickets: {rss} MB (target <= 60 MB)")
    print(f"    mean call latency {statistics.mean(lat):.2f} ms")


if __name__ == "__main__":
    main()
