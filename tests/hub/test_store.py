"""The SQLite store: durable settings, the boot epoch, transactions and failures."""
from __future__ import annotations

import pytest

from antrean.errors import StorageError
from hub.store import Store


def test_a_file_store_is_wal_with_full_sync(db_path):
    store = Store(db_path)
    try:
        assert store.value("PRAGMA journal_mode") == "wal"
        assert store.value("PRAGMA synchronous") == 2          # FULL
        assert store.value("SELECT COUNT(*) FROM _migrations") >= 1
    finally:
        store.close()


def test_the_epoch_rises_with_every_start_and_survives_reopening(db_path):
    store = Store(db_path)
    assert [store.next_epoch(), store.next_epoch()] == [1, 2]
    store.close()
    store = Store(db_path)
    try:
        assert store.next_epoch() == 3
    finally:
        store.close()


def test_a_failed_transaction_leaves_nothing_behind():
    store = Store(":memory:")
    try:
        with pytest.raises(ZeroDivisionError):
            with store.transaction():
                store.set_meta("answer", 42)
                1 / 0
        assert store.meta("answer") is None
        with store.transaction():
            store.set_meta("answer", 42)
        assert store.meta("answer") == 42
    finally:
        store.close()


def test_an_unusable_path_is_a_storage_error(tmp_path):
    with pytest.raises(StorageError, match="cannot open"):
        Store(tmp_path)                      # a directory, not a database
    (tmp_path / "junk.sqlite").write_bytes(b"this is not a database file" * 100)
    with pytest.raises(StorageError):
        Store(tmp_path / "junk.sqlite")
