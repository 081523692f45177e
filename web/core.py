"""What the hall's web page shows, built from the hall's retained MQTT state: no web framework.

:class:`HallModel` keeps, per service, counter and device, the newest retained message the
broker holds (``state/service/+``, ``state/counter/+``, ``presence/+``, ``health/+``), decoded
into the protocol's own types (antrean/messages.py); older snapshots (by ``epoch``/``rev``)
are ignored, as every display does. Its views (:func:`services`, :func:`counters`,
:func:`devices`) are plain data with the hall's names; ``web/alerts.py`` reads the same model.

:class:`HallFollower` feeds a model from the broker with a read-only operator login
(``[[operators]]``, role ``operator``, as ``antrean status`` does) and says when it changed.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from pathlib import Path

from antrean import protocol
from antrean.messages import Health, Presence, StateCounter, StateService
from antrean.protocol import Topics

KINDS = {"service": (StateService,), "counter": (StateCounter,), "presence": (Presence,),
         "health": (Health,)}
AUDIO_WORDS = ("voice", "announcer", "audio")     # what a display's health errors say


def wall_ms() -> int:
    return int(time.time() * 1000)


@dataclasses.dataclass
class DeviceSeen:
    """What the broker holds about one device, and when its printer last changed status."""

    presence: Presence | None = None
    health: Health | None = None
    printer_since: int | None = None     # ms: when the printer's current status was first seen


class HallModel:
    """The hall as the broker holds it. Thread-safe: ``apply`` runs on the MQTT client's
    delivery thread, the views on the web server's."""

    def __init__(self, site, now_ms: Callable[[], int] = wall_ms):
        self.site = site
        self.now_ms = now_ms
        self.started_at = now_ms()
        self.topics = Topics(site.id)
        self.services: dict[str, StateService] = {}
        self.counters: dict[int, StateCounter] = {}
        self.devices: dict[str, DeviceSeen] = {}
        self.version = 0                  # bumped on every change
        self._lock = threading.RLock()

    # ---- input --------------------------------------------------------------------------
    def kind_of(self, topic: str) -> str | None:
        t = self.topics
        for kind, prefix in (("service", t.service("x")), ("counter", t.counter(0)),
                             ("presence", t.presence("x")), ("health", t.health("x"))):
            if topic.rsplit("/", 1)[0] == prefix.rsplit("/", 1)[0]:
                return kind
        return None

    def apply(self, topic: str, payload: bytes) -> bool:
        """Take one retained message; True when the model changed. A payload that does not
        decode, or an empty one (a cleared retained topic), changes nothing."""
        kind = self.kind_of(topic)
        if kind is None or not payload:
            return False
        try:
            body = protocol.decode(payload, KINDS[kind])
        except protocol.ProtocolError:
            return False
        with self._lock:
            changed = getattr(self, f"_apply_{kind}")(body)
            if changed:
                self.version += 1
            return changed

    @staticmethod
    def _newer(new, old) -> bool:
        if old is None or new.db != old.db:       # a swapped database starts a new order
            return True
        return (new.epoch, new.rev) > (old.epoch, old.rev)

    def _apply_service(self, body: StateService) -> bool:
        if body.service not in self.site.services or not self._newer(
                body, self.services.get(body.service)):
            return False
        self.services[body.service] = body
        return True

    def _apply_counter(self, body: StateCounter) -> bool:
        if body.counter not in self.site.counters or not self._newer(
                body, self.counters.get(body.counter)):
            return False
        self.counters[body.counter] = body
        return True

    def _apply_presence(self, body: Presence) -> bool:
        seen = self.devices.setdefault(body.device, DeviceSeen())
        old = seen.presence
        if old is not None and old.session == body.session and body.bdseq < old.bdseq:
            return False                          # a late will of an older connection
        seen.presence = body
        return old != body

    def _apply_health(self, body: Health) -> bool:
        seen = self.devices.setdefault(body.device, DeviceSeen())
        old = seen.health
        if old is not None and body.at < old.at:
            return False
        before = old.printer.status if old and old.printer else None
        after = body.printer.status if body.printer else None
        if after != before or seen.printer_since is None:
            seen.printer_since = body.at
        seen.health = body
        return old != body

    # ---- reading ------------------------------------------------------------------------
    def read(self, fn: Callable[[HallModel], object]):
        """``fn(model)`` under the model's lock: a consistent view."""
        with self._lock:
            return fn(self)


