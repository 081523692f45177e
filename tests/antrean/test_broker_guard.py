"""antrean.deploy.broker_guard with files written by a real Mosquitto, and a real restart
after it."""
import datetime as dt
import os
import selectors
import subprocess
import time

import pytest

from antrean.deploy.broker import free_port
from antrean.deploy.broker_guard import guard, main, problem

pytestmark = pytest.mark.needs("mosquitto")


def wait_for_line(proc: subprocess.Popen, text: str, timeout: float = 10.0) -> list[str]:
    """Read the broker's stderr until a line contains ``text``; return the lines read."""
    lines, deadline = [], time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stderr, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(deadline - time.monotonic()):
                break
            line = proc.stderr.readline().decode()
            if not line:                       # the broker exited
                return lines
            lines.append(line)
            if text in line:
                return lines
    raise TimeoutError(f"no {text!r} from mosquitto in {timeout} s: {lines}")


@pytest.fixture
def broker_dir(tmp_path):
    """A broker config with persistence in tmp_path."""
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    # As root, Mosquitto would drop to the `mosquitto` user, who cannot enter tmp_path.
    user = "user root\n" if os.geteuid() == 0 else ""
    conf.write_text(f"{user}listener {port} 127.0.0.1\nallow_anonymous true\n"
                    f"persistence true\npersistence_location {tmp_path}/\nlog_dest stderr\n")
    return tmp_path, conf, port


def run_broker(conf) -> subprocess.Popen:
    # Unbuffered: a buffered reader would hold read-ahead lines that select() cannot see.
    return subprocess.Popen(["mosquitto", "-c", str(conf)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, bufsize=0)


def stop(proc: subprocess.Popen) -> None:
    try:
        proc.terminate()
        proc.wait(timeout=10)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()


def publish(port: int) -> None:
    """Also proves the broker is in its main loop: Mosquitto 2.0.11 sets its run flag after
    logging "running", so a SIGTERM in between would be lost."""
    subprocess.run(["mosquitto_pub", "-p", str(port), "-t", "antrean/test", "-m", "A-001",
                    "-r", "-q", "1"], check=True, timeout=10)


def real_db(broker_dir) -> bytes:
    """The persistence file of a broker that held a retained message, as Mosquitto wrote it."""
    directory, conf, port = broker_dir
    proc = run_broker(conf)
    try:
        wait_for_line(proc, "running")
        publish(port)
    finally:
        stop(proc)                             # SIGTERM: Mosquitto saves mosquitto.db
    return (directory / "mosquitto.db").read_bytes()


def test_a_real_database_is_left_alone(broker_dir):
    data = real_db(broker_dir)
    db = broker_dir[0] / "mosquitto.db"
    assert problem(db) is None and guard(db) is None
    assert db.read_bytes() == data


@pytest.mark.parametrize("damage, why", [
    (lambda d: b"", "empty"),
    (lambda d: bytes(len(d)), "all NUL"),
    (lambda d: d[:-3], "cut short"),
    (lambda d: d[:len(d) // 2] + bytes(len(d) - len(d) // 2), "chunk"),
    (lambda d: b"PK\x03\x04" + d[4:], "bad magic"),
])
def test_damaged_database_is_moved_aside_and_the_broker_starts(broker_dir, damage, why):
    directory, conf, port = broker_dir
    db = directory / "mosquitto.db"
    db.write_bytes(damage(real_db(broker_dir)))
    assert why in problem(db)
    aside = guard(db, now=dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone.utc))
    assert aside.name == "mosquitto.db.corrupt-20261123T080000" and not db.exists()
    proc = run_broker(conf)
    try:
        assert any("running" in line for line in wait_for_line(proc, "running"))
        publish(port)
    finally:
        stop(proc)


def test_an_all_nul_database_really_stops_mosquitto(broker_dir):
    """The failure the guard exists for, so the test above means something."""
    directory, conf, _ = broker_dir
    (directory / "mosquitto.db").write_bytes(bytes(4096))
    proc = run_broker(conf)
    try:
        lines = wait_for_line(proc, "Couldn't open database")
        assert proc.wait(timeout=10) != 0, lines
    finally:
        stop(proc)


def test_only_the_last_three_corrupt_copies_are_kept(tmp_path):
    db = tmp_path / "mosquitto.db"
    for day in range(1, 6):
        db.write_bytes(bytes(10))
        guard(db, now=dt.datetime(2026, 11, day, tzinfo=dt.timezone.utc))
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == [f"mosquitto.db.corrupt-202611{d:02d}T000000" for d in (3, 4, 5)]


def test_command_exit_codes(tmp_path, capsys):
    db, conf = tmp_path / "mosquitto.db", tmp_path / "mosquitto.conf"
    db.write_bytes(bytes(100))
    assert main(["--db", str(db), "--config", str(conf)]) == 7      # no config yet
    assert "broker-config" in capsys.readouterr().err
    assert not db.exists()                                            # but the db was guarded
    conf.write_text("listener 1883\n")
    assert main(["--db", str(db), "--config", str(conf)]) == 0
    assert os.listdir(tmp_path) != []
