"""Hub benchmark (not a test): each figure beside a floor measured in the same run.

(a) hub CPU per command: what the hub's loop does for one command (execute it in its SQLite
    transaction, build the snapshots it changed, encode them and the reply), at 4, 150 and
    500 services, and at 150 services with 100,000 tickets waiting; beside the CPU of one
    raw SQLite WAL FULL commit. Then the real hub process's own CPU (MQTT and group commits
    included) per command under a busy hall's load. Target: <= 0.5 ms.
(b) broker egress per call: the bytes a hall display (every counter and call) and a kiosk
    (every service) receive per call, in a hall of 500 services and 250 counters. Target:
    <= 2 KB per subscriber that shows the change.
(c) call latency: a box's counter.next leaving the client -> its counter's state.counter at a
    subscriber, p50/p99; the floor is two QoS 1 hops between two clients around one WAL FULL
    commit (what a call must cost at least). Targets: p50 <= 2x, p99 <= 3x the floor.
(d) durable commands over MQTT (a kiosk keeping 20 in flight) beside raw SQLite WAL FULL
    commits per second. Target: >= 0.5x.
(e) the hub's resident memory after the run.

Run: .venv/bin/python bench/bench_hub.py   (a few minutes; BENCH_QUICK=1 for a smoke run)
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
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
from antrean.deploy.broker import run_broker  # noqa: E402
from antrean.mqtt import HallClient  # noqa: E402
from antrean.protocol import Topics  # noqa: E402
from hub.queue import QueueEngine  # noqa: E402
from hub.store import Store  # noqa: E402
from tests.fixtures.sites import big_site, small_site  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
CALLS = 200 if QUICK else 2000
COMMANDS = 300 if QUICK else 3000
WAITING = 10_000 if QUICK else 100_000
HUB = """
import sys
from tests.fixtures.sites import big_site, small_site
from hub.service import HubService
site = small_site() if sys.argv[3] == "small" else big_site(*map(int, sys.argv[3].split("x")))
HubService(site, sys.argv[1], "127.0.0.1", int(sys.argv[2]), password=sys.argv[4]).run()
"""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def now_ms() -> int:
    return int(time.time() * 1000)


def command(mtype: str, **fields) -> bytes:
    return protocol.encode(mtype, id=uuid.uuid4().hex, sent_at=now_ms(), **fields)


# ---- (a) hub CPU per command --------------------------------------------------------------
def hub_cpu_ms(site, path: Path, waiting: int = 0, n: int = COMMANDS) -> float:
    """CPU ms per command as the hub's loop spends it, over a mix of requests, confirmations
    and calls spread across the hall."""
    store = Store(path)
    engine = QueueEngine(store, site)
    if waiting:
        fill_queue(store, site, engine.schedule.local(now_ms()).date().isoformat(), waiting)
    services, counters = list(site.services), list(site.counters)
    kiosk, box = next(iter(site.kiosks)), "hub"

    def one(device: str, payload: bytes) -> dict:
        msg = protocol.decode(payload, protocol.COMMANDS)
        out = engine.execute(device, msg, now_ms())
        protocol.encode("reply", id=msg.id, **out.reply)
        for (kind, _), body in engine.snapshots(out.changed, now_ms()).items():
            protocol.encode(f"state.{kind}", epoch=1, rev=1, at=1, **body)
        return out.reply

    t0 = time.process_time()
    done = 0
    for i in range(n // 3):
        svc = services[i * 7 % len(services)]
        reply = one(kiosk, command("ticket.request", service=svc))
        ticket = reply["result"]["ticket"]["id"]
        one(kiosk, command("ticket.printed", ticket=ticket))
        one(box, command("counter.next", counter=counters[i * 3 % len(counters)]))
        done += 3
    spent = (time.process_time() - t0) * 1000 / done
    store.close()
    return spent


def fill_queue(store: Store, site, day: str, n: int) -> None:
    """``n`` waiting tickets of ``day`` spread over the site's services, written in one
    transaction (the engine would take minutes to issue them one by one)."""
    services = list(site.services)
    with store.transaction():
        for i in range(n):
            sid = services[i % len(services)]
            seq = 100_000 + i
            store.run("INSERT INTO tickets (id, day, origin, seq, number, service, prio, "
                      "status, offline, issued_at, recalls, transfers) "
                      "VALUES (?, ?, ?, ?, ?, ?, 0, 'waiting', 0, ?, 0, 0)",
                      (f"{day}.{sid}.{seq}", day, sid, seq, f"X-{seq}", sid, now_ms() - n + i))


def commit_cpu_ms(path: Path, n: int = COMMANDS) -> tuple[float, float]:
    """(CPU ms per raw WAL FULL commit, commits per second)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(n):
        db.execute("BEGIN")
        db.execute("INSERT INTO t (v) VALUES (?)", (str(i),))
        db.execute("COMMIT")
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    db.close()
    return cpu * 1000 / n, n / wall


