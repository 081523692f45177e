"""The hostile payloads through a real Mosquitto to the running hub: each gets its refusal on
``reply/<device>``, and the hub goes on serving. Waits on replies, never sleeps."""
from __future__ import annotations

from antrean import protocol
from tests.hub.test_service import hall, hub  # noqa: F401 (fixtures: a broker, a hub)

DEEP = b"[" * 30_000 + b"]" * 30_000
NEXT = b'{"v":1,"type":"counter.next","sent_at":1,"counter":1,'
HOSTILE = [
    (DEEP, "bad_payload"),                                          # 30,000 deep
    (NEXT + b'"id":"f2","x":' + b"7" * 5000 + b"}", "bad_payload"),   # 5,000 digits
    (NEXT + b'"id":"f3","x":' + DEEP + b"}", "bad_payload"),         # deep in a command
    (NEXT + b'"id":"f4","x":NaN}', "bad_payload"),
    (b"\xff\xfe\xfd", "bad_payload"),
    (b"[1,2,3]", "bad_payload"),
    (NEXT + b'"id":"f7","type":"counter.skip"}', "bad_payload"),      # type twice
    (b'{"v":1,"type":"ticket.printed","id":"f8","sent_at":1,"ticket":"' + b"x" * 40_000
     + b'"}', "unknown_ticket"),                                   # quoted in a small reply
    (b'{"v":1,"type":"x","pad":"' + b"y" * 70_000 + b'"}', "too_large"),
]


def test_hostile_payloads_get_their_refusal_and_the_hub_keeps_serving(hall, hub):  # noqa: F811
    """Given a running hub behind Mosquitto, when a kiosk sends each hostile payload, then
    each gets a reply with its error code (the id it carried, or null where it cannot be
    read) and a valid ticket request afterwards is served as the first of the day."""
    _, _, device = hall
    kiosk = device("kiosk-1")
    sent: dict[str | None, int] = {}
    for payload, code in HOSTILE:
        kiosk.send_raw(payload)
        cid = protocol.command_id(payload)
        sent[cid] = sent.get(cid, 0) + 1
        reply = kiosk.wait_reply(cid, timeout=10, count=sent[cid])
        assert reply is not None, f"no reply to {payload[:40]!r}..."
        assert not reply["ok"] and reply["error"]["code"] == code, reply
    assert sent[None] == 6 and sent["f2"] == 1        # the 5,000-digit one keeps its id
    issued = kiosk.ask("ticket.request", service="KTP")
    assert issued["ok"] and issued["result"]["ticket"]["number"] == "A-001"