# ---- views: plain data for the pages -------------------------------------------------------
def services(model: HallModel) -> list[dict]:
    """Every service of the site, in the site's order, grouped by agency name."""
    site = model.site
    out = []
    for sid, svc in site.services.items():
        snap = model.services.get(sid)
        out.append({
            "id": sid, "prefix": svc.prefix, "name": svc.name, "name_en": svc.name_en,
            "agency": svc.agency, "agency_name": site.agencies[svc.agency].name,
            "agency_name_en": site.agencies[svc.agency].name_en,
            "standard_minutes": svc.standard_minutes, "known": snap is not None,
            "open": snap.open if snap else None, "reason": snap.reason if snap else None,
            "opens_at": snap.opens_at if snap else None,
            "waiting": snap.waiting if snap else None,
            "priority_waiting": snap.priority_waiting if snap else None,
            "last_called": snap.last_called if snap else None,
            "wait_min": snap.wait_min if snap else None,
            "oldest_at": snap.oldest_at if snap else None,
            "quota_left": snap.quota_left if snap else None})
    return out


def counter_state(snap: StateCounter | None) -> str:
    """``unknown`` (no snapshot yet), ``paused``, ``serving`` (a ticket at the desk) or
    ``idle`` (open, nobody at the desk)."""
    if snap is None:
        return "unknown"
    if snap.paused:
        return "paused"
    return "serving" if snap.number else "idle"


def counters(model: HallModel) -> list[dict]:
    out = []
    for cid, counter in sorted(model.site.counters.items()):
        snap = model.counters.get(cid)
        out.append({"id": cid, "name": counter.name, "agency": counter.agency,
                    "agency_name": model.site.agencies[counter.agency].name,
                    "services": list(counter.services), "state": counter_state(snap),
                    "number": snap.number if snap else None,
                    "service": snap.service if snap else None,
                    "called_at": snap.last_call.at if snap and snap.last_call else None})
    return out


def device_ids(site) -> list[str]:
    return ["hub", *(d.id for d in site.devices())]


def audio_status(site, device: str, health: Health | None) -> str | None:
    """A display's voice: ``ok``, ``failing``, ``silent`` (configured not to speak) or
    ``unknown`` (no health yet); None for devices that have no voice."""
    display = site.displays.get(device)
    if display is None:
        return None
    if not display.speak:
        return "silent"
    if health is None:
        return "unknown"
    failing = any(w in e.lower() for e in health.errors for w in AUDIO_WORDS)
    return "failing" if failing else "ok"


def last_seen(seen: DeviceSeen) -> int | None:
    times = [m.at for m in (seen.presence, seen.health) if m is not None and m.at]
    return max(times) if times else None


def devices(model: HallModel) -> list[dict]:
    """Every device of the site config (the hub first), devices never seen included."""
    out = []
    site = model.site
    for device in device_ids(site):
        seen = model.devices.get(device, DeviceSeen())
        p, h = seen.presence, seen.health
        out.append({
            "id": device, "role": role_of(site, device),
            "state": p.state if p else "never",
            "last_seen": last_seen(seen),
            "version": h.version if h else None, "uptime_s": h.uptime_s if h else None,
            "printer": h.printer.status if h and h.printer else None,
            "printer_since": seen.printer_since,
            "audio": audio_status(site, device, h),
            "outbox": h.outbox if h else None,
            "errors": list(h.errors) if h else []})
    return out


def role_of(site, device: str) -> str:
    if device == "hub":
        return "hub"
    for role, table in (("kiosk", site.kiosks), ("display", site.displays),
                        ("counter", site.button_boxes), ("operator", site.operators)):
        if device in table:
            return role
    return "unknown"


# ---- the link ------------------------------------------------------------------------------
class HallFollower:
    """Follows the hall's retained topics with a read-only operator login into ``model``;
    ``on_change(callback)`` is called (on the client's delivery thread) after each change
    and each link change."""

    def __init__(self, model: HallModel, *, login: str, password: str, host: str, port: int,
                 tls_ca: Path | None = None):
        from antrean.mqtt import HallClient
        self.model = model
        self._callbacks: list[Callable[[], None]] = []
        # announce=False: a watcher publishes no presence of its own, as antrean status.
        self.client = HallClient(site=model.site.id, device=login, role="operator",
                                 password=password, host=host, port=port, announce=False,
                                 tls_ca=tls_ca)
        t = model.topics
        for topic in (t.all_services, t.all_counters, t.all_presence, t.all_health):
            self.client.subscribe(topic, self._on_message)
        self.client.on_link(lambda up: self._changed())

    @property
    def connected(self) -> bool:
        return self.client.connected

    def on_change(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def start(self) -> None:
        self.client.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.client.stop(timeout)

    def _on_message(self, msg) -> None:
        if self.model.apply(msg.topic, msg.payload):
            self._changed()

    def _changed(self) -> None:
        for callback in list(self._callbacks):
            callback()
