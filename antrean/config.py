"""Load and check a hall's TOML file into the frozen :class:`antrean.site.Site`.

The format is documented in docs/config.md. Every problem found is reported at once, each as
a :class:`ConfigError` naming the file, the line, the key and what is wrong, so a technician
fixes the whole file in one round instead of one error per restart.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import os
import re
import tomllib
import zoneinfo
from pathlib import Path
from typing import Any, Callable

from .config_fields import (BOOL, INT, INTS, LIST, MISSING, TABLE, TEXT, TEXTS, FieldReader,
                            Report, describe)
from .config_locator import KeyLocator, KeyPath
from .errors import ConfigError
from .pins import pin_problems
from .site import (COUNTER_POLICIES, DISPLAY_LAYOUTS, LANGUAGES, WEEKDAYS, Agency, ButtonBox, Counter,
                   Display, Hours, Kiosk, Operator, QueueRules, Service, Site)

CURRENT_VERSION = 1
# version n -> function turning a raw dict of version n into version n + 1. Add an entry here
# whenever the format changes, so files already on SD cards keep loading.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}

# Every key of the format, per table ("" = the top level); docs/config.md documents each
# (tests/antrean/test_config.py checks that).
KEYS: dict[str, tuple[str, ...]] = {
    "": ("version", "site", "rules", "agencies", "services", "counters", "kiosks",
         "displays", "button_boxes", "operators"),
    "site": ("id", "name", "timezone", "ticket_footer", "holidays", "hours", "broker_tls"),
    "site.hours": WEEKDAYS,
    "rules": tuple(f.name for f in dataclasses.fields(QueueRules)),
    "agencies": ("id", "name", "name_en", "short_name", "short_name_en", "initials", "logo"),
    "services": ("id", "agency", "prefix", "name", "name_en", "short_name", "short_name_en",
                 "group", "group_en", "daily_quota", "standard_minutes", "priority_allowed",
                 "hours"),
    "counters": ("id", "name", "agency", "services", "policy"),
    "kiosks": ("id", "services", "printer"),
    "displays": ("id", "layout", "counters", "agencies", "language", "speak",
                 "audio_device", "running_text"),
    "button_boxes": ("id", "counters", "pins"),
    "operators": ("id", "commands"),
}
# Passwords left in the file from before: every card carries it, so it must hold none.
SECRET_MOVED = ("passwords are not kept in the hall's TOML, which every card carries: delete "
                "this line. Each device's password goes in its own device file "
                "(DEVICE_PASSWORD), the hub card holds the broker's hashed password file; "
                "`antrean credentials` makes both (`--adopt` keeps the passwords written "
                "here; docs/credentials.md)")
DEVICE_TABLES = ("kiosks", "displays", "button_boxes", "operators")
RESERVED_IDS = frozenset({"hub"})       # the hub's own broker login
OPERATOR_PREFIX = "ops-"                # operator tools' ids, and only theirs
_PREFIX = re.compile(r"^[A-Z]{1,3}$")
# A kiosk tile's name: two lines of a 7" screen's three-column tile hold about 28 characters.
SHORT_NAME_MAX = 28
_TOML_WHERE = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


def load_site(path: str | os.PathLike) -> Site:
    """Read, check and build the site. Raises one ConfigError listing every problem (its
    ``problems`` attribute holds them one by one)."""
    site, problems = read_site(path)
    if not problems:
        return site
    if len(problems) == 1:
        err = problems[0]
    else:
        listing = "\n".join(str(p) for p in problems)
        err = ConfigError(f"{len(problems)} problems found:\n{listing}", os.fspath(path))
    err.problems = problems
    raise err


def check_site(path: str | os.PathLike) -> list[ConfigError]:
    """Every problem of the file in line order; an empty list means it is fine."""
    return read_site(path)[1]


def read_site(path: str | os.PathLike) -> tuple[Site | None, list[ConfigError]]:
    """The site (None if anything is wrong) and the problems found, in line order."""
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except OSError as e:
        return None, [ConfigError(f"cannot read the file: {e.strerror or e}", name)]
    try:
        text = data.decode("utf-8-sig")     # Notepad saves a BOM
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        return None, [ConfigError(f"the file is not UTF-8 text (byte 0x{data[e.start]:02x}); "
                                  "save it with the encoding UTF-8", name, line)]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        return None, [_syntax_error(e, name, text)]
    report = Report(name, KeyLocator(text))
    raw = _migrate(raw, report)
    site = None if raw is None else _SiteReader(report, Path(name).parent).site(raw, name)
    problems = report.sorted()
    return (None if problems else site), problems


def _syntax_error(e: tomllib.TOMLDecodeError, name: str, text: str) -> ConfigError:
    msg = str(e)
    m = _TOML_WHERE.search(msg)
    line = None
    if m:
        msg = msg[:m.start()]
        line = int(m.group(1)) if m.group(1) else text.count("\n") + 1
        if m.group(2):
            msg += f" at column {m.group(2)}"
    if msg.startswith(("Invalid", "Expected", "Unclosed")):
        msg += ' (is a quote, comma, ] or } missing? Texts need double quotes: "08:00-12:00")'
    return ConfigError(f"not valid TOML: {msg}", name, line)


def _migrate(raw: dict, report: Report) -> dict | None:
    """Bring a raw dict to CURRENT_VERSION; None when it cannot be read at all."""
    version = raw.get("version", MISSING)
    if version is MISSING:
        report.add(("version",),
                   f"missing: the file must start with 'version = {CURRENT_VERSION}'", line=1)
        version = CURRENT_VERSION
    elif not INT.test(version):
        report.add(("version",), f"must be a whole number like {CURRENT_VERSION}, "
                                 f"not {describe(version)}")
        version = CURRENT_VERSION
    elif version > CURRENT_VERSION or any(v not in MIGRATIONS
                                          for v in range(version, CURRENT_VERSION)):
        report.add(("version",), f"unknown version {version}: this Antrean reads version "
                                 f"{CURRENT_VERSION}{' and older' if MIGRATIONS else ''}")
        return None
    start = version
    try:
        while version < CURRENT_VERSION:
            raw = MIGRATIONS[version](dict(raw))
            version += 1
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        # An old file too broken to upgrade: say so instead of crashing the loader.
        report.add(("version",), f"cannot upgrade this version {start} file to version "
                                 f"{version + 1}: {e!r}")
        return None
    return {k: v for k, v in raw.items() if k != "version"}


class _SiteReader(FieldReader):
    """Turns the raw dict into model objects, reporting every problem on the way."""

    def __init__(self, report: Report, base_dir: Path):
        super().__init__(report)
        self.base_dir = base_dir
        self.device_ids: dict[str, KeyPath] = {}
        self.served: set[str] = set()       # services some counter lists

    # -- the site ------------------------------------------------------------------------
    def site(self, raw: dict, source: str) -> Site | None:
        raw = self.without_secrets(raw)
        self.table(raw, (), KEYS[""])
        top = self.section(raw, "site")
        hours = self.week(top["hours"], ("site", "hours")) if "hours" in top else None
        agencies = self.agencies(raw)
        services = self.services(raw, agencies, hours, "hours" in top)
        counters = self.counters(raw, agencies, services)
        return Site(
            id=self.ident(top, ("site",), "site") if top else None,
            name=self.get(top, ("site",), "name", TEXT) if top else None,
            timezone=self.timezone(top),
            holidays=self.holidays(top),
            rules=self.rules(raw.get("rules", {})),
            agencies=agencies, services=services, counters=counters,
            kiosks=self.kiosks(raw, services),
            displays=self.displays(raw, counters, agencies),
            button_boxes=self.button_boxes(raw, counters),
            operators=self.operators(raw),
            ticket_footer=self.get(top, ("site",), "ticket_footer", TEXT, ""),
            broker_tls=self.get(top, ("site",), "broker_tls", BOOL, False),
            source=source,
        )

    def without_secrets(self, raw: dict) -> dict:
        """``raw`` without the passwords of older files, each reported (SECRET_MOVED)."""
        raw = dict(raw)
        if "hub" in raw:
            self.r.add(("hub",), "the [hub] table is gone: " + SECRET_MOVED)
            del raw["hub"]
        for name in DEVICE_TABLES:
            items = raw.get(name)
            if isinstance(items, list):
                raw[name] = [self._drop_password(item, (name, i))
                             for i, item in enumerate(items)]
        return raw

    def _drop_password(self, item, where: KeyPath):
        if not isinstance(item, dict) or "password" not in item:
            return item
        self.r.add(where + ("password",), SECRET_MOVED)
        return {k: v for k, v in item.items() if k != "password"}

    def section(self, raw: dict, name: str) -> dict:
        """A required plain table such as [site]; {} (reported) when missing or broken."""
        if name not in raw:
            self.missing((name,), f"missing: add a [{name}] table")
            return {}
        return self.table(raw[name], (name,), KEYS[name]) or {}

    def timezone(self, top: dict) -> str | None:
        name = self.get(top, ("site",), "timezone", TEXT, "Asia/Jakarta")
        try:
            if name is not None:
                zoneinfo.ZoneInfo(name)
            return name
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            hint = difflib.get_close_matches(name, zoneinfo.available_timezones(), n=1)
            self.r.add(("site", "timezone"), f'"{name}" is not a known time zone' +
                       (f"; did you mean '{hint[0]}'?" if hint else
                        ' (use "Asia/Jakarta", "Asia/Makassar" or "Asia/Jayapura")'))
            return None

    def holidays(self, top: dict) -> frozenset[dt.date]:
        days = self.get(top, ("site",), "holidays", LIST, [])
        good = set()
        for i, day in enumerate(days or ()):
            if type(day) is dt.date:    # a datetime is a date too, but not a day off
                good.add(day)
            else:
                self.r.add(("site", "holidays", i), "must be a date without quotes, like "
                           f"2026-12-25, not {describe(day)}")
        return frozenset(good)

    def rules(self, raw: Any) -> QueueRules:
        tbl = self.table(raw, ("rules",), KEYS["rules"]) or {}
        minimum = {"max_recalls": 0}       # every other number must be at least 1
        values = {}
        for f in dataclasses.fields(QueueRules):
            if f.name not in tbl:
                continue
            if isinstance(f.default, dt.time):
                value = self.clock(tbl[f.name], ("rules", f.name))
            else:
                value = self.number(tbl, ("rules",), f.name, minimum.get(f.name, 1))
            if value is not None:
                values[f.name] = value
        return QueueRules(**values)

    # -- agencies, services, counters ----------------------------------------------------
    def agencies(self, raw: dict) -> dict[str, Agency]:
        out: dict[str, Agency] = {}
        seen: dict = {}
        for where, item in self.items(raw, "agencies", required=True):
            tbl = self.table(item, where, KEYS["agencies"])
            if tbl is None:
                continue
            aid = self.ident(tbl, where, "agency")
            name = self.get(tbl, where, "name", TEXT)
            name_en = self.get(tbl, where, "name_en", TEXT)
            initials = self.get(tbl, where, "initials", TEXT, "")
            logo = self.get(tbl, where, "logo", TEXT, "")
            if logo and not (self.base_dir / logo).is_file():
                self.r.add(where + ("logo",), f"file not found: {self.base_dir / logo}")
            short = self.short_names(tbl, where)
            if aid is not None and self.unique(seen, aid, where + ("id",), "agency id"):
                out[aid] = Agency(aid, name, name_en, initials or "", logo or "", *short)
        return out

    def services(self, raw: dict, agencies: dict, site_hours: Hours | None,
                 has_site_hours: bool) -> dict[str, Service]:
        out: dict[str, Service] = {}
        seen_ids: dict = {}
        seen_prefixes: dict = {}
        tiles: dict = {}            # (agency, language, tile name) -> where it was first
        for where, item in self.items(raw, "services", required=True):
            tbl = self.table(item, where, KEYS["services"])
            if tbl is None:
                continue
            sid = self.ident(tbl, where, "service")
            agency = self.get(tbl, where, "agency", TEXT)
            if agency is not None and agency not in agencies:
                self.r.add(where + ("agency",), f"no agency has the id {agency!r}")
            prefix = self.prefix(tbl, where, seen_prefixes)
            hours = site_hours
            if "hours" in tbl:
                hours = self.week(tbl["hours"], where + ("hours",))
            elif not has_site_hours:
                self.r.add(where, "no opening hours: add [site.hours] or hours to this service")
            service = Service(
                sid, agency, prefix, self.get(tbl, where, "name", TEXT),
                self.get(tbl, where, "name_en", TEXT),
                self.number(tbl, where, "daily_quota", 0, 0),
                self.number(tbl, where, "standard_minutes", 1),
                self.get(tbl, where, "priority_allowed", BOOL, True), hours,
                *self.short_names(tbl, where), *self.group(tbl, where))
            if sid is not None and self.unique(seen_ids, sid, where + ("id",), "service id"):
                out[sid] = service
                self.tiles_apart(service, where, tiles)
        return out

    def tiles_apart(self, service: Service, where: KeyPath, tiles: dict) -> None:
        """Two services of one agency (and group) whose tiles read the same leave a visitor
        guessing."""
        for key, lang in (("short_name", "id"), ("short_name_en", "en")):
            name, short = service.tile_name(lang), bool(getattr(service, key))
            if not name:
                continue
            first, first_short = tiles.setdefault(
                (service.agency, service.group, lang, name.casefold()), (where, short))
            if first != where and (short or first_short):
                self.r.add(where + (key,), f'"{name}" is already the tile name of another '
                           f"service of this agency (line {self.r.line(first)}): the visitor "
                           "could not tell them apart")

    def group(self, tbl: dict, where: KeyPath) -> tuple[str, str]:
        """(group, group_en): the kiosk's tile that gathers this service with others of its
        agency ("Surat Izin Praktik"); group_en is the group's English name (default group)."""
        group, group_en = self.short_names(tbl, where, ("group", "group_en"))
        if group_en and not group:
            self.r.add(where + ("group_en",), "a group_en needs a group (the Indonesian name)")
        return group, group_en or group

    def short_names(self, tbl: dict, where: KeyPath,
                    keys: tuple[str, str] = ("short_name", "short_name_en")) -> tuple[str, str]:
        """(short_name, short_name_en): the kiosk tile's names, "" when not given."""
        out = []
        for key in keys:
            value = self.get(tbl, where, key, TEXT, "")
            if value is None:
                out.append("")
                continue
            value = value.strip()
            if key in tbl and not value:
                self.r.add(where + (key,), "must not be empty: leave the key out to show "
                           "the full name")
            elif len(value) > SHORT_NAME_MAX:
                self.r.add(where + (key,), f'"{value}" is {len(value)} characters; a tile '
                           f"name may have at most {SHORT_NAME_MAX}")
                value = ""
            out.append(value)
        return out[0], out[1]

    def prefix(self, tbl: dict, where: KeyPath, seen: dict) -> str | None:
        value = self.get(tbl, where, "prefix", TEXT)
        if value is None:
            return None
        if not _PREFIX.match(value):
            hint = f' (write "{value.upper()}")' if _PREFIX.match(value.upper()) else ""
            self.r.add(where + ("prefix",), f'"{value}" must be 1 to 3 capital letters A-Z{hint}')
            return None
        return value if self.unique(seen, value, where + ("prefix",), "ticket prefix") else None

    def counters(self, raw: dict, agencies: dict, services: dict) -> dict[int, Counter]:
        out: dict[int, Counter] = {}
        seen: dict = {}
        for where, item in self.items(raw, "counters", required=True):
            tbl = self.table(item, where, KEYS["counters"])
            if tbl is None:
                continue
            cid = self.number(tbl, where, "id", 1)
            agency = self.get(tbl, where, "agency", TEXT)
            if agency is not None and agency not in agencies:
                self.r.add(where + ("agency",), f"no agency has the id {agency!r}")
            listed = self.get(tbl, where, "services", TEXTS)
            if listed == []:
                self.r.add(where + ("services",), "must list at least one service")
            served = self.refs(listed, where + ("services",), services, "service")
            self.served.update(served)
            for i, sid in enumerate(listed or ()):
                owner = services[sid].agency if sid in services else None
                if agency in agencies and owner in agencies and owner != agency:
                    self.r.add(where + ("services", i), f"service {sid!r} belongs to agency "
                               f"{owner!r}, not to this counter's agency {agency!r}")
            counter = Counter(cid, self.get(tbl, where, "name", TEXT, f"Loket {cid}"), agency,
                              served, self.choice(tbl, where, "policy", COUNTER_POLICIES))
            if cid is not None and self.unique(seen, cid, where + ("id",), "counter id"):
                out[cid] = counter
        self.unserved(services, raw)
        return out

    def unserved(self, services: dict, raw: dict) -> None:
        for i, item in enumerate(raw.get("services") or ()):
            sid = item.get("id") if isinstance(item, dict) else None
            if isinstance(sid, str) and sid in services and sid not in self.served:
                self.r.add(("services", i, "id"), f"no counter serves {sid!r}: its tickets "
                           "would never be called (add it to a counter's services)")

    # -- devices -------------------------------------------------------------------------
    def device(self, tbl: dict, where: KeyPath, *, operator: bool = False) -> str | None:
        did = self.ident(tbl, where, "device")
        if did is not None and did.lower() in RESERVED_IDS:
            self.r.add(where + ("id",), f"{did!r} is reserved for the hub; choose another id")
            did = None
        if did is not None and did.startswith(OPERATOR_PREFIX) != operator:
            # The prefix tells every reader (and the hub's logs) that this login is a tool.
            self.r.add(where + ("id",), f"an operator tool's id starts with {OPERATOR_PREFIX!r}"
                       f", like 'ops-laptop', and only theirs: {did!r}" if operator else
                       f"{did!r}: ids starting with {OPERATOR_PREFIX!r} are for "
                       "[[operators]] only")
            did = None
        if did is not None and not self.unique(self.device_ids, did, where + ("id",),
                                               "device id"):
            did = None
        return did

    def kiosks(self, raw: dict, services: dict) -> dict[str, Kiosk]:
        out = {}
        for where, item in self.items(raw, "kiosks", required=False):
            tbl = self.table(item, where, KEYS["kiosks"])
            if tbl is None:
                continue
            did = self.device(tbl, where)
            listed = self.get(tbl, where, "services", TEXTS, [])
            kiosk = Kiosk(did, self.refs(listed, where + ("services",), services, "service"),
                          self.get(tbl, where, "printer", TABLE, {}) or {})
            if did is not None:
                out[did] = kiosk
        return out

    def displays(self, raw: dict, counters: dict, agencies: dict) -> dict[str, Display]:
        out = {}
        for where, item in self.items(raw, "displays", required=False):
            tbl = self.table(item, where, KEYS["displays"])
            if tbl is None:
                continue
            did = self.device(tbl, where)
            layout = self.choice(tbl, where, "layout", DISPLAY_LAYOUTS)
            listed = self.get(tbl, where, "counters", INTS, [])
            if layout == "counter" and listed is not None and len(listed) != 1:
                self.r.add(where + ("counters",), 'a display with layout "counter" must list '
                           f"exactly one counter, like counters = [3]; it lists {len(listed)}")
            display = Display(
                did, layout or "hall",
                self.refs(listed, where + ("counters",), counters, "counter"),
                self.refs(self.get(tbl, where, "agencies", TEXTS, []), where + ("agencies",),
                          agencies, "agency"),
                self.choice(tbl, where, "language", LANGUAGES) or "id",
                self.get(tbl, where, "speak", BOOL, True),
                self.get(tbl, where, "audio_device", TEXT, "default"),
                self.get(tbl, where, "running_text", TEXT, ""))
            if did is not None:
                out[did] = display
        return out

    def button_boxes(self, raw: dict, counters: dict) -> dict[str, ButtonBox]:
        out = {}
        owner: dict = {}        # counter id -> key of the box entry that serves it
        for where, item in self.items(raw, "button_boxes", required=False):
            tbl = self.table(item, where, KEYS["button_boxes"])
            if tbl is None:
                continue
            did = self.device(tbl, where)
            listed = self.get(tbl, where, "counters", INTS)
            if listed == []:
                self.r.add(where + ("counters",), "must list at least one counter")
            served = self.refs(listed, where + ("counters",), counters, "counter")
            for i, cid in enumerate(listed or ()):
                if cid in served and cid in owner:
                    self.r.add(where + ("counters", i), f"counter {cid} already has a button "
                               f"box (line {self.r.line(owner[cid])}); one box per counter")
                owner.setdefault(cid, where + ("counters", i))
            pins = self.get(tbl, where, "pins", TABLE, {}) or {}
            # The very check `antrean counter` makes before it claims the pins.
            for problem in pin_problems(pins, listed) if listed is not None else ():
                self.r.add(where + ("pins", *problem.key), problem.message)
            if did is not None:
                out[did] = ButtonBox(did, served, pins)
        return out

    def operators(self, raw: dict) -> dict[str, Operator]:
        out = {}
        for where, item in self.items(raw, "operators", required=False):
            tbl = self.table(item, where, KEYS["operators"])
            if tbl is None:
                continue
            did = self.device(tbl, where, operator=True)
            if did is not None:
                out[did] = Operator(did, self.get(tbl, where, "commands", BOOL, False))
        return out


def device_of(site: Site, kind: str, device_id: str, path=None):
    """The kiosk, display or button box ``device_id`` of ``site``, or a ConfigError that
    names the ones the file does have. ``kind``: "kiosk", "display" or "button box"."""
    table = {"kiosk": site.kiosks, "display": site.displays,
             "button box": site.button_boxes}[kind]
    device = table.get(device_id)
    if device is None:
        plural = "boxes" if kind == "button box" else f"{kind}s"
        raise ConfigError(f"no {kind} {device_id!r} ({plural}: {', '.join(table) or 'none'})",
                          path=str(path or site.source) or None)
    return device
