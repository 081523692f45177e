"""Estimated waits: how many people are ahead of a ticket and how long that takes.

A service's pace is the mean of its last ``RECENT`` completed service times (kept in
``service_stats``, refreshed whenever a ticket is done), or its ``standard_minutes`` until it
has any. The wait for a ticket is pace x people ahead / counters serving the service that are
not paused (at least 1). These are estimates shown to visitors, never used to decide order.
"""
from __future__ import annotations

import math

from antrean.site import Site

from .store import Store

RECENT = 20


def ahead(before: int, other_kind: int, priority: bool, every: int) -> int:
    """People called before a ticket, by the priority rule (one priority ticket after every
    ``every`` regular ones). ``before``: waiting tickets of its own service and kind issued
    earlier; ``other_kind``: waiting tickets of the other kind in that service."""
    every = max(1, every)
    if priority:
        return before + min(other_kind, before * every)
    return before + min(other_kind, before // every)


def wait_minutes(people_ahead: int, pace_ms: float, counters: int) -> int:
    if people_ahead <= 0:
        return 0
    return math.ceil(people_ahead * pace_ms / max(1, counters) / 60000)


class Pace:
    """Service times per service, read from and written to the store. The hub is the one
    writer of its database, so the means are also kept in memory (``forget()`` after a
    rollback)."""

    def __init__(self, store: Store, site: Site):
        self.store = store
        self.site = site
        self._known: dict[str, float] | None = None

    def record(self, service: str) -> None:
        """Refresh the service's mean after a serving was added (inside the transaction)."""
        row = self.store.one(
            "SELECT AVG(ms) AS mean, COUNT(*) AS n FROM (SELECT ms FROM servings "
            "WHERE service = ? AND outcome = 'done' ORDER BY ended_at DESC LIMIT ?)",
            (service, RECENT))
        if row and row["n"]:
            self.store.run("INSERT INTO service_stats (service, mean_ms, samples) VALUES (?, ?, ?) "
                           "ON CONFLICT (service) DO UPDATE SET mean_ms = excluded.mean_ms, "
                           "samples = excluded.samples", (service, row["mean"], row["n"]))
            self._means()[service] = row["mean"]

    def forget(self) -> None:
        self._known = None

    def _means(self) -> dict[str, float]:
        if self._known is None:
            self._known = {r["service"]: r["mean_ms"] for r in
                           self.store.all("SELECT service, mean_ms FROM service_stats")}
        return self._known

    def all(self) -> dict[str, float]:
        """Pace in ms for every service of the site."""
        return {sid: self.of(sid) for sid in self.site.services}

    def of(self, service: str) -> float:
        return self._means().get(service) or \
            self.site.services[service].standard_minutes * 60000.0
