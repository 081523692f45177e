"""The display's durable memory: the highest call_id it ever announced, and of which hub
database (``db`` in every snapshot and call; a new one means a swapped database).

A display announces a call once, ever (docs/protocol.md, ``event/called``): not again after a
reconnect, a reboot or a power cut. So the id is written *before* the call is spoken
(at-most-once) and survives a kill at any instant: the new value goes to a temporary file in
the same folder, is fsync'd, renamed over the old one, and the folder is fsync'd so the rename
itself is on disk. A reader sees the old value or the new one, never half a file.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Mapping

from antrean.errors import StorageError

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


class AnnounceMemory:
    """``last()`` is the highest remembered call_id (None when nothing was ever announced);
    ``remember(call_id)`` raises it durably and never lowers it. ``switch(db)`` starts
    afresh for another hub database (its call ids say nothing about the old one's)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageError(f"cannot create {self.path.parent}: {e}") from None
        self._last, self._db = self._read()

    def last(self) -> int | None:
        return self._last

    def db(self) -> int | None:
        return self._db

    def switch(self, db: int) -> None:
        if db == self._db:
            return
        # A memory written before databases had an identity belongs to the first one seen.
        last = self._last if self._db is None else None
        content = {"v": FORMAT_VERSION, "db": db}
        self._write(content if last is None else {**content, "last_call_id": last})
        self._last, self._db = last, db

    def remember(self, call_id: int) -> None:
        if not isinstance(call_id, int) or isinstance(call_id, bool) or call_id < 0:
            raise StorageError(f"a call id is a non-negative integer, not {call_id!r}")
        if self._last is not None and call_id <= self._last:
            return
        content = {"v": FORMAT_VERSION, "last_call_id": call_id}
        self._write(content if self._db is None else {**content, "db": self._db})
        self._last = call_id

    def _read(self) -> tuple[int | None, int | None]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None, None
        except OSError as e:
            raise StorageError(f"cannot read {self.path}: {e}") from None
        value = _parse(raw)
        if value is None:
            # Only a damaged disk gets here (writes are atomic). Forgetting is safe: the
            # display then announces nothing older than its maximum age.
            log.error("%s is unreadable; starting with no announced calls", self.path)
            return None, None
        return value

    def _write(self, content: Mapping) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(json.dumps(content).encode())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"cannot write {self.path}: {e}") from None


def _parse(raw: bytes) -> tuple[int | None, int | None] | None:
    """(last call id, db) of a memory file; None when it is damaged."""
    try:
        content = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(content, dict) or content.get("v") != FORMAT_VERSION:
        return None
    value, db = content.get("last_call_id"), content.get("db")
    if not all(v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
               for v in (value, db)) or (value is None and db is None):
        return None
    return value, db


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def default_path(device: str, env: Mapping[str, str] = os.environ) -> Path:
    """Where a display keeps its memory unless told: systemd's ``$STATE_DIRECTORY``
    (``StateDirectory=antrean``), else ``$XDG_STATE_HOME/antrean`` or ``~/.local/state/antrean``."""
    base = env.get("STATE_DIRECTORY", "").split(":")[0]
    if not base:
        state = env.get("XDG_STATE_HOME") or os.path.join(env.get("HOME", "/tmp"),
                                                          ".local", "state")
        base = os.path.join(state, "antrean")
    return Path(base) / f"{device}-announced.json"
