"""The hub behind a real Mosquitto: round trips, duplicates, bad payloads, concurrent kiosks,
SIGKILL mid-stream and a broker restart. Given / when / then, waiting on events, never sleeps."""
from __future__ import annotations

import dataclasses
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from antrean import protocol
from antrean.deploy.broker import run_broker
from antrean.clock import HubClock
from antrean.mqtt import HallClient
from antrean.messages import Reply
from antrean.protocol import Topics
from hub.service import HubService
from tests.fixtures.hallclock import clock_from, hall_clock
from hub.store import Store
from tests.fixtures.sites import small_site
from tests.fixtures.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
HUB_SCRIPT = """
import sys
from antrean.clock import PresetClock
from tests.fixtures.sites import small_site
from hub.service import HubService
HubService(small_site(), sys.argv[1], "127.0.0.1", int(sys.argv[2]), password=sys.argv[4],
           now_ms=PresetClock(int(sys.argv[3]))).run()
"""


class Device:
    """A device's side of the protocol, written from docs/protocol.md: raw publishes and a
    queue of replies, so the tests see exactly what a third-party device would."""

    def __init__(self, site, broker, device_id: str):
        self.topics = Topics(site.id)
        self.id = device_id
        password = broker.passwords[device_id]
        self.replies: dict[str, list[dict]] = {}
        self.arrived = threading.Condition()
        self.snapshots: dict[str, queue.Queue] = {"service": queue.Queue(),
                                                  "counter": queue.Queue()}
        self.client = HallClient(site=site.id, device=device_id, role="kiosk", password=password,
                                 host=broker.host, port=broker.port, tls_ca=broker.ca)
        self.client.subscribe(self.topics.reply(device_id), self._on_reply)
        self.client.subscribe(self.topics.all_counters, lambda m: self.snapshots["counter"].put(
            json.loads(m.payload)))
        self.client.subscribe(self.topics.all_services, lambda m: self.snapshots["service"].put(
            json.loads(m.payload)))
        self.clock = HubClock()                  # a device's time is the hub's (protocol.md)
        self.clock.follow(self.client, self.topics)
        self.client.start()
        assert self.client.wait_connected(10)

    def _on_reply(self, msg) -> None:
        protocol.decode(msg.payload, (Reply,))       # valid, or refused here
        reply = json.loads(msg.payload)                 # as it was on the wire
        with self.arrived:
            self.replies.setdefault(reply["id"], []).append(reply)
            self.arrived.notify_all()

    def send_raw(self, payload: bytes) -> None:
        self.client.publish(self.topics.cmd(self.id), payload, qos=1)

    def command(self, mtype: str, cmd_id: str | None = None, **fields) -> str:
        cmd_id = cmd_id or uuid.uuid4().hex
        if "sent_at" not in fields and not self.clock.synced:
            wait_until(lambda: self.clock.synced, 10, "the hub's first heartbeat")
        fields.setdefault("sent_at", self.clock.now_ms())
        self.send_raw(protocol.encode(mtype, id=cmd_id, **fields))
        return cmd_id

    def wait_reply(self, cmd_id, timeout: float = 10, count: int = 1) -> dict | None:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.replies.get(cmd_id, [])) >= count, timeout)
            got = self.replies.get(cmd_id, [])
        return got[count - 1] if len(got) >= count else None

    def ask(self, mtype: str, timeout: float = 10, **fields) -> dict:
        reply = self.wait_reply(self.command(mtype, **fields), timeout)
        assert reply is not None, f"no reply to {mtype}"
        return reply

    def latest(self, kind: str, timeout: float = 10, where=lambda s: True) -> dict:
        """The newest snapshot of ``kind`` satisfying ``where`` (waits for it)."""
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.start()
        try:
            while not deadline.is_set():
                try:
                    snap = self.snapshots[kind].get(timeout=0.2)
                except queue.Empty:
                    continue
                if where(snap):
                    return snap
        finally:
            timer.cancel()
        raise AssertionError(f"no {kind} snapshot matching in {timeout}s")

    def close(self) -> None:
        self.client.stop()


@pytest.fixture(params=["plain"])
def hall(tmp_path, request):
    site = small_site()
    if request.param == "tls":
        site = dataclasses.replace(site, broker_tls=True)
    broker = run_broker(site, tmp_path / "broker")
    devices: list[Device] = []

    def device(device_id: str) -> Device:
        d = Device(site, broker, device_id)
        devices.append(d)
        return d
    yield site, broker, device
    for d in devices:
        d.close()
    broker.stop()


@pytest.fixture
def hub(hall, tmp_path):
    site, broker, _ = hall
    service = HubService(site, str(tmp_path / "hub.sqlite"), broker.host, broker.port,
                         password=broker.passwords["hub"], tls_ca=broker.ca,
                         now_ms=hall_clock())
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    assert service.client.wait_connected(10)    # subscribed: commands will reach it
    yield service
    service.stop()
    thread.join(10)


