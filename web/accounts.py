"""Staff accounts of the web page: a file of argon2 hashes, mode 600, made by
``antrean web --add-user NAME``; and the brake on wrong passwords.

The file is TOML, one table per user (``[users.budi] hash = "$argon2id$..."``), kept apart
from the site config (which travels on every card): it lives in the hub's state directory.
"""
from __future__ import annotations

import math
import os
import re
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import tomli_w

from antrean.errors import ConfigError, UsageError

NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
MIN_PASSWORD = 8


def _hasher():
    try:
        from argon2 import PasswordHasher
    except ImportError:
        raise UsageError("the web page needs argon2-cffi: pip install 'antrean[web]'") from None
    return PasswordHasher()


class Accounts:
    """The accounts in ``path`` (read at each check, so a user added while the page runs can
    log in at once)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._hasher = _hasher()
        # A hash to verify against for unknown names, so both take the same time.
        self._dummy = self._hasher.hash("no such user, no such password")

    def users(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"cannot read the web accounts: {e}", str(self.path)) from None
        users = data.get("users", {})
        if not isinstance(users, dict) or not all(
                isinstance(u, dict) and isinstance(u.get("hash"), str) for u in users.values()):
            raise ConfigError('every user needs a hash: [users.NAME] hash = "$argon2id$..."',
                              str(self.path))
        return {name: u["hash"] for name, u in users.items()}

    def add(self, name: str, password: str) -> None:
        """Add or replace ``name``; the file is written with mode 600 and replaced whole."""
        if not NAME.match(name):
            raise UsageError(f"user name {name!r}: 1-32 of a-z 0-9 _ . - (lower case)")
        if len(password) < MIN_PASSWORD:
            raise UsageError(f"the password needs at least {MIN_PASSWORD} characters")
        users = {n: {"hash": h} for n, h in self.users().items()}
        users[name] = {"hash": self._hasher.hash(password)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(tomli_w.dumps({"users": users}))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def check(self, name: str, password: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError
        stored = self.users().get(name)
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False


class Brake:
    """Wrong passwords slow down: after ``allowed`` wrong ones from one address within
    ``window_s``, that address waits ``lock_s`` before it may try again."""

    def __init__(self, allowed: int = 5, window_s: float = 300, lock_s: float = 60,
                 clock: Callable[[], float] = time.monotonic):
        self.allowed, self.window_s, self.lock_s = allowed, window_s, lock_s
        self._clock = clock
        self._wrong: dict[str, list[float]] = {}
        self._locked: dict[str, float] = {}

    def wait_s(self, who: str) -> int:
        """Seconds ``who`` must still wait before trying; 0 when it may try now."""
        until = self._locked.get(who)
        if until is None:
            return 0
        left = until - self._clock()
        if left <= 0:
            del self._locked[who]
            return 0
        return math.ceil(left)

    def wrong(self, who: str) -> None:
        now = self._clock()
        recent = [t for t in self._wrong.get(who, []) if now - t < self.window_s] + [now]
        self._wrong[who] = recent
        if len(recent) >= self.allowed:
            self._locked[who] = now + self.lock_s
            self._wrong[who] = []

    def right(self, who: str) -> None:
        self._wrong.pop(who, None)
