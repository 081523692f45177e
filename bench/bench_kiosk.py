"""Kiosk benchmark: tap-to-paper latency online and offline, resident memory and idle CPU
beside a bare Kivy label app measured in the same run.

    .venv/bin/python bench/bench_kiosk.py [--tickets 20] [--idle-s 20]

Everything is real: Xvfb, Mosquitto, the hub, the virtual ESC/POS printer on TCP, and the
kiosk app tapped with Kivy's UnitTestTouch (tests/kiosk/kiosk_driver.py). Latency runs from
the touch on the service tile to the moment the printer has the whole ticket (the job ends
when the kiosk closes the connection after its status check). Offline, the kiosk first waits
for the hub's answer (Issuer.request_timeout, 1.5 s) before it prints from its lease.
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

from antrean.deploy.broker import run_broker  # noqa: E402
from antrean.config import load_site  # noqa: E402
from hub.service import HubService  # noqa: E402
from kiosk.virtual_printer import VirtualPrinter  # noqa: E402

BARE_APP = """
import os, sys
os.environ["KIVY_NO_ARGS"] = "1"
from kivy.config import Config
Config.set("graphics", "width", "800"); Config.set("graphics", "height", "480")
from kivy.app import App
from kivy.uix.label import Label
class Bare(App):
    def build(self):
        return Label(text="Antrean", font_size=48)
Bare().run()
"""


def start_xvfb() -> tuple[subprocess.Popen, str]:
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x1024x24",
                             "-nolisten", "tcp"], pass_fds=(w,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        return proc, ":" + f.readline().strip()


class Bench:
    def __init__(self, work: Path, display: str):
        self.work, self.display = work, display
        text = (ROOT / "examples" / "mini-hall.toml").read_text()
        self.config = work / "site.toml"
        self.config.write_text(text.replace("lease_size = 10", "lease_size = 60"))
        self.site = load_site(self.config)
        self.broker = run_broker(self.site, work / "broker")
        self.hub = HubService(self.site, str(work / "hub.sqlite"), self.broker.host,
                              self.broker.port, password=self.broker.passwords["hub"])
        self.hub_thread = threading.Thread(target=self.hub.run, daemon=True)
        self.hub_thread.start()
        self.printer = VirtualPrinter(pty=False).start()
        self.env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1",
                    "KIVY_NO_CONSOLELOG": "1", "KIVY_HOME": str(work / "kivy"),
                    "PYTHONPATH": str(ROOT)}

    def kiosk_args(self) -> list[str]:
        return ["--config", str(self.config), "--device", "kiosk-1", "--host",
                self.broker.host, "--port", str(self.broker.port),
                "--password-file", str(self.broker.password_file("kiosk-1")),
                "--printer", f"network:127.0.0.1:{self.printer.port}",
                "--state-dir", str(self.work / "state"), "--windowed", "800x480"]

    def latencies(self, n: int, online: bool) -> list[float]:
        """Tap AKTA (no priority screen) ``n`` times; seconds from touch to printed ticket."""
        visit = [{"tap": "agency", "id": "dukcapil"}, {"wait": "screen", "is": "services"},
                 {"tap": "service", "id": "AKTA"}, {"wait": "screen", "is": "done"},
                 {"tap": "text", "text": "Selesai"},
                 {"wait": "screen", "is": "home"}]
        steps = [{"wait": "online" if online else "offline"}, {"wait": "known"}] \
            if online else [{"wait": "offline"}]
        first_tap = len(steps) + 2
        steps += visit * n + [{"quit": True}]
        done: list[float] = []

        def collect():
            while len(done) < n and (job := self.printer.wait_for_job(30)) is not None:
                done.append(time.time())
        collector = threading.Thread(target=collect, daemon=True)
        collector.start()
        proc = subprocess.Popen([sys.executable, "-m", "tests.kiosk.kiosk_driver",
                                 json.dumps(steps), "--", *self.kiosk_args()],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                cwd=ROOT, env=self.env, text=True)
        taps = []
        for line in proc.stdout:
            report = json.loads(line)
            if not report.get("ok"):
                raise SystemExit(f"kiosk step failed: {report.get('failed')}")
            if report["step"] >= first_tap and (report["step"] - first_tap) % len(visit) == 0:
                taps.append(report["at"])
        proc.wait(30)
        collector.join(30)
        if len(done) != n or len(taps) != n:
            raise SystemExit(f"expected {n} tickets, got {len(done)} printed, {len(taps)} taps")
        return [d - t for t, d in zip(taps, done)]

    def idle(self, argv: list[str], seconds: float) -> tuple[float, int]:
        """(CPU % of one core while idle, resident kB) of a process started with argv."""
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            time.sleep(8)                      # start-up: window, fonts, first snapshot
            t0, c0 = time.monotonic(), cpu_seconds(proc.pid)
            time.sleep(seconds)
            t1, c1 = time.monotonic(), cpu_seconds(proc.pid)
            return 100 * (c1 - c0) / (t1 - t0), rss_kb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)

    def close(self) -> None:
        self.hub.stop()
        self.hub_thread.join(10)
        self.printer.stop()
        self.broker.stop()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tickets", type=int, default=20, help="tickets per mode (default 20)")
    ap.add_argument("--idle-s", type=float, default=15, help="idle window (default 15 s)")
    ap.add_argument("--rounds", type=int, default=3, help="idle measurements per app (default 3)")
    args = ap.parse_args()
    xvfb, display = start_xvfb()
    with tempfile.TemporaryDirectory(prefix="bench-kiosk-") as tmp:
        bench = Bench(Path(tmp), display)
        try:
            report(bench, args)
        finally:
            bench.close()
            xvfb.terminate()
            xvfb.wait(10)
    return 0


def report(bench: Bench, args) -> None:
    online = bench.latencies(args.tickets, online=True)
    bench.broker.stop()
    offline = bench.latencies(args.tickets, online=False)
    bench.broker.start()
    for name, values in (("online", online), ("offline", offline)):
        print(f"tap -> ticket printed, {name:7s}: p50 {percentile(values, 50) * 1000:7.0f} ms"
              f"   p99 {percentile(values, 99) * 1000:7.0f} ms   (n={len(values)}, "
              f"mean {statistics.mean(values) * 1000:.0f} ms)")
    bare = bench.work / "bare_label_app.py"      # a file: Kivy's App looks for its kv beside it
    bare.write_text(BARE_APP)
    kiosk_argv = [sys.executable, "-m", "antrean.cli", "kiosk", *bench.kiosk_args()]
    # Idle CPU on a shared machine is noisy: alternate the two apps, take the medians.
    kiosk_runs, bare_runs = [], []
    for _ in range(args.rounds):
        kiosk_runs.append(bench.idle(kiosk_argv, args.idle_s))
        bare_runs.append(bench.idle([sys.executable, str(bare)], args.idle_s))
    kiosk_cpu, kiosk_rss = (statistics.median(v) for v in zip(*kiosk_runs))
    bare_cpu, bare_rss = (statistics.median(v) for v in zip(*bare_runs))
    print(f"idle CPU  kiosk {kiosk_cpu:5.2f} %   bare Kivy label {bare_cpu:5.2f} %   "
          f"(% of one core, median of {args.rounds} x {args.idle_s:g} s)   "
          f"ratio {kiosk_cpu / bare_cpu if bare_cpu else float('inf'):.2f}")
    print(f"RSS       kiosk {kiosk_rss / 1024:5.0f} MB  bare Kivy label {bare_rss / 1024:5.0f} MB"
          f"  ratio {kiosk_rss / bare_rss:.2f}")


if __name__ == "__main__":
    sys.exit(main())
