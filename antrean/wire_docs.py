"""`antrean protocol-docs`: the machine-readable protocol, generated from antrean/messages.py.

docs/protocol.schema.json is the JSON Schema of every message; docs/asyncapi.json is an
AsyncAPI 3 document of the topic tree (channels, who sends what) with the same schemas.
Both are written from the code and checked against it (``--check``, and a test), so they
cannot drift from what the hub and devices decode.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from . import messages as m
from .protocol import ROOT, TOPIC_TEMPLATES, VERSION

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCHEMA_FILE, ASYNCAPI_FILE = "protocol.schema.json", "asyncapi.json"

# Which messages travel on which topic (docs/protocol.md, "Topic tree").
CHANNELS: dict[str, tuple[type[m.Message], ...]] = {
    "cmd": m.COMMANDS, "reply": (m.Reply,), "service": (m.StateService,),
    "counter": (m.StateCounter,), "clock": (m.Clock,), "called": (m.Called,),
    "presence": (m.Presence,), "health": (m.Health,),
}
# The hub's side: what it receives and what it sends.
HUB_RECEIVES = ("cmd", "presence", "health")
PARAMETERS = {
    "site": "the site id from the site config",
    "device": "a device id (kiosk, display, button box, the hub: hub)",
    "service": "a service id from the site config",
    "counter": "a counter (loket) number",
}


def _components(ref: str) -> tuple[list[dict], dict[str, Any]]:
    types = [*m.COMMANDS, *m.PUBLICATIONS]
    return msgspec.json.schema_components(types, ref_template=ref)


def json_schema() -> dict[str, Any]:
    refs, components = _components("#/$defs/{name}")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://antrean.id/protocol/v1/schema.json",
            "title": f"Antrean MQTT protocol, version {VERSION}",
            "oneOf": refs, "$defs": components}


def _name(kind: type) -> str:
    return kind.__name__


def asyncapi() -> dict[str, Any]:
    _, schemas = _components("#/components/schemas/{name}")
    messages = {_name(t): {"name": t.__struct_config__.tag, "title": t.__struct_config__.tag,
                           "contentType": "application/json",
                           "payload": {"$ref": f"#/components/schemas/{_name(t)}"}}
                for t in (*m.COMMANDS, *m.PUBLICATIONS)}
    channels, operations = {}, {}
    for name, kinds in CHANNELS.items():
        address = f"{ROOT}/v{VERSION}/{{site}}/{TOPIC_TEMPLATES[name]}"
        params = [p for p in PARAMETERS if f"{{{p}}}" in address]
        channels[name] = {
            "address": address,
            "parameters": {p: {"description": PARAMETERS[p]} for p in params},
            "messages": {_name(k): {"$ref": f"#/components/messages/{_name(k)}"}
                         for k in kinds}}
        action = "receive" if name in HUB_RECEIVES else "send"
        operations[f"{action}-{name}"] = {
            "action": action, "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/{_name(k)}"} for k in kinds]}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": f"Antrean MQTT protocol, version {VERSION}", "version": str(VERSION),
                 "description": "The hub's side of the hall's MQTT protocol; docs/protocol.md "
                 "is the full text (rules, retention, QoS, access per role)."},
        "defaultContentType": "application/json",
        "servers": {"hall": {"host": "hub.local:1883", "protocol": "mqtt",
                             "description": "the hall's Mosquitto broker on the hub"}},
        "channels": channels, "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def rendered() -> dict[str, str]:
    return {SCHEMA_FILE: _dump(json_schema()), ASYNCAPI_FILE: _dump(asyncapi())}


def _dump(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="antrean protocol-docs",
        description="Write docs/protocol.schema.json and docs/asyncapi.json from the code.")
    parser.add_argument("--check", action="store_true",
                        help="only compare: exit 1 when a file differs from the code")
    parser.add_argument("--dir", type=Path, default=DOCS, help="where (default: %(default)s)")
    args = parser.parse_args(argv)
    stale = []
    for name, text in rendered().items():
        path = args.dir / name
        if path.exists() and path.read_text() == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text)
    if args.check and stale:
        print(f"out of date: {', '.join(stale)} (run antrean protocol-docs)", file=sys.stderr)
        return 1
    return 0
