"""``antrean counter --virtual``: the Tombol Loket window (Kivy under Xvfb) and the headless
console, each a real process on a real broker, against a stand-in hub.

Keys reach the process on stdin ("1n" = counter 1 NEXT): the window takes the same keys there
as from its keyboard, so these tests press through the panel's own code, its mock pins and
gpiozero. Set ANTREAN_SHOTS_DIR to keep the panel's screenshot for a person to look at.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from antrean.config import load_site
from tests.counter_button.conftest import StandInHub, call

ROOT = Path(__file__).resolve().parents[2]
SITE_FILE = ROOT / "examples" / "mini-hall.toml"

needs_x = pytest.mark.needs("Xvfb")


@pytest.fixture
def hall_site():
    return load_site(SITE_FILE)


@pytest.fixture
def hub(client_for):
    stand_in = StandInHub(client_for("hub"))
    yield stand_in
    stand_in.stop()


class BoxProcess:
    """One ``antrean counter --virtual`` process; its stdout lines, waited on."""

    def __init__(self, tmp_path, broker, *extra, display: str | None = None):
        env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1",
               "KIVY_HOME": str(tmp_path / "kivy"), "PYTHONPATH": str(ROOT)}
        env.pop("DISPLAY", None)
        if display:
            env["DISPLAY"] = display
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from antrean.cli import main; "
             "sys.exit(main(sys.argv[1:]))", "counter", "--config", str(SITE_FILE),
             "--device", "box-1", "--host", broker.host, "--port", str(broker.port),
             "--password-file", str(broker.password_file("box-1")), "--virtual", *extra],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, cwd=tmp_path)
        self.lines: list[str] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self.lines.append("<exit>")
            self._cond.notify_all()

    def wait_line(self, predicate, start: int = 0, timeout: float = 20) -> int:
        """Index of the first line from ``start`` on that satisfies ``predicate``."""
        def found():
            return next((i for i in range(start, len(self.lines))
                         if predicate(self.lines[i]) or self.lines[i] == "<exit>"), None)
        with self._cond:
            index = self._cond.wait_for(found, timeout)
            if index is None or self.lines[index] == "<exit>":
                pytest.fail("no such line; the box said:\n" + "\n".join(self.lines[-40:]))
            return index

    def type(self, keys: str) -> None:
        self.proc.stdin.write(keys + "\n")
        self.proc.stdin.flush()

    def close(self) -> int:
        self.proc.terminate()
        try:
            code = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(5)
        self.proc.stdin.close()
        with self._cond:
            self._cond.wait_for(lambda: self.lines[-1:] == ["<exit>"], 5)
        self.proc.stdout.close()
        return code


@needs_x
def test_window_keys_press_mock_pins_and_the_drawn_led_follows(tmp_path, broker, hub,
                                                               xdisplay):
    shot = tmp_path / "panel.png"
    box = BoxProcess(tmp_path, broker, "--screenshot", str(shot), display=xdisplay)
    try:
        ready = box.wait_line(lambda s: s.startswith("loket 1: LED padam"))
        box.type("1n")
        command = hub.command(lambda c: c["counter"] == 1)
        assert command["type"] == "counter.next"
        hub.reply("box-1", command, {"call": call(1, "A-001")})
        steady = box.wait_line(lambda s: s.startswith("loket 1: LED menyala"), ready)
        box.wait_line(lambda s: s.startswith("panel ") and json.loads(s[6:])["lit"]["1"],
                      steady)
        shown = json.loads(shot.with_suffix(".json").read_text())
        assert shown["title"] == "Tombol Loket (box-1)" and shown["lit"]["1"] is True
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        keep = os.environ.get("ANTREAN_SHOTS_DIR")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, Path(keep) / "counter-panel.png")
    finally:
        assert box.close() == 0


def test_headless_console_takes_keys_on_stdin(tmp_path, broker, hub):
    box = BoxProcess(tmp_path, broker)
    try:
        ready = box.wait_line(lambda s: s.startswith("loket 3: LED padam"))
        box.type("2r")
        command = hub.command(lambda c: c["counter"] == 2)
        assert command["type"] == "counter.recall"
        hub.reply("box-1", command, error="nothing_to_recall")
        box.wait_line(lambda s: s.startswith("loket 2: LED kedip ganda"), ready)
        box.type("zz")
        box.wait_line(lambda s: "tidak dimengerti" in s)
    finally:
        assert box.close() == 0


def test_help_names_every_option():
    out = subprocess.run([sys.executable, "-c", "import sys; from counter_button.app import "
                          "main; sys.exit(main(sys.argv[1:]))", "--help"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0
    for option in ("--config", "--device", "--host", "--port", "--virtual", "--hold-time",
                   "--bounce-time", "--reply-timeout", "--screenshot", "--lang"):
        assert option in out.stdout
