"""The hub's SQLite database: opening it durably, transactions, and small query helpers.

WAL with ``synchronous=FULL``: a committed command survives a power cut (the hub answers only
after the commit). The connection runs in driver autocommit mode and every write happens in an
explicit ``BEGIN IMMEDIATE`` transaction, so nothing is ever committed behind our back.
One thread uses a Store at a time (the hub's loop); it may be created on another thread.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
from typing import Any, Iterator

import sqlite_utils

from antrean.errors import StorageError

from . import migrations

BUSY_TIMEOUT_MS = 5000   # a report tool reading the file must not make a command fail


class Store:
    """Opens (creating if needed) and migrates the queue database at ``path``
    (``":memory:"`` for a throwaway one)."""

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db = sqlite_utils.Database(conn)
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if self.path != ":memory:":
                self.db.enable_wal()
            self.db.execute("PRAGMA synchronous = FULL")
            migrations.migrate(self.db)
        except sqlite3.Error as e:
            raise StorageError(f"{self.path}: cannot open the queue database: {e}") from e

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Store"]:
        """One write transaction; inside another, a savepoint (the hub runs a batch of
        commands in one transaction, each in its own savepoint). SQLite failures become
        StorageError; any exception rolls back everything done inside."""
        try:
            nested = self.conn.in_transaction
        except sqlite3.Error as e:      # closed
            raise StorageError(f"{self.path}: cannot begin a transaction: {e}") from e
        if nested:
            with self._savepoint():
                yield self
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise StorageError(f"{self.path}: cannot begin a transaction: {e}") from e
        try:
            yield self
            self.conn.execute("COMMIT")
        except BaseException as e:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error) and not isinstance(e, sqlite3.IntegrityError):
                raise StorageError(f"{self.path}: {e}") from e
            raise

    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[None]:
        self.conn.execute("SAVEPOINT inner")
        try:
            yield
        except BaseException as e:
            self.conn.execute("ROLLBACK TO inner")
            self.conn.execute("RELEASE inner")
            if isinstance(e, sqlite3.Error) and not isinstance(e, sqlite3.IntegrityError):
                raise StorageError(f"{self.path}: {e}") from e
            raise
        self.conn.execute("RELEASE inner")

    # ---- queries ------------------------------------------------------------------------
    def run(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: tuple | dict = ()) -> dict[str, Any] | None:
        cur = self.conn.execute(sql, params)
        row = cur.fetchone()
        return None if row is None else dict(zip([d[0] for d in cur.description], row))

    def all(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def value(self, sql: str, params: tuple | dict = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    # ---- meta -----------------------------------------------------------------------------
    def meta(self, key: str, default: int | None = None) -> int | None:
        found = self.value("SELECT value FROM meta WHERE key = ?", (key,))
        return default if found is None else found

    def set_meta(self, key: str, value: int) -> None:
        self.run("INSERT INTO meta (key, value) VALUES (?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def next_epoch(self, now_ms: int = 0) -> int:
        """Store and return this start's epoch (snapshots are ordered by (epoch, rev)): one
        more than the last, and at least the hub's clock in ms, so a fresh or restored
        database still starts above every epoch the devices have seen."""
        with self.transaction():
            epoch = max((self.meta("epoch") or 0) + 1, now_ms)
            self.set_meta("epoch", epoch)
        return epoch

    def raise_call_ids(self, at_least: int) -> None:
        """Let the next ``call_id`` be above ``at_least`` (the hub's clock at start): a
        display that spoke calls of a database swapped since then still speaks the new
        ones. AUTOINCREMENT keeps its high mark in sqlite_sequence."""
        with self.transaction():
            self.run("INSERT INTO sqlite_sequence (name, seq) SELECT 'calls', 0 WHERE NOT "
                     "EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'calls')")
            self.run("UPDATE sqlite_sequence SET seq = ? WHERE name = 'calls' AND seq < ?",
                     (at_least, at_least))

    def db_id(self) -> int:
        """The database's identity: made once with it, kept by a backup's copy."""
        return int(self.meta("db_id"))
