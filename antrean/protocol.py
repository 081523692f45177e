"""The MQTT protocol: topic tree and message schemas, defined once.

docs/protocol.md is the human document for everything here; tests/antrean/test_protocol_doc.py
fails when this module names a topic or message type the document does not describe.
No role assembles topic strings itself: it asks a :class:`Topics` for them.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from .errors import ProtocolError

VERSION = 1
ROOT = "antrean"
MAX_PAYLOAD = 64 * 1024
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

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


# ---- message schemas -------------------------------------------------------------------
# A field spec: (python types, required, check or None). Checks return an error text or None.

def _one_of(*options: Any) -> Callable[[Any], str | None]:
    return lambda v: None if v in options else \
        f"must be one of {', '.join(map(json.dumps, options))}"


def _nonneg(v: Any) -> str | None:
    return None if v >= 0 else "must not be negative"


def _ident(v: Any) -> str | None:
    return None if valid_id(v) else "must be 1-64 letters, digits, '_', '.' or '-'"


PRIORITY = _one_of(None, "elderly", "disabled", "pregnant")


def _day(v: Any) -> str | None:
    try:
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            dt.date.fromisoformat(v)
            return None
    except ValueError:
        pass
    return "must be a date like 2026-11-23"


INT = (int,)
STR = (str,)
# Every command's envelope besides ``id``, which _check_id checks first (its code: bad_id).
_COMMAND = {"sent_at": (INT, True, _nonneg)}

COMMANDS: dict[str, dict[str, tuple]] = {
    "ticket.request": {"service": (STR, True, _ident),
                       "priority": ((str, type(None)), False, PRIORITY)},
    "ticket.printed": {"ticket": (STR, True, None)},
    "ticket.print_failed": {"ticket": (STR, True, None), "reason": (STR, False, None)},
    "lease.request": {"service": (STR, True, _ident)},
    "ticket.offline": {"service": (STR, True, _ident), "number": (INT, True, _nonneg),
                       "day": (STR, True, _day), "issued_at": (INT, True, _nonneg),
                       "priority": ((str, type(None)), False, PRIORITY)},
    "counter.next": {"counter": (INT, True, _nonneg)},
    "counter.recall": {"counter": (INT, True, _nonneg)},
    "counter.skip": {"counter": (INT, True, _nonneg)},
    "counter.finish": {"counter": (INT, True, _nonneg)},
    "counter.transfer": {"counter": (INT, True, _nonneg), "service": (STR, True, _ident)},
    "counter.pause": {"counter": (INT, True, _nonneg)},
    "counter.resume": {"counter": (INT, True, _nonneg)},
}

# Every retained state's envelope: which database, and its order within it.
_STATE = {"db": (INT, False, _nonneg), "epoch": (INT, True, _nonneg),
          "rev": (INT, True, _nonneg), "at": (INT, True, _nonneg)}
_OPT_STR = (str, type(None))

# What the hub and devices publish (validated by receivers that care).
PUBLICATIONS: dict[str, dict[str, tuple]] = {
    "reply": {"id": ((str, type(None)), True, None), "ok": ((bool,), True, None)},
    "state.service": {**_STATE, "service": (STR, True, _ident), "day": (STR, True, _day),
                      "open": ((bool,), True, None), "waiting": (INT, True, _nonneg)},
    "state.counter": {**_STATE, "counter": (INT, True, _nonneg),
                      "paused": ((bool,), True, None), "number": (_OPT_STR, True, None),
                      "last_call": ((dict, type(None)), True, None)},
    "clock": {"db": (INT, False, _nonneg), "epoch": (INT, True, _nonneg),
              "rev": (INT, True, _nonneg), "now": (INT, True, _nonneg), "tz": (STR, True, None)},
    "called": {"db": (INT, False, _nonneg), "call": ((dict,), True, None)},
    "presence": {"device": (STR, True, None), "role": (STR, True, None),
                 "state": (STR, True, _one_of("online", "offline", "lost")),
                 "session": (STR, True, None), "bdseq": (INT, True, _nonneg)},
    "health": {"device": (STR, True, None), "role": (STR, True, None),
               "at": (INT, True, _nonneg)},
}

MESSAGE_TYPES = {**COMMANDS, **PUBLICATIONS}

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


def decode(payload: bytes, allowed: dict[str, dict[str, tuple]] = MESSAGE_TYPES) -> dict:
    """Parse and validate a payload against ``allowed`` types. Raises :class:`ProtocolError`
    with a code from ``ERROR_CODES`` and a reason a person can act on."""
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError("too_large", f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    msg = _parse(payload)
    version = msg.get("v")
    # JSON true and 1.0 equal 1 in Python: the version must be the integer itself.
    if type(version) is not int or version != VERSION:
        raise ProtocolError("bad_version", f"field 'v' must be the integer {VERSION}, not "
                            f"{json.dumps(version)}")
    mtype = msg.get("type")
    if not isinstance(mtype, str):
        raise ProtocolError("unknown_type", "field 'type' is missing or not a string")
    if mtype not in allowed:
        raise ProtocolError("unknown_type", f"message type {json.dumps(mtype)} is not "
                            "accepted here")
    if mtype in COMMANDS:
        _check_id(msg)
        schema = {**_COMMAND, **allowed[mtype]}
    else:
        schema = allowed[mtype]
    for name, (types, required, check) in schema.items():
        _check_field(msg, name, types, required, check)
    return msg


def _parse(payload: bytes) -> dict:
    """UTF-8 JSON (RFC 8259 allows no other encoding on the wire) holding one object."""
    try:
        text = payload.decode("utf-8")
        msg = json.loads(text)
    except UnicodeDecodeError:
        raise ProtocolError("bad_payload", "not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise ProtocolError("bad_payload", f"not JSON: {e}") from None
    except RecursionError:
        raise ProtocolError("bad_payload", "JSON nested too deeply") from None
    except ValueError:      # an integer of more than 4,300 digits (sys.int_info)
        raise ProtocolError("bad_payload", "a number in it is too long") from None
    if not isinstance(msg, dict):
        raise ProtocolError("bad_payload", "payload must be a JSON object")
    return msg


def _check_id(msg: dict) -> None:
    cid = msg.get("id")
    if "id" not in msg:
        raise ProtocolError("bad_payload", "field 'id' is missing")
    if not isinstance(cid, str) or not valid_id(cid):
        raise ProtocolError("bad_id", "field 'id' must be 1-64 letters, digits, '_', '.' "
                            "or '-' (it names the reply)")


_JSON_NAMES = {str: "string", int: "integer", bool: "boolean", dict: "object", list: "array",
               type(None): "null"}


def _check_field(msg: dict, name: str, types: tuple, required: bool, check) -> None:
    if name not in msg:
        if required:
            raise ProtocolError("bad_payload", f"field {name!r} is missing")
        return
    value = msg[name]
    # bool is an int in Python; a JSON true is never a valid number here.
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        want = "/".join(_JSON_NAMES.get(t, t.__name__) for t in types)
        raise ProtocolError("bad_payload", f"field {name!r} must be {want}")
    problem = check(value) if check else None
    if problem:
        raise ProtocolError("bad_payload", f"field {name!r} {problem}")


def command_id(payload: bytes) -> str | None:
    """Best effort: the id of a command we could not validate, to address the error reply."""
    try:
        msg = json.loads(payload)
        cid = msg.get("id") if isinstance(msg, dict) else None
        return cid if isinstance(cid, str) and valid_id(cid) else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
