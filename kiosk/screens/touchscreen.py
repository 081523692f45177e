"""The kiosk's touchscreen: the Kivy App, its widgets and the kv screens beside this file.

A thin adapter. The decisions live in Kivy-free cores: :class:`kiosk.catalog.Catalog`
(what is offered, from the site config and the hub's ``state.service`` messages),
:class:`kiosk.ui_flow.Flow` (which screen shows) and :class:`kiosk.issuer.Issuer` (asking
the hub, printing, offline numbers from the lease and the outbox). The App copies their state
into properties the kv files bind to; kv handlers call one verb each.

MQTT messages reach Kivy's loop through ``Clock.schedule_once``. Idle cost stays near zero:
a low ``maxfps``, nothing animates, Kivy redraws only when a property changes, and the only
timers are the 30 s upkeep (leases, printer status, health) and the systemd watchdog.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

# Our own argparse owns the command line; Kivy must not parse it (set before Kivy loads).
os.environ.setdefault("KIVY_NO_ARGS", "1")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.factory import Factory  # noqa: E402
from kivy.lang import Builder  # noqa: E402
from kivy.properties import (BooleanProperty, DictProperty, ListProperty,  # noqa: E402
                             NumericProperty, StringProperty)
from kivy.uix.behaviors import ButtonBehavior  # noqa: E402
from kivy.metrics import dp  # noqa: E402
from kivy.uix.boxlayout import BoxLayout  # noqa: E402
from kivy.uix.recycleview import RecycleView  # noqa: E402
from kivy.uix.screenmanager import NoTransition, ScreenManager  # noqa: E402

from antrean.clock import HubClock  # noqa: E402
from antrean.command import CommandChannel  # noqa: E402
from antrean.errors import StorageError  # noqa: E402
from antrean.mqtt import HallClient  # noqa: E402
from antrean.sdnotify import Watchdog  # noqa: E402
from antrean.window import after_first_frame  # noqa: E402

from kiosk.catalog import Catalog, GroupEntry  # noqa: E402
from kiosk.screens import name_label  # noqa: E402,F401  (registers the kv class)
from kiosk.issuer import IssueResult, Issuer  # noqa: E402
from kiosk.outbox import Outbox  # noqa: E402
from kiosk.paging import Grid, grid, items_on, page  # noqa: E402
from kiosk.printer import open_printer  # noqa: E402
from kiosk.printer_status import PrinterStatus  # noqa: E402
from kiosk.strings import CLOSED_CODES, LANGUAGES, Strings  # noqa: E402
from kiosk.ui_flow import Flow, Outcome  # noqa: E402

log = logging.getLogger("antrean.kiosk")

SCREENS_DIR = Path(__file__).resolve().parent
KV_FILES = ("widgets", "home", "services", "service", "priority", "printing", "done", "error",
            "window")
# Tiles per list, in dp before the layout scale: the smallest a tile may be (two lines of its
# name and two of figures), the tallest it grows, and the most columns; pairs are (portrait,
# landscape). Portrait: one column, so long names read whole on wide tiles instead of ending
# in "…", and those tiles lower (one line of name mostly), so a page still holds seven.
TILES = {"agencies": dict(min_w=210, min_h=(78, 100), max_h=(100, 150), max_cols=(1, 4)),
         "services": dict(min_w=300, min_h=(96, 104), max_h=(120, 150), max_cols=(1, 3))}
TILE_GAP = 12           # dp between tiles (widgets.kv TILE_GAP)
MAX_FPS = 20            # taps feel instant; idles at well under 1 % of a core
UPKEEP_S = 30.0         # leases, printer status and health, while nobody is printing
HUB_SILENT_S = 5.0      # docs/protocol.md: no heartbeat for 5 s = hub unreachable
PRINTER_DETAIL = {"ok": "online, paper adequate", "paper_low": "paper near end",
                  "no_paper": "paper end", "cover_open": "cover open",
                  "offline": "printer unreachable or offline", "unknown": "no status read"}


class LockedPrinter:
    """One printer shared by the issuer's worker and the status check: one use at a time,
    since a port-9100 printer serves one connection and python-escpos is not thread-safe."""

    def __init__(self, printer):
        self.printer = printer
        self._lock = threading.Lock()

    def status(self, timeout: float | None = None) -> PrinterStatus:
        with self._lock:
            return self.printer.status(timeout)

    def print_ticket(self, data: bytes, timeout: float | None = None) -> PrinterStatus:
        with self._lock:
            return self.printer.print_ticket(data, timeout)

    def __getattr__(self, name):
        return getattr(self.printer, name)    # paper, cutter, backend, where


class KioskScreens(ScreenManager):
    """Shows the screen ``App.screen`` names; bound once kv has added the screens (a kv
    ``current:`` rule would run before they exist)."""

    def on_kv_post(self, base_widget):
        self.transition = NoTransition()   # a new screen at once: no frames spent sliding
        app = App.get_running_app()
        app.bind(screen=self.setter("current"))
        self.current = app.screen


class Tile(ButtonBehavior, BoxLayout):
    """A large tappable card (look in widgets.kv)."""

    bg = ListProperty([1, 1, 1, 1])


class TilePage(RecycleView):
    """One page of tiles (look in widgets.kv); ``kind`` names its list for the app."""

    kind = StringProperty("")


class AgencyTile(Tile):
    agency_id = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")
    initials = StringProperty("")
    logo = StringProperty("")


class GroupTile(Tile):
    group = StringProperty("")
    title = StringProperty("")
    detail = StringProperty("")
    count = StringProperty("")


class ServiceTile(Tile):
    service_id = StringProperty("")
    title = StringProperty("")
    prefix = StringProperty("")
    detail = StringProperty("")
    closed = BooleanProperty(False)


for _cls in (KioskScreens, Tile, TilePage, AgencyTile, GroupTile, ServiceTile):
    Factory.register(_cls.__name__, cls=_cls)


class KioskApp(App):
    """Properties below are what the kv files show; the verbs are what they call."""

    s = DictProperty()                   # the words of the current language (kiosk/strings)
    lang = StringProperty("id")
    screen = StringProperty("home")
    site_name = StringProperty("")
    offline = BooleanProperty(True)
    notice = StringProperty("")          # a printer problem, on the home screen
    k = NumericProperty(1.0)             # layout scale: 1 on 800x480, ~2.2 on 1080x1920
    portrait = BooleanProperty(False)
    agency_tiles = ListProperty()        # every tile of the list ...
    service_tiles = ListProperty()
    agency_page_tiles = ListProperty()   # ... and those of the page shown
    service_page_tiles = ListProperty()
    agency_page = NumericProperty(1)
    service_page = NumericProperty(1)
    agency_pages = NumericProperty(1)
    service_pages = NumericProperty(1)
    agency_page_label = StringProperty("")
    service_page_label = StringProperty("")
    agency_cols = NumericProperty(1)
    service_cols = NumericProperty(1)
    agency_tile_h = NumericProperty(100)
    service_tile_h = NumericProperty(100)
    service_prefix = StringProperty("")
    service_facts = StringProperty("")
    service_priority = BooleanProperty(False)   # the chosen service has priority tickets
    result_priority = StringProperty("")        # "PRIORITAS · Lansia" on the result screen
    agency_name = StringProperty("")
    group_name = StringProperty("")      # the group of services opened, or ''
    service_name = StringProperty("")
    result_number = StringProperty("")
    result_lines = StringProperty("")
    result_note = StringProperty("")
    error_title = StringProperty("")
    error_text = StringProperty("")

    def __init__(self, *, site, kiosk, password: str, host: str, port: int, printer: dict,
                 state_dir: Path, tls_ca: Path | None = None,
                 language: str = "id", screenshot: Path | None = None,
                 visitors_every_s: float = 0, **kw):
        super().__init__(**kw)
        self.visitors_every_s = visitors_every_s
        self.site, self.kiosk = site, kiosk
        self.default_lang = language
        self.screenshot_path = screenshot
        self.title = f"Antrean - {kiosk.id}"
        self.site_name = site.name
        self.catalog = Catalog(site, kiosk)
        self.lists_current = True           # the shown lists reflect the catalog
        self._lists_trigger = Clock.create_trigger(self.render_lists, 0)
        self.flow = Flow()
        self.hub_clock = HubClock()
        self.client = HallClient(site=site.id, device=kiosk.id, role="kiosk",
                                 password=password, host=host, port=port, tls_ca=tls_ca,
                                 deliver=lambda f: Clock.schedule_once(lambda dt: f()))
        self.channel = CommandChannel(self.client, self.client.topics, kiosk.id, self.hub_clock)
        self.outbox = open_outbox(state_dir, kiosk.id)
        self.printer = LockedPrinter(open_printer(printer))
        self.issuer = Issuer(site=site, kiosk=kiosk, channel=self.channel, clock=self.hub_clock,
                             outbox=self.outbox, open_printer=lambda: self.printer,
                             deliver=self.client.deliver, queues=lambda: self.catalog.queues,
                             language=lambda: self.lang, online=self._hub_reachable)
        self.printer_status = PrinterStatus("unknown", "not checked yet")
        self._checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="printer-status")
        self._health: dict | None = None
        self._screen_timer = self._silence_timer = self._shot_event = None
        self._grids: dict[str, Grid] = {}
        self.watchdog = Watchdog()
        self._set_language(language)

    # ---- Kivy lifecycle ------------------------------------------------------------------
    def build(self):
        for name in KV_FILES:
            Builder.load_file(str(SCREENS_DIR / f"{name}.kv"))
        root = Factory.KioskRoot()
        root.bind(size=self._on_size)
        topics = self.client.topics
        for topic in self._service_topics():
            self.client.subscribe(topic, self._on_service_state, qos=1)
        self.client.subscribe(topics.clock, self._on_heartbeat, qos=0)
        self.client.on_link(self._on_link)
        self.client.set_health(self._health_fields())
        self.client.start()
        from kivy.core.window import Window
        Window.bind(on_touch_down=self._on_touch)
        Clock.schedule_interval(self._upkeep, UPKEEP_S)
        if self.watchdog.interval:
            Clock.schedule_interval(self._feed_watchdog, min(5.0, self.watchdog.interval / 2))
        self._silence_timer = Clock.create_trigger(self._hub_silent, HUB_SILENT_S)
        self._check_printer()
        if self.visitors_every_s:
            Clock.schedule_interval(self._demo_visitor, self.visitors_every_s)
        self.render()
        return root

    def _feed_watchdog(self, dt) -> None:
        # Returns None on purpose: a Kivy interval callback returning False is unscheduled,
        # and ping() returns False whenever it skips a ping (the qemu kiosk boot showed the
        # unit killed by its watchdog every 30 s).
        self.watchdog.ping()

    def on_start(self):
        after_first_frame(lambda: self.watchdog.ready(f"kiosk {self.kiosk.id} up"))
        self._schedule_screenshot()

    def on_stop(self):
        self.channel.close()
        self.client.stop()
        self.issuer.close()
        self._checker.shutdown(wait=True)
        self.outbox.close()

    # ---- verbs the kv files call ---------------------------------------------------------
    def choose_agency(self, agency_id: str) -> None:
        if self.flow.choose_agency(agency_id):
            self.service_page = 1
            self.render()

    def choose_service(self, service_id: str) -> None:
        entry = self.catalog.service(service_id, self.lang, self._numbers_left())
        self.flow.choose_service(entry)
        self.render()

    def choose_group(self, group: str) -> None:
        if self.flow.choose_group(group):
            self.service_page = 1
            self.render()

    def take_ticket(self) -> None:
        if self.flow.take_ticket():
            self._issue()
        self.render()

    def ask_priority(self) -> None:
        self.flow.ask_priority()
        self.render()

    def choose_priority(self, kind: str) -> None:
        if self.flow.choose_priority(kind):
            self._issue()
        self.render()

    def turn_page(self, kind: str, step: int) -> None:
        setattr(self, _PAGE[kind], getattr(self, _PAGE[kind]) + step)
        self._show_page(kind)
        self._schedule_screenshot()

    def tile_area(self, kind: str, width: float, height: float) -> None:
        """The tile area of ``kind``'s screen has this size: tiles sized to fill it whole."""
        t, unit, way = TILES[kind], dp(1) * self.k, 0 if self.portrait else 1
        self._grids[kind] = grid(width, height, min_w=t["min_w"] * unit,
                                 min_h=t["min_h"][way] * unit, max_h=t["max_h"][way] * unit,
                                 spacing=TILE_GAP * unit, max_cols=t["max_cols"][way])
        self._show_page(kind)

    def back(self) -> None:
        self.flow.back()
        self._after_visit()

    def toggle_language(self) -> None:
        others = [lang for lang in LANGUAGES if lang != self.lang]
        self._set_language(others[0])
        self.render()
        self._schedule_screenshot()

    # ---- the demo's visitors -------------------------------------------------------------
    def _demo_visitor(self, dt) -> None:
        """A pretend visitor for the headless demo: the same verbs a tap calls, one step per
        call (home -> agency -> service -> regular ticket), at a pace a person can follow."""
        screen = self.flow.screen
        if screen == "home":
            choices = [(a, e.id) for a in self.site.agencies
                       for e in self.catalog.services(a, self.lang, self._numbers_left())
                       if e.open]
            if choices:
                agency, self._demo_service = random.choice(choices)
                self.choose_agency(agency)
        elif screen == "services":
            self.choose_service(getattr(self, "_demo_service", ""))
        elif screen == "service":
            self.take_ticket()
        elif screen in ("done", "error"):
            self.back()

    # ---- issuing -------------------------------------------------------------------------
    def _issue(self) -> None:
        visit, service, priority = self.flow.ticket()
        log.info("visit %d: issuing %s%s", visit, service, f" ({priority})" if priority else "")
        self.issuer.issue(service, priority, lambda r, v=visit: self._issued(v, r))

    def _issued(self, visit: int, r: IssueResult) -> None:
        outcome = Outcome(r.ok, r.number, r.service, r.ahead, r.wait_min, r.offline,
                          error=r.error, message=r.message,
                          closed=r.error in CLOSED_CODES)
        if r.ok:
            log.info("visit %d: ticket %s printed%s", visit, r.number,
                     " offline" if r.offline else "")
        else:
            log.warning("visit %d: no ticket for %s: %s", visit, r.service, r.error)
        self._printer_seen(self.issuer.printer_state)
        if not self.flow.finished(visit, outcome):
            log.warning("visit %d: result arrived after the visit ended", visit)
        if self.client.connected:
            self.issuer.refresh_leases()
        self._publish_health()
        self.render()

    # ---- inputs --------------------------------------------------------------------------
    def _service_topics(self) -> list[str]:
        """A kiosk limited to some services hears only their states; one issuing every
        service hears them all through the wildcard."""
        topics = self.client.topics
        if self.kiosk.services:
            return [topics.service(s) for s in self.catalog.service_ids]
        return [topics.all_services]

    def _on_service_state(self, msg) -> None:
        if self.catalog.receive(msg.topic, msg.payload):
            # A hall's services arrive one message each (hundreds at connect): redraw the
            # lists once per frame, not once per message.
            self.lists_current = False
            self._lists_trigger()

    def _on_heartbeat(self, msg) -> None:
        self.hub_clock.on_heartbeat(msg.payload)
        self._silence_timer.cancel()
        self._silence_timer()
        self._set_offline()

    def _hub_silent(self, dt) -> None:
        self._set_offline()

    def _on_link(self, up: bool) -> None:
        log.info("broker link %s", "up" if up else "down")
        if up:
            self.issuer.flush()
            self.issuer.refresh_leases()
            # Replies settle the outbox a moment later: count it again then.
            Clock.schedule_once(lambda dt: self._publish_health(),
                                self.issuer.request_timeout + 0.5)
        self._set_offline()

    def _on_touch(self, window, touch) -> bool:
        self._arm_screen_timer()    # a visitor is here: the idle countdown starts again
        return False

    def _on_size(self, root, size) -> None:
        w, h = size
        self.portrait = h > w
        self.k = max(1.0, min(2.5, min(w, h) / 480.0))

    def _upkeep(self, dt) -> None:
        if self.flow.screen == "printing":
            return
        if self.client.connected:
            self.issuer.flush()
            self.issuer.refresh_leases()
        self._check_printer()
        self._publish_health()

    def _check_printer(self) -> None:
        def check():
            status = self.printer.status()
            self.client.deliver(lambda: self._printer_checked(status))
        self._checker.submit(check)

    def _printer_checked(self, status: PrinterStatus) -> None:
        if (status.state, status.detail) != (self.printer_status.state, self.printer_status.detail):
            log.info("printer %s: %s%s", self.printer.where, status.state,
                     f" ({status.detail})" if status.detail else "")
        self.printer_status = status
        self.notice = Strings(self.lang).notice(status.state)
        self._publish_health()

    def _printer_seen(self, state: str) -> None:
        if state != self.printer_status.state:
            self.printer_status = PrinterStatus(state, PRINTER_DETAIL.get(state, ""))
        self.notice = Strings(self.lang).notice(state)

    # ---- outputs -------------------------------------------------------------------------
    def render(self) -> None:
        """Copy the flow's state into the properties kv shows."""
        t, flow = Strings(self.lang), self.flow
        if flow.agency:
            agency = self.site.agencies[flow.agency]
            self.agency_name = agency.name if self.lang == "id" else agency.name_en
        self.group_name = next((e.name for e in self.catalog.tiles(flow.agency, self.lang)
                                if isinstance(e, GroupEntry) and e.group == flow.group), "") \
            if flow.agency and flow.group else ""
        if flow.service:
            svc = self.site.services[flow.service]
            self.service_name = svc.name if self.lang == "id" else svc.name_en
            self._render_service(t, flow.service)
        if flow.outcome is not None:
            self._render_outcome(t, flow.outcome)
        self.render_lists()
        if self.screen != flow.screen:
            self.screen = flow.screen
            self._arm_screen_timer()
            self._schedule_screenshot()

    def render_lists(self, *_) -> None:
        self.lists_current = True
        t, left = Strings(self.lang), self._numbers_left()
        self.agency_tiles = [_agency_tile(t, a)
                             for a in self.catalog.agencies(self.lang, left)]
        flow = self.flow
        if not flow.agency:
            entries = []
        elif flow.group:
            entries = self.catalog.services(flow.agency, self.lang, left, group=flow.group)
        else:
            entries = self.catalog.tiles(flow.agency, self.lang, left)
        self.service_tiles = [_group_tile(t, e) if isinstance(e, GroupEntry)
                              else _service_tile(t, e) for e in entries]
        for kind in TILES:
            self._show_page(kind)

    def _show_page(self, kind: str) -> None:
        """The page of ``kind``'s tiles the visitor is on, in the grid its area holds."""
        g = self._grids.get(kind)
        if g is None:
            return      # the area has no size yet: tile_area comes once it has
        name = "agency" if kind == "agencies" else "service"
        tiles = self.agency_tiles if kind == "agencies" else self.service_tiles
        p = page(len(tiles), g.per_page, getattr(self, _PAGE[kind]))
        setattr(self, f"{name}_cols", g.cols)
        setattr(self, f"{name}_tile_h", g.tile_h)
        setattr(self, _PAGE[kind], p.number)
        setattr(self, f"{name}_pages", p.count)
        setattr(self, f"{name}_page_label", Strings(self.lang).page(p.number, p.count))
        setattr(self, f"{name}_page_tiles", items_on(tiles, p, g.per_page))

    def _render_service(self, t: Strings, service_id: str) -> None:
        """The service screen: prefix, figures and whether it has priority tickets."""
        e = self.catalog.service(service_id, self.lang, self._numbers_left())
        self.service_prefix, self.service_priority = e.prefix, e.priority_allowed
        lines = [x for x in (t.waiting(e.waiting), t.wait(e.wait_min)) if x] if e.known \
            else [t.get("unknown")]
        if e.known and e.quota_left is not None:
            lines.append(t.get("quota_left", n=e.quota_left))
        self.service_facts = "\n".join(lines)

    def _render_outcome(self, t: Strings, o: Outcome) -> None:
        if o.ok:
            self.result_number = o.number
            self.result_priority = t.priority_badge(o.priority)
            self.result_lines = "\n".join(x for x in (t.ahead(o.ahead), t.wait(o.wait_min))
                                           if x)
            self.result_note = t.get("done_offline") if o.offline else ""
            return
        self.error_title = t.get("error_closed_title" if o.closed else "error_title")
        if o.closed and not o.message:
            entry = self.catalog.service(o.service, self.lang) if o.service else None
            self.error_text = t.closed(o.error, entry.opens_at if entry else None)
        elif o.error == "no_numbers":
            self.error_text = t.error("lease_exhausted")
        else:
            self.error_text = t.error(o.error, o.message)

    def _set_language(self, lang: str) -> None:
        self.lang = lang
        self.s = dict(Strings(lang).table)
        self.notice = Strings(lang).notice(self.printer_status.state)

    def _hub_reachable(self) -> bool:
        return self.client.connected and self.hub_clock.fresh(HUB_SILENT_S)

    def _set_offline(self) -> None:
        offline = not self._hub_reachable()
        if offline != self.offline:       # heartbeats come every second: redraw on change only
            self.offline = offline
            self.render_lists()

    def _numbers_left(self):
        """While the hub is unreachable, the leased numbers left per service."""
        if not self.offline:
            return None
        today = dt.datetime.fromtimestamp(self.hub_clock.now_ms() / 1000,
                                          ZoneInfo(self.site.timezone)).date().isoformat()
        return lambda service: self.outbox.numbers_left(service, today)

    def _arm_screen_timer(self) -> None:
        if self._screen_timer is not None:
            self._screen_timer.cancel()
            self._screen_timer = None
        timeout = self.flow.timeout()
        if timeout is not None:
            self._screen_timer = Clock.schedule_once(self._screen_expired, timeout)

    def _screen_expired(self, dt) -> None:
        self._screen_timer = None
        self.flow.expire()
        self._after_visit()

    def _after_visit(self) -> None:
        if self.flow.screen == "home":
            self.agency_page = 1                    # the next visitor starts at the start
            if self.lang != self.default_lang:
                self._set_language(self.default_lang)   # ... and in the default language
        self.render()

    # ---- health and screenshots ----------------------------------------------------------
    def _health_fields(self) -> dict:
        status = self.printer_status
        errors = [f"printer {status.state}: {status.detail}"] \
            if status.state in ("no_paper", "cover_open", "offline") else []
        return {"printer": {"status": status.state, "detail": status.detail},
                "outbox": len(self.outbox.pending()), "errors": errors}

    def _publish_health(self) -> None:
        fields = self._health_fields()
        if fields != self._health:
            self._health = fields
            self.client.set_health(fields)

    def _schedule_screenshot(self) -> None:
        if self.screenshot_path is None or self.root is None or self._shot_event is not None:
            return
        # Wait for the frame that shows the change (layout and texture updates first).
        self._shot_event = Clock.schedule_once(self._take_screenshot, 0.3)

    def _take_screenshot(self, dt) -> None:
        # Read the frame as drawn: on_flip handlers run after drawing and before the buffer
        # swap, when the back buffer holds what the visitor is about to see.
        from kivy.core.window import Window
        Window.bind(on_flip=self._grab)
        Window.canvas.ask_update()

    def _grab(self, window) -> None:
        window.unbind(on_flip=self._grab)
        self._shot_event = None
        path = self.screenshot_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            written = window.screenshot(name=str(path.with_name(f".{path.stem}.tmp.png")))
            if written:
                os.replace(written, path)
        except OSError as e:
            log.error("screenshot %s failed: %s", path, e)


