"""What the kiosk offers: agencies and services with their live queue figures. Kivy-free.

The site config says which agencies and services exist (and ``Kiosk.services`` which of them
this kiosk issues); the hub's retained ``state.service`` message of each service says whether
it is open, why not, how many people wait, the estimated wait and the quota left. The states
of one service are taken only when newer by ``(epoch, rev)`` (docs/protocol.md, "Snapshots"),
so a late retained copy never rolls that service back; a new ``db`` (another hub database)
starts the order afresh.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from antrean import protocol
from antrean.errors import ProtocolError
from antrean.messages import StateService
from antrean.site import Kiosk, Site

log = logging.getLogger("antrean.kiosk")
_SERVICE_STATE = (StateService,)


@dataclass(frozen=True)
class ServiceEntry:
    id: str
    agency: str
    name: str                   # in the asked language
    prefix: str
    priority_allowed: bool
    known: bool                 # the hub's figures are known (its state arrived)
    open: bool                  # takes tickets now (unknown counts as open: the hub decides)
    reason: str | None = None   # service_closed | holiday | on_break | quota_exhausted |
                                # no_numbers (offline with the lease used up)
    opens_at: str | None = None
    waiting: int | None = None
    priority_waiting: int | None = None
    wait_min: int | None = None
    quota_left: int | None = None
    tile: str = ""              # the name on its tile (the short name, else ``name``)


@dataclass(frozen=True)
class AgencyEntry:
    id: str
    name: str
    initials: str
    logo: str                   # absolute path of an existing image, or ''
    services: int               # services this kiosk offers for it
    open_services: int
    waiting: int | None         # people waiting across them; None when not known
    tile: str = ""              # the name on its tile (the short name, else ``name``)


@dataclass(frozen=True)
class GroupEntry:
    """A tile gathering services of one agency (``Service.group``)."""

    group: str                  # the group as configured (Indonesian): its key
    name: str                   # in the asked language
    services: int
    open_services: int
    waiting: int | None


class Catalog:
    """The offer of one kiosk. ``update()`` with each decoded ``state.service`` message."""

    def __init__(self, site: Site, kiosk: Kiosk):
        self.site = site
        self._topics = protocol.Topics(site.id)
        allowed = set(kiosk.services or site.services)
        # config order is the order the hall chose; keep it
        self.service_ids = [s for s in site.services if s in allowed]
        self.agency_ids = [a for a in site.agencies
                           if any(site.services[s].agency == a for s in self.service_ids)]
        self.db: int | None = None                     # the hub database the order belongs to
        self.version: tuple[int, int] | None = None    # the newest (epoch, rev) taken, any service
        self.day: str | None = None                    # the hall's day of that newest state
        self.queues: dict[str, StateService] = {}      # service id -> its latest state
        self._order: dict[str, tuple[int, int]] = {}   # service id -> (epoch, rev) of that state

    @property
    def known(self) -> bool:
        """The hub's state is known for at least one service this kiosk offers."""
        return bool(self.queues)

    def receive(self, topic: str, payload: bytes) -> bool:
        """One raw message of ``state/service/<service>``: decoded here, then ``update``. A
        bad payload, or a state filed under another service's topic (the order is per topic),
        is logged and changes nothing. True when taken."""
        try:
            state = protocol.decode(payload, _SERVICE_STATE)
        except ProtocolError as e:
            log.warning("ignoring bad state.service on %s: %s", topic, e)
            return False
        if topic != self._topics.service(state.service):
            log.warning("ignoring state.service of %s on %s", state.service, topic)
            return False
        return self.update(state)

    def update(self, state: StateService) -> bool:
        """Take ``state`` (decoded at the edge, so its fields are what the protocol says) if
        newer than what is held for its service; True when taken. A service not offered here
        is ignored: a retained state of one the site no longer has may linger on the broker."""
        service = state.service
        if service not in self.service_ids:
            return False
        self._follow_db(state.db)
        version = (state.epoch, state.rev)
        held = self._order.get(service)
        if held is not None and version <= held:
            return False
        self._order[service], self.queues[service] = version, state
        if self.version is None or version > self.version:
            self.version, self.day = version, state.day
        return True

    def _follow_db(self, db: int | None) -> None:
        """Another hub database (a card swap, a rebuild) numbers its epochs and revisions
        anew: forget the order. The figures shown stay until its own states replace them
        (it re-sends every service when it connects)."""
        if db is None or db == self.db:
            return
        if self.db is not None:
            log.warning("the hub's database changed (%s -> %s): taking its states afresh",
                        self.db, db)
            self._order.clear()
            self.version = None
        self.db = db

    # ---- what the screens list -------------------------------------------------------------
    def agencies(self, language: str = "id",
                 numbers_left: Callable[[str], int] | None = None) -> list[AgencyEntry]:
        out = []
        for aid in self.agency_ids:
            agency = self.site.agencies[aid]
            entries = self.services(aid, language, numbers_left)
            figures = [e.waiting for e in entries if e.waiting is not None]
            out.append(AgencyEntry(
                id=aid, name=agency.name if language == "id" else agency.name_en,
                initials=agency.initials or _initials(agency.name), logo=self._logo(agency.logo),
                services=len(entries), open_services=sum(e.open for e in entries),
                waiting=sum(figures) if figures else None, tile=agency.tile_name(language)))
        return out

    def services(self, agency: str, language: str = "id",
                 numbers_left: Callable[[str], int] | None = None,
                 group: str | None = None) -> list[ServiceEntry]:
        """Services of ``agency`` this kiosk offers (of its ``group`` only, when given).
        ``numbers_left(service)`` is given while the hub is unreachable: a service whose
        leased numbers are used up cannot print."""
        return [self.service(s, language, numbers_left) for s in self.service_ids
                if self.site.services[s].agency == agency
                and (group is None or self.site.services[s].group == group)]

    def tiles(self, agency: str, language: str = "id",
              numbers_left: Callable[[str], int] | None = None
              ) -> list[GroupEntry | ServiceEntry]:
        """The agency's first screen: a tile per group, where its first service stands in
        the config, and the services without a group in between."""
        out: list[GroupEntry | ServiceEntry] = []
        members: dict[str, list[ServiceEntry]] = {}
        for entry in self.services(agency, language, numbers_left):
            group = self.site.services[entry.id].group
            if not group:
                out.append(entry)
                continue
            if group not in members:
                members[group] = []
                out.append(group)
            members[group].append(entry)
        return [self._group(x, members[x], language) if isinstance(x, str) else x
                for x in out]

    def _group(self, group: str, entries: list[ServiceEntry], language: str) -> GroupEntry:
        first = self.site.services[entries[0].id]
        figures = [e.waiting for e in entries if e.waiting is not None]
        return GroupEntry(group, first.group_name(language), len(entries),
                          sum(e.open for e in entries), sum(figures) if figures else None)

    def service(self, service_id: str, language: str = "id",
                numbers_left: Callable[[str], int] | None = None) -> ServiceEntry:
        svc = self.site.services[service_id]
        name = svc.name if language == "id" else svc.name_en
        q = self.queues.get(service_id)
        base = dict(id=svc.id, agency=svc.agency, name=name, prefix=svc.prefix,
                    priority_allowed=svc.priority_allowed, tile=svc.tile_name(language))
        if q is None:
            entry = ServiceEntry(**base, known=False, open=True)
        else:
            is_open = q.open and q.reason is None
            entry = ServiceEntry(
                **base, known=True, open=is_open,
                reason=None if is_open else (q.reason or "service_closed"),
                opens_at=q.opens_at, waiting=q.waiting, priority_waiting=q.priority_waiting,
                wait_min=q.wait_min, quota_left=q.quota_left)
        if entry.open and numbers_left is not None and numbers_left(service_id) <= 0:
            return ServiceEntry(**{**entry.__dict__, "open": False, "reason": "no_numbers"})
        return entry

    def _logo(self, logo: str) -> str:
        if not logo:
            return ""
        base = Path(self.site.source).parent if self.site.source else Path.cwd()
        path = (base / logo).resolve()
        if not path.is_file():
            log.warning("agency logo %s not found; showing initials", path)
            return ""
        return str(path)


def _initials(name: str) -> str:
    words = [w for w in name.split() if w[:1].isalnum()]
    return "".join(w[0] for w in words[:3]).upper()
