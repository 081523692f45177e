"""Typed values of a config file, read with every problem reported instead of raised.

:class:`FieldReader` gets keys from tomllib's plain dicts and checks their type and range;
each problem becomes a ConfigError placed on its line by the :class:`KeyLocator`. The site
sections themselves are read in :mod:`antrean.config`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
from typing import Any, Callable

from .config_locator import KeyLocator, KeyPath, format_key
from .errors import ConfigError
from .protocol import valid_id
from .site import END_OF_DAY, WEEKDAYS, Hours, Period

MISSING = object()      # "no default": the key is required
_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
# Technicians write Indonesian day names; point them at the key we read.
_DAY_ALIASES = {"senin": "mon", "selasa": "tue", "rabu": "wed", "kamis": "thu",
                "jumat": "fri", "jum'at": "fri", "sabtu": "sat", "minggu": "sun"}


class Report:
    """The problems of one file, each placed on the line of its key."""

    def __init__(self, path: str, locator: KeyLocator):
        self.path = path
        self.locator = locator
        self.problems: list[ConfigError] = []

    def add(self, key: KeyPath, message: str, line: int | None = None) -> None:
        line = self.locator.line_of(key) or line
        self.problems.append(ConfigError(message, self.path, line, format_key(key) or None))

    def problems_under(self, where: KeyPath) -> bool:
        prefix = format_key(where)
        return any((p.key or "").startswith(prefix) for p in self.problems)

    def line(self, key: KeyPath) -> int | None:
        return self.locator.line_of(key)

    def sorted(self) -> list[ConfigError]:
        return sorted(self.problems, key=lambda p: p.line if p.line is not None else 1 << 30)


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str           # as a technician reads it: "a whole number"
    test: Callable[[Any], bool]


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)    # TOML true is no number


TEXT = Kind("text in double quotes", lambda v: isinstance(v, str))
INT = Kind("a whole number", is_int)
BOOL = Kind("true or false", lambda v: isinstance(v, bool))
TABLE = Kind("a table", lambda v: isinstance(v, dict))
LIST = Kind("a list [...]", lambda v: isinstance(v, list))
TEXTS = Kind('a list of texts, like ["A", "B"]',
               lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v))
INTS = Kind("a list of whole numbers, like [1, 2]",
              lambda v: isinstance(v, list) and all(is_int(x) for x in v))


def describe(v: Any) -> str:
    if isinstance(v, bool):
        return f"{str(v).lower()}"
    if isinstance(v, str):
        return f'the text "{v}"'
    if isinstance(v, (int, float)):
        return f"the number {v}"
    if isinstance(v, dt.datetime):
        return "a date and time"
    if isinstance(v, dt.date):
        return "a date"
    if isinstance(v, dt.time):
        return "a time"
    return "a list" if isinstance(v, list) else "a table"


def suggest(key: str, known: list[str], aliases: dict[str, str] | None = None) -> str | None:
    """The known key a technician probably meant, or None."""
    alias = (aliases or {}).get(key.lower())
    match = [alias] if alias else difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return match[0] if match else None


# ---- reading typed values --------------------------------------------------------------

class FieldReader:
    """Reads keys of tables; every method reports what is wrong and returns None for it."""

    def __init__(self, report: Report):
        self.r = report
        # Keys reported as misspelt: their "missing" would only repeat the same problem.
        self.misspelt: set[KeyPath] = set()

    # -- generic helpers -----------------------------------------------------------------
    def table(self, raw: Any, where: KeyPath, known: tuple[str, ...],
              aliases: dict[str, str] | None = None) -> dict | None:
        if not isinstance(raw, dict):
            self.r.add(where, f"must be a table, not {describe(raw)}")
            return None
        for key in raw:
            if key not in known:
                meant = suggest(key, list(known), aliases)
                if meant:
                    self.misspelt.add(where + (meant,))
                    self.r.add(where + (key,), f"unknown key; did you mean '{meant}'?")
                else:
                    self.r.add(where + (key,), f"unknown key; known keys here: {', '.join(known)}")
        return raw

    def missing(self, key: KeyPath, message: str = "missing: this key is required") -> None:
        if key not in self.misspelt:
            self.r.add(key, message)

    def get(self, tbl: dict, where: KeyPath, key: str, kind: Kind,
            default: Any = MISSING) -> Any:
        """The value, the default when absent, or None after reporting a problem."""
        if key not in tbl:
            if default is MISSING:
                self.missing(where + (key,))
                return None
            return default
        value = tbl[key]
        if not kind.test(value):
            self.r.add(where + (key,), f"must be {kind.name}, not {describe(value)}")
            return None
        if isinstance(value, str) and default is MISSING and not value.strip():
            self.r.add(where + (key,), "must not be empty")
            return None
        return value

    def number(self, tbl: dict, where: KeyPath, key: str, minimum: int,
               default: Any = MISSING) -> int | None:
        value = self.get(tbl, where, key, INT, default)
        if value is not None and value < minimum:
            self.r.add(where + (key,), f"must be {minimum} or more, not {value}")
            return None
        return value

    def choice(self, tbl: dict, where: KeyPath, key: str, options: tuple[str, ...]) -> str | None:
        value = self.get(tbl, where, key, TEXT, options[0])
        if value is not None and value not in options:
            self.r.add(where + (key,), f'"{value}" is not one of: {", ".join(options)}')
            return None
        return value

    def items(self, raw: dict, name: str, required: bool) -> list[tuple[KeyPath, Any]]:
        """The entries of an array of tables such as [[services]]."""
        value = raw.get(name, [])
        if not isinstance(value, list):
            self.r.add((name,), f"must be a list of tables ([[{name}]]), not {describe(value)}")
            return []
        if required and not value:
            self.missing((name,), f"missing: add at least one [[{name}]] table")
        return [((name, i), v) for i, v in enumerate(value)]

    def unique(self, seen: dict, value: Any, key: KeyPath, what: str) -> bool:
        if value in seen:
            line = self.r.line(seen[value])
            self.r.add(key, f"{what} {value!r} is used twice (first at line {line})")
            return False
        seen[value] = key
        return True

    def refs(self, values: Any, where: KeyPath, known: dict, what: str) -> tuple:
        """Check each listed id exists and is listed once; return the good ones."""
        good = []
        for i, v in enumerate(values or ()):
            if v not in known:
                self.r.add(where + (i,), f"no {what} has the id {v!r}")
            elif v in good:
                self.r.add(where + (i,), f"{v!r} is listed twice")
            else:
                good.append(v)
        return tuple(good)

    def ident(self, tbl: dict, where: KeyPath, what: str) -> str | None:
        value = self.get(tbl, where, "id", TEXT)
        if value is not None and not valid_id(value):
            self.r.add(where + ("id",), f"{what} id {value!r} may only use letters, digits, "
                       "'_', '.' and '-' (up to 64, starting with a letter or digit)")
            return None
        return value

    def clock(self, value: Any, key: KeyPath) -> dt.time | None:
        if isinstance(value, dt.time):
            return value
        m = _CLOCK.match(value) if isinstance(value, str) else None
        if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
            return dt.time(int(m.group(1)), int(m.group(2)))
        self.r.add(key, f'must be a time of day like "00:30", not {describe(value)}')
        return None

    # -- opening hours -------------------------------------------------------------------
    def week(self, raw: Any, where: KeyPath) -> Hours | None:
        tbl = self.table(raw, where, WEEKDAYS, _DAY_ALIASES)
        if tbl is None:
            return None
        week = {}
        for day in WEEKDAYS:
            if day in tbl:
                periods = self.day(tbl[day], where + (day,))
                if periods:
                    week[day] = periods
        if not week and not self.r.problems_under(where):
            self.r.add(where, "not open on any day: give at least one day opening periods")
        return Hours(week)

    def day(self, raw: Any, where: KeyPath) -> tuple[Period, ...]:
        if not TEXTS.test(raw):
            self.r.add(where, 'must be a list of periods, like ["08:00-12:00", '
                       f'"13:00-15:30"], or [] when closed; not {describe(raw)}')
            return ()
        periods: list[Period] = []
        for i, text in enumerate(raw):
            period = self.period(text, where + (i,))
            if period is None:
                continue
            if periods and period.start < periods[-1].end:
                self.r.add(where + (i,), f'"{text}" overlaps or comes before the period '
                           "before it; list periods in time order without overlap")
                continue
            periods.append(period)
        return tuple(periods)

    def period(self, text: str, key: KeyPath) -> Period | None:
        m = _PERIOD.match(text)
        if not m:
            self.r.add(key, f'"{text}" is not an opening period like "08:00-12:00"')
            return None
        h1, m1, h2, m2 = map(int, m.groups())
        midnight = (h2, m2) == (24, 0)              # "24:00": open to the end of the day
        if h1 > 23 or m1 > 59 or m2 > 59 or (h2 > 23 and not midnight):
            self.r.add(key, f'"{text}" holds a time that does not exist')
            return None
        start, end = dt.time(h1, m1), END_OF_DAY if midnight else dt.time(h2, m2)
        if start >= end:
            self.r.add(key, f'"{text}" ends before it starts')
            return None
        return Period(start, end)
