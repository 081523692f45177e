"""antrean.sdnotify against a real AF_UNIX datagram socket standing in for systemd."""
import os
import socket
import tempfile

import pytest

from antrean.errors import UsageError
from antrean.sdnotify import Watchdog, notify


@pytest.fixture
def manager():
    """A bound datagram socket, like systemd's notify socket; yields (address, socket)."""
    # tmp_path can exceed the 108-byte AF_UNIX path limit; mkdtemp under /tmp does not.
    directory = tempfile.mkdtemp(prefix="sdn-")
    path = os.path.join(directory, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    yield path, sock
    sock.close()
    os.unlink(path)
    os.rmdir(directory)


def test_notify_sends_state_to_path_socket(manager):
    path, sock = manager
    assert notify("READY=1", {"NOTIFY_SOCKET": path}) is True
    assert sock.recv(1024) == b"READY=1"


def test_notify_supports_abstract_socket():
    name = f"antrean-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        sock.settimeout(5)
        assert notify("STATUS=hello", {"NOTIFY_SOCKET": "@" + name}) is True
        assert sock.recv(1024) == b"STATUS=hello"


def test_notify_is_noop_without_socket():
    assert notify("READY=1", {}) is False


def test_notify_rejects_relative_socket_name():
    with pytest.raises(UsageError):
        notify("READY=1", {"NOTIFY_SOCKET": "relative/name"})


def test_notify_to_vanished_manager_is_not_fatal(tmp_path):
    assert notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "gone")}) is False


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_watchdog_pings_at_half_the_interval(manager):
    path, sock = manager
    clock = FakeClock()
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getpid())}
    dog = Watchdog(env, clock=clock)
    assert dog.interval == 5.0

    assert dog.ready("hub up") is True
    assert sock.recv(1024) == b"READY=1\nSTATUS=hub up"
    assert sock.recv(1024) == b"WATCHDOG=1"

    clock.now += 4.9
    assert dog.ping() is False          # too soon: rate-limited
    clock.now += 0.2
    assert dog.ping() is True
    assert sock.recv(1024) == b"WATCHDOG=1"
    sock.setblocking(False)
    with pytest.raises(BlockingIOError):
        sock.recv(1024)                 # exactly one ping went out


@pytest.mark.parametrize("env", [
    {},
    {"WATCHDOG_USEC": "0"},
    {"WATCHDOG_USEC": "abc"},
    {"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"},   # meant for another process
])
def test_watchdog_disabled(manager, env):
    path, _ = manager
    dog = Watchdog({"NOTIFY_SOCKET": path, **env})
    assert dog.interval is None
    assert dog.ping() is False
