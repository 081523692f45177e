"""Display benchmark: button press -> hall display state, beside raw MQTT one-hop latency;
the display app's idle CPU and resident memory beside a bare Kivy label app, same run.

    .venv/bin/python bench/bench_display.py [--presses 1000] [--idle-s 15] [--rounds 3]

Everything is real: Mosquitto, the hub, the button box code (counter_button.CounterBox) on
gpiozero MockFactory pins, and the display core (display.state.DisplayState behind its own
HallClient, subscribed as the app is: ``counter_topics``). A press is a mock pin driven low;
it is done when the display core has received the ``state.counter`` snapshot of counter 1
holding that call (the ``event/called`` hint comes earlier and is shown too). One hop is
one QoS 1 publish from one client to another through the broker.
Idle figures come from ``antrean display`` and a bare Kivy label app under Xvfb, alternated.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gpiozero.pins.mock import MockFactory  # noqa: E402

from antrean import protocol  # noqa: E402
from antrean.deploy.broker import run_broker  # noqa: E402
from antrean.clock import HubClock  # noqa: E402
from antrean.command import CommandChannel  # noqa: E402
from antrean.config import load_site  # noqa: E402
from antrean.messages import Called, StateCounter  # noqa: E402
from antrean.mqtt import HallClient  # noqa: E402
from bench.bench_kiosk import BARE_APP, cpu_seconds, percentile, rss_kb, start_xvfb  # noqa: E402
from counter_button.app import CounterBox  # noqa: E402
from counter_button.core import Pattern  # noqa: E402
from display.memory import AnnounceMemory  # noqa: E402
from display.state import ACCEPTED, DisplaySettings, DisplayState, counter_topics  # noqa: E402
from hub.service import HubService  # noqa: E402
from tests.fixtures.sites import with_tool_logins  # noqa: E402

SITE_FILE = ROOT / "examples" / "mini-hall.toml"
NEXT_1 = 17             # box-1's NEXT pin of counter 1 in mini-hall.toml
PRESS_S = 0.005         # how long the mock finger holds the button
WAIT_S = 10


class Waiter:
    """A counter that threads bump and the bench waits on."""

    def __init__(self):
        self.count, self.at = 0, 0.0
        self._cond = threading.Condition()

    def bump(self) -> None:
        with self._cond:
            self.count, self.at = self.count + 1, time.perf_counter()
            self._cond.notify_all()

    def wait_past(self, count: int) -> float:
        with self._cond:
            if not self._cond.wait_for(lambda: self.count > count, WAIT_S):
                raise SystemExit(f"nothing arrived within {WAIT_S} s")
            return self.at


class Hall:
    def __init__(self, work: Path):
        self.work = work
        self.site = load_site(with_tool_logins(SITE_FILE, work))
        self.broker = run_broker(self.site, work / "broker")
        self.hub = HubService(self.site, str(work / "hub.sqlite"), self.broker.host,
                              self.broker.port, password=self.broker.passwords["hub"])
        self.hub_thread = threading.Thread(target=self.hub.run, daemon=True)
        self.hub_thread.start()
        # Until its command subscription is confirmed the broker drops what devices send it.
        if not self.hub.client.wait_connected(WAIT_S):
            raise SystemExit(f"the hub did not connect within {WAIT_S} s")
        self.clients: list[HallClient] = []

    def tool(self, device: str, **kw) -> HallClient:
        """An operator tool's client, with its own login (``ops-*``)."""
        client = HallClient(site=self.site.id, device=device, role="operator",
                            password=self.broker.passwords[device], host=self.broker.host,
                            port=self.broker.port, announce=False, **kw)
        self.clients.append(client)
        return client

    def tickets(self, n: int) -> None:
        client = self.tool("ops-kiosk")
        kiosk = CommandChannel(client, client.topics, "ops-kiosk", HubClock())
        client.start()
        client.wait_connected(WAIT_S)
        for _ in range(n):
            ticket = kiosk.request("ticket.request", {"service": "KTP"}, 5).result.ticket
            kiosk.request("ticket.printed", {"ticket": ticket.id}, 5)

    def close(self) -> None:
        for c in self.clients:
            c.stop(timeout=2)
        self.hub.stop()
        self.hub_thread.join(10)
        self.broker.stop()


def one_hop(hall: Hall, n: int) -> list[float]:
    """Seconds from publish() to the subscriber's handler, QoS 1, n times, one at a time."""
    got = Waiter()
    sender, receiver = hall.tool("ops-ping"), hall.tool("ops-pong")
    topic = receiver.topics.health("ops-bench")
    receiver.subscribe(topic, lambda msg: got.bump())
    for c in (sender, receiver):
        c.start()
        c.wait_connected(WAIT_S)
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        sender.publish(topic, json.dumps({"i": i}).encode(), qos=1)
        out.append(got.wait_past(i) - t0)
    return out


