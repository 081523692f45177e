"""Hypothesis strategies for the payloads a receiver may meet: valid ones, almost-valid ones
(one field missing, of the wrong type, out of range, repeated, or one field too many) and
hostile ones (not UTF-8, not JSON, arrays and scalars, 30,000-deep nesting, 5,000-digit
numbers, huge strings, NaN and Infinity, repeated keys), for every hub command and every
state message a device handles. Written from docs/protocol.md, for the small test hall
(tests/fixtures/sites.py), so valid commands often succeed.

A payload is built as a tree of :class:`Obj` (a JSON object as key/value pairs, so a key
may repeat) and :class:`Raw` (text put into the JSON as it is: ``NaN``, a 5,000-digit
number, nesting), then dumped to bytes by :func:`dump`.
"""
from __future__ import annotations

import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from antrean import protocol

from tests.hub.conftest import MONDAY_9

# ---- how hard: a few hundred examples per handler, >= 10,000 in the slow suite ------------
# Derandomized (the examples follow from the test's code) and no example database, so a CI
# run tests what the last one did. too_slow / data_too_large: the hostile payloads are big on
# purpose (a 65,000-byte string is one draw, not 65,000). function_scoped_fixture: one hub
# database per test, kept across its examples on purpose (state accumulates, as in a hall).
_BASE = dict(deadline=None, derandomize=True, database=None, print_blob=True,
             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                    HealthCheck.function_scoped_fixture])
FAST = settings(max_examples=300, **_BASE)
SLOW = settings(max_examples=10_000, **_BASE)

SITE_SERVICES = ("KTP", "KK", "AKTA", "PAM-BAYAR")
SITE_COUNTERS = (1, 2, 3)
TODAY = "2026-11-23"                # MONDAY_9's day in Jakarta
DEVICES = ("kiosk-1", "kiosk-2", "box-1", "hub", "ops-laptop", "display-hall", "stranger")


class Obj(tuple):
    """A JSON object as its (key, value) pairs, in order; a key may appear twice."""


class Raw(str):
    """JSON text written as it is."""


def dump(value) -> bytes:
    return _text(value).encode("utf-8", "surrogatepass")


def _text(value) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, Obj):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _text(v)
                              for k, v in value) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)        # NaN and Infinity as Python writes


# ---- field values -------------------------------------------------------------------------
_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
ids = st.one_of(st.sampled_from([f"c{i}" for i in range(8)]),          # repeats: replays
                st.text(_ID_CHARS, min_size=1, max_size=64).filter(lambda s: s[0].isalnum()))
near_now = st.integers(MONDAY_9 - 8_000, MONDAY_9 + 1_000)              # mostly fresh
ms = st.one_of(near_now, st.integers(0, 2**63 - 1))
counts = st.one_of(st.integers(0, 20), st.integers(0, 2**63 - 1))
services = st.one_of(st.sampled_from(SITE_SERVICES), ids)
counters = st.one_of(st.sampled_from(SITE_COUNTERS), counts)
priorities = st.sampled_from([None, "elderly", "disabled", "pregnant"])
days = st.one_of(st.sampled_from([TODAY, "2026-11-22", "2026-11-24"]),
                 st.dates().map(lambda d: d.isoformat()))
tickets = st.one_of(st.builds(lambda s, n: f"{TODAY}.{s}.{n}", st.sampled_from(SITE_SERVICES),
                              st.integers(1, 12)), st.text(max_size=30))
numbers = st.builds(lambda p, n: f"{p}-{n:03d}", st.sampled_from("ABCD"), st.integers(1, 6000))

# A value of the wrong kind for any field, or out of any range.
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64),
                         st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4),
    st.lists(st.tuples(st.text(max_size=8), kids), max_size=4).map(Obj)), max_leaves=6)
out_of_range = st.sampled_from([-1, -2**63, 2**63, 2**64 - 1, 10**19, 2**64, 10**20 - 1, 1.5,
                                "", "x" * 65, "a/b", "+", "2026-02-30", "23-11-2026"])
wrong = st.one_of(json_values, out_of_range)


def _command(mtype: str, **fields) -> st.SearchStrategy[Obj]:
    return st.fixed_dictionaries({"id": ids, "sent_at": near_now | ms, **fields}).map(
        lambda f: Obj([("v", 1), ("type", mtype), *f.items()]))


