"""The machine-readable protocol: docs/protocol.schema.json and docs/asyncapi.json are what the
code generates, valid documents, and they describe what is really on the wire."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from antrean import messages, protocol, wire_docs

SCHEMA = json.loads((wire_docs.DOCS / wire_docs.SCHEMA_FILE).read_text())
# The AsyncAPI Initiative's JSON Schema of AsyncAPI 3.0.0 (github.com/asyncapi/spec-json-schemas,
# schemas/3.0.0-without-$id.json, Apache License 2.0), kept here: CI has no network.
ASYNCAPI_3 = json.loads((Path(__file__).parents[1] / "fixtures" /
                         "asyncapi-3.0.0.schema.json").read_text())
ASYNCAPI = json.loads((wire_docs.DOCS / wire_docs.ASYNCAPI_FILE).read_text())

CALL = {"call_id": 1041, "ticket": "2026-11-23.KTP.12", "number": "A-012", "service": "KTP",
        "counter": 3, "recall": 0, "at": 1795400300000}
TICKET = {"id": "2026-11-23.KTP.12", "number": "A-012", "service": "KTP", "day": "2026-11-23",
          "seq": 12, "priority": None, "status": "waiting", "issued_at": 1795400000000,
          "ahead": 4, "wait_min": 18, "counter": None, "recalls": 0, "offline": False}
STATE = {"db": 2964123357, "epoch": 1795400000000, "rev": 1532, "at": 1795400300000}
# One real payload of every message type, as the roles build them.
EXAMPLES = {
    "ticket.request": {"service": "KTP", "priority": "elderly"},
    "ticket.printed": {"ticket": "2026-11-23.KTP.12"},
    "ticket.print_failed": {"ticket": "2026-11-23.KTP.12", "reason": "no paper"},
    "lease.request": {"service": "KTP"},
    "ticket.offline": {"service": "KTP", "number": 5001, "day": "2026-11-23",
                       "issued_at": 1795400000000, "priority": None},
    **{f"counter.{c}": {"counter": 3} for c in ("next", "recall", "skip", "finish", "pause",
                                                 "resume")},
    "counter.transfer": {"counter": 3, "service": "KK"},
    "reply": {"id": "c1", "ok": True, "result": {"ticket": TICKET, "call": CALL}},
    "state.service": {**STATE, "service": "KTP", "day": "2026-11-23", "open": True,
                      "reason": None, "opens_at": None, "opens_on": None, "waiting": 4,
                      "priority_waiting": 1, "wait_min": 18, "quota_left": 96,
                      "last_called": "A-008", "next_number": "A-013",
                      "oldest_at": 1795399100000},
    "state.counter": {**STATE, "counter": 3, "paused": False, "number": "A-012",
                      "service": "KTP", "call_id": 1041, "last_call": CALL},
    "clock": {"db": 1, "epoch": 1, "rev": 1, "now": 1795400301000, "tz": "Asia/Jakarta"},
    "called": {"db": 1, "call": CALL},
    "presence": {"device": "kiosk-1", "role": "kiosk", "state": "online", "session": "ab12",
                 "bdseq": 3, "at": 1795400301000},
    "health": {"device": "kiosk-1", "role": "kiosk", "at": 1795400301000, "version": "0.3.0",
               "uptime_s": 60, "errors": [], "printer": {"status": "ok", "detail": ""},
               "outbox": 0},
}


def example(mtype: str) -> bytes:
    envelope = {"id": "c1", "sent_at": 1795400300000} if mtype in COMMAND_TYPES else {}
    return protocol.encode(mtype, **envelope, **EXAMPLES[mtype])


COMMAND_TYPES = {t.__struct_config__.tag for t in messages.COMMANDS}


def test_the_documents_are_what_the_code_generates():
    assert wire_docs.main(["--check"]) == 0, "run: antrean protocol-docs"


def test_every_message_type_has_an_example_here():
    assert set(EXAMPLES) == set(protocol.MESSAGE_TYPES)


def test_the_json_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("mtype", sorted(EXAMPLES))
def test_what_the_code_accepts_the_schema_accepts(mtype):
    payload = example(mtype)
    protocol.decode(payload)                                  # the code accepts it
    jsonschema.validate(json.loads(payload), SCHEMA)         # and so does the document


@pytest.mark.parametrize("mtype, field, bad", [
    ("counter.next", "counter", True), ("counter.next", "counter", -1),
    ("ticket.request", "priority", "vip"), ("state.counter", "paused", "no"),
    ("ticket.offline", "day", "23-11-2026"), ("clock", "now", 1.5),
])
def test_what_the_code_refuses_the_schema_refuses(mtype, field, bad):
    body = json.loads(example(mtype)) | {field: bad}
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(json.dumps(body).encode())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, SCHEMA)


def test_the_asyncapi_document_is_valid_asyncapi_3():
    validator = jsonschema.validators.validator_for(ASYNCAPI_3)(ASYNCAPI_3)
    problems = [f"{list(e.path)}: {e.message[:120]}" for e in validator.iter_errors(ASYNCAPI)]
    assert problems == []
    broken = json.loads(json.dumps(ASYNCAPI))
    broken["operations"]["send-reply"]["action"] = "publish"      # AsyncAPI 2's word
    assert not validator.is_valid(broken)


def test_the_asyncapi_document_has_every_topic_and_message():
    assert ASYNCAPI["asyncapi"].startswith("3.")
    addresses = {c["address"] for c in ASYNCAPI["channels"].values()}
    root = f"{protocol.ROOT}/v{protocol.VERSION}/{{site}}/"
    assert addresses == {root + t for t in protocol.TOPIC_TEMPLATES.values()}
    carried = {ASYNCAPI["components"]["messages"][name]["name"]
               for c in ASYNCAPI["channels"].values() for name in c["messages"]}
    assert carried == set(protocol.MESSAGE_TYPES)
    for op in ASYNCAPI["operations"].values():
        channel = op["channel"]["$ref"].rsplit("/", 1)[-1]
        assert channel in ASYNCAPI["channels"] and op["action"] in ("send", "receive")
    for name, channel in ASYNCAPI["channels"].items():
        params = set(channel.get("parameters", {}))
        assert params == set(wire_docs.PARAMETERS) & {
            p for p in wire_docs.PARAMETERS if f"{{{p}}}" in channel["address"]}, name


def test_asyncapi_payloads_are_the_same_schemas():
    schemas = ASYNCAPI["components"]["schemas"]
    assert set(schemas) == set(SCHEMA["$defs"])
    as_asyncapi = json.dumps(SCHEMA["$defs"]).replace("#/$defs/", "#/components/schemas/")
    assert json.loads(as_asyncapi) == schemas
