"""The real display app (Kivy under Xvfb) against a real Mosquitto, fed by a stand-in hub
(tests/fixtures/display.py).

Each app runs as a subprocess, as in the hall; it writes a screenshot and the texts on screen
(``--screenshot``) after every change, which is what these tests read. Set
ANTREAN_SHOTS_DIR to keep the screenshots for a person to look at.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from antrean.deploy.broker import run_broker
from antrean.config import load_site
from tests.fixtures.display import DisplayProcess, StandInHub, call, png_size
from tests.fixtures.waiting import wait_until
from tests.fixtures.needs import need_programs

ROOT = Path(__file__).resolve().parents[2]
SITE_FILE = ROOT / "examples" / "mini-hall.toml"
STALE = "Data tidak terbaru \u2014 menghubungkan kembali..."

pytestmark = pytest.mark.needs("Xvfb", "mosquitto")


@pytest.fixture(scope="module")
def site():
    return load_site(SITE_FILE)


@pytest.fixture(scope="module")
def broker(site, tmp_path_factory):
    b = run_broker(site, tmp_path_factory.mktemp("broker"))
    yield b
    b.stop()


@pytest.fixture
def hub(site, broker):
    h = StandInHub(site, broker)
    yield h
    h.close()


class App(DisplayProcess):
    """One ``antrean display`` process of the mini hall and what it last showed."""

    def __init__(self, tmp_path, xdisplay, broker, device, size, audio="null", extra_env=()):
        super().__init__(tmp_path, xdisplay, broker, device, size, site_file=SITE_FILE,
                         audio=audio, extra_env=extra_env)


def test_the_hall_shows_a_call_at_once_speaks_it_once_and_warns_when_the_hub_is_silent(
        tmp_path, xdisplay, broker, hub):
    # Given a hall whose retained state holds an old call (10 minutes ago) and a recent one.
    old = hub.now() - 600_000
    hub.hall(call(40, "A-010", 1, old), call(39, "D-004", 3, old, "PAM-BAYAR"))
    hub.beating.set()
    calls = tmp_path / "calls"
    need_programs("espeak-ng")
    voice = f"file:{calls}"
    app = App(tmp_path, xdisplay, broker, "display-hall", "1920x1080", audio=voice)
    try:
        # Then it renders the retained state and the hub's time, with no banner.
        s = app.wait_shown("the retained state", lambda s: s["latest_number"] == "A-010"
                           and s["banner"] == "" and s["time_text"] != "--:--")
        assert [t["number"] for t in s["tiles"]] == ["A-010", "-", "D-004"]
        # When a counter calls the next ticket.
        hub.call(call(41, "A-011", 2, hub.now()))
        s = app.wait_shown("the new call", lambda s: s["latest_number"] == "A-011")
        assert s["latest_counter"] == "LOKET 2"
        assert s["latest_service"] == "KTP Elektronik"
        assert s["tiles"][1]["number"] == "A-011"
        assert png_size(app.shot) == (1920, 1080)
        app.keep("hall-1920x1080.png")
        # Only the new call is spoken (once: its event and its counter's state both hold it),
        # not the old retained ones.
        if voice != "null":
            spoken = wait_until(lambda: sorted(p.name for p in calls.glob("*.wav")), 30, "a wav")
            assert spoken == ["0001-call41-A-011-loket2.wav"]
        # When the heartbeat stops, the banner says so; when it returns, the banner goes.
        hub.beating.clear()
        app.wait_shown("the stale banner", lambda s: s["banner"] == STALE, timeout=15)
        app.keep("hall-1920x1080-stale.png")
        hub.beating.set()
        app.wait_shown("the banner to go", lambda s: s["banner"] == "", timeout=15)
    finally:
        app.close()


def test_the_counter_layout_and_the_small_screen(tmp_path, xdisplay, broker, hub):
    hub.hall(call(50, "D-007", 3, hub.now(), "PAM-BAYAR"))
    hub.beating.set()
    # systemd's side of Type=notify: a datagram socket the app reports to.
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    systemd.bind(str(tmp_path / "notify.sock"))
    systemd.settimeout(30)
    counter = App(tmp_path, xdisplay, broker, "display-3", "1920x1080", extra_env={
        "NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "2000000"}.items())
    small = App(tmp_path, xdisplay, broker, "display-hall", "800x480")
    try:
        s = counter.wait_shown("counter 3", lambda s: s["counter_number"] == "D-007"
                               and s["banner"] == "")
        assert s["counter_name"] == "LOKET 3"
        # It told systemd it is up, and keeps feeding the watchdog from Kivy's clock.
        said = []
        while sum("WATCHDOG=1" in m for m in said) < 3:
            said.append(systemd.recv(4096).decode())
        assert any(m.startswith("READY=1") for m in said)
        # A call at another counter does not change the counter display.
        hub.call(call(51, "A-020", 1, hub.now()))
        s = small.wait_shown("the small hall", lambda s: s["latest_number"] == "A-020")
        assert s["size"] == [800, 480]
        assert counter.shown()["counter_number"] == "D-007"
        assert png_size(counter.shot) == (1920, 1080)
        counter.keep("counter-1920x1080.png")
        small.keep("hall-800x480.png")
    finally:
        counter.close()
        small.close()
        systemd.close()


@pytest.mark.parametrize("size", ["800x480", "1080x1920", "1920x1080"])
def test_every_number_is_whole_on_every_screen(tmp_path, xdisplay, broker, hub, size):
    """Prefixes of three letters and four digits (an MPP's offline range) on the hall and
    the counter layout: every number on screen is whole, none wider than its box."""
    now = hub.now()
    longest = ["PAS-1234", "BKD-5001", "WAA-9999"]
    hub.hall(*(call(60 + i, n, i + 1, now + i) for i, n in enumerate(longest)))
    hub.beating.set()
    hall = App(tmp_path, xdisplay, broker, "display-hall", size)
    counter = App(tmp_path, xdisplay, broker, "display-3", size)
    try:
        # The tiles' labels take the new texts a frame after the state: wait for both.
        s = hall.wait_shown("the long numbers", lambda s: s["latest_number"] == "WAA-9999"
                            and [t["number"] for t in s["tiles"]] == longest
                            and set(longest) <= set(s["numbers"]))
        assert s["numbers_cut"] == []
        c = counter.wait_shown("counter 3", lambda s: s["counter_number"] == "WAA-9999")
        assert "WAA-9999" in c["numbers"] and c["numbers_cut"] == []
        hall.keep(f"hall-long-{size}.png")
        counter.keep(f"counter-long-{size}.png")
    finally:
        hall.close()
        counter.close()


def test_a_display_that_cannot_speak_says_so_in_its_health(tmp_path, xdisplay, broker, hub):
    """Given a display whose speaker cannot be opened, when a call comes, then its retained
    health names the voice fault (what `antrean status` shows), while the call is shown."""
    need_programs("espeak-ng", "aplay")
    health: list[dict] = []
    got = threading.Condition()

    def on_health(msg):
        with got:
            health.append(json.loads(msg.payload))
            got.notify_all()
    hub.client.subscribe(hub.topics.health("display-hall"), on_health)
    hub.hall()
    hub.beating.set()
    app = App(tmp_path, xdisplay, broker, "display-hall", "800x480",
              audio="aplay:antrean-no-such-device")
    try:
        app.wait_shown("the display up", lambda s: s["banner"] == "")
        hub.call(call(70, "A-070", 1, hub.now()))
        app.wait_shown("the call shown", lambda s: s["latest_number"] == "A-070")
        with got:
            assert got.wait_for(lambda: any("voice failing" in " ".join(h.get("errors", []))
                                            for h in health), 30), health
    finally:
        app.close()


def test_help_names_every_option(tmp_path):
    out = subprocess.run([sys.executable, "-c", "import sys; from display.app import main; "
                          "main(['--help'])"], capture_output=True, text=True, timeout=60,
                         cwd=ROOT, env={**os.environ, "KIVY_NO_CONSOLELOG": "1",
                                        "KIVY_HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    for option in ("--config", "--device", "--host", "--port", "--windowed", "--screenshot",
                   "--audio", "--memory", "--max-age"):
        assert option in out.stdout