COMMANDS = {
    "ticket.request": _command("ticket.request", service=services, priority=priorities),
    "ticket.printed": _command("ticket.printed", ticket=tickets),
    "ticket.print_failed": _command("ticket.print_failed", ticket=tickets,
                                    reason=st.text(max_size=40)),
    "lease.request": _command("lease.request", service=services),
    "ticket.offline": _command("ticket.offline", service=services,
                               number=st.integers(5001, 5040) | counts, day=days,
                               issued_at=near_now | ms, priority=priorities),
    **{t: _command(t, counter=counters) for t in (
        "counter.next", "counter.recall", "counter.skip", "counter.finish", "counter.pause",
        "counter.resume")},
    "counter.transfer": _command("counter.transfer", counter=counters, service=services),
}
assert set(COMMANDS) == {t.__struct_config__.tag for t in protocol.COMMANDS}

_calls = st.fixed_dictionaries({
    "call_id": counts, "ticket": tickets, "number": numbers, "service": services,
    "counter": counters, "recall": st.integers(0, 3), "at": near_now | ms},
    optional={"priority": priorities})


def _state(mtype: str, fields: dict, check=None) -> st.SearchStrategy[Obj]:
    head = {"db": st.none() | st.sampled_from([7, 8]) | counts, "epoch": st.integers(1, 3),
            "rev": st.integers(0, 50) | counts, "at": near_now | ms}
    made = st.fixed_dictionaries({**head, **fields})
    return (made.filter(check) if check else made).map(
        lambda f: Obj([("v", 1), ("type", mtype), *f.items()]))


def _counter_state() -> st.SearchStrategy[Obj]:
    def with_own_call(counter: int, body: dict, call: dict | None) -> dict:
        return {**body, "counter": counter,
                "last_call": None if call is None else Obj({**call, "counter": counter}.items())}
    body = st.fixed_dictionaries({
        "paused": st.booleans(), "number": st.none() | numbers, "service": st.none() | services,
        "call_id": st.none() | counts})
    fields = st.builds(with_own_call, counters, body, st.none() | _calls)
    head = st.fixed_dictionaries({"db": st.none() | st.sampled_from([7, 8]) | counts,
                                  "epoch": st.integers(1, 3), "rev": st.integers(0, 50) | counts,
                                  "at": near_now | ms})
    return st.builds(lambda h, f: Obj([("v", 1), ("type", "state.counter"), *h.items(),
                                       *f.items()]), head, fields)


STATES = {
    "state.counter": _counter_state(),
    "state.service": _state("state.service", {
        "service": services, "day": days, "open": st.booleans(),
        "reason": st.sampled_from([None, "service_closed", "holiday", "on_break",
                                   "quota_exhausted"]),
        "opens_at": st.none() | st.sampled_from(["08:00", "13:00"]),
        "opens_on": st.none() | days, "waiting": counts, "priority_waiting": counts,
        "wait_min": st.none() | counts, "quota_left": st.none() | counts,
        "last_called": st.none() | numbers, "next_number": numbers}),
    "clock": _state("clock", {"now": near_now | ms, "tz": st.sampled_from(
        ["Asia/Jakarta", "Asia/Makassar", "UTC", "Mars/Olympus", "../etc", ""]) | st.text()}),
    "called": st.builds(lambda db, call: Obj([("v", 1), ("type", "called"), ("db", db),
                                              ("call", Obj(call.items()))]),
                        st.none() | st.sampled_from([7, 8]), _calls),
}


# ---- one thing wrong ----------------------------------------------------------------------
@st.composite
def almost(draw, valid: st.SearchStrategy[Obj]) -> Obj:
    """A valid message with one thing wrong (or, for ``extra``, one unknown field more)."""
    pairs = list(draw(valid))
    i = draw(st.integers(0, len(pairs) - 1))
    key = pairs[i][0]
    how = draw(st.sampled_from(["drop", "wrong", "repeat", "extra", "version", "type"]))
    if how == "drop":
        del pairs[i]
    elif how == "wrong":
        pairs[i] = (key, draw(wrong))
    elif how == "repeat":                       # the same key again, before or after
        pairs.insert(draw(st.sampled_from([0, len(pairs)])), (key, draw(wrong)))
    elif how == "extra":
        pairs.insert(i, (draw(st.text(max_size=12)), draw(json_values)))
    elif how == "version":
        pairs[0] = ("v", draw(st.sampled_from([0, 2, True, 1.0, "1", None, -1])))
    else:
        pairs[1] = ("type", draw(st.sampled_from(["ticket.steal", "", "reply", "state.hall",
                                                  "clock", "counter.next "]) | json_values))
    return Obj(pairs)


# ---- hostile ------------------------------------------------------------------------------
DEPTHS = (33, 200, 30_000)
DIGITS = (21, 300, 4_300, 4_301, 5_000, 20_000)
HUGE = (1_000, 40_000, 64_000, 70_000)


def nested(depth: int, kind: str = "[") -> Raw:
    return Raw("[" * depth + "]" * depth if kind == "[" else '{"a":' * depth + "1" +
               "}" * depth)