def press_to_display(hall: Hall, n: int) -> tuple[list[float], list[float]]:
    """(press -> counter 1's state.counter at the display core, press -> event/called) in
    seconds."""
    display = hall.site.displays["display-hall"]
    settings = DisplaySettings.of(hall.site, display)
    state = DisplayState(hall.site, settings, AnnounceMemory(hall.work / "memory.json"),
                         HubClock())
    snapshots, events = Waiter(), Waiter()
    last_call = {"id": -1}

    def on_message(msg) -> None:
        state.receive(msg.payload, retained=msg.retain)
        body = protocol.decode(msg.payload, ACCEPTED)
        if isinstance(body, Called) and body.call.counter == 1:
            events.bump()
        elif isinstance(body, StateCounter) and body.counter == 1:
            if body.call_id is not None and body.call_id > last_call["id"]:
                last_call["id"] = body.call_id
                snapshots.bump()

    client = HallClient(site=hall.site.id, device=display.id, role="display",
                        password=hall.broker.passwords[display.id], host=hall.broker.host,
                        port=hall.broker.port)
    for topic in (*counter_topics(client.topics, hall.site, settings), client.topics.called,
                  client.topics.clock):
        client.subscribe(topic, on_message, qos=1)
    client.start()
    client.wait_connected(WAIT_S)

    lit = Waiter()
    factory = MockFactory()
    box = CounterBox(hall.site, "box-1", password=hall.broker.passwords["box-1"],
                     host=hall.broker.host, port=hall.broker.port,
                     pin_factory=factory, bounce_time=None, debounce_s=PRESS_S / 5,
                     on_led=lambda c, p: c == 1 and p is Pattern.ON and lit.bump())
    box.start()
    try:
        wait_online(box)
        pin, finger = factory.pin(NEXT_1), threading.Event()
        to_state, to_event = [], []
        for _ in range(n):
            seen_s, seen_e, seen_l = snapshots.count, events.count, lit.count
            t0 = time.perf_counter()
            pin.drive_low()
            finger.wait(PRESS_S)
            pin.drive_high()
            to_state.append(snapshots.wait_past(seen_s) - t0)
            to_event.append(events.wait_past(seen_e) - t0)
            lit.wait_past(seen_l)          # the box has its answer: the next press counts
            finger.wait(PRESS_S)           # the finger moves back to the button
        return to_state, to_event
    finally:
        box.stop()
        client.stop(timeout=2)      # the display app measured next logs in as display-hall


def wait_online(box: CounterBox) -> None:
    deadline = time.monotonic() + WAIT_S
    while not box.core.online(time.monotonic()):
        if time.monotonic() > deadline:
            raise SystemExit("the button box never came online")
        threading.Event().wait(0.05)


def idle(argv: list[str], env: dict, seconds: float) -> tuple[float, int]:
    """(CPU % of one core while idle, resident kB) of a process started with argv."""
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        threading.Event().wait(8)          # start-up: window, fonts, first snapshot
        t0, c0 = time.monotonic(), cpu_seconds(proc.pid)
        threading.Event().wait(seconds)
        t1, c1 = time.monotonic(), cpu_seconds(proc.pid)
        return 100 * (c1 - c0) / (t1 - t0), rss_kb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)


def line(name: str, values: list[float]) -> str:
    return (f"{name:34s} p50 {percentile(values, 50) * 1000:7.2f} ms   p99 "
            f"{percentile(values, 99) * 1000:7.2f} ms   (n={len(values)}, "
            f"mean {statistics.mean(values) * 1000:.2f} ms)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presses", type=int, default=1000, help="presses (default 1000)")
    ap.add_argument("--idle-s", type=float, default=15, help="idle window (default 15 s)")
    ap.add_argument("--rounds", type=int, default=3, help="idle measurements per app (default 3)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-display-") as tmp:
        work = Path(tmp)
        hall = Hall(work)
        xvfb = None
        try:
            hall.tickets(args.presses + 5)
            hop = one_hop(hall, args.presses)
            to_state, to_event = press_to_display(hall, args.presses)
            print(line("raw MQTT one hop (QoS 1):", hop))
            print(line("press -> event/called at display:", to_event))
            print(line("press -> state.counter at display:", to_state))
            ratio = [percentile(to_state, p) / percentile(hop, p) for p in (50, 99)]
            print(f"press -> display state / one hop: p50 x{ratio[0]:.1f}   p99 x{ratio[1]:.1f}")
            xvfb, xdisplay = start_xvfb()
            env = {**os.environ, "DISPLAY": xdisplay, "KIVY_NO_ARGS": "1",
                   "KIVY_NO_CONSOLELOG": "1", "KIVY_HOME": str(work / "kivy"),
                   "PYTHONPATH": str(ROOT)}
            bare = work / "bare_label_app.py"   # a file: Kivy's App looks for its kv beside it
            bare.write_text(BARE_APP)
            display_argv = [sys.executable, "-m", "antrean.cli", "display", "--config",
                            str(SITE_FILE), "--device", "display-hall", "--host",
                            hall.broker.host, "--port", str(hall.broker.port),
                            "--password-file", str(hall.broker.password_file("display-hall")),
                            "--windowed",
                            "800x480", "--audio", "null", "--memory", str(work / "idle.json")]
            # Idle CPU on a shared machine is noisy: alternate the two apps, take medians.
            runs = {"display": [], "bare": []}
            for _ in range(args.rounds):
                runs["display"].append(idle(display_argv, env, args.idle_s))
                runs["bare"].append(idle([sys.executable, str(bare)], env, args.idle_s))
            (d_cpu, d_rss), (b_cpu, b_rss) = (
                (statistics.median(v) for v in zip(*runs[k])) for k in ("display", "bare"))
            print(f"idle CPU  display {d_cpu:5.2f} %   bare Kivy label {b_cpu:5.2f} %   "
                  f"ratio x{d_cpu / b_cpu if b_cpu else float('inf'):.2f}   (% of one core, "
                  f"median of {args.rounds} x {args.idle_s:g} s)")
            print(f"RSS       display {d_rss / 1024:6.1f} MB bare Kivy label "
                  f"{b_rss / 1024:6.1f} MB   ratio x{d_rss / b_rss:.2f}")
        finally:
            hall.close()
            if xvfb is not None:
                xvfb.terminate()
                xvfb.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
