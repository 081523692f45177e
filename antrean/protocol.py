"""The MQTT protocol: topic tree and message schemas, defined once.

docs/protocol.md is the human document for everything here; tests/antrean/test_protocol_doc.py
fails when this module names a topic or message type the document does not describe.
No role assembles topic strings itself: it asks a :class:`Topics` for them.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import msgspec

from . import messages
from .errors import ProtocolError

VERSION = 1
ROOT = "antrean"
MAX_PAYLOAD = 64 * 1024
# Refused before parsing (docs/protocol.md, "Conventions"): no parser's recursion or Python's
# 4,300-digit int limit is ever what stops a payload.
MAX_DEPTH = 32          # objects and arrays inside one another, the payload's object included
MAX_DIGITS = 20         # digits in a row in a number: every 64-bit integer has at most 20
MAX_DETAIL = 200        # characters of a reason quoted from msgspec (it quotes bad values)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# A JSON string, or an unterminated one up to the end: possessive, so every byte is looked
# at once (an unterminated string must not make the scan quadratic).
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_LONG_NUMBER = re.compile(rb"[0-9]{%d}" % (MAX_DIGITS + 1))
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))

# Topic templates below the site root ``antrean/v1/<site>/``. The document lists these.
TOPIC_TEMPLATES = {
    "cmd": "cmd/{device}",            # device -> hub: commands, QoS 1
    "reply": "reply/{device}",        # hub -> device: answers, QoS 1
    "service": "state/service/{service}",   # hub -> all: retained state of one service
    "counter": "state/counter/{counter}",   # hub -> all: retained state of one counter
    "clock": "state/clock",           # hub -> all: heartbeat with the hub's clock, QoS 0
    "called": "event/called",         # hub -> all: a ticket was called (or recalled), QoS 1
    "presence": "presence/{device}",  # each device: retained online/offline/lost
    "health": "health/{device}",      # each device: retained health report
}


def valid_id(value: str) -> bool:
    """Device, site and service ids fill one topic level: no wildcards, no slashes."""
    return isinstance(value, str) and bool(_ID.match(value))


@dataclass(frozen=True)
class Topics:
    """Every topic of one site. ``Topics("mpp-madiun").cmd("kiosk-1")``."""

    site: str

    def __post_init__(self):
        if not valid_id(self.site):
            raise ProtocolError("bad_id", f"site id {self.site!r} cannot be a topic level")

    @property
    def base(self) -> str:
        return f"{ROOT}/v{VERSION}/{self.site}"

    def _t(self, name: str, **kw: str) -> str:
        for v in kw.values():
            if not valid_id(str(v)):
                raise ProtocolError("bad_id", f"{v!r} cannot be a topic level")
        return f"{self.base}/" + TOPIC_TEMPLATES[name].format(**kw)

    def cmd(self, device: str) -> str:
        return self._t("cmd", device=device)

    def reply(self, device: str) -> str:
        return self._t("reply", device=device)

    def presence(self, device: str) -> str:
        return self._t("presence", device=device)

    def health(self, device: str) -> str:
        return self._t("health", device=device)

    def service(self, service: str) -> str:
        return self._t("service", service=service)

    def counter(self, counter: int) -> str:
        return self._t("counter", counter=str(counter))

    @property
    def all_services(self) -> str:
        return f"{self.base}/state/service/+"

    @property
    def all_counters(self) -> str:
        return f"{self.base}/state/counter/+"

    @property
    def retired(self) -> tuple[str, ...]:
        """Topics of Antrean 0.2's whole-hall snapshots, which the hub clears."""
        return (f"{self.base}/state/queues", f"{self.base}/state/hall")

    @property
    def clock(self) -> str:
        return self._t("clock")

    @property
    def called(self) -> str:
        return self._t("called")

    @property
    def all_cmds(self) -> str:
        return f"{self.base}/cmd/+"

    @property
    def all_presence(self) -> str:
        return f"{self.base}/presence/+"

    @property
    def all_health(self) -> str:
        return f"{self.base}/health/+"

    def device_of(self, topic: str) -> str:
        """The last level of a per-device topic (cmd/, presence/, health/)."""
        return topic.rsplit("/", 1)[-1]


# ---- message types ---------------------------------------------------------------------
# The Structs in antrean/messages.py are the schemas; these name them for the roles.
COMMANDS: tuple[type[messages.Command], ...] = messages.COMMANDS
MESSAGE_TYPES: tuple[str, ...] = tuple(messages.BY_TYPE)
EVERY_MESSAGE: tuple[type[messages.Message], ...] = tuple(messages.BY_TYPE.values())


class _Envelope(msgspec.Struct):
    """What is read before the message's own type is known."""

    v: Any = msgspec.UNSET
    type: Any = msgspec.UNSET
    id: Any = msgspec.UNSET


# Error codes in replies (``error.code``); the document explains each.
ERROR_CODES = (
    "bad_payload", "bad_version", "unknown_type", "too_large", "bad_id",
    "unknown_service", "unknown_counter", "not_allowed", "service_closed", "holiday",
    "on_break", "quota_exhausted", "priority_not_allowed", "unknown_ticket",
    "ticket_not_printing", "expired", "stale", "counter_paused", "nothing_to_recall",
    "lease_exhausted", "internal",
)


