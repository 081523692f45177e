"""The kiosk's durable memory for offline mode: number leases and the outbox.

While online the hub leases the kiosk blocks of numbers per service. When the hub does not
answer, the kiosk takes a number from its lease and records the ticket here, committed before
a byte goes to the printer, so a power cut never loses or repeats a number. Every recorded
ticket is later handed to the hub (``ticket.offline``) and marked as handed over.
"""
from __future__ import annotations

import functools
import os
import sqlite3
import threading
from dataclasses import dataclass

from antrean.errors import StorageError

SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
    service TEXT NOT NULL, day TEXT NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,
    next INTEGER NOT NULL, PRIMARY KEY (service, day, first));
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY, service TEXT NOT NULL, day TEXT NOT NULL, number INTEGER NOT NULL,
    issued_at INTEGER NOT NULL, priority TEXT, state TEXT NOT NULL DEFAULT 'pending');
CREATE INDEX IF NOT EXISTS tickets_state ON tickets (state, issued_at);
CREATE TABLE IF NOT EXISTS confirms (ticket TEXT PRIMARY KEY, done INTEGER NOT NULL DEFAULT 0);
"""
# ticket states: pending (printed or printing, not yet handed over), handed (the hub has it),
# void (printing failed: nobody holds it, never handed over)


@dataclass(frozen=True)
class OfflineTicket:
    id: str
    service: str
    day: str
    number: int
    issued_at: int
    priority: str | None


def ticket_id(day: str, service: str, number: int) -> str:
    """The protocol's ticket id: ``<day>.<service>.<seq>``."""
    return f"{day}.{service}.{number}"


def _locked(method):
    """One connection serves the UI thread and the printer worker: one statement group at a
    time, so a transaction of one never interleaves with the other's statements."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return wrapper


class Outbox:
    def __init__(self, path: str | os.PathLike):
        self._lock = threading.RLock()
        try:
            self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
        except sqlite3.Error as e:
            raise StorageError(f"cannot open the kiosk outbox {path}: {e}") from e

    @_locked
    def close(self) -> None:
        self.db.close()

    @_locked
    def add_lease(self, service: str, day: str, first: int, last: int) -> None:
        self.db.execute("INSERT OR IGNORE INTO leases VALUES (?, ?, ?, ?, ?)",
                        (service, day, first, last, first))

    @_locked
    def numbers_left(self, service: str, day: str) -> int:
        row = self.db.execute("SELECT COALESCE(SUM(last - next + 1), 0) FROM leases "
                              "WHERE service = ? AND day = ? AND next <= last",
                              (service, day)).fetchone()
        return int(row[0])

    @_locked
    def take(self, service: str, day: str, issued_at: int,
             priority: str | None) -> OfflineTicket | None:
        """Take the next leased number and record its ticket, in one committed transaction.
        None when the lease for that service and day is used up."""
        with self._transaction():
            row = self.db.execute(
                "SELECT first, next FROM leases WHERE service = ? AND day = ? AND next <= last "
                "ORDER BY first LIMIT 1", (service, day)).fetchone()
            if row is None:
                return None
            first, number = row
            self.db.execute("UPDATE leases SET next = next + 1 WHERE service = ? AND day = ? "
                            "AND first = ?", (service, day, first))
            ticket = OfflineTicket(ticket_id(day, service, number), service, day, number,
                                   issued_at, priority)
            self.db.execute("INSERT INTO tickets (id, service, day, number, issued_at, priority) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            (ticket.id, service, day, number, issued_at, priority))
        return ticket

    @_locked
    def pending(self) -> list[OfflineTicket]:
        """Tickets to hand to the hub, oldest first."""
        rows = self.db.execute("SELECT id, service, day, number, issued_at, priority FROM tickets "
                               "WHERE state = 'pending' ORDER BY issued_at, id").fetchall()
        return [OfflineTicket(*r) for r in rows]

    @_locked
    def mark(self, ticket: str, state: str) -> None:
        if state not in ("handed", "void"):
            raise ValueError(f"unknown outbox state {state!r}")
        self.db.execute("UPDATE tickets SET state = ? WHERE id = ?", (state, ticket))

    @_locked
    def add_confirm(self, ticket: str) -> None:
        """Remember that an online ticket is on paper until the hub acknowledges it."""
        self.db.execute("INSERT OR IGNORE INTO confirms (ticket) VALUES (?)", (ticket,))

    @_locked
    def pending_confirms(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT ticket FROM confirms WHERE done = 0")]

    @_locked
    def confirmed(self, ticket: str) -> None:
        self.db.execute("UPDATE confirms SET done = 1 WHERE ticket = ?", (ticket,))

    @_locked
    def forget_before(self, day: str) -> None:
        """Drop leases of past days (their numbers can no longer be used)."""
        self.db.execute("DELETE FROM leases WHERE day < ?", (day,))

    def _transaction(self):
        db = self.db

        class _Tx:
            def __enter__(self):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type, *_):
                db.execute("ROLLBACK" if exc_type else "COMMIT")
                return False
        return _Tx()
