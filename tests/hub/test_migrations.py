"""Migrations: applied once, in order, each in a transaction with its record; checked at start."""
from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from antrean.errors import StorageError
from hub import migrations


@pytest.fixture
def db(tmp_path):
    conn = sqlite3.connect(tmp_path / "m.sqlite", isolation_level=None)
    database = sqlite_utils.Database(conn)
    yield database
    database.close()


def _add(name, column):
    return (name, lambda db: db["things"].add_column(column, int))


STEPS = [("0001_things", lambda db: db["things"].create({"id": int}, pk="id")),
         _add("0002_size", "size")]


def test_migrations_apply_in_order_once_and_are_recorded(db):
    assert migrations.migrate(db, STEPS) == ["0001_things", "0002_size"]
    assert migrations.migrate(db, STEPS) == []
    assert migrations.applied(db) == ["0001_things", "0002_size"]
    assert set(db["things"].columns_dict) == {"id", "size"}
    more = STEPS + [_add("0003_colour", "colour")]
    assert migrations.migrate(db, more) == ["0003_colour"]


def test_a_failing_migration_is_rolled_back_with_its_record(db):
    def half(db):
        db["things"].add_column("weight", int)
        raise sqlite3.OperationalError("disk on fire")
    with pytest.raises(StorageError, match="0002_weight"):
        migrations.migrate(db, STEPS[:1] + [("0002_weight", half)])
    assert migrations.applied(db) == ["0001_things"]
    assert "weight" not in db["things"].columns_dict


def test_a_database_from_a_newer_version_is_refused(db):
    migrations.migrate(db, STEPS)
    with pytest.raises(StorageError, match="0002_size"):
        migrations.check(db, STEPS[:1])


def test_the_real_schema_applies_to_a_fresh_database(db):
    assert migrations.migrate(db) == [name for name, _ in migrations.MIGRATIONS]
    assert {"tickets", "calls", "leases", "commands", "counters"} <= set(db.table_names())


def test_the_waiting_counts_start_from_the_tickets_already_waiting(db):
    """A database written before 0005 with people waiting: the counts it starts with are
    those tickets, and the triggers keep them from there."""
    before = [m for m in migrations.MIGRATIONS if m[0] < "0005"]
    migrations.migrate(db, before)
    for seq, (service, prio, status) in enumerate([("KTP", 0, "waiting"), ("KTP", 0, "waiting"),
                                                   ("KTP", 1, "waiting"), ("KK", 0, "done")]):
        db.execute("INSERT INTO tickets (id, day, origin, seq, number, service, prio, status, "
                   "offline, issued_at, recalls, transfers) VALUES (?, '2026-11-25', ?, ?, 'A', "
                   "?, ?, ?, 0, ?, 0, 0)", (f"t{seq}", service, seq, service, prio, status, seq))
    assert migrations.migrate(db) == ["0005_waiting_counts"]

    def counts():
        return {(s, p): n for s, p, n in db.execute(
            "SELECT service, prio, n FROM waiting_counts WHERE n > 0").fetchall()}
    assert counts() == {("KTP", 0): 2, ("KTP", 1): 1}
    db.execute("UPDATE tickets SET status = 'called' WHERE id = 't0'")
    db.execute("UPDATE tickets SET service = 'KK' WHERE id = 't1'")        # a transfer
    db.execute("UPDATE tickets SET status = 'waiting', service = 'KK' WHERE id = 't3'")
    assert counts() == {("KK", 0): 2, ("KTP", 1): 1}
