"""Every message of the protocol as a msgspec Struct: the one typed definition of the wire.

docs/protocol.md explains each; docs/protocol.schema.json (JSON Schema) and docs/asyncapi.json
(AsyncAPI 3) are generated from these types (``antrean protocol-docs``) and a test keeps
them equal. Receivers decode into these types (``antrean.protocol.decode``), so a wrong
field is refused with msgspec's own words ("Expected `int`, got `bool` - at `$.counter`")
and no role checks fields by hand. Unknown extra fields are ignored (forward compatibility).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Optional

from msgspec import Meta, Struct

# ---- field types ----------------------------------------------------------------------------
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
Id = Annotated[str, Meta(pattern=ID_PATTERN, description="1-64 of A-Z a-z 0-9 _ . -")]
# Bounded so every receiver can use them as they are: a time is a date of any time zone (the
# year 3000 is far from datetime's 9999), a count fits SQLite's signed 64-bit INTEGER.
MAX_MS = 32_503_680_000_000         # 3000-01-01T00:00Z
MAX_COUNT = 2**63 - 1
Ms = Annotated[int, Meta(ge=0, le=MAX_MS, description="milliseconds since the Unix epoch, "
                         "hub clock, before the year 3000")]
Count = Annotated[int, Meta(ge=0, le=MAX_COUNT)]
Day = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD, local")]
Priority = Optional[Literal["elderly", "disabled", "pregnant"]]
Status = Literal["printing", "waiting", "called", "done", "skipped", "no_show", "cancelled",
                 "expired"]
Reason = Optional[Literal["service_closed", "holiday", "on_break", "quota_exhausted"]]


def _real_day(day: str) -> None:
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        raise ValueError(f"{day!r} is not a date like 2026-11-23") from None


# ---- shared objects -------------------------------------------------------------------------
class Ticket(Struct, kw_only=True):
    id: str
    number: str
    service: str
    day: Day
    seq: Count
    priority: Priority = None
    status: Status
    issued_at: Ms
    ahead: Optional[Count] = None
    wait_min: Optional[Count] = None
    counter: Optional[Count] = None
    recalls: Count = 0
    offline: bool = False


class Call(Struct, kw_only=True):
    call_id: Count
    ticket: str
    number: str
    service: str
    counter: Count
    recall: Count = 0
    at: Ms
    priority: Priority = None       # the called ticket's priority kind: displays mark it


class Lease(Struct, kw_only=True):
    service: Id
    day: Day
    first: Count
    last: Count


class CounterState(Struct, kw_only=True):
    counter: Count
    paused: bool
    ticket: Optional[Ticket] = None


class Result(Struct, kw_only=True):
    """A reply's ``result``: which fields come depends on the command (docs/protocol.md)."""

    ticket: Optional[Ticket] = None
    call: Optional[Call] = None
    lease: Optional[Lease] = None
    skipped: Optional[Ticket] = None
    counter: Optional[CounterState] = None


class ReplyError(Struct, kw_only=True):
    code: str
    message: str
    message_en: str = ""


class PrinterHealth(Struct, kw_only=True):
    status: Literal["ok", "paper_low", "no_paper", "cover_open", "offline", "unknown"]
    detail: str = ""


# ---- envelopes ------------------------------------------------------------------------------
class Message(Struct, tag_field="type", kw_only=True):
    v: Literal[1]


class Command(Message, kw_only=True):
    id: Id
    sent_at: Ms


class State(Message, kw_only=True):
    """A retained snapshot: its database and its order within it (docs/protocol.md)."""

    db: Optional[Count] = None
    epoch: Count
    rev: Count
    at: Ms


# ---- commands (device -> hub) ---------------------------------------------------------------
class TicketRequest(Command, tag="ticket.request", kw_only=True):
    service: Id
    priority: Priority = None


class TicketPrinted(Command, tag="ticket.printed", kw_only=True):
    ticket: str


