"""A real hall for the kiosk's tests: Xvfb, Mosquitto, the hub, a virtual printer on TCP, and
the kiosk app driven in a subprocess (tests/kiosk/kiosk_driver.py).

Import the fixtures into a test module: ``from tests.kiosk.kiosk_hall import xvfb, hall``.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from tests.fixtures.xvfb import virtual_screen
from paho.mqtt.enums import CallbackAPIVersion

from antrean.deploy.broker import run_broker
from antrean.config import load_site
from antrean.protocol import Topics
from hub.service import HubService
from tests.fixtures.hallclock import WEDNESDAY_10, hall_clock
from tests.fixtures.sites import with_tool_logins
from kiosk.virtual_printer import VirtualPrinter

ROOT = Path(__file__).resolve().parents[2]
MINI_HALL = ROOT / "examples" / "mini-hall.toml"
SHOTS = Path("/tmp/antrean-shots")


@pytest.fixture(scope="session")
def xvfb():
    with virtual_screen() as display:
        yield display


def write_site(tmp_path: Path, *, holiday_today: bool = False, lease_size: int = 10) -> Path:
    """The mini hall's TOML, changed as a test needs (today a holiday, lease size)."""
    text = MINI_HALL.read_text()
    if holiday_today:
        today = WEDNESDAY_10.date().isoformat()            # the hub's day (hall_clock)
        text = text.replace("holidays = []", f"holidays = [{today}]")
    text = text.replace("lease_size = 10", f"lease_size = {lease_size}")
    path = tmp_path / "site-base.toml"
    path.write_text(text)
    return with_tool_logins(path, tmp_path)


class Hall:
    def __init__(self, tmp_path: Path, config: Path):
        self.tmp, self.config = tmp_path, config
        self.site = load_site(config)
        self.broker = run_broker(self.site, tmp_path / "broker")
        self.db = tmp_path / "hub.sqlite"
        self.clock = hall_clock()
        self.hub = HubService(self.site, str(self.db), self.broker.host, self.broker.port,
                              password=self.broker.passwords["hub"],
                              now_ms=self.clock)
        self._hub_thread = threading.Thread(target=self.hub.run, name="hub", daemon=True)
        self._hub_thread.start()
        self.printer = VirtualPrinter(out_dir=tmp_path / "tickets", pty=False).start()
        self.health: queue.Queue[dict] = queue.Queue()
        self.watcher = None
        self._watchers: list = []
        self.runs: list[KioskRun] = []

    def watch_health(self, device: str) -> None:
        """Collect the device's health messages, as the technician's status view does: an
        operator tool's login, which may read everything."""
        topic = Topics(self.site.id).health(device)
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id="ops-watch")
        c.username_pw_set("ops-watch", self.broker.passwords["ops-watch"])
        c.on_connect = lambda client, *_: client.subscribe(topic, 1)
        c.on_message = lambda client, userdata, m: self.health.put(json.loads(m.payload))
        c.connect(self.broker.host, self.broker.port)
        c.loop_start()
        self.watcher = c

    def watch_commands(self, device: str) -> list[dict]:
        """Every command ``device`` sends, as the broker delivers it (an operator tool's
        login, which may read every cmd topic): the list fills as they arrive. A persistent
        session, so what is sent while a restarted broker is back before the watcher is kept
        for it."""
        seen: list[dict] = []
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id="ops-tap", clean_session=False)
        c.reconnect_delay_set(0.1, 1)
        c.username_pw_set("ops-tap", self.broker.passwords["ops-tap"])
        ready = threading.Event()
        c.on_connect = lambda client, *_: client.subscribe(Topics(self.site.id).cmd(device), 1)
        c.on_subscribe = lambda *_: ready.set()
        c.on_message = lambda client, userdata, m: seen.append(json.loads(m.payload))
        c.connect(self.broker.host, self.broker.port)
        c.loop_start()
        assert ready.wait(10), "the command watcher never subscribed"
        self._watchers.append(c)
        return seen

    def wait_health(self, predicate, timeout: float) -> dict | None:
        end = dt.datetime.now() + dt.timedelta(seconds=timeout)
        while (left := (end - dt.datetime.now()).total_seconds()) > 0:
            try:
                msg = self.health.get(timeout=left)
            except queue.Empty:
                return None
            if predicate(msg):
                return msg
        return None

    def tickets(self, where: str = "1") -> list[dict]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(
                f"SELECT * FROM tickets WHERE {where} ORDER BY issued_at, rowid")]

    def kiosk(self, steps: list[dict], display: str, *, size: str = "800x480",
              state_dir: Path | None = None, extra: tuple = (),
              env: dict | None = None) -> "KioskRun":
        args = ["--config", str(self.config), "--device", "kiosk-1",
                "--host", self.broker.host, "--port", str(self.broker.port),
                "--password-file", str(self.broker.password_file("kiosk-1")),
                "--printer", f"network:127.0.0.1:{self.printer.port}",
                "--state-dir", str(state_dir or self.tmp / "kiosk-state"),
                "--windowed", size, *extra]
        run = KioskRun(steps, args, display, self.tmp, env or {})
        self.runs.append(run)
        return run

    def close(self) -> None:
        for run in self.runs:
            run.kill()
        for w in [self.watcher, *self._watchers]:
            if w is not None:
                w.disconnect()
                w.loop_stop()
        self.hub.stop()
        self._hub_thread.join(10)
        self.printer.stop()
        self.broker.stop()


@pytest.fixture
def hall(tmp_path):
    made = []

    def make(**changes) -> Hall:
        h = Hall(tmp_path, write_site(tmp_path, **changes))
        made.append(h)
        return h
    yield make
    for h in made:
        h.close()


class KioskRun:
    """The kiosk app in a subprocess, following a list of steps; one JSON line per step."""

    def __init__(self, steps: list[dict], args: list[str], display: str, tmp: Path,
                 extra_env: dict | None = None):
        env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1",
               "KIVY_NO_CONSOLELOG": "1", "KIVY_HOME": str(tmp / "kivy-home"),
               "PYTHONPATH": str(ROOT), **(extra_env or {})}
        self.log_path = tmp / f"kiosk-{len(list(tmp.glob('kiosk-*.log')))}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.kiosk.kiosk_driver", json.dumps(steps), "--", *args],
            stdout=subprocess.PIPE, stderr=self._log, cwd=ROOT, env=env)
        self.lines: queue.Queue[dict | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with self.proc.stdout:
            for raw in self.proc.stdout:
                try:
                    self.lines.put(json.loads(raw))
                except ValueError:
                    pass
        self.lines.put(None)

    def step(self, timeout: float = 30) -> dict:
        """The next step's report; fails the test (with the kiosk's log) if it failed."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            line = None
        if line is None or not line.get("ok"):
            pytest.fail(f"kiosk step failed: {line}\n--- kiosk log ---\n{self.log_tail()}")
        return line

    def steps_until(self, n: int, timeout: float = 60) -> list[dict]:
        return [self.step(timeout) for _ in range(n)]

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(x for x in text if " DEBUG " not in x)[-6000:] if text else ""

    def wait(self, timeout: float = 20) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self._reader.join(5)
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait(10)


def decoded(job) -> str:
    from kiosk.escpos_decode import decode
    return decode(job.data).text()
