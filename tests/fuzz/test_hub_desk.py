"""Fuzzing the hub's command handling in process: the real desk (hub/desk.py), engine and
SQLite file, no MQTT. Every payload on ``cmd/<device>`` gets exactly one reply (none only for
a device level that is no id), a valid one, under the payload limit, carrying the code
``protocol.decode`` gives; a payload the protocol refuses changes nothing in the database;
no exception escapes and nothing is ever answered ``internal`` (that would be a hub bug)."""
from __future__ import annotations

import gc
import json
import logging
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antrean import protocol
from antrean.errors import ProtocolError
from antrean.messages import Reply
from hub.desk import Desk
from hub.queue import QueueEngine
from hub.store import Store
from tests.fixtures.sites import small_site
from tests.hub.conftest import MONDAY_9

from .strategies import DEVICES, FAST, SLOW, command_payloads, hostile_corpus

ROUNDS = 20                 # of the 16 hostile payloads: 320 (tracemalloc makes each slow)
devices = st.one_of(st.sampled_from(DEVICES), st.text(max_size=70))
batches = st.lists(st.tuples(devices, command_payloads()), min_size=1, max_size=3)


class Hub:
    """The hub's command path on a real database file, and what it has written."""

    def __init__(self, path):
        self.store = Store(path)
        self.desk = Desk(QueueEngine(self.store, small_site()), self.store, lambda: MONDAY_9)

    def writes(self) -> tuple:
        """Rows changed by the hub's connection (its only writer) and every table's size."""
        db = self.store.db
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = "
                                           "'table' AND name NOT LIKE 'sqlite_%'")]
        return (db.conn.total_changes,
                tuple(db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables))

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def hub(tmp_path):
    h = Hub(tmp_path / "hub.sqlite")
    yield h
    h.close()


def expected(payload: bytes):
    """What the protocol makes of a payload: the command, or the refusal."""
    try:
        return protocol.decode(payload, protocol.COMMANDS)
    except ProtocolError as e:
        return e


def check_batch(hub: Hub, batch: list[tuple[str, bytes]]) -> None:
    before = hub.writes()
    for device, payload in batch:
        hub.desk.take(device, payload)
    answers = hub.desk.answer()
    assert [a.device for a in answers] == [d for d, _ in batch]
    for (device, payload), answer in zip(batch, answers):
        if not protocol.valid_id(device):
            assert answer.reply is None         # no reply/<device> to answer on (documented)
            continue
        assert answer.reply is not None and len(answer.reply) <= protocol.MAX_PAYLOAD
        protocol.decode(answer.reply, (Reply,))
        reply = json.loads(answer.reply)
        want = expected(payload)
        if isinstance(want, ProtocolError):
            assert not reply["ok"] and reply["error"]["code"] == want.code, reply
            assert reply["id"] == protocol.command_id(payload)
        else:
            assert reply["id"] == want.id
        assert reply["ok"] or reply["error"]["code"] != "internal", reply
    if all(isinstance(expected(p), ProtocolError) for _, p in batch):
        assert hub.writes() == before, "a payload the protocol refuses changed the database"


@FAST
@given(batch=batches)
def test_every_command_payload_gets_its_reply_and_a_bad_one_changes_nothing(hub, batch):
    check_batch(hub, batch)


@pytest.mark.slow
@SLOW
@given(batch=batches)
def test_every_command_payload_gets_its_reply_and_a_bad_one_changes_nothing_10k(hub, batch):
    check_batch(hub, batch)


def test_each_hostile_payload_is_refused_in_a_small_reply(hub):
    codes = []
    for payload in hostile_corpus():
        hub.desk.take("kiosk-1", payload)
        [answer] = hub.desk.answer()
        assert len(answer.reply) < 1000
        codes.append(json.loads(answer.reply)["error"]["code"])
    # 30,000 deep (bare, in an array, in objects: too large), 5,000 digits (in a field, as v)
    assert codes[:5] == ["bad_payload", "bad_payload", "too_large", "bad_payload",
                         "bad_payload"]
    assert set(codes) == {"bad_payload", "too_large", "bad_version", "unknown_ticket"}, codes


def test_memory_stays_bounded_over_hundreds_of_hostile_payloads(hub):
    """Given 320 hostile payloads (up to 180 KB each, 30,000 deep, 5,000 digits) in batches,
    then Python's peak allocation stays under 16 MB and what stays allocated afterwards
    under 2 MB: nothing is kept per refused payload."""
    corpus = hostile_corpus()
    logging.disable(logging.WARNING)        # the log's own capture is not the hub's memory
    try:
        def feed(rounds: int) -> None:
            for _ in range(rounds):
                for payload in corpus:
                    hub.desk.take("box-1", payload)
                hub.desk.answer()
        feed(5)                                 # warm: caches, compiled statements
        tracemalloc.start()
        try:
            start, _ = tracemalloc.get_traced_memory()
            feed(ROUNDS)
            gc.collect()                        # what is kept, not what awaits collection
            end, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        logging.disable(logging.NOTSET)
    print(f"peak {(peak - start) / 2**20:.2f} MB, kept {(end - start) / 2**20:.3f} MB")
    assert peak - start < 16 * 2**20, f"peak {(peak - start) / 2**20:.1f} MB"
    assert end - start < 2 * 2**20, f"kept {(end - start) / 2**20:.1f} MB"
