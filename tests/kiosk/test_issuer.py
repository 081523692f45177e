"""Issuing a ticket against the hub's typed replies: printed online with the hub's figures,
refused with the hub's own words, printed from the lease when the hub is silent, and the
outbox settled by the replies. The replies are real payloads decoded as the kiosk's
CommandChannel decodes them; the printer is the dummy backend."""
from __future__ import annotations

import datetime as dt
import queue
import uuid
from zoneinfo import ZoneInfo

import pytest

from antrean import messages, protocol
from antrean.clock import HubClock
from kiosk.escpos_decode import decode as paper_of
from kiosk.issuer import Issuer, IssueResult
from kiosk.outbox import Outbox, ticket_id
from kiosk.printer import dummy_jobs, open_printer
from tests.fixtures.sites import small_site

DAY = "2026-11-23"
NOW_MS = int(dt.datetime(2026, 11, 23, 9, 41, tzinfo=ZoneInfo("Asia/Jakarta")).timestamp()
             * 1000)
WAIT_S = 10


def reply(cid: str, *, result: dict | None = None, error: dict | None = None) -> bytes:
    """A reply as the hub publishes it."""
    if error is not None:
        return protocol.encode("reply", id=cid, ok=False, error=error)
    return protocol.encode("reply", id=cid, ok=True, result=result or {})


def ticket(seq: int, service: str = "KTP", prefix: str = "A", **fields) -> dict:
    return {"id": ticket_id(DAY, service, seq), "number": f"{prefix}-{seq:03d}",
            "service": service, "day": DAY, "seq": seq, "status": "printing",
            "issued_at": NOW_MS, "ahead": 3, "wait_min": 12, **fields}


class StandInChannel:
    """A CommandChannel without a broker: each command is recorded and answered by
    ``answer(mtype, fields, cid)`` (reply bytes, or None for silence: the timeout), the
    reply decoded as the real channel decodes it and delivered on the test's loop."""

    def __init__(self, loop: queue.SimpleQueue, answer):
        self.loop, self.answer = loop, answer
        self.sent: list[tuple[str, dict, str]] = []

    def send(self, mtype: str, fields: dict, *, timeout: float, on_reply,
             cmd_id: str | None = None) -> str:
        cid = cmd_id or uuid.uuid4().hex
        protocol.encode(mtype, id=cid, sent_at=NOW_MS, **fields)     # a command it can send
        self.sent.append((mtype, fields, cid))
        payload = self.answer(mtype, fields, cid)
        got = None if payload is None else protocol.decode(payload, (messages.Reply,))
        self.loop.put(lambda: on_reply(got))
        return cid

    def retry(self, cmd_id: str, *, timeout: float, on_reply) -> str:
        mtype, fields, _ = next(s for s in self.sent if s[2] == cmd_id)
        return self.send(mtype, fields, timeout=timeout, on_reply=on_reply, cmd_id=cmd_id)

    def of_type(self, mtype: str) -> list[tuple[dict, str]]:
        return [(fields, cid) for t, fields, cid in self.sent if t == mtype]


class Kiosk:
    """An Issuer wired as the app wires it, with one loop run by the test."""

    def __init__(self, tmp_path, answer, *, online=True, queues=dict):
        self.site = small_site()
        self.loop: queue.SimpleQueue = queue.SimpleQueue()
        self.channel = StandInChannel(self.loop, answer)
        clock = HubClock()
        clock.observe(NOW_MS)
        self.outbox = Outbox(tmp_path / "outbox.sqlite")
        self.printer = open_printer({"backend": "dummy"})
        self.online = online
        self.issuer = Issuer(site=self.site, kiosk=self.site.kiosks["kiosk-1"],
                             channel=self.channel, clock=clock, outbox=self.outbox,
                             open_printer=lambda: self.printer, deliver=self.loop.put,
                             queues=queues, online=lambda: self.online)

    def issue(self, service: str, priority: str | None = None) -> IssueResult:
        results: list[IssueResult] = []
        self.issuer.issue(service, priority, results.append)
        self.run_until(lambda: results)
        self.settle()
        return results[0]

    def run_until(self, done, timeout: float = WAIT_S) -> None:
        while not done():
            self.loop.get(timeout=timeout)()

    def settle(self) -> None:
        """Run what is on the loop until it stays empty a moment (replies, flushes)."""
        while True:
            try:
                job = self.loop.get(timeout=0.2)
            except queue.Empty:
                return
            job()

    def paper(self) -> list[str]:
        return [line.text.strip() for job in dummy_jobs(self.printer)
                for line in paper_of(job).lines]

    def close(self) -> None:
        self.issuer.close()
        self.outbox.close()


@pytest.fixture
def kiosk_for(tmp_path):
    made: list[Kiosk] = []

    def make(answer, **kw) -> Kiosk:
        made.append(Kiosk(tmp_path, answer, **kw))
        return made[-1]
    yield make
    for k in made:
        k.close()


