"""Broker config generation and the Mosquitto process, against the real mosquitto binary."""
from __future__ import annotations

import base64
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from antrean.deploy.broker import (DB_MAGIC, BrokerProcess, acl_lines, free_port, guard_persistence,
                            logins, main_broker_config, run_broker,
                            write_broker_config)
from antrean.deploy.credentials import complete, hashed, passwd_text, password_hash, read_passwd
from antrean.errors import BrokerError, UsageError
from antrean.protocol import Topics, encode
from tests.fixtures.broker import Inbox
from tests.fixtures.needs import need_root

REPO = Path(__file__).resolve().parents[2]
T = Topics("mpp-test")


def test_password_hash_matches_mosquitto_passwd(tmp_path):
    # Given a line written by the real tool, our hash with its salt is the same line.
    pw = tmp_path / "pw"
    pw.touch()
    subprocess.run(["mosquitto_passwd", "-b", str(pw), "kiosk-1", "rahasia"], check=True)
    user, hashed = pw.read_text().strip().split(":", 1)
    salt = base64.b64decode(hashed.split("$")[3])
    assert password_hash("rahasia", salt=salt) == hashed
    assert password_hash("rahasia") != password_hash("rahasia")   # a fresh salt each time


def test_config_files_are_private_and_complete(tmp_path, hall_site):
    passwords, _ = complete(hall_site, {})
    conf = write_broker_config(hall_site, tmp_path / "b", hashes=hashed(passwords), port=1884,
                               bind="10.0.0.2")
    for name in ("mosquitto.conf", "passwd", "acl"):
        assert stat.S_IMODE((tmp_path / "b" / name).stat().st_mode) == 0o600
    text = conf.read_text()
    for line in ("listener 1884 10.0.0.2", "allow_anonymous false",
                 "use_username_as_clientid true", "persistence true",
                 "autosave_interval 60", f"persistence_location {tmp_path / 'b' / 'data'}/",
                 f"password_file {tmp_path / 'b' / 'passwd'}",
                 f"acl_file {tmp_path / 'b' / 'acl'}"):
        assert line in text.splitlines()
    users = [l.split(":")[0] for l in (tmp_path / "b" / "passwd").read_text().splitlines()]
    assert users == ["hub", *(d.id for d in hall_site.devices()), *hall_site.operators]
    text = (tmp_path / "b" / "passwd").read_text()
    assert not any(pw in text for pw in passwords.values())
    assert read_passwd(tmp_path / "b" / "passwd").keys() == set(passwords)


def acl_of(site) -> dict[str, list[str]]:
    sections, user = {}, None
    for line in acl_lines(site):
        if line.startswith("user "):
            user = line.split()[1]
            sections[user] = []
        elif line.startswith("topic "):
            sections[user].append(line)
    return sections


def test_acl_is_the_access_table_of_the_protocol(hall_site):
    acl = acl_of(hall_site)
    b = T.base
    assert acl["hub"] == [f"topic readwrite {b}/#"]
    assert acl["kiosk-1"] == [
        f"topic write {b}/cmd/kiosk-1", f"topic write {b}/presence/kiosk-1",
        f"topic write {b}/health/kiosk-1", f"topic read {b}/reply/kiosk-1",
        f"topic read {b}/state/#", f"topic read {b}/event/#"]
    assert acl["box-1"] == [
        f"topic write {b}/cmd/box-1", f"topic write {b}/presence/box-1",
        f"topic write {b}/health/box-1", f"topic read {b}/reply/box-1",
        f"topic read {b}/state/#"]
    assert acl["display-3"] == [
        f"topic write {b}/presence/display-3", f"topic write {b}/health/display-3",
        f"topic read {b}/state/#", f"topic read {b}/event/#"]
    assert acl["ops-watch"] == [
        f"topic write {b}/presence/ops-watch", f"topic write {b}/health/ops-watch",
        f"topic read {b}/#"]
    assert acl["ops-tool"] == [
        f"topic write {b}/cmd/ops-tool", f"topic write {b}/presence/ops-tool",
        f"topic write {b}/health/ops-tool", f"topic read {b}/#"]
    assert {login.role for login in logins(hall_site).values()} == \
        {"hub", "kiosk", "display", "counter", "operator"}


def test_handing_files_to_a_missing_user_is_a_usage_error(tmp_path, hall_site):
    need_root("handing files over to a system user")
    with pytest.raises(UsageError, match="no system user"):
        write_broker_config(hall_site, tmp_path, hashes={}, user="no-such-user-antrean")


