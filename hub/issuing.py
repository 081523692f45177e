"""The kiosk commands: issuing tickets, print confirmations, number leases, offline tickets.

Numbers: online tickets of a service are numbered from 001 each day without gaps; numbers
leased to kiosks for offline use come from a range of their own from ``OFFLINE_FIRST`` (5001),
so a lease never makes the next visitor's number jump and an offline ticket is recognisable
by its number.

Quota rule: a service's daily quota counts every online ticket that is or may still become
valid (``printing`` and beyond; not ``cancelled`` or ``expired``) and every offline ticket the
hub has received. Leased numbers do not count until they come back as tickets: they would
turn visitors away while nobody holds them. A lease is at most what is left of the quota,
and offline tickets are accepted even past it (the visitor holds the paper).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from antrean.site import Service

from . import strings
from .queue import Refused, _Run

if TYPE_CHECKING:
    from .queue import QueueEngine

CONFIRMED = ("waiting", "called", "done", "skipped", "no_show")
OFFLINE_FIRST = 5001        # offline (leased) numbers: 5001-9999; online: 1-5000


class TicketDesk:
    def __init__(self, engine: "QueueEngine"):
        self.engine = engine
        self.store = engine.store
        self.site = engine.site

    # ---- checks ---------------------------------------------------------------------------
    def _service_for(self, run: _Run) -> Service:
        svc = self.engine.service(run.msg.service)
        if not self.site.may_act_for_all(run.device):
            kiosk = self.site.kiosks.get(run.device)
            if kiosk is None or (kiosk.services and svc.id not in kiosk.services):
                raise Refused("service_not_here", name=svc.name, name_en=svc.name_en)
        return svc

    def _quota_left(self, svc: Service, used: int) -> int | None:
        return max(0, svc.daily_quota - used) if svc.daily_quota else None

    def _quota_refusal(self, svc: Service, run: _Run) -> Refused:
        reopens = self.engine.schedule.next_day_opening(svc, run.local)
        if reopens is None:
            return Refused("quota_exhausted_unknown", name=svc.name, name_en=svc.name_en)
        when_id, when_en = strings.when(reopens, run.local.date())
        return Refused("quota_exhausted", name=svc.name, name_en=svc.name_en,
                       when_id=when_id, when_en=when_en)

    def _own_ticket(self, run: _Run) -> dict:
        row = self.engine.views.ticket_row(run.msg.ticket)
        if row is None:
            raise Refused("unknown_ticket", ticket=run.msg.ticket)
        if row["device"] != run.device and not self.site.may_act_for_all(run.device):
            raise Refused("ticket_not_yours", number=row["number"], device=run.device)
        return row

    # ---- commands -------------------------------------------------------------------------
    def request(self, run: _Run) -> dict:
        svc = self._service_for(run)
        # The kiosk gave up on a request this old and printed from its lease: issuing it now
        # would only leave a number that nobody holds (a request paho sent after a reconnect).
        age_ms = run.now - run.msg.sent_at
        if age_ms > self.site.rules.stale_press_s * 1000:
            raise Refused("stale_request", age=age_ms // 1000)
        closed = self.engine.closed_refusal(svc, run.local)
        if closed:
            raise closed
        sd = self.engine.service_day(svc.id, run.day)
        if self._quota_left(svc, sd["used"]) == 0:
            raise self._quota_refusal(svc, run)
        priority = run.msg.priority
        if priority and not svc.priority_allowed:
            raise Refused("priority_not_allowed", name=svc.name, name_en=svc.name_en)
        seq = sd["next_seq"]
        if seq >= OFFLINE_FIRST:        # 5,000 visitors of one service in a day
            raise self._quota_refusal(svc, run)
        self.store.run("UPDATE service_days SET next_seq = ?, used = used + 1 "
                       "WHERE service = ? AND day = ?", (seq + 1, svc.id, run.day))
        ticket_id = self._insert(svc, run.day, seq, priority, "printing", run.device,
                                 issued_at=run.now, printed_at=None, offline=False)
        run.touch_service(svc.id)
        return {"ticket": self.engine.views.ticket(ticket_id)}

    def printed(self, run: _Run) -> dict:
        row = self._own_ticket(run)
        status = row["status"]
        if status == "printing":
            self._now_waiting(row, run)
        elif status == "expired" and row["printed_at"] is None and row["day"] == run.day:
            # The confirmation came after the timeout (a lost link): the visitor holds the
            # paper, so the ticket is valid after all and takes its place by issue time.
            if not row["offline"]:
                self.store.run("UPDATE service_days SET used = used + 1 WHERE service = ? "
                               "AND day = ?", (row["origin"], row["day"]))
            self._now_waiting(row, run)
        elif status == "expired":
            raise Refused("ticket_expired", number=row["number"])
        elif status not in CONFIRMED:      # cancelled: the kiosk said it was never printed
            raise Refused("ticket_not_printing", number=row["number"], status=status)
        # A confirmation repeated with a new id (outbox resend) finds it confirmed: fine.
        return {"ticket": self.engine.views.ticket(row["id"])}

    def _now_waiting(self, row: dict, run: _Run) -> None:
        self.store.run("UPDATE tickets SET status = 'waiting', printed_at = ?, finished_at = NULL "
                       "WHERE id = ?", (run.now, row["id"]))
        run.touch_service(row["service"])

    def print_failed(self, run: _Run) -> dict:
        row = self._own_ticket(run)
        if row["status"] == "expired":
            raise Refused("ticket_expired", number=row["number"])
        if row["status"] != "printing":
            raise Refused("ticket_not_printing", number=row["number"], status=row["status"])
        self.store.run("UPDATE tickets SET status = 'cancelled', finished_at = ? WHERE id = ?",
                       (run.now, row["id"]))
        self.store.run("UPDATE service_days SET used = used - 1 WHERE service = ? AND day = ?",
                       (row["origin"], row["day"]))
        run.touch_service(row["service"], row["origin"])
        return {"ticket": self.engine.views.ticket(row["id"])}

    def lease(self, run: _Run) -> dict:
        svc = self._service_for(run)
        if not self.engine.schedule.opens_later_today(svc, run.local):
            raise self.engine.closed_refusal(svc, run.local) or Refused(
                "closed_unknown", name=svc.name, name_en=svc.name_en)
        sd = self.engine.service_day(svc.id, run.day)
        size = max(1, self.site.rules.lease_size)
        left = self._quota_left(svc, sd["used"])
        if left is not None:
            if left == 0:
                raise self._quota_refusal(svc, run)
            size = min(size, left)
        first = sd["next_offline"]
        last = first + size - 1
        self.store.run("UPDATE service_days SET next_offline = ? WHERE service = ? AND day = ?",
                       (last + 1, svc.id, run.day))
        self.store.run("INSERT INTO leases (device, service, day, first, last, at) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (run.device, svc.id, run.day, first, last, run.now))
        run.touch_service(svc.id)
        return {"lease": {"service": svc.id, "day": run.day, "first": first, "last": last}}

    def offline(self, run: _Run) -> dict:
        """An offline ticket: must lie in one of this device's leases; idempotent per
        (service, day, number). One from a past day is recorded as ``expired`` (history) and
        refused: a visitor holding yesterday's ticket cannot be served today."""
        svc = self._service_for(run)
        msg = run.msg
        seq, day = msg.number, msg.day
        shown = self.engine.format_number(svc.id, seq)
        leased = self.store.value(
            "SELECT 1 FROM leases WHERE device = ? AND service = ? AND day = ? "
            "AND ? BETWEEN first AND last", (run.device, svc.id, day, seq))
        if not leased:
            raise Refused("lease_exhausted", number=shown, device=run.device)
        existing = self.engine.views.ticket_row(f"{day}.{svc.id}.{seq}")
        if existing is not None:
            if existing["status"] == "expired":
                raise Refused("past_day" if day != run.day else "ticket_expired",
                              number=shown, day=day)
            return {"ticket": self.engine.views.ticket(existing)}
        issued = min(msg.issued_at, run.now)      # never ahead of the hub's clock
        priority = msg.priority if svc.priority_allowed else None
        status = "waiting" if day == run.day else "expired"
        ticket_id = self._insert(svc, day, seq, priority, status, run.device, issued_at=issued,
                                 printed_at=issued, offline=True)
        if status == "expired":
            self.store.run("UPDATE tickets SET finished_at = ? WHERE id = ?", (run.now, ticket_id))
            raise Refused("past_day", number=shown, day=day)
        self.store.run("UPDATE service_days SET used = used + 1 WHERE service = ? AND day = ?",
                       (svc.id, day))
        run.touch_service(svc.id)
        return {"ticket": self.engine.views.ticket(ticket_id)}

    def _insert(self, svc: Service, day: str, seq: int, priority: str | None, status: str,
                device: str, *, issued_at: int, printed_at: int | None, offline: bool) -> str:
        ticket_id = f"{day}.{svc.id}.{seq}"
        self.store.run(
            "INSERT INTO tickets (id, day, origin, seq, number, service, priority, prio, status, "
            "device, offline, issued_at, printed_at, recalls, transfers) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
            (ticket_id, day, svc.id, seq, self.engine.format_number(svc.id, seq), svc.id,
             priority, 1 if priority else 0, status, device, int(offline), issued_at,
             printed_at))
        return ticket_id
