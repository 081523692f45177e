"""The site model: a hall described as plain, frozen data.

Built from the TOML file by :mod:`antrean.config` (which validates it) and passed into
every role. Nothing here reads files or globals.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .errors import UsageError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITY_KINDS = ("elderly", "disabled", "pregnant")
COUNTER_POLICIES = ("strict", "oldest")
DISPLAY_LAYOUTS = ("hall", "counter")
LANGUAGES = ("id", "en")


END_OF_DAY = dt.time.max     # "24:00": the end of a period open until midnight


@dataclass(frozen=True)
class Period:
    """One opening period of a day, e.g. 08:00-12:00. A break is the gap between two.
    Periods are half-open; one written to "24:00" ends at ``END_OF_DAY`` and holds the
    day's last moment too."""

    start: dt.time
    end: dt.time

    def contains(self, t: dt.time) -> bool:
        return self.start <= t and (t < self.end or self.end == END_OF_DAY)


@dataclass(frozen=True)
class Hours:
    """Opening periods per weekday (``WEEKDAYS`` keys); a missing or empty day is closed."""

    week: dict[str, tuple[Period, ...]]

    def periods(self, day: dt.date) -> tuple[Period, ...]:
        return self.week.get(WEEKDAYS[day.weekday()], ())


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    name_en: str
    initials: str = ""
    logo: str = ""          # path to an image, relative to the config file
    short_name: str = ""    # on kiosk tiles instead of name ("" = name); at most 28 characters
    short_name_en: str = ""

    def tile_name(self, language: str) -> str:
        return (self.short_name or self.name) if language == "id" \
            else (self.short_name_en or self.name_en)


@dataclass(frozen=True)
class Service:
    id: str                 # stable code used in topics and the database, e.g. "PASPOR-BARU"
    agency: str             # Agency.id
    prefix: str             # ticket prefix letter(s), e.g. "A" -> A-001
    name: str               # Bahasa Indonesia
    name_en: str
    daily_quota: int        # 0 = no quota
    standard_minutes: int   # the service standard time (for reports and estimates)
    priority_allowed: bool
    hours: Hours
    short_name: str = ""    # on kiosk tiles instead of name ("" = name); at most 28 characters
    short_name_en: str = ""
    group: str = ""         # the kiosk tile gathering it with others of its agency ("" = none)
    group_en: str = ""

    def tile_name(self, language: str) -> str:
        return (self.short_name or self.name) if language == "id" \
            else (self.short_name_en or self.name_en)

    def group_name(self, language: str) -> str:
        return self.group if language == "id" else self.group_en


@dataclass(frozen=True)
class Counter:
    id: int                 # the loket number spoken and shown ("loket tiga")
    name: str
    agency: str
    services: tuple[str, ...]   # Service.id in order of precedence
    policy: str = "strict"      # "strict": first service first; "oldest": oldest ticket first


@dataclass(frozen=True)
class Device:
    """A login on the broker: every kiosk, display and button box has one. Its password is
    not here: the hall's TOML travels on every card (antrean/deploy/credentials.py)."""

    id: str


@dataclass(frozen=True)
class Kiosk(Device):
    services: tuple[str, ...] = ()      # empty = every service
    printer: dict = field(default_factory=dict)     # printer backend settings, see kiosk/


@dataclass(frozen=True)
class Display(Device):
    layout: str = "hall"
    counters: tuple[int, ...] = ()      # empty = every counter; layout "counter" needs one
    agencies: tuple[str, ...] = ()      # optional grouping / filter
    language: str = "id"
    speak: bool = True
    audio_device: str = "default"
    running_text: str = ""


@dataclass(frozen=True)
class ButtonBox(Device):
    """A counter_button Pi; it may serve several counters."""

    counters: tuple[int, ...] = ()
    pins: dict = field(default_factory=dict)   # counter id (str) -> {"next": 17, ...}


@dataclass(frozen=True)
class Operator(Device):
    """An operator tool (``ops-*``): ``antrean status``, a technician's laptop, a monitor.
    It reads everything of the hall and changes nothing, unless ``commands`` lets it send
    commands (for any counter, service and ticket, as the hub's own tools do)."""

    commands: bool = False


@dataclass(frozen=True)
class QueueRules:
    priority_every: int = 3            # serve one priority ticket after every N regular ones
    max_recalls: int = 2               # a skip after this many recalls marks the ticket no-show
    confirm_timeout_s: int = 60        # an unconfirmed ("printing") ticket expires after this
    stale_press_s: int = 5             # a counter command older than this is refused
    lease_size: int = 10               # numbers reserved per kiosk lease block
    daily_reset: dt.time = dt.time(0, 30)


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    timezone: str
    holidays: frozenset[dt.date]
    rules: QueueRules
    agencies: dict[str, Agency]
    services: dict[str, Service]
    counters: dict[int, Counter]
    kiosks: dict[str, Kiosk]
    displays: dict[str, Display]
    button_boxes: dict[str, ButtonBox]
    operators: dict[str, Operator] = field(default_factory=dict)
    ticket_footer: str = ""
    broker_tls: bool = False           # devices reach the broker over TLS only (antrean tls)
    source: str = ""                   # the file it came from, for messages

    def devices(self) -> list[Device]:
        return [*self.kiosks.values(), *self.displays.values(), *self.button_boxes.values()]

    def logins(self) -> dict[str, str]:
        """Every broker login of the hall, id -> role (docs/protocol.md): the hub's first,
        then its devices and operator tools."""
        out = {"hub": "hub"}
        for role, devices in (("kiosk", self.kiosks), ("display", self.displays),
                              ("counter", self.button_boxes), ("operator", self.operators)):
            for dev in devices.values():
                if dev.id in out:
                    raise UsageError(f"device id {dev.id!r} is used twice in the site config")
                out[dev.id] = role
        return out

    def may_act_for_all(self, device: str) -> bool:
        """The hub and operator tools allowed to command may use any counter, service and
        ticket; every other device only its own (docs/protocol.md, "Access per role")."""
        op = self.operators.get(device)
        return device == "hub" or (op is not None and op.commands)

    def services_of(self, agency_id: str) -> list[Service]:
        return [s for s in self.services.values() if s.agency == agency_id]