def test_broker_starts_on_a_free_port_and_stops_on_sigterm(tmp_path, hall_site):
    proc = run_broker(hall_site, tmp_path)      # how fast: bench, not here
    try:
        with socket.create_connection((proc.host, proc.port), timeout=2):
            pass
        assert any("running" in line for line in proc.log)
    finally:
        stopping = time.monotonic()
        proc.stop()
    assert not proc.running
    # Well under stop()'s 5 s fallback to SIGKILL: the broker obeyed SIGTERM.
    assert time.monotonic() - stopping < 4.0, "\n".join(proc.log)


def test_port_in_use_is_a_broker_error_with_the_log(tmp_path, hall_site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(BrokerError, match="did not start"):
            run_broker(hall_site, tmp_path, port=taken.getsockname()[1])


def test_retained_state_survives_restart_and_kill(broker, client_for):
    hub = client_for("hub")
    snapshot = encode("state.counter", epoch=3, rev=9, at=1, counter=1, paused=True,
                      number=None, service=None, call_id=None, last_call=None)
    assert hub.publish(T.counter(1), snapshot, retain=True).done.wait(5)
    hub.stop()
    port = broker.port
    broker.restart()
    assert broker.port == port and broker.running
    display = client_for("display-hall", start=False)
    inbox = Inbox()
    display.subscribe(T.counter(1), inbox)
    display.start()
    got = inbox.wait_for(lambda m: True)
    assert got.retain and got.payload == snapshot
    broker.kill()
    assert not broker.running
    broker.start()
    assert broker.running


def test_guard_moves_an_all_nul_database_aside(tmp_path, hall_site):
    conf = write_broker_config(hall_site, tmp_path, hashes={}, port=free_port(),
                               bind="127.0.0.1")
    db = tmp_path / "data" / "mosquitto.db"
    db.write_bytes(bytes(4096))     # what a power cut leaves
    # Given the raw broker refuses such a file,
    raw = subprocess.run(["mosquitto", "-c", str(conf)], capture_output=True, timeout=10)
    assert raw.returncode != 0 and b"database" in raw.stderr
    # when guarded, then the file is moved aside and the broker starts.
    what = guard_persistence(db)
    assert what and "all NUL" in what
    assert not db.exists()
    [aside] = list(db.parent.glob("mosquitto.db.corrupt-*"))
    assert aside.read_bytes() == bytes(4096)
    with BrokerProcess(conf) as proc:
        assert proc.running


def test_broker_process_guards_before_start(tmp_path, hall_site):
    conf = write_broker_config(hall_site, tmp_path, hashes={}, port=free_port(),
                               bind="127.0.0.1")
    (tmp_path / "data" / "mosquitto.db").write_bytes(bytes(100))
    with BrokerProcess(conf) as proc:
        assert any("all NUL" in line for line in proc.log)


def test_guard_leaves_good_missing_and_handles_empty_files(tmp_path, broker):
    broker.stop()    # saves a real database
    assert broker.db_path.read_bytes().startswith(DB_MAGIC)
    assert guard_persistence(broker.db_path) is None
    assert broker.db_path.exists()
    assert guard_persistence(tmp_path / "nothing.db") is None
    empty = tmp_path / "empty.db"
    empty.touch()
    assert "empty" in guard_persistence(empty)
    assert not empty.exists()


def test_broker_config_cli(tmp_path, capsys, caplog):
    # Given the hub card's password file that lacks one login of the hall,
    (tmp_path / "passwd").write_text(passwd_text({"hub": "hub-rahasia", "kiosk-1": "kiosk-1-pw",
                                                  "display-hall": "display-pw"}))
    assert main_broker_config(["--config", str(REPO / "examples" / "mini-hall.toml"),
                               "--passwd", str(tmp_path / "passwd"),
                               "--out", str(tmp_path / "b"), "--port", "18830"]) == 0
    # then the broker config is written all the same, with the logins it has,
    assert "listener 18830 0.0.0.0" in (tmp_path / "b" / "mosquitto.conf").read_text()
    assert read_passwd(tmp_path / "b" / "passwd").keys() == {"hub", "kiosk-1", "display-hall"}
    assert "for 3 of 8 logins" in capsys.readouterr().out   # 8: ops-web too
    # and the log names the ones that cannot log in.
    assert "no password for display-3, box-1, ops-status, ops-laptop" in caplog.text
    with pytest.raises(SystemExit) as exit_:
        main_broker_config(["--help"])
    assert exit_.value.code == 0
    assert "--config" in capsys.readouterr().out
