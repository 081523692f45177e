"""When a service is open: opening periods, breaks and holidays, in the site's time zone.

All decisions take the hub's clock (ms since the epoch, UTC) and look at the local wall clock
of the site (``Site.timezone``), because opening hours and holidays are local.
A break is the gap between two periods of the same day; a holiday closes every service.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from antrean.errors import ConfigError
from antrean.site import Service, Site

HORIZON_DAYS = 14   # how far ahead "opens again ..." looks (past a long Lebaran holiday)


@dataclass(frozen=True)
class Decision:
    """Whether a service takes tickets at a moment, and if not, why and until when."""

    open: bool
    reason: str | None = None              # None, "service_closed", "on_break", "holiday"
    reopens: dt.datetime | None = None     # local time it opens (again); None if open/unknown


class Schedule:
    def __init__(self, site: Site):
        try:
            self.tz = ZoneInfo(site.timezone)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ConfigError(f"unknown time zone {site.timezone!r}", site.source,
                              key="site.timezone") from e
        self.holidays = site.holidays

    # ---- the clock ------------------------------------------------------------------------
    def local(self, now_ms: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(now_ms / 1000, self.tz)

    def day(self, now_ms: int) -> str:
        """The local date ``YYYY-MM-DD``: the queue day tickets belong to."""
        return self.local(now_ms).date().isoformat()

    def at_ms(self, day: dt.date, t: dt.time) -> int:
        return int(dt.datetime.combine(day, t, self.tz).timestamp() * 1000)

    # ---- decisions ------------------------------------------------------------------------
    def decide(self, service: Service, now: dt.datetime) -> Decision:
        today, t = now.date(), now.time()
        if today in self.holidays:
            return Decision(False, "holiday", self.next_opening(service, now))
        periods = service.hours.periods(today)
        if any(p.contains(t) for p in periods):
            return Decision(True)
        later = [p.start for p in periods if p.start > t]
        earlier = [p for p in periods if p.end <= t]
        if later and earlier:
            return Decision(False, "on_break", dt.datetime.combine(today, min(later), self.tz))
        return Decision(False, "service_closed", self.next_opening(service, now))

    def next_opening(self, service: Service, after: dt.datetime) -> dt.datetime | None:
        """The first period start strictly after ``after`` on a day that is not a holiday,
        within HORIZON_DAYS; None when the service does not open in that time."""
        first = after.date()
        for offset in range(HORIZON_DAYS + 1):
            day = first + dt.timedelta(days=offset)
            if day in self.holidays:
                continue
            for p in sorted(service.hours.periods(day), key=lambda p: p.start):
                start = dt.datetime.combine(day, p.start, self.tz)
                if start > after:
                    return start
        return None

    def opens_later_today(self, service: Service, now: dt.datetime) -> bool:
        """Open now or later today: a kiosk may still need numbers for this day."""
        if now.date() in self.holidays:
            return False
        return any(p.end > now.time() for p in service.hours.periods(now.date()))

    def next_day_opening(self, service: Service, now: dt.datetime) -> dt.datetime | None:
        """The first opening on a later day (where a visitor turned away by quota may go)."""
        midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0), self.tz)
        return self.next_opening(service, midnight - dt.timedelta(microseconds=1))
