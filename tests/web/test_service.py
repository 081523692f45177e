"""`antrean web` as the technician runs it: adding a staff account, refusing bad options, and
the example halls and the hub's unit agreeing on the page's own login."""
from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from antrean.config import load_site
from antrean.deploy.provision import ROLE_UNITS
from web.accounts import Accounts

ROOT = Path(__file__).resolve().parents[2]
HALLS = sorted((ROOT / "examples").glob("*.toml"))


def antrean(*args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "antrean.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_add_user_writes_an_argon2_account_with_mode_600(tmp_path):
    users = tmp_path / "state" / "web-users.toml"
    done = antrean("web", "--add-user", "sari", "--users", str(users),
                   stdin="kata-sandi-panjang\n")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    assert Accounts(users).check("sari", "kata-sandi-panjang")


def test_a_short_password_and_a_bad_name_are_refused_with_the_reason(tmp_path):
    users = tmp_path / "web-users.toml"
    short = antrean("web", "--add-user", "sari", "--users", str(users), stdin="pendek\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    bad = antrean("web", "--add-user", "Sari Dewi", "--users", str(users),
                  stdin="kata-sandi-panjang\n")
    assert bad.returncode == 2 and "user name" in bad.stderr and not users.exists()


@pytest.mark.parametrize("listen", ["8080", "host:port", "0.0.0.0:70000"])
def test_a_bad_listen_address_is_refused(tmp_path, listen):
    pw = tmp_path / "pw"
    pw.write_text("x")
    done = antrean("web", "--config", str(ROOT / "examples/mini-hall.toml"), "--listen", listen,
                   "--password-file", str(pw), "--state-dir", str(tmp_path))
    assert done.returncode == 2 and "--listen" in done.stderr


def test_an_operator_that_may_act_is_refused_as_the_pages_login(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("x")
    done = antrean("web", "--config", str(ROOT / "examples/mini-hall.toml"), "--as",
                   "ops-laptop", "--password-file", str(pw), "--state-dir", str(tmp_path))
    assert done.returncode == 2 and "read-only login" in done.stderr


@pytest.mark.parametrize("hall", HALLS, ids=lambda p: p.name)
def test_every_example_hall_declares_the_pages_read_only_login(hall):
    site = load_site(hall)
    assert "ops-web" in site.operators and not site.operators["ops-web"].commands


def test_the_hub_card_runs_the_page_with_that_login():
    assert "antrean-web.service" in ROLE_UNITS["hub"]
    unit = (ROOT / "systemd/antrean-web.service").read_text()
    assert "antrean web --config ${ANTREAN_CONFIG}" in unit and "--as ops-web" in unit


@pytest.mark.needs("mosquitto")
def test_antrean_web_serves_follows_the_broker_and_feeds_systemds_watchdog(tmp_path):
    """Given a real broker for the Madiun hall and a notify socket standing in for systemd,
    when `antrean web` runs as the unit runs it, then it says READY=1, keeps feeding the
    watchdog, and serves a page that follows the broker; SIGTERM stops it cleanly."""
    import json
    import os
    import signal
    import socket
    import tempfile
    import urllib.request

    from antrean.deploy.broker import free_port, run_broker
    from tests.fixtures.sites import with_tool_logins

    config = with_tool_logins(ROOT / "examples/mpp-madiun.toml", tmp_path)
    broker = run_broker(load_site(config), tmp_path / "broker")
    password = tmp_path / "ops-web.password"
    password.write_text(broker.passwords["ops-web"])
    directory = tempfile.mkdtemp(prefix="web-sdn-")   # AF_UNIX paths are short
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(os.path.join(directory, "notify"))
    notify.settimeout(20)
    port = free_port()
    log = tmp_path / "web.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "antrean.cli", "web", "--config", str(config),
             "--host", broker.host, "--port", str(broker.port), "--listen",
             f"127.0.0.1:{port}", "--as", "ops-web", "--password-file", str(password),
             "--state-dir", str(tmp_path)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT),
                           "NOTIFY_SOCKET": os.path.join(directory, "notify"),
                           "WATCHDOG_USEC": "2000000"},
            stdout=out, stderr=subprocess.STDOUT)
    try:
        said = []
        while not ("READY=1" in " ".join(said) and said.count("WATCHDOG=1") >= 2):
            said += notify.recv(1024).decode().split("\n")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            assert json.loads(r.read())["link"] is True
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert 'id="svc-PASPOR-BARU"' in r.read().decode()
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down, then re-raises the signal: systemd counts SIGTERM as clean.
        assert proc.wait(15) in (0, -signal.SIGTERM), log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        notify.close()
        os.unlink(os.path.join(directory, "notify"))
        os.rmdir(directory)
        broker.stop()
