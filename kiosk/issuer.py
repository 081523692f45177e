"""Issuing a ticket, online or offline: the kiosk's core flow, free of Kivy.

Online: ask the hub (``ticket.request``), print, then confirm (``ticket.printed``) or report
the failure. If the hub does not answer within ``request_timeout`` the kiosk prints a number
from its lease instead; the ticket is committed to the outbox before printing and handed to
the hub when the link is back. Confirmations are kept in the outbox too until the hub has
answered them: a visitor holding paper must never be dropped because a reply was lost.

Printing runs on one worker thread; every result reaches the caller through ``deliver`` (the
Kivy clock in the app), so the UI thread never waits on a printer or the network.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable
from zoneinfo import ZoneInfo

from antrean.errors import HardwareError, UsageError
from antrean.messages import Reply, StateService, Ticket
from antrean.site import Kiosk, Site

from .outbox import OfflineTicket, Outbox
from .ticket import TicketView, render_ticket

log = logging.getLogger("antrean.kiosk")

MAX_IN_FLIGHT = 20      # outbox commands awaiting replies at once
# Replies after which a handed-over offline ticket or a confirmation must not be sent again.
FINAL_ERRORS = {"lease_exhausted", "expired", "unknown_ticket", "ticket_not_printing",
                "unknown_service", "bad_payload", "not_allowed"}


@dataclass
class IssueResult:
    ok: bool
    number: str = ""
    service: str = ""
    ahead: int | None = None
    wait_min: int | None = None
    offline: bool = False
    error: str = ""          # an error code (protocol error codes, or printer states)
    message: dict = field(default_factory=dict)   # {"id": ..., "en": ...} when the hub gave one


def format_number(prefix: str, seq: int) -> str:
    return f"{prefix}-{seq:03d}"


class Issuer:
    def __init__(self, *, site: Site, kiosk: Kiosk, channel, clock, outbox: Outbox,
                 open_printer: Callable[[], object], deliver: Callable[[Callable[[], None]], None],
                 queues: Callable[[], dict[str, StateService]] = dict,
                 language: Callable[[], str] = lambda: "id",
                 online: Callable[[], bool] | None = None,
                 request_timeout: float = 1.5, print_timeout: float = 10.0,
                 lease_timeout: float = 15.0):
        self.site, self.kiosk = site, kiosk
        self.channel, self.clock, self.outbox = channel, clock, outbox
        self.open_printer, self.deliver = open_printer, deliver
        self.queues, self.language = queues, language
        self.request_timeout, self.print_timeout = request_timeout, print_timeout
        # Nobody waits on a lease, and a reply dropped as late is a block of numbers the hub
        # granted and nobody will print: leases get far longer than a visitor's ticket.
        self.lease_timeout = lease_timeout
        # Whether the hub can answer now; when it cannot, the kiosk prints from its lease at
        # once instead of waiting out the request timeout.
        # Without a judge, only a hub heard from and then silent counts as unreachable.
        self.online = online or (lambda: not clock.synced or clock.fresh())
        self._printer = None      # one Printer for the kiosk's life: it remembers whether
                                  # the device ever answered status queries
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="printer")
        self._leasing: set[str] = set()     # services with a lease request in flight
        # Services whose last lease was cut to the quota left: asking again before those
        # numbers are used would only reserve more numbers than the day may issue.
        self._short: set[str] = set()
        # Hand-over: each outbox entry has one command id for life (a resend is the same
        # command) and at most one command in flight; at most MAX_IN_FLIGHT at once, so a
        # day offline goes back in O(n) messages and never fills paho's queue.
        self._flight_lock = threading.Lock()
        self._in_flight: set[str] = set()
        self._sent: set[str] = set()     # command ids sent by this process at least once
        self._lease_ids: dict[str, str] = {}     # service -> id of an unanswered lease request
        self.printer_state = "unknown"

    def close(self) -> None:
        self._worker.shutdown(wait=True, cancel_futures=False)

    # ---- issuing ----------------------------------------------------------------------
    def issue(self, service: str, priority: str | None,
              on_done: Callable[[IssueResult], None]) -> None:
        """Issue one ticket; ``on_done`` is called once, through ``deliver``."""
        done = []

        def finish(result: IssueResult) -> None:
            if not done:
                done.append(result)
                self.deliver(lambda: on_done(result))

        def ask_hub() -> None:
            problem = self._printer_problem()
            if problem:
                finish(IssueResult(False, service=service, error=problem))
            elif not self.online():
                self._print_offline(service, priority, finish)
            else:
                self.channel.send(
                    "ticket.request", {"service": service, "priority": priority},
                    timeout=self.request_timeout,
                    on_reply=lambda r: self._on_ticket_reply(r, service, priority, finish))
        self._submit(ask_hub, service, finish)

    def _submit(self, job: Callable[[], None], service: str, finish) -> None:
        """Run a printing job on the worker; a bug in it still answers the visitor."""
        def guarded() -> None:
            try:
                job()
            except Exception:
                log.exception("issuing a ticket for %s failed", service)
                finish(IssueResult(False, service=service, error="internal"))
        self._worker.submit(guarded)

    def _on_ticket_reply(self, reply: Reply | None, service, priority, finish) -> None:
        if reply is None:
            log.warning("hub did not answer in %.1fs: printing offline", self.request_timeout)
            self._submit(lambda: self._print_offline(service, priority, finish), service, finish)
        elif not reply.ok:
            err = reply.error
            finish(IssueResult(False, service=service, error=err.code if err else "internal",
                               message={"id": err.message, "en": err.message_en} if err
                               else {}))
        elif reply.result is None or reply.result.ticket is None:
            # The types allow an ok reply without a ticket; the hub never sends one.
            log.error("hub accepted ticket.request %s without a ticket", reply.id)
            finish(IssueResult(False, service=service, error="internal"))
        else:
            ticket = reply.result.ticket
            self._submit(lambda: self._print_online(ticket, finish), service, finish)

    def _print_online(self, ticket: Ticket, finish) -> None:
        issued = dt.datetime.fromtimestamp(ticket.issued_at / 1000, self._tz())
        view = self._view(ticket.service, ticket.number, ticket.id, issued, ticket.ahead,
                          ticket.wait_min, ticket.priority)
        error = self._print(view)
        if error:
            self._report("ticket.print_failed", {"ticket": ticket.id, "reason": error})
            finish(IssueResult(False, service=ticket.service, error=error))
            return
        self._confirm(ticket.id)
        finish(IssueResult(True, ticket.number, ticket.service, ticket.ahead, ticket.wait_min))

    def _print_offline(self, service: str, priority: str | None, finish) -> None:
        now_ms = self.clock.now_ms()
        issued = dt.datetime.fromtimestamp(now_ms / 1000, self._tz())
        ticket = self.outbox.take(service, issued.date().isoformat(), now_ms, priority)
        if ticket is None:
            finish(IssueResult(False, service=service, offline=True, error="lease_exhausted"))
            return
        number = format_number(self.site.services[service].prefix, ticket.number)
        queue = self.queues().get(service)
        ahead, wait = (queue.waiting, queue.wait_min) if queue else (None, None)
        error = self._print(self._view(service, number, ticket.id, issued, ahead, wait,
                                       priority, offline=True))
        if error:
            self.outbox.mark(ticket.id, "void")   # nobody holds it: never handed to the hub
            finish(IssueResult(False, service=service, offline=True, error=error))
            return
        finish(IssueResult(True, number, service, ahead, wait, offline=True))
        self.flush(resend=False)

    # ---- printing ---------------------------------------------------------------------
    def _printer_problem(self) -> str:
        """A printer state that makes printing pointless, or '' (unknown is tried)."""
        try:
            state = self.printer().status().state
        except HardwareError as e:
            log.warning("printer status: %s", e)
            state = "offline"
        self.printer_state = state
        return state if state in ("no_paper", "cover_open", "offline") else ""

    def printer(self):
        if self._printer is None:
            self._printer = self.open_printer()
        return self._printer

    def _print(self, view: TicketView) -> str:
        """Print one ticket; '' on success, else the failure's state name."""
        try:
            printer = self.printer()
            printer.print_ticket(render_ticket(view, printer.paper, cutter=printer.cutter),
                                 timeout=self.print_timeout)
        except HardwareError as e:
            log.error("printing %s failed: %s", view.number, e)
            self.printer_state = getattr(e, "state", "offline")
            return self.printer_state
        self.printer_state = "ok"
        return ""

    def _view(self, service_id, number, ticket_id, issued, ahead, wait, priority,
              offline=False) -> TicketView:
        service = self.site.services[service_id]
        agency = self.site.agencies[service.agency]
        lang = self.language()
        return TicketView(
            site_name=self.site.name,
            agency_name=agency.name if lang == "id" else agency.name_en,
            service_name=service.name if lang == "id" else service.name_en,
            number=number, issued_at=issued, people_ahead=ahead, estimated_wait_min=wait,
            priority=priority, ticket_id=ticket_id, footer=self.site.ticket_footer,
            language=lang, offline=offline)

    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)

    # ---- confirmations, leases, outbox -----------------------------------------------
    def _confirm(self, ticket_id: str) -> None:
        self.outbox.add_confirm(ticket_id)
        self._hand_over("ticket.printed", {"ticket": ticket_id}, f"p.{ticket_id}",
                        self.outbox.confirmed, ticket_id)

    def _hand_over(self, mtype: str, fields: dict, cmd_id: str,
                   done: Callable[[str], None], key: str, resend: bool = True) -> bool:
        """Send one outbox entry unless it is in flight already (or, without ``resend``,
        was sent before); False when the flight is full (the caller stops for now: replies
        make room and the next flush goes on)."""
        with self._flight_lock:
            if cmd_id in self._in_flight or (not resend and cmd_id in self._sent):
                return True
            if len(self._in_flight) >= MAX_IN_FLIGHT:
                return False
            self._in_flight.add(cmd_id)
            self._sent.add(cmd_id)

        def answered(reply) -> None:
            with self._flight_lock:
                self._in_flight.discard(cmd_id)
            self._settled(reply, key, done)
        self.channel.send(mtype, fields, timeout=self.request_timeout, on_reply=answered,
                          cmd_id=cmd_id)
        return True

    def _report(self, mtype: str, fields: dict) -> None:
        self.channel.send(mtype, fields, timeout=self.request_timeout, on_reply=lambda r: None)

    def _settled(self, reply: Reply | None, key: str, done: Callable[[str], None]) -> None:
        if reply is None:
            return   # still pending: the next flush sends it again (the same command)
        if reply.ok or (reply.error is not None and reply.error.code in FINAL_ERRORS):
            if not reply.ok:
                log.error("hub refused %s for good: %s (%s)", key, reply.error.code,
                          reply.error.message_en or reply.error.message)
            done(key)
        self.flush(resend=False)     # room in the flight: go on with the rest

    def flush(self, resend: bool = True) -> None:
        """Hand every pending confirmation and offline ticket to the hub, oldest first, as
        far as the flight allows (idempotent: what is in flight is not sent again).

        The link-up and periodic flushes resend what got no reply. ``resend=False`` (after
        a print, after a reply) sends only what this process never sent, and nothing while
        the hub is away: paho would only queue it, and the link-up flush sends it anyway."""
        if not resend and not self.online():
            return
        for ticket_id in self.outbox.pending_confirms():
            if not self._hand_over("ticket.printed", {"ticket": ticket_id}, f"p.{ticket_id}",
                                   self.outbox.confirmed, ticket_id, resend):
                return
        for t in self.outbox.pending():
            if not self._hand_over("ticket.offline", _offline_fields(t), f"o.{t.id}",
                                   lambda k: self.outbox.mark(k, "handed"), t.id, resend):
                return

    def refresh_leases(self) -> None:
        """Keep at least half a block of numbers per service for offline mode."""
        today = dt.datetime.fromtimestamp(self.clock.now_ms() / 1000, self._tz()).date()
        self.outbox.forget_before(today.isoformat())
        for service in self.kiosk.services or tuple(self.site.services):
            left = self.outbox.numbers_left(service, today.isoformat())
            if service in self._leasing or left * 2 >= self.site.rules.lease_size or \
                    (service in self._short and left > 0):
                continue
            self._leasing.add(service)
            on_reply = functools.partial(self._on_lease, service)
            earlier = self._lease_ids.get(service)
            if earlier is not None:     # no reply came: ask again, never anew (protocol.md)
                try:
                    self.channel.retry(earlier, timeout=self.lease_timeout, on_reply=on_reply)
                    continue
                except UsageError:      # sent too long ago for the channel to hold it
                    pass
            self._lease_ids[service] = self.channel.send(
                "lease.request", {"service": service}, timeout=self.lease_timeout,
                on_reply=on_reply)

    def _on_lease(self, service: str, reply: Reply | None) -> None:
        self._leasing.discard(service)
        if reply is not None:
            self._lease_ids.pop(service, None)      # answered: the next one is a new request
        if reply is None or not reply.ok:
            return
        lease = reply.result.lease if reply.result else None
        if lease is None:       # the types allow it; the hub never sends one
            log.error("hub granted lease.request %s without a lease", reply.id)
            return
        self.outbox.add_lease(lease.service, lease.day, lease.first, lease.last)
        if lease.last - lease.first + 1 < self.site.rules.lease_size:
            self._short.add(service)
        else:
            self._short.discard(service)


def _offline_fields(t: OfflineTicket) -> dict:
    return {"service": t.service, "number": t.number, "day": t.day, "issued_at": t.issued_at,
            "priority": t.priority}