# ---- the hall on a broker -------------------------------------------------------------------
class Peer:
    """A device (or a hub-account tap) on the broker: sends commands, counts what arrives."""

    def __init__(self, site, broker, device, password, watch=()):
        self.topics = Topics(site.id)
        self.device = device
        self.cond = threading.Condition()
        self.replies: dict[str, dict] = {}
        self.counters: dict[int, dict] = {}
        self.bytes = 0
        self.client = HallClient(site=site.id, device=device, role="kiosk", password=password,
                                 host=broker.host, port=broker.port)
        self.client.subscribe(self.topics.reply(device), self._reply)
        for topic in watch:
            self.client.subscribe(topic, self._watch)
        self.client.start()
        self.client.wait_connected(10)

    def _reply(self, msg):
        body = json.loads(msg.payload)
        with self.cond:
            self.replies[body["id"]] = body
            self.cond.notify_all()

    def _watch(self, msg):
        body = json.loads(msg.payload) if msg.payload else {}
        with self.cond:
            self.bytes += len(msg.payload)
            if body.get("type") == "state.counter":
                self.counters[body["counter"]] = body
            self.cond.notify_all()

    def send(self, mtype, **fields) -> str:
        cid = uuid.uuid4().hex
        self.client.publish(self.topics.cmd(self.device),
                            protocol.encode(mtype, id=cid, sent_at=now_ms(), **fields))
        return cid

    def ask(self, mtype, **fields) -> dict:
        cid = self.send(mtype, **fields)
        with self.cond:
            if not self.cond.wait_for(lambda: cid in self.replies, 10):
                raise TimeoutError(mtype)
            return self.replies.pop(cid)


class HubProcess:
    def __init__(self, broker, db: Path, hall: str):
        self.proc = subprocess.Popen([sys.executable, "-c", HUB, str(db), str(broker.port), hall,
                                      broker.passwords["hub"]],
                                     cwd=ROOT)

    def cpu_s(self) -> float:
        """User + system CPU the hub process has used so far."""
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> int:
        line = [x for x in open(f"/proc/{self.proc.pid}/status") if x.startswith("VmRSS")][0]
        return int(line.split()[1]) // 1024

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)


def wait_hub(peer: Peer, counter: int) -> None:
    """The hub is up once a counter's retained state is out (published after its link-up)."""
    with peer.cond:
        if not peer.cond.wait_for(lambda: counter in peer.counters, 60):
            raise TimeoutError("the hub never published state")


# ---- (b) egress per call ---------------------------------------------------------------------
def egress_per_call(tmp: Path, services: int = 500, counters: int = 250,
                    calls: int = 100) -> tuple[float, float]:
    site = big_site(services, counters)
    broker = run_broker(site, tmp / "broker-egress")
    hub = HubProcess(broker, tmp / "egress.sqlite", f"{services}x{counters}")
    try:
        t = Topics(site.id)
        display = Peer(site, broker, "display-1", broker.passwords["display-1"],
                       watch=(t.all_counters, t.called))
        kiosk_id = next(iter(site.kiosks))
        kiosk = Peer(site, broker, kiosk_id, broker.passwords[kiosk_id],
                     watch=(t.all_services,))
        box = Peer(site, broker, "box-1", broker.passwords["box-1"])
        wait_hub(display, counters)
        for i in range(calls):
            ticket = kiosk.ask("ticket.request", service=site.counters[1 + i % 10].services[0])
            kiosk.ask("ticket.printed", ticket=ticket["result"]["ticket"]["id"])
        # Count from here: only calls (and whatever the heartbeat-free topics carry).
        with display.cond, kiosk.cond:
            d0, k0 = display.bytes, kiosk.bytes
        for i in range(calls):
            call = box.ask("counter.next", counter=1 + i % 10)["result"]["call"]
            with display.cond:
                display.cond.wait_for(lambda: display.counters.get(call["counter"], {})
                                      .get("call_id") == call["call_id"], 10)
        marker = kiosk.ask("ticket.request", service=site.counters[11].services[0])
        assert marker["ok"]
        with display.cond, kiosk.cond:
            return (display.bytes - d0) / calls, (kiosk.bytes - k0) / calls
    finally:
        hub.stop()
        broker.stop()


