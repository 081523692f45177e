"""The hub database's schema, as declared, named migrations.

Each migration is a ``(name, function)`` pair; :func:`migrate` applies the ones a database has
not seen, in order, each in its own transaction together with its record in ``_migrations``.
A migration is never edited once released: a schema change is a new entry at the end.
At start the recorded names must be a prefix of :data:`MIGRATIONS`; a database written by a
newer Antrean (an unknown name) is refused rather than silently misread.
"""
from __future__ import annotations

import secrets
import sqlite3
import time
from typing import Callable

import sqlite_utils

from antrean.errors import StorageError

Migration = tuple[str, Callable[[sqlite_utils.Database], None]]
TABLE = "_migrations"


def _initial(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": int}, pk="key")
    db["commands"].create({"device": str, "id": str, "type": str, "at": int, "reply": str},
                          pk=("device", "id"), not_null={"type", "at", "reply"})
    # One row per service and day: the next sequence number, the quota used so far (valid
    # online tickets plus every leased number) and the last number called.
    db["service_days"].create({"service": str, "day": str, "next_seq": int, "used": int,
                               "last_called": str}, pk=("service", "day"),
                              not_null={"next_seq", "used"})
    db["tickets"].create({
        "id": str, "day": str, "origin": str, "seq": int, "number": str, "service": str,
        "priority": str, "prio": int, "status": str, "device": str, "offline": int,
        "issued_at": int, "printed_at": int, "called_at": int, "served_at": int,
        "finished_at": int, "counter": int, "recalls": int, "transfers": int,
    }, pk="id", not_null={"day", "origin", "seq", "number", "service", "prio", "status",
                          "offline", "issued_at", "recalls", "transfers"})
    db["tickets"].create_index(["day", "origin", "seq"], unique=True)
    db["tickets"].create_index(["day", "service"])
    # Partial indexes stay as small as the live queue however long the history grows.
    db.execute("CREATE INDEX tickets_waiting ON tickets(service, prio, issued_at) "
               "WHERE status = 'waiting'")
    db.execute("CREATE INDEX tickets_printing ON tickets(issued_at) WHERE status = 'printing'")
    db.execute("CREATE INDEX tickets_open ON tickets(day) "
               "WHERE status IN ('printing', 'waiting', 'called')")
    db["leases"].create({"lease_id": int, "device": str, "service": str, "day": str,
                         "first": int, "last": int, "at": int}, pk="lease_id",
                        not_null={"device", "service", "day", "first", "last", "at"})
    db["leases"].create_index(["device", "service", "day"])
    # AUTOINCREMENT: a call_id is never reused, even if rows are ever deleted.
    db.execute("CREATE TABLE calls (call_id INTEGER PRIMARY KEY AUTOINCREMENT, "
               "ticket TEXT NOT NULL, number TEXT NOT NULL, service TEXT NOT NULL, "
               "counter INTEGER NOT NULL, recall INTEGER NOT NULL, at INTEGER NOT NULL)")
    db["calls"].create_index(["ticket"])
    db["counters"].create({"id": int, "paused": int, "ticket": str, "regular_run": int,
                           "call_id": int}, pk="id", not_null={"paused", "regular_run"})
    # One row per completed stretch of service at a counter (done, or handed on by transfer).
    db["servings"].create({"ticket": str, "service": str, "counter": int, "started_at": int,
                           "ended_at": int, "ms": int, "outcome": str},
                          not_null={"ticket", "service", "counter", "started_at", "ended_at",
                                    "ms", "outcome"})
    db["servings"].create_index(["service", "outcome", "ended_at"])
    db["service_stats"].create({"service": str, "mean_ms": float, "samples": int},
                               pk="service")


def _offline_range(db: sqlite_utils.Database) -> None:
    # Leased numbers get a range of their own (hub/issuing.py) and no longer count as used.
    db["service_days"].add_column("next_offline", int, not_null_default=5001)


def _identity(db: sqlite_utils.Database) -> None:
    # Published as ``db`` with every snapshot and call (docs/protocol.md): a device that
    # sees another one knows the hub's database was replaced. 52 bits: exact in JSON.
    db.execute("INSERT INTO meta (key, value) VALUES ('db_id', ?)",
               (secrets.randbits(52) | 1,))


def _counter_calls(db: sqlite_utils.Database) -> None:
    # Each counter's latest call is in its retained state (docs/protocol.md, state.counter).
    db.execute("CREATE INDEX calls_counter ON calls(counter, call_id)")


def _waiting_counts(db: sqlite_utils.Database) -> None:
    # How many wait per service and kind, kept by triggers on every insert, status change,
    # transfer and delete: a snapshot reads its figure in O(1), however long the queue.
    db.execute("CREATE TABLE waiting_counts (service TEXT NOT NULL, prio INTEGER NOT NULL, "
               "n INTEGER NOT NULL, PRIMARY KEY (service, prio))")
    db.execute("INSERT INTO waiting_counts (service, prio, n) SELECT service, prio, COUNT(*) "
               "FROM tickets WHERE status = 'waiting' GROUP BY service, prio")
    plus = ("INSERT INTO waiting_counts (service, prio, n) SELECT NEW.service, NEW.prio, 1 "
            "WHERE NEW.status = 'waiting' ON CONFLICT (service, prio) DO UPDATE SET n = n + 1;")
    minus = ("UPDATE waiting_counts SET n = n - 1 WHERE OLD.status = 'waiting' "
             "AND service = OLD.service AND prio = OLD.prio;")
    db.execute(f"CREATE TRIGGER waiting_in AFTER INSERT ON tickets BEGIN {plus} END")
    db.execute(f"CREATE TRIGGER waiting_out AFTER DELETE ON tickets BEGIN {minus} END")
    db.execute("CREATE TRIGGER waiting_moved AFTER UPDATE OF status, service, prio ON tickets "
               f"WHEN OLD.status = 'waiting' OR NEW.status = 'waiting' BEGIN {minus} {plus} END")


MIGRATIONS: list[Migration] = [
    ("0001_initial", _initial),
    ("0002_offline_range", _offline_range),
    ("0003_identity", _identity),
    ("0004_counter_calls", _counter_calls),
    ("0005_waiting_counts", _waiting_counts),
]


def applied(db: sqlite_utils.Database) -> list[str]:
    if not db[TABLE].exists():
        return []
    return [r[0] for r in db.execute(f"SELECT name FROM {TABLE} ORDER BY rowid").fetchall()]


def check(db: sqlite_utils.Database, migrations: list[Migration] = MIGRATIONS) -> list[str]:
    """The names still to apply. Raises StorageError when the database's history is not a
    prefix of ours (written by a newer or a diverged version)."""
    done = applied(db)
    names = [name for name, _ in migrations]
    if done != names[:len(done)]:
        unknown = [n for n in done if n not in names]
        raise StorageError(
            f"{db_name(db)}: the database has migrations this version does not know "
            f"({', '.join(unknown) or 'different order'}); it was written by another "
            f"Antrean version")
    return names[len(done):]


def migrate(db: sqlite_utils.Database, migrations: list[Migration] = MIGRATIONS) -> list[str]:
    """Apply every pending migration, each in one transaction with its record. Returns the
    names applied now."""
    todo = check(db, migrations)
    if todo and not db[TABLE].exists():
        db[TABLE].create({"name": str, "applied_at": int}, pk="name", if_not_exists=True)
    steps = dict(migrations)
    for name in todo:
        try:
            db.execute("BEGIN IMMEDIATE")
            steps[name](db)
            db.execute(f"INSERT INTO {TABLE} (name, applied_at) VALUES (?, ?)",
                       (name, int(time.time() * 1000)))
            db.execute("COMMIT")
        except BaseException as e:
            if db.conn.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error):
                raise StorageError(f"{db_name(db)}: migration {name} failed: {e}") from e
            raise
    return todo


def db_name(db: sqlite_utils.Database) -> str:
    row = db.execute("PRAGMA database_list").fetchone()
    return (row[2] if row and row[2] else ":memory:")
