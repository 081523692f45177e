"""The kiosk's screen flow as plain state: which screen shows, what the visitor chose, and
what happens after a tap or a timeout. Kivy-free, so every path is tested without a window.

    home -> services [-> a group's services] -> service -> [priority] -> printing
         -> done | error -> home

The service screen names the chosen service in full and offers two buttons: a big one for a
regular ticket and a smaller one for a priority ticket (elderly, disabled, pregnant), which
asks which kind. A regular visitor is never asked about priority.

One ticket per visit: taps arriving while a ticket prints are ignored, and a result that
arrives for a visit that has ended (the printing watchdog fired) is not shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .catalog import ServiceEntry

SCREENS = ("home", "services", "service", "priority", "printing", "done", "error")
# Seconds a screen stays before the kiosk goes home by itself (None: stays).
DONE_S = 8.0
ERROR_S = 12.0
IDLE_S = 30.0          # services / service / priority with nobody touching the screen
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
        self.group: str | None = None          # a group of the agency's services, opened
        self.service: str | None = None
        self.priority: str | None = None
        self.priority_allowed = False          # of the chosen service
        self.outcome: Outcome | None = None
        self.visit = 0                     # increases with every ticket asked for

    def timeout(self) -> float | None:
        """How long the current screen may stay before ``expire()`` (None: forever)."""
        return {"done": DONE_S, "error": ERROR_S, "services": IDLE_S, "service": IDLE_S,
                "priority": IDLE_S, "printing": PRINTING_S}.get(self.screen)

    # ---- taps -----------------------------------------------------------------------------
    def choose_agency(self, agency: str) -> bool:
        if self.screen != "home":
            return False
        self.agency, self.group, self.screen = agency, None, "services"
        return True

    def choose_group(self, group: str) -> bool:
        """A group tile tapped: the services screen lists that group's services."""
        if self.screen != "services" or self.group is not None or not group:
            return False
        self.group = group
        return True

    def choose_service(self, entry: ServiceEntry) -> bool:
        """A service tile tapped: its screen (full name, figures, the ticket buttons), or
        the error screen when it takes no tickets now. Never prints by itself."""
        if self.screen != "services" or entry.agency != self.agency:
            return False
        self.service, self.priority = entry.id, None
        self.priority_allowed = entry.priority_allowed
        if not entry.open:
            # Said before anything is printed: the tile showed why, this screen says it big.
            self.outcome = Outcome(False, service=entry.id, error=entry.reason or "",
                                   closed=entry.reason != "no_numbers")
            self.screen = "error"
            return False
        self.screen = "service"
        return True

    def take_ticket(self) -> bool:
        """The big button: a regular ticket. True when it should be issued (``ticket()``)."""
        if self.screen != "service":
            return False
        self.priority = None
        return self._print()

    def ask_priority(self) -> bool:
        """The priority button: which kind? Only for a service with priority tickets."""
        if self.screen != "service" or not self.priority_allowed:
            return False
        self.screen = "priority"
        return True

    def choose_priority(self, kind: str) -> bool:
        """A priority kind tapped; True when the ticket should be issued."""
        if self.screen != "priority" or kind not in PRIORITY_KINDS:
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
            self.screen = "service"
        elif self.screen == "service":
            self.screen, self.service = "services", None
        elif self.screen == "services" and self.group is not None:
            self.group = None
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
        self.group = None
        self.outcome = None