# ---- (c) latency, (d) throughput ---------------------------------------------------------------
def qos1_floor(site, broker, db_path: Path, n: int = CALLS) -> list[float]:
    """A -> B over QoS 1, B commits one row (WAL FULL) and answers B -> A over QoS 1: a
    kiosk's command to a stand-in hub (no hub runs on this broker yet)."""
    topics = Topics(site.id)
    db = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
    back = threading.Event()
    a = HallClient(site=site.id, device="kiosk-1", role="kiosk",
                   password=broker.passwords["kiosk-1"], host=broker.host, port=broker.port,
                   announce=False)
    b = HallClient(site=site.id, device="hub", role="hub", password=broker.passwords["hub"],
                   host=broker.host, port=broker.port, announce=False)

    def on_b(msg):
        db.execute("BEGIN")
        db.execute("INSERT INTO t (v) VALUES (?)", (msg.payload,))
        db.execute("COMMIT")
        b.publish(topics.reply("kiosk-1"), msg.payload, qos=1)

    b.subscribe(topics.cmd("kiosk-1"), on_b, qos=1)
    a.subscribe(topics.reply("kiosk-1"), lambda m: back.set(), qos=1)
    for c in (a, b):
        c.start()
        c.wait_connected(10)
    payload = protocol.encode("counter.next", id="x" * 32, sent_at=now_ms(), counter=1)
    out = []
    for _ in range(n):
        back.clear()
        t0 = time.perf_counter()
        a.publish(topics.cmd("kiosk-1"), payload, qos=1)
        back.wait(5)
        out.append((time.perf_counter() - t0) * 1000)
    a.stop()
    b.stop()
    db.close()
    return out


def call_latency_and_rate(site, broker, tmp: Path) -> tuple[list[float], float, int]:
    hub = HubProcess(broker, tmp / "hub.sqlite", "small")
    try:
        t = Topics(site.id)
        box = Peer(site, broker, "box-1", broker.passwords["box-1"],
                   watch=(t.all_counters,))
        wait_hub(box, 3)
        kiosk = Peer(site, broker, "kiosk-1", broker.passwords["kiosk-1"])
        rate = pipelined_rate(kiosk, COMMANDS)
        for i in range(CALLS):
            ticket = kiosk.ask("ticket.request", service=("KTP", "KK", "PAM-BAYAR")[i % 3])
            kiosk.ask("ticket.printed", ticket=ticket["result"]["ticket"]["id"])
        lat = []
        for i in range(CALLS):
            counter = (1, 2, 3)[i % 3]
            t0 = time.perf_counter()
            cid = box.send("counter.next", counter=counter)
            with box.cond:
                box.cond.wait_for(lambda: cid in box.replies, 10)
                call = box.replies.pop(cid)["result"]["call"]
                box.cond.wait_for(lambda: box.counters[counter]["call_id"] == call["call_id"],
                                  10)
            lat.append((time.perf_counter() - t0) * 1000)
        rss = hub.rss_mb()
        kiosk.client.stop()
        box.client.stop()
        return lat, rate, rss
    finally:
        hub.stop()


def pipelined_rate(kiosk: Peer, n: int, window: int = 20,
                   services: tuple[str, ...] = ("KTP",)) -> float:
    """Commands answered per second with ``window`` in flight (a busy hall, many kiosks)."""
    sent: list[str] = []
    t0 = time.perf_counter()
    for i in range(n):
        with kiosk.cond:
            kiosk.cond.wait_for(lambda: sum(c not in kiosk.replies for c in sent[-window:])
                                < window, 10)
        sent.append(kiosk.send("ticket.request", service=services[i * 7 % len(services)]))
    with kiosk.cond:
        kiosk.cond.wait_for(lambda: all(c in kiosk.replies for c in sent), 60)
    rate = n / (time.perf_counter() - t0)
    with kiosk.cond:
        for c in sent:
            kiosk.replies.pop(c, None)
    return rate


