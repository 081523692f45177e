"""The hub's command desk (hub/desk.py) without MQTT: payloads in, committed replies out, on
a real SQLite file."""
from __future__ import annotations

import json

import pytest

from antrean import protocol
from hub.desk import Desk
from hub.queue import QueueEngine
from hub.store import Store
from tests.fixtures.sites import small_site
from tests.hub.conftest import MONDAY_9


@pytest.fixture
def desk(db_path):
    store = Store(db_path)
    yield Desk(QueueEngine(store, small_site()), store, lambda: MONDAY_9)
    store.close()


def ask(desk: Desk, device: str, body: dict | bytes) -> dict:
    desk.take(device, body if isinstance(body, bytes) else json.dumps(body).encode())
    [answer] = desk.answer()
    return json.loads(answer.reply)


def test_a_command_is_answered_after_the_commit_with_what_it_changed(desk):
    desk.take("kiosk-1", protocol.encode("ticket.request", id="c1", sent_at=MONDAY_9,
                                         service="KTP"))
    assert len(desk) == 1
    [answer] = desk.answer()
    assert len(desk) == 0 and answer.device == "kiosk-1" and ("service", "KTP") in answer.changed
    reply = json.loads(answer.reply)
    assert reply["id"] == "c1" and reply["result"]["ticket"]["number"] == "A-001"


def test_a_bad_payload_is_answered_with_the_id_it_carries(desk):
    reply = ask(desk, "box-1", b'{"v":1,"type":"counter.next","id":"c2","sent_at":1,'
                b'"counter":' + b"9" * 5000 + b"}")
    assert (reply["id"], reply["error"]["code"]) == ("c2", "bad_payload")


@pytest.mark.parametrize("mtype", ["ticket.printed", "ticket.print_failed"])
def test_a_huge_ticket_id_is_refused_in_a_reply_under_the_payload_limit(desk, mtype):
    """Given a 40,000-character ticket id (quoted in both languages it made an 80 KB reply
    that could not be sent, and the exception stopped the hub's loop), then the refusal
    quotes it shortened."""
    reply = ask(desk, "kiosk-1", {"v": 1, "type": mtype, "id": "c3", "sent_at": MONDAY_9,
                                  "ticket": "x" * 40_000})
    assert reply["error"]["code"] == "unknown_ticket"
    assert "x" * 77 + "..." in reply["error"]["message"]
    assert len(reply["error"]["message"]) < 200


def test_a_command_on_a_topic_that_is_no_device_id_gets_no_reply(desk):
    desk.take("kiosk 1", protocol.encode("ticket.request", id="c4", sent_at=MONDAY_9,
                                         service="KTP"))
    [answer] = desk.answer()
    assert answer.reply is None