def _agency_tile(t: Strings, a) -> dict:
    if a.open_services == 0 and a.services:
        subtitle = t.get("agency_closed")
    else:
        parts = [t.get("agency_services", n=a.services)]
        if a.waiting is not None:
            parts.append(t.get("agency_waiting", n=a.waiting))
        subtitle = "  \u00b7  ".join(parts)
    return {"agency_id": a.id, "title": a.tile, "subtitle": subtitle,
            "initials": a.initials, "logo": a.logo}


def _service_tile(t: Strings, e) -> dict:
    if not e.open:
        lines = [t.closed(e.reason, e.opens_at)]
    elif not e.known:
        lines = [t.get("unknown")]
    else:
        # Two lines at most: the tile is sized for two lines of name and two of figures.
        lines = ["  \u00b7  ".join(x for x in (t.waiting(e.waiting), t.wait_short(e.wait_min))
                                   if x)]
        if e.quota_left is not None:
            lines.append(t.get("quota_left", n=e.quota_left))
    return {"viewclass": "ServiceTile", "service_id": e.id, "title": e.tile, "prefix": e.prefix,
            "detail": "\n".join(lines), "closed": not e.open}


def _group_tile(t: Strings, g: GroupEntry) -> dict:
    if g.open_services == 0:
        detail = t.get("agency_closed")
    else:
        parts = [t.get("agency_services", n=g.services)]
        if g.waiting is not None:
            parts.append(t.get("agency_waiting", n=g.waiting))
        detail = "  \u00b7  ".join(parts)
    return {"viewclass": "GroupTile", "group": g.group, "title": g.name, "detail": detail,
            "count": str(g.services)}


_PAGE = {"agencies": "agency_page", "services": "service_page"}


def open_outbox(state_dir: Path, device: str) -> Outbox:
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StorageError(f"cannot create the kiosk state directory {state_dir}: "
                           f"{e.strerror}") from e
    return Outbox(state_dir / f"{device}-outbox.sqlite")
