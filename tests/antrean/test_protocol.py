"""The protocol module: topics are validated values, payloads are checked strictly."""
import json

import pytest

from antrean import messages, protocol
from antrean.errors import ProtocolError


def test_topics_are_built_under_the_versioned_site_root():
    t = protocol.Topics("mpp-madiun")
    assert t.cmd("kiosk-1") == "antrean/v1/mpp-madiun/cmd/kiosk-1"
    assert t.service("PBG-SLF") == "antrean/v1/mpp-madiun/state/service/PBG-SLF"
    assert t.counter(12) == "antrean/v1/mpp-madiun/state/counter/12"
    assert t.all_counters == "antrean/v1/mpp-madiun/state/counter/+"
    assert t.device_of(t.presence("box-2")) == "box-2"


@pytest.mark.parametrize("bad", ["", "a/b", "+", "#", "kiosk 1", "x" * 65])
def test_an_id_that_cannot_fill_one_topic_level_is_refused(bad):
    with pytest.raises(ProtocolError) as e:
        protocol.Topics("mpp").cmd(bad)
    assert e.value.code == "bad_id"


def test_a_payload_every_receiver_would_refuse_is_never_built():
    body = {"counter": 1, "paused": False, "number": None, "service": None, "call_id": None,
            "last_call": None}
    assert len(protocol.encode("state.counter", epoch=1, rev=1, at=1, **body)) < 200
    with pytest.raises(ProtocolError) as e:
        protocol.encode("state.counter", epoch=1, rev=1, at=1, pad="x" * protocol.MAX_PAYLOAD,
                        **body)
    assert e.value.code == "too_large"


def test_round_trip_of_a_command():
    raw = protocol.encode("counter.next", id="c1", sent_at=10, counter=3)
    assert protocol.decode(raw) == messages.CounterNext(v=1, id="c1", sent_at=10, counter=3)


@pytest.mark.parametrize("payload, code", [
    (b"not json", "bad_payload"),
    (b"[1,2]", "bad_payload"),
    (b'{"v":2,"type":"counter.next"}', "bad_version"),
    (b'{"v":1,"type":"counter.explode","id":"a","sent_at":1}', "unknown_type"),
    (b'{"v":1,"type":"counter.next","id":"a","sent_at":1}', "bad_payload"),
    (b'{"v":1,"type":"counter.next","id":"a","sent_at":1,"counter":"3"}', "bad_payload"),
    (b'{"v":1,"type":"counter.next","id":"a","sent_at":1,"counter":true}', "bad_payload"),
    (b'{"v":1,"type":"counter.next","id":"a/b","sent_at":1,"counter":3}', "bad_id"),
    (b'{"v":1,"type":"counter.next","id":7,"sent_at":1,"counter":3}', "bad_id"),
    (b'{"v":1,"type":"counter.next","sent_at":1,"counter":3}', "bad_payload"),
    (b'{"v":true,"type":"counter.next","id":"a","sent_at":1,"counter":3}', "bad_version"),
    (b'{"v":1.0,"type":"counter.next","id":"a","sent_at":1,"counter":3}', "bad_version"),
    (b'{"v":1,"id":"a","sent_at":1,"counter":3}', "unknown_type"),
    (b'{"v":1,"type":7,"id":"a","sent_at":1,"counter":3}', "unknown_type"),
    (b"[" * 30000 + b"]" * 30000, "bad_payload"),
    (b'{"v":1,"type":"counter.next","id":"a","sent_at":1,"counter":' + b"9" * 5000 + b"}",
     "bad_payload"),
    ('{"v":1,"type":"counter.next","id":"a","sent_at":1,"counter":3}'.encode("utf-16"),
     "bad_payload"),
    (b'{"v":1,"type":"ticket.offline","id":"a","sent_at":1,"service":"KTP","number":5001,'
     b'"day":"2026-02-30","issued_at":1}', "bad_payload"),
    (b'{"v":1,"type":"ticket.request","id":"a","sent_at":1,"service":"KTP","priority":"vip"}',
     "bad_payload"),
    (b"\xff\xfe", "bad_payload"),
    (b'{"v":1,"type":"x","pad":"' + b"y" * 70000 + b'"}', "too_large"),
])
def test_malformed_payloads_are_refused_with_a_reason(payload, code):
    with pytest.raises(ProtocolError) as e:
        protocol.decode(payload, protocol.COMMANDS)
    assert e.value.code == code
    assert e.value.message and "None" not in e.value.message and "True" not in e.value.message