@pytest.mark.parametrize("hall", ["plain", "tls"], indirect=True)
def test_a_ticket_goes_from_request_to_the_hall_snapshot(hall, hub):
    site, broker, device = hall
    kiosk, box = device("kiosk-1"), device("box-1")

    issued = kiosk.ask("ticket.request", service="KTP")
    assert issued["ok"], issued
    ticket = issued["result"]["ticket"]
    assert ticket["number"] == "A-001" and ticket["status"] == "printing"

    printed = kiosk.ask("ticket.printed", ticket=ticket["id"])
    assert printed["result"]["ticket"]["status"] == "waiting"
    waiting = kiosk.latest("service", where=lambda s: s["service"] == "KTP" and s["waiting"] == 1)
    assert waiting["epoch"] == hub.epoch

    call = box.ask("counter.next", counter=1)["result"]["call"]
    assert call["number"] == "A-001" and call["counter"] == 1
    one = box.latest("counter", where=lambda s: s["counter"] == 1 and s["number"] == "A-001")
    assert one["last_call"] == call


def test_a_repeated_command_gets_the_same_answer_and_changes_nothing(hall, hub):
    _, _, device = hall
    kiosk = device("kiosk-1")
    cmd = kiosk.command("ticket.request", service="KK")
    first = kiosk.wait_reply(cmd)
    kiosk.command("ticket.request", cmd_id=cmd, service="KK")      # QoS 1 redelivery / retry
    again = kiosk.wait_reply(cmd, count=2)
    assert again == first
    nxt = kiosk.ask("ticket.request", service="KK")["result"]["ticket"]
    assert nxt["number"] == "B-002"                                  # B-001 was issued once


@pytest.mark.parametrize("payload, code", [
    (b"{not json", "bad_payload"),
    (b'{"v":2,"type":"ticket.request","id":"x1","sent_at":1,"service":"KTP"}', "bad_version"),
    (b'{"v":1,"type":"ticket.steal","id":"x2","sent_at":1}', "unknown_type"),
    (b'{"v":1,"type":"ticket.request","id":"x3","sent_at":1}', "bad_payload"),
    (b'{"v":1,"type":"ticket.request","id":"x4","sent_at":1,"service":"NOPE"}',
     "unknown_service"),
    (b'{"v":1,"type":"x","pad":"' + b"y" * 70_000 + b'"}', "too_large"),
    (b"[" * 30_000 + b"]" * 30_000, "bad_payload"),
    (b'{"v":1,"type":"ticket.request","id":"x5","sent_at":' + b"7" * 5000 + b"}",
     "bad_payload"),
    (b'{"v":1,"type":"ticket.request","id":"x/6","sent_at":1,"service":"KTP"}', "bad_id"),
    (b'{"v":true,"type":"ticket.request","id":"x7","sent_at":1,"service":"KTP"}',
     "bad_version"),
])
def test_bad_payloads_get_a_clear_error_and_change_nothing(hall, hub, payload, code):
    _, _, device = hall
    kiosk = device("kiosk-1")
    kiosk.send_raw(payload)
    cmd_id = protocol.command_id(payload)
    reply = kiosk.wait_reply(cmd_id)
    assert reply is not None and not reply["ok"]
    assert reply["error"]["code"] == code and reply["error"]["message"]
    # In Bahasa Indonesia, with an English twin and no Python in either.
    assert reply["error"]["message"] != reply["error"]["message_en"]
    assert not any(w in reply["error"]["message"] for w in ("None", "True", "'"))
    # The hub lives on, and no number was used up.
    assert kiosk.ask("ticket.request", service="KTP")["result"]["ticket"]["number"] == "A-001"


def test_a_kiosk_may_not_ask_for_a_service_it_does_not_offer(hall, hub):
    _, _, device = hall
    reply = device("kiosk-2").ask("ticket.request", service="PAM-BAYAR")
    assert not reply["ok"] and reply["error"]["code"] == "not_allowed"