def encode(mtype: str, **fields: Any) -> bytes:
    """Build a payload: the envelope plus fields, compact JSON in UTF-8. A payload every
    receiver would refuse (over ``MAX_PAYLOAD``) is never built: ProtocolError("too_large")."""
    if mtype not in MESSAGE_TYPES:
        raise ProtocolError("unknown_type", f"unknown message type {mtype!r}")
    payload = json.dumps({"v": VERSION, "type": mtype, **fields},
                         separators=(",", ":"), ensure_ascii=False).encode()
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError("too_large", f"{mtype} of {len(payload)} bytes exceeds "
                            f"{MAX_PAYLOAD}; not sent")
    return payload


def decode(payload: bytes,
           allowed: tuple[type[messages.Message], ...] = EVERY_MESSAGE) -> Any:
    """Parse and validate a payload as one of the ``allowed`` message types; returns that
    Struct. Raises :class:`ProtocolError` with a code from ``ERROR_CODES`` and a reason a
    person can act on (for a field: msgspec's, e.g. "Expected `int`, got `bool` - at
    `$.counter`")."""
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError("too_large", f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    _check_limits(payload)
    env = _parse(payload, _Envelope)
    version = env.v
    # JSON true and 1.0 equal 1 in Python: the version must be the integer itself.
    if type(version) is not int or version != VERSION:
        shown = "missing" if version is msgspec.UNSET else json.dumps(version)
        raise ProtocolError("bad_version", f"field 'v' must be the integer {VERSION}, not "
                            f"{shown}")
    mtype = env.type
    if not isinstance(mtype, str):
        raise ProtocolError("unknown_type", "field 'type' is missing or not a string")
    kinds = {t.__struct_config__.tag: t for t in allowed}
    if mtype not in kinds:
        raise ProtocolError("unknown_type", f"message type {json.dumps(mtype)} is not "
                            "accepted here")
    if issubclass(kinds[mtype], messages.Command):
        _check_id(env.id)
    return _parse(payload, kinds[mtype])


def _check_limits(payload: bytes) -> None:
    """UTF-8 (RFC 8259 allows no other encoding on the wire), nested at most ``MAX_DEPTH``
    deep, no number of more than ``MAX_DIGITS`` digits: checked on the bytes, before any
    parser sees them. Outside strings, so a string may hold brackets and digits."""
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("bad_payload", "not UTF-8 text") from None
    bare = _outside_strings(payload)
    if _LONG_NUMBER.search(bare):
        raise ProtocolError("bad_payload", f"a number too long (more than {MAX_DIGITS} digits)")
    if _too_deep(bare):
        raise ProtocolError("bad_payload", f"JSON nested too deeply (more than {MAX_DEPTH})")


def _outside_strings(payload: bytes) -> bytes:
    """The payload with every string emptied (UTF-8 multi-byte sequences hold no ASCII
    byte, so this works on the bytes)."""
    return _STRING.sub(b'""', payload)


def _too_deep(bare: bytes) -> bool:
    brackets = bare.translate(None, _NOT_BRACKET)
    return len(brackets) > MAX_DEPTH and max(accumulate(map(_STEP.__getitem__, brackets))) \
        > MAX_DEPTH


def _parse(payload: bytes, kind: type) -> Any:
    """JSON holding one object of ``kind`` (the limits are checked already)."""
    try:
        return msgspec.json.decode(payload, type=kind)
    except msgspec.ValidationError as e:
        if kind is _Envelope and not payload.lstrip().startswith(b"{"):
            raise ProtocolError("bad_payload", "payload must be a JSON object") from None
        raise ProtocolError("bad_payload", _shortened(str(e))) from None
    except msgspec.DecodeError as e:
        raise ProtocolError("bad_payload", f"not JSON: {_shortened(str(e))}") from None
    except RecursionError:      # not reached within MAX_DEPTH; kept as the last guard
        raise ProtocolError("bad_payload", "JSON nested too deeply") from None


def _shortened(reason: str) -> str:
    """msgspec quotes the value it refused: keep its start and the path at the end, so a
    64 KB value makes neither a 64 KB log line nor a reply over the payload limit."""
    if len(reason) <= MAX_DETAIL:
        return reason
    half = MAX_DETAIL // 2
    return f"{reason[:half]}...{reason[-half:]}"


def _check_id(cid: Any) -> None:
    if cid is msgspec.UNSET:
        raise ProtocolError("bad_payload", "field 'id' is missing")
    if not isinstance(cid, str) or not valid_id(cid):
        raise ProtocolError("bad_id", "field 'id' must be 1-64 letters, digits, '_', '.' "
                            "or '-' (it names the reply)")


class _IdOnly(msgspec.Struct):
    id: Any = msgspec.UNSET


def command_id(payload: bytes) -> str | None:
    """Best effort: the id of a command we could not validate, to address the error reply.
    Read as ``decode`` reads it (the last of repeated keys), whatever the rest holds: a
    number too long elsewhere is skipped unread. None for JSON nested too deeply, not an
    object, or an id that is not topic-safe."""
    if _too_deep(_outside_strings(payload)):
        return None
    try:
        cid = msgspec.json.decode(payload, type=_IdOnly).id
    except (msgspec.DecodeError, RecursionError):       # ValidationError is a DecodeError
        return None
    return cid if isinstance(cid, str) and valid_id(cid) else None
