"""Talk to systemd's service manager: readiness, status text and the watchdog.

A plain AF_UNIX datagram to ``$NOTIFY_SOCKET`` (sd_notify(3)); no libsystemd needed. Outside
systemd (no ``$NOTIFY_SOCKET``) every call is a no-op, so roles run the same from a terminal.

The watchdog is fed by the role from the loop whose health matters (the Kivy clock, the hub's
command loop), never from a thread of its own: a helper thread would keep pinging while the
real loop hangs. :class:`Watchdog` only rate-limits those pings to half of ``WatchdogSec=``.
"""
from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping

from antrean.errors import UsageError


def _address(raw: str) -> str | bytes:
    # '@' marks a Linux abstract socket: the kernel name starts with a NUL byte.
    if raw.startswith("@"):
        return b"\0" + raw[1:].encode()
    if raw.startswith("/"):
        return raw
    raise UsageError(f"NOTIFY_SOCKET must be a path or start with '@', got {raw!r}")


def notify(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``, ``"STATUS=..."``) to systemd.

    Returns False when not running under a notify-aware manager. A send error is not fatal
    for the role (systemd's watchdog will notice if it matters), so it is swallowed too.
    """
    env = os.environ if environ is None else environ
    raw = env.get("NOTIFY_SOCKET", "")
    if not raw:
        return False
    address = _address(raw)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.sendto(state.encode(), address)
        except OSError:
            return False
    return True


class Watchdog:
    """Rate-limited ``WATCHDOG=1`` pings, at half the interval systemd expects.

    ``interval`` is None when systemd runs no watchdog for this process (``$WATCHDOG_USEC``
    unset, or ``$WATCHDOG_PID`` naming another process); ``ping()`` then only returns False.
    """

    def __init__(self, environ: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self._env = dict(os.environ if environ is None else environ)
        self._clock = clock
        self._last: float | None = None
        self.interval = self._interval()

    def _interval(self) -> float | None:
        usec = self._env.get("WATCHDOG_USEC", "")
        pid = self._env.get("WATCHDOG_PID", "")
        if not usec.isdigit() or int(usec) == 0:
            return None
        if pid and pid != str(os.getpid()):
            return None
        return int(usec) / 1_000_000 / 2

    def ready(self, status: str = "") -> bool:
        """Tell systemd start-up is done (``READY=1``), and feed the watchdog once."""
        state = "READY=1" + (f"\nSTATUS={status}" if status else "")
        sent = notify(state, self._env)
        self.ping(force=True)
        return sent

    def status(self, text: str) -> bool:
        return notify(f"STATUS={text}", self._env)

    def ping(self, force: bool = False) -> bool:
        """Call from the healthy loop as often as you like; sends at most once per interval.

        Returns True when a ping was actually sent.
        """
        if self.interval is None:
            return False
        now = self._clock()
        if not force and self._last is not None and now - self._last < self.interval:
            return False
        self._last = now
        return notify("WATCHDOG=1", self._env)