def test_a_reply_cannot_pass_as_a_command():
    raw = protocol.encode("reply", id="x", ok=True)
    with pytest.raises(ProtocolError):
        protocol.decode(raw, protocol.COMMANDS)


def test_command_id_is_recovered_for_the_error_reply_only_when_safe():
    assert protocol.command_id(b'{"id":"abc","v":9}') == "abc"
    assert protocol.command_id(b'{"id":"a/#"}') is None
    assert protocol.command_id(b"garbage") is None


def test_unicode_survives_encoding():
    raw = protocol.encode("health", device="k", role="kiosk", at=1, note="Antrean ñ")
    assert json.loads(raw)["note"] == "Antrean ñ"


NEXT = b'{"v":1,"type":"counter.next","id":"a","sent_at":1,"counter":3'


@pytest.mark.parametrize("extra, reason", [
    (b"[" * 32 + b"]" * 32, "nested too deeply"),              # 33 with the object
    (b'{"a":' * 32 + b"1" + b"}" * 32, "nested too deeply"),
    (b"1" * 21, "number too long"),
    (b"-" + b"1" * 5000, "number too long"),
    (b"0." + b"1" * 21, "number too long"),
])
def test_deep_nesting_and_long_numbers_are_refused_before_parsing(extra, reason):
    """Anywhere in the payload, extra fields too: no parser's recursion limit or Python's
    4,300-digit int limit decides, the protocol's limits do (docs/protocol.md)."""
    with pytest.raises(ProtocolError) as e:
        protocol.decode(NEXT + b',"x":' + extra + b"}", protocol.COMMANDS)
    assert e.value.code == "bad_payload" and reason in e.value.message


@pytest.mark.parametrize("extra", [
    b"[" * 31 + b"]" * 31,                                      # 32 with the object
    b"1" * 20,
    b'"' + b"[{" * 1000 + b"9" * 5000 + b'\\"]"',               # inside a string: text
])
def test_payloads_within_the_limits_are_read(extra):
    assert protocol.decode(NEXT + b',"x":' + extra + b"}", protocol.COMMANDS).counter == 3


def test_an_unterminated_string_does_not_make_the_check_slow():
    payload = b'"' + b'\\"' * 30000             # every quote escaped: one string to the end
    with pytest.raises(ProtocolError) as e:
        protocol.decode(payload, protocol.COMMANDS)
    assert e.value.code == "bad_payload"


def test_a_refused_value_is_quoted_short():
    payload = (b'{"v":1,"type":"ticket.request","id":"a","sent_at":1,"service":"KTP",'
               b'"priority":"' + b"y" * 60000 + b'"}')
    with pytest.raises(ProtocolError) as e:
        protocol.decode(payload, protocol.COMMANDS)
    assert len(e.value.message) <= protocol.MAX_DETAIL + 3
    assert e.value.message.endswith("at `$.priority`")


@pytest.mark.parametrize("payload, cid", [
    (NEXT + b',"x":' + b"9" * 5000 + b"}", "a"),                # read past the long number
    (b'{"id":"a","id":"b"}', "b"),                             # the last, as decode reads it
    (b'{"id":"a","x":' + b"[" * 40 + b"]" * 40 + b"}", None),    # too deep to read
    (b"[" * 30000 + b"]" * 30000, None),
    (b'{"id":"a",' + b"\xff" + b"}", None),
])
def test_command_id_reads_the_id_as_decode_would(payload, cid):
    assert protocol.command_id(payload) == cid
