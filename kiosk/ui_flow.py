"""The kiosk's screen flow as plain state: which screen shows, what the visitor chose, and
what happens after a tap or a timeout. Kivy-free, so every path is tested without a window.

    home -> services -> [priority] -> printing -> done | error -> home

One ticket per visit: taps arriving while a ticket prints are ignored, and a result that
arrives for a visit that has ended (the printing watchdog fired) is not shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .catalog import ServiceEntry

SCREENS = ("home", "services", "priority", "printing", "done", "error")
# Seconds a screen stays before the kiosk goes home by itself (None: stays).
DONE_S = 8.0
ERROR_S = 12.0
IDLE_S = 30.0          # services / priority with nobody touching the screen
PRINTING_S = 45.0      # longer than any printer or network timeout: something is stuck
PRIORITY_KINDS = ("elderly", "disabled", "pregnant")


@dataclass
class Outcome:
    """What the done or error screen shows."""

    ok: bool
    number: str = ""
    service: str = ""
    ahead: int | None = None
    wait_min: int | None = None
    offline: bool = False
    priority: str | None = None
    error: str = ""                      # protocol error code or printer state
    closed: bool = False                 # the service takes no tickets (not a fault)
    message: dict = field(default_factory=dict)


class Flow:
    def __init__(self) -> None:
        self.screen = "home"
        self.agency: str | None = None
        self.service: str | None = None
        self.priority: str | None = None
        self.outcome: Outcome | None = None
        self.visit = 0                     # increases with every ticket asked for

    def timeout(self) -> float | None:
        """How long the current screen may stay before ``expire()`` (None: forever)."""
        return {"done": DONE_S, "error": ERROR_S, "services": IDLE_S, "priority": IDLE_S,
                "printing": PRINTING_S}.get(self.screen)

    # ---- taps -----------------------------------------------------------------------------
    def choose_agency(self, agency: str) -> bool:
        if self.screen != "home":
            return False
        self.agency, self.screen = agency, "services"
        return True

    def choose_service(self, entry: ServiceEntry) -> bool:
        """A service tapped. True when a ticket should be issued now (``ticket()``)."""
        if self.screen != "services" or entry.agency != self.agency:
            return False
        self.service, self.priority = entry.id, None
        if not entry.open:
            # Said before anything is printed: the tile showed why, this screen says it big.
            self.outcome = Outcome(False, service=entry.id, error=entry.reason or "",
                                   closed=entry.reason != "no_numbers")
            self.screen = "error"
            return False
        if entry.priority_allowed:
            self.screen = "priority"
            return False
        return self._print()

    def choose_priority(self, kind: str | None) -> bool:
        """Regular (None) or a priority kind tapped; True when a ticket should be issued."""
        if self.screen != "priority" or (kind is not None and kind not in PRIORITY_KINDS):
            return False
        self.priority = kind
        return self._print()

    def _print(self) -> bool:
        self.visit += 1
        self.outcome, self.screen = None, "printing"
        return True

    def ticket(self) -> tuple[int, str, str | None]:
        """(visit, service, priority) of the ticket to issue."""
        return self.visit, self.service, self.priority

    def back(self) -> None:
        if self.screen == "priority":
            self.screen = "services"
        elif self.screen in ("services", "error", "done"):
            self.home()

    # ---- results and time -----------------------------------------------------------------
    def finished(self, visit: int, outcome: Outcome) -> bool:
        """The issuer's result for ``visit``; False (ignored) when that visit is over."""
        if self.screen != "printing" or visit != self.visit:
            return False
        outcome.priority = self.priority
        self.outcome = outcome
        self.screen = "done" if outcome.ok else "error"
        return True

    def expire(self) -> None:
        """The current screen's time is up."""
        if self.screen == "printing":
            self.outcome = Outcome(False, service=self.service or "", error="internal")
            self.screen = "error"
        elif self.screen != "home":
            self.home()

    def home(self) -> None:
        self.screen, self.agency, self.service, self.priority = "home", None, None, None
        self.outcome = None