class TicketPrintFailed(Command, tag="ticket.print_failed", kw_only=True):
    ticket: str
    reason: str = ""


class LeaseRequest(Command, tag="lease.request", kw_only=True):
    service: Id


class TicketOffline(Command, tag="ticket.offline", kw_only=True):
    service: Id
    number: Count
    day: Day
    issued_at: Ms
    priority: Priority = None

    def __post_init__(self):
        _real_day(self.day)


class CounterCommand(Command, kw_only=True):
    counter: Count


class CounterNext(CounterCommand, tag="counter.next", kw_only=True):
    pass


class CounterRecall(CounterCommand, tag="counter.recall", kw_only=True):
    pass


class CounterSkip(CounterCommand, tag="counter.skip", kw_only=True):
    pass


class CounterFinish(CounterCommand, tag="counter.finish", kw_only=True):
    pass


class CounterTransfer(CounterCommand, tag="counter.transfer", kw_only=True):
    service: Id


class CounterPause(CounterCommand, tag="counter.pause", kw_only=True):
    pass


class CounterResume(CounterCommand, tag="counter.resume", kw_only=True):
    pass


# ---- publications (hub -> devices, devices -> everyone) -------------------------------------
class Reply(Message, tag="reply", kw_only=True):
    id: Optional[str]
    ok: bool
    result: Optional[Result] = None
    error: Optional[ReplyError] = None


class StateService(State, tag="state.service", kw_only=True):
    service: Id
    day: Day
    open: bool
    reason: Reason = None
    opens_at: Optional[str] = None
    opens_on: Optional[Day] = None
    waiting: Count
    priority_waiting: Count = 0
    wait_min: Optional[Count] = None
    quota_left: Optional[Count] = None
    last_called: Optional[str] = None
    next_number: str
    oldest_at: Optional[Ms] = None


class StateCounter(State, tag="state.counter", kw_only=True):
    counter: Count
    paused: bool
    number: Optional[str] = None
    service: Optional[str] = None
    call_id: Optional[Count] = None
    last_call: Optional[Call] = None

    def __post_init__(self):
        if self.last_call is not None and self.last_call.counter != self.counter:
            raise ValueError("last_call is another counter's")


class Clock(Message, tag="clock", kw_only=True):
    db: Optional[Count] = None
    epoch: Count
    rev: Count
    now: Ms
    tz: str


class Called(Message, tag="called", kw_only=True):
    db: Optional[Count] = None
    call: Call


class Presence(Message, tag="presence", kw_only=True):
    device: str
    role: Literal["hub", "kiosk", "display", "counter", "operator"]
    state: Literal["online", "offline", "lost"]
    session: str
    bdseq: Count
    at: Optional[Ms] = None


class Health(Message, tag="health", kw_only=True):
    """Every device's report; kiosks add ``printer`` and ``outbox``, the hub ``epoch`` and
    ``db``, displays ``layout``, button boxes ``counters``."""

    device: str
    role: str
    at: Ms
    version: str = ""
    uptime_s: Count = 0
    errors: list[str] = []
    printer: Optional[PrinterHealth] = None
    outbox: Optional[Count] = None
    epoch: Optional[Count] = None
    db: Optional[Count] = None
    layout: Optional[str] = None
    counters: Optional[dict[str, Any]] = None


COMMANDS: tuple[type[Command], ...] = (
    TicketRequest, TicketPrinted, TicketPrintFailed, LeaseRequest, TicketOffline,
    CounterNext, CounterRecall, CounterSkip, CounterFinish, CounterTransfer, CounterPause,
    CounterResume)
PUBLICATIONS: tuple[type[Message], ...] = (
    Reply, StateService, StateCounter, Clock, Called, Presence, Health)
BY_TYPE: dict[str, type[Message]] = {t.__struct_config__.tag: t
                                     for t in (*COMMANDS, *PUBLICATIONS)}
