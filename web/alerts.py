"""What needs someone in the hall now: pure functions over a :class:`web.core.HallModel`.

``current(model, now_ms, rules)`` lists the alerts that hold at ``now_ms``: a printer out of
paper or offline; a device offline for more than a minute; a display whose voice fails; a
service whose oldest waiting ticket is past its warning level (default 75 % of the service's
``standard_minutes``) or past the standard itself; too many people waiting per open counter.
Each alert has a key (the same while it lasts), a level (``warning`` or ``critical``), what it
is about, and since when it holds. An alert whose cause is gone is simply not listed: it
clears by itself. :class:`AlertBook` remembers since when an alert without a time of its own
(too many waiting) has held. The words are in ``web/strings.py``.
"""
from __future__ import annotations

import dataclasses

from .core import HallModel, audio_status, device_ids, last_seen

MINUTE_MS = 60_000


@dataclasses.dataclass(frozen=True)
class AlertRules:
    offline_after_ms: int = MINUTE_MS       # a device offline longer than this is an alert
    warn_share: float = 0.75                # a wait past this share of the standard: warning
    per_counter: int = 10                   # waiting per open counter above this: warning


@dataclasses.dataclass(frozen=True)
class Alert:
    key: str                 # stable while the alert lasts: "printer:kiosk-1"
    kind: str                # printer, offline, audio, wait, crowd
    level: str               # warning | critical
    subject: str             # a device id, or a service id
    since: int | None        # ms; None: since it was first seen (AlertBook fills it in)
    detail: dict = dataclasses.field(default_factory=dict, hash=False, compare=False)


PRINTER_ALERTS = {"no_paper": "critical", "offline": "critical"}


def device_alerts(model: HallModel, now_ms: int, rules: AlertRules) -> list[Alert]:
    out = []
    for device in device_ids(model.site):
        seen = model.devices.get(device)
        presence = seen.presence if seen else None
        if presence is None or presence.state != "online":
            since = (last_seen(seen) if seen else None) or model.started_at
            if now_ms - since > rules.offline_after_ms:
                out.append(Alert(f"offline:{device}", "offline", "critical", device, since,
                                 {"state": presence.state if presence else "never"}))
            continue     # an offline device's printer and voice are what they were
        health = seen.health
        if health and health.printer and health.printer.status in PRINTER_ALERTS:
            status = health.printer.status
            out.append(Alert(f"printer:{device}", "printer", PRINTER_ALERTS[status], device,
                             seen.printer_since, {"status": status}))
        if audio_status(model.site, device, health) == "failing":
            out.append(Alert(f"audio:{device}", "audio", "warning", device, health.at,
                             {"errors": list(health.errors)}))
    return out


def wait_alerts(model: HallModel, now_ms: int, rules: AlertRules) -> list[Alert]:
    """A service whose oldest waiting ticket is past the warning level (warning) or past its
    standard time (critical), since the moment it passed."""
    out = []
    for sid, snap in model.services.items():
        standard = model.site.services[sid].standard_minutes
        if snap.oldest_at is None or snap.waiting == 0 or standard <= 0:
            continue
        age = now_ms - snap.oldest_at
        warn_ms = int(standard * rules.warn_share * MINUTE_MS)
        detail = {"minutes": age // MINUTE_MS, "standard": standard}
        if age > standard * MINUTE_MS:
            out.append(Alert(f"wait:{sid}", "wait", "critical", sid,
                             snap.oldest_at + standard * MINUTE_MS, detail))
        elif age > warn_ms:
            out.append(Alert(f"wait:{sid}", "wait", "warning", sid, snap.oldest_at + warn_ms,
                             detail))
    return out


def crowd_alerts(model: HallModel, rules: AlertRules) -> list[Alert]:
    """A service with more than ``per_counter`` people waiting per open (not paused) counter
    that serves it; one with people waiting and no open counter at all is critical."""
    open_for: dict[str, int] = {}
    for cid, counter in model.site.counters.items():
        snap = model.counters.get(cid)
        if snap is not None and not snap.paused:
            for sid in counter.services:
                open_for[sid] = open_for.get(sid, 0) + 1
    out = []
    for sid, snap in model.services.items():
        if not snap.open or snap.waiting == 0:
            continue
        desks = open_for.get(sid, 0)
        if desks == 0:
            out.append(Alert(f"crowd:{sid}", "crowd", "critical", sid, None,
                             {"waiting": snap.waiting, "counters": 0}))
        elif snap.waiting > rules.per_counter * desks:
            out.append(Alert(f"crowd:{sid}", "crowd", "warning", sid, None,
                             {"waiting": snap.waiting, "counters": desks}))
    return out


def current(model: HallModel, now_ms: int, rules: AlertRules = AlertRules()) -> list[Alert]:
    """Every alert that holds at ``now_ms``, critical ones first."""
    def collect(m: HallModel) -> list[Alert]:
        return (device_alerts(m, now_ms, rules) + wait_alerts(m, now_ms, rules)
                + crowd_alerts(m, rules))
    found = model.read(collect)
    return sorted(found, key=lambda a: (a.level != "critical", a.key))


class AlertBook:
    """Gives each alert a ``since``: its own time when it has one, else when this book first
    saw it; forgets an alert once it no longer holds (so a new one starts afresh)."""

    def __init__(self):
        self._first: dict[str, int] = {}

    def update(self, alerts: list[Alert], now_ms: int) -> list[Alert]:
        keys = {a.key for a in alerts}
        self._first = {k: t for k, t in self._first.items() if k in keys}
        out = []
        for a in alerts:
            first = self._first.setdefault(a.key, now_ms)
            out.append(a if a.since is not None else dataclasses.replace(a, since=first))
        return out