def hub_process_cpu_ms(tmp: Path, services: int, counters: int, waiting: int = 0) -> float:
    """CPU ms per command of the real hub process under a busy hall's load (20 commands in
    flight, so it commits them in groups), ``waiting`` tickets already in its queue."""
    site = big_site(services, counters)
    label = f"{services}x{counters}"
    db = tmp / f"busy-{label}-{waiting}.sqlite"
    store = Store(db)
    engine = QueueEngine(store, site)
    fill_queue(store, site, engine.schedule.local(now_ms()).date().isoformat(), waiting)
    store.close()
    broker = run_broker(site, tmp / f"broker-{label}-{waiting}")
    hub = HubProcess(broker, db, label)
    try:
        t = Topics(site.id)
        kiosk_id = next(iter(site.kiosks))
        kiosk = Peer(site, broker, kiosk_id, broker.passwords[kiosk_id],
                     watch=(t.all_counters,))
        wait_hub(kiosk, counters)
        pipelined_rate(kiosk, COMMANDS // 10, services=tuple(site.services))   # warm up
        before = hub.cpu_s()
        pipelined_rate(kiosk, COMMANDS, services=tuple(site.services))
        spent = (hub.cpu_s() - before) * 1000 / COMMANDS
        kiosk.client.stop()
        return spent
    finally:
        hub.stop()
        broker.stop()


def main() -> None:
    small = small_site()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        commit_ms, commits_s = commit_cpu_ms(tmp / "raw.sqlite")
        cpu = {label: hub_cpu_ms(site, tmp / f"cpu-{label}.sqlite", waiting)
               for label, site, waiting in (
                   ("4 services", small, 0),
                   ("150 services", big_site(150, 75), 0),
                   ("500 services", big_site(500, 250), 0),
                   (f"150 services, {WAITING:,} waiting", big_site(150, 75), WAITING))}
        busy = {label: hub_process_cpu_ms(tmp, *shape) for label, shape in (
            ("150 services", (150, 75, 0)), ("500 services", (500, 250, 0)),
            (f"150 services, {WAITING:,} waiting", (150, 75, WAITING)))}
        display_b, kiosk_b = egress_per_call(tmp)
        broker = run_broker(small, tmp / "broker")
        try:
            floor = qos1_floor(small, broker, tmp / "floor.sqlite")
            lat, rate, rss = call_latency_and_rate(small, broker, tmp)
        finally:
            broker.stop()
    print(f"(a) hub CPU per command (target <= 0.5 ms); one raw WAL FULL commit: "
          f"{commit_ms:.3f} ms CPU")
    for label, ms in cpu.items():
        print(f"    {label:>32}: {ms:.3f} ms ({ms / commit_ms:.1f}x a raw commit)")
    print("    the hub process itself under load (20 commands in flight: group commits, "
          "MQTT included):")
    for label, ms in busy.items():
        print(f"    {label:>32}: {ms:.3f} ms")
    print(f"(b) broker egress per call, 500 services / 250 counters (target <= 2048 B): "
          f"display {display_b:.0f} B, kiosk {kiosk_b:.0f} B")
    f50, f99 = pct(floor, 50), pct(floor, 99)
    print(f"(c) call latency over {len(lat)} calls: p50 {pct(lat, 50):.2f} ms "
          f"({pct(lat, 50) / f50:.2f}x floor, target <= 2x), p99 {pct(lat, 99):.2f} ms "
          f"({pct(lat, 99) / f99:.2f}x floor, target <= 3x)")
    print(f"    floor (two QoS 1 hops around a WAL FULL commit): p50 {f50:.2f} ms, "
          f"p99 {f99:.2f} ms")
    print(f"(d) durable commands over MQTT: {rate:.0f}/s; raw WAL FULL commits: "
          f"{commits_s:.0f}/s; ratio {rate / commits_s:.2f} (target >= 0.5)")
    print(f"(e) hub resident memory after the run: {rss} MB")


if __name__ == "__main__":
    main()