def hub(tickets=(), leases: dict | None = None, refuse: dict | None = None):
    """A stand-in hub: grants the given tickets in turn, the given lease of a service (else a
    block of 10 from 1), confirms every ticket.printed and ticket.offline, or refuses every
    ticket.request with ``refuse``."""
    tickets, leases = list(tickets), leases or {}

    def answer(mtype, fields, cid):
        if mtype == "ticket.request":
            if refuse is not None:
                return reply(cid, error=refuse)
            return reply(cid, result={"ticket": tickets.pop(0)})
        if mtype == "lease.request":
            service = fields["service"]
            lease = leases.get(service, {"service": service, "day": DAY, "first": 1, "last": 10})
            return reply(cid, result={"lease": lease})
        return reply(cid)
    return answer


def test_online_the_hubs_ticket_is_printed_and_confirmed(kiosk_for):
    # given a hub that grants KTP's ticket A-007 with 3 people ahead
    k = kiosk_for(hub(tickets=[ticket(7)]))
    # when a visitor asks for KTP
    result = k.issue("KTP")
    # then the hub's number and figures are printed and shown
    assert (result.ok, result.number, result.ahead, result.wait_min, result.offline) == \
        (True, "A-007", 3, 12, False)
    assert "A-007" in k.paper()
    # and the kiosk confirmed that ticket, and the confirmation is settled by the hub's reply
    assert [f for f, _ in k.channel.of_type("ticket.printed")] == [{"ticket": "2026-11-23.KTP.7"}]
    assert k.outbox.pending_confirms() == []


def test_a_refusal_shows_the_hubs_own_words_and_prints_nothing(kiosk_for):
    refusal = {"code": "quota_exhausted", "message": "Kuota habis", "message_en": "Quota used up"}
    k = kiosk_for(hub(refuse=refusal))
    result = k.issue("KTP")
    assert (result.ok, result.error, result.message) == \
        (False, "quota_exhausted", {"id": "Kuota habis", "en": "Quota used up"})
    assert dummy_jobs(k.printer) == []


def test_an_ok_reply_without_a_ticket_is_an_internal_error(kiosk_for):
    k = kiosk_for(lambda mtype, fields, cid: reply(cid))
    result = k.issue("KTP")
    assert (result.ok, result.error) == (False, "internal") and dummy_jobs(k.printer) == []


def test_a_silent_hub_means_a_number_from_the_lease_with_the_last_known_figures(kiosk_for):
    # given a lease of KTP's 101-130 and the hub's last state of KTP: 5 waiting, 20 minutes
    lease = {"service": "KTP", "day": DAY, "first": 101, "last": 130}
    held = {"KTP": protocol.decode(protocol.encode(
        "state.service", epoch=1, rev=1, at=NOW_MS, service="KTP", day=DAY, open=True,
        waiting=5, wait_min=20, next_number="A-008"), (messages.StateService,))}
    answers = hub(leases={"KTP": lease})
    silent = {"on": False}
    k = kiosk_for(lambda *a: None if silent["on"] else answers(*a), queues=lambda: held)
    k.issuer.refresh_leases()
    k.settle()
    assert k.outbox.numbers_left("KTP", DAY) == 30
    # when the hub stops answering and a visitor asks for KTP
    silent["on"] = True
    result = k.issue("KTP")
    # then the first leased number is printed with the figures last heard
    assert (result.ok, result.number, result.ahead, result.wait_min, result.offline) == \
        (True, "A-101", 5, 20, True)
    assert "A-101" in k.paper()
    assert [t.number for t in k.outbox.pending()] == [101]
    # and when the hub answers again, the hand-over settles the outbox
    silent["on"] = False
    k.issuer.flush()
    k.settle()
    assert k.outbox.pending() == []
    [(fields, cid)] = k.channel.of_type("ticket.offline")[-1:]
    assert (fields["number"], fields["day"], cid) == (101, DAY, "o.2026-11-23.KTP.101")


@pytest.mark.parametrize(("code", "settled"), [("lease_exhausted", True), ("internal", False)])
def test_a_final_refusal_settles_a_hand_over_and_another_keeps_it(kiosk_for, code, settled):
    lease = {"service": "KK", "day": DAY, "first": 1, "last": 50}
    refusing = {"on": False}

    def answer(mtype, fields, cid):
        if mtype == "ticket.request":
            return None                   # the hub is silent for the visitor's request
        if refusing["on"]:
            return reply(cid, error={"code": code, "message": "tidak"})
        return hub(leases={"KK": lease})(mtype, fields, cid)
    k = kiosk_for(answer, online=False)
    k.issuer.refresh_leases()
    k.settle()
    # given a ticket printed offline
    assert k.issue("KK").number == "B-001"
    # when the hub refuses its hand-over
    refusing["on"] = True
    k.online = True
    k.issuer.flush()
    k.settle()
    # then only a final refusal removes it from the outbox
    assert (k.outbox.pending() == []) is settled


def test_a_lease_cut_short_is_not_asked_again_before_it_is_used(kiosk_for):
    # given a hub that can lease only 3 numbers of KTP (the quota left), fewer than a block
    short = {"service": "KTP", "day": DAY, "first": 98, "last": 100}
    k = kiosk_for(hub(leases={"KTP": short}))
    k.issuer.refresh_leases()
    k.settle()
    assert k.outbox.numbers_left("KTP", DAY) == 3
    # when the kiosk refreshes its leases again
    k.issuer.refresh_leases()
    k.settle()
    # then KTP is not asked for again while its numbers last
    assert [f["service"] for f, _ in k.channel.of_type("lease.request")].count("KTP") == 1