def test_two_kiosks_asking_at_once_never_get_the_same_number(hall, hub):
    _, _, device = hall
    kiosks = [device("kiosk-1"), device("kiosk-2")]
    ids = {k.id: [] for k in kiosks}
    go = threading.Barrier(2)

    def burst(k: Device) -> None:
        go.wait()
        ids[k.id] = [k.command("ticket.request", service="KTP") for _ in range(40)]
    threads = [threading.Thread(target=burst, args=(k,)) for k in kiosks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    numbers = [k.wait_reply(i)["result"]["ticket"]["number"] for k in kiosks for i in ids[k.id]]
    assert len(numbers) == 80 and len(set(numbers)) == 80


def test_the_hub_carries_on_after_a_broker_restart(hall, hub):
    _, broker, device = hall
    kiosk = device("kiosk-1")
    t1 = kiosk.ask("ticket.request", service="KTP")["result"]["ticket"]
    kiosk.ask("ticket.printed", ticket=t1["id"])

    broker.restart()     # retained state in memory and on disk may be gone or old

    assert kiosk.client.wait_connected(15)
    t2 = kiosk.ask("ticket.request", service="KTP", timeout=15)["result"]["ticket"]
    assert t2["number"] == "A-002"
    snap = kiosk.latest("service", timeout=15,
                        where=lambda s: s["service"] == "KTP" and s["waiting"] == 1)
    assert snap["epoch"] == hub.epoch


def _start_hub(db: Path, broker, clock) -> subprocess.Popen:
    """A hub process on the test's clock, carrying on from where that clock is now."""
    return subprocess.Popen([sys.executable, "-c", HUB_SCRIPT, str(db), str(broker.port),
                             str(clock.now_ms()), broker.passwords["hub"]], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_sigkill_mid_stream_loses_nothing_and_never_contradicts_itself(hall, tmp_path):
    """Given a kiosk streaming ticket requests, when the hub is killed with SIGKILL halfway
    and restarted, then every request is answered, a retried request gets the answer it got
    before, no number is issued twice, and the database holds exactly one ticket per request."""
    site, broker, device = hall
    db = tmp_path / "hub.sqlite"
    clock = hall_clock()
    hub = _start_hub(db, broker, clock)
    kiosk = device("kiosk-1")
    answers: dict[str, dict] = {}
    try:
        for i in range(120):
            cmd = kiosk.command("ticket.request", service="KTP")
            if i == 60:
                os.kill(hub.pid, signal.SIGKILL)     # mid-stream: maybe before, maybe after commit
                hub.wait(10)
                hub = _start_hub(db, broker, clock)
            tries = 1
            reply = kiosk.wait_reply(cmd, timeout=3)
            while reply is None and tries < 10:          # retry with the same id, as devices do
                kiosk.command("ticket.request", cmd_id=cmd, service="KTP")
                tries += 1
                reply = kiosk.wait_reply(cmd, timeout=3)
            assert reply is not None, f"request {i} never answered"
            answers[cmd] = reply
        for cmd, replies in kiosk.replies.items():
            assert all(r == replies[0] for r in replies), "an answer contradicted an earlier one"
    finally:
        hub.send_signal(signal.SIGTERM)
        hub.wait(10)
    numbers = [a["result"]["ticket"]["number"] for a in answers.values()]
    assert len(set(numbers)) == 120
    store = Store(db)
    try:
        rows = store.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    finally:
        store.close()
    assert rows == 120


def test_antrean_hub_tells_systemd_it_is_ready_and_feeds_the_watchdog(tmp_path):
    """The unit is Type=notify with WatchdogSec: the hub says READY=1 once connected and
    pings from its command loop."""
    from antrean.config import load_site
    config = ROOT / "examples" / "mini-hall.toml"
    broker = run_broker(load_site(config), tmp_path / "broker")
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    systemd.bind(str(tmp_path / "notify.sock"))
    systemd.settimeout(20)
    env = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
           "WATCHDOG_USEC": "2000000"}
    hub = subprocess.Popen([sys.executable, "-m", "antrean.cli", "hub", "--config", str(config),
                            "--db", str(tmp_path / "hub.sqlite"), "--host", broker.host,
                            "--port", str(broker.port), *clock_from(hall_clock()),
                            "--password-file", str(broker.password_file("hub"))],
                           cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        said = []
        while sum("WATCHDOG=1" in m for m in said) < 3:
            said.append(systemd.recv(4096).decode())
        assert any(m.startswith("READY=1") for m in said)
    finally:
        hub.terminate()
        assert hub.wait(10) == 0          # SIGTERM is a clean stop
        systemd.close()
        broker.stop()


def test_a_command_sent_on_the_hubs_first_snapshot_is_answered(tmp_path):
    """Given a device waiting on a fresh broker, when the hub starts and the device sends a
    command the moment the hub's first snapshot arrives, then the hub answers it (its
    command subscription was confirmed before it published anything). Five fresh halls."""
    for attempt in range(5):
        site = small_site()
        broker = run_broker(site, tmp_path / f"broker-{attempt}")
        kiosk = Device(site, broker, "kiosk-1")
        first: queue.Queue = queue.Queue()
        kiosk.client.subscribe(kiosk.topics.service("KTP"), lambda m: first.put(m), qos=1)
        assert kiosk.client.wait_connected(10)
        service = HubService(site, str(tmp_path / f"hub-{attempt}.sqlite"), broker.host,
                             broker.port, password=broker.passwords["hub"], now_ms=hall_clock())
        thread = threading.Thread(target=service.run, daemon=True)
        thread.start()
        try:
            first.get(timeout=10)
            cmd = kiosk.command("ticket.request", sent_at=service.now_ms(), service="KTP")
            assert kiosk.wait_reply(cmd, timeout=10) is not None, f"start {attempt}: lost"
        finally:
            kiosk.close()
            service.stop()
            thread.join(10)
            broker.stop()