def long_number(digits: int, sign: str = "") -> Raw:
    return Raw(sign + "9" * digits)


def huge_string(length: int, char: str = "y") -> str:
    return char * length


@st.composite
def poisoned(draw, valid: st.SearchStrategy[Obj]) -> bytes:
    """A valid message with one field (or an extra one) made hostile."""
    pairs = list(draw(valid))
    i = draw(st.integers(0, len(pairs)))
    bad = draw(st.one_of(
        st.builds(nested, st.sampled_from(DEPTHS), st.sampled_from("[{")),
        st.builds(long_number, st.sampled_from(DIGITS), st.sampled_from(["", "-"])),
        st.builds(huge_string, st.sampled_from(HUGE), st.sampled_from("y\"é\x01")),
        st.sampled_from([Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("1e999"),
                         Raw("01"), Raw("1."), Raw("+1"), Raw("0x10"), Raw("'a'")])))
    if i < len(pairs):
        pairs[i] = (pairs[i][0], bad)
    else:
        pairs.append(("x", bad))
    return dump(Obj(pairs))


@st.composite
def broken_bytes(draw, valid: st.SearchStrategy[Obj]) -> bytes:
    """A valid message's bytes with one change: invalid UTF-8 in it, cut short, or BOM."""
    raw = dump(draw(valid))
    at = draw(st.integers(0, len(raw)))
    how = draw(st.sampled_from(["insert", "cut", "bom", "utf16"]))
    if how == "insert":
        return raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"])) \
            + raw[at:]
    if how == "cut":
        return raw[:at]
    if how == "bom":
        return b"\xef\xbb\xbf" + raw
    return raw.decode().encode("utf-16")


def hostile(valid: st.SearchStrategy[Obj]) -> st.SearchStrategy[bytes]:
    return st.one_of(
        poisoned(valid), broken_bytes(valid),
        st.binary(max_size=64),                                         # mostly not UTF-8
        st.text(max_size=64).map(lambda t: t.encode("utf-8")),          # mostly not JSON
        json_values.filter(lambda v: not isinstance(v, Obj)).map(dump),  # arrays, scalars
        st.builds(lambda d, k: dump(nested(d, k)), st.sampled_from(DEPTHS),
                  st.sampled_from("[{")),
        st.sampled_from(DIGITS).map(lambda d: dump(long_number(d))),
        st.just(b""), st.just(b"{}"), st.just(b"null"))


def payloads(valid: st.SearchStrategy[Obj]) -> st.SearchStrategy[bytes]:
    """Valid, almost-valid and hostile payloads of one kind of message, about 1:2:2."""
    return st.one_of(valid.map(dump), almost(valid).map(dump), hostile(valid))


def command_payloads() -> st.SearchStrategy[bytes]:
    """Any command payload a hub's ``cmd/<device>`` may carry."""
    return st.one_of(*(payloads(s) for s in COMMANDS.values()))


def state_payloads(*mtypes: str) -> st.SearchStrategy[bytes]:
    """State messages of ``mtypes`` (and every other, as wrong types on that topic)."""
    chosen = [payloads(STATES[t]) for t in mtypes]
    others = [STATES[t].map(dump) for t in STATES if t not in mtypes]
    return st.one_of(*chosen, *others, st.sampled_from(list(COMMANDS.values())).flatmap(
        lambda s: s.map(dump)))


def hostile_corpus() -> list[bytes]:
    """The named hostile payloads, without Hypothesis: for the memory and broker tests."""
    head = b'{"v":1,"type":"counter.next","id":"h1","sent_at":1,"counter":1'
    return [b"[" * 30_000 + b"]" * 30_000,
            head + b',"x":' + b"[" * 30_000 + b"]" * 30_000 + b"}",
            head + b',"x":' + b'{"a":' * 30_000 + b"1" + b"}" * 30_000 + b"}",
            b'{"v":1,"type":"counter.next","id":"h2","sent_at":1,"counter":' + b"9" * 5000
            + b"}",
            b'{"v":' + b"9" * 5000 + b"}",
            head + b',"x":NaN}', head + b',"x":Infinity}',
            b'{"v":1,"type":"ticket.printed","id":"h3","sent_at":1,"ticket":"'
            + b"x" * 64_000 + b'"}',
            b'{"v":1,"type":"x","pad":"' + b"y" * 70_000 + b'"}',
            b"\xff\xfe\x00\x00", b"not json", b"[1,2,3]", b"12", b'"text"', b"",
            b'{"v":1,"v":2,"type":"counter.next","type":"counter.skip","id":"h4","id":"h5"}']
