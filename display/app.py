"""The hall display app: ``antrean display --config SITE.toml --device ID``.

A thin Kivy adapter around :class:`display.state.DisplayState`: MQTT messages are handed to
Kivy's loop (``Clock.schedule_once``), fed to the core, and the core's view is copied into App
properties that ``hall.kv`` / ``counter.kv`` bind to. Calls the core hands out are spoken by
:class:`display.player.AnnouncementQueue` on its own thread and flash on screen.

Idle cost is kept near zero: Kivy redraws only when a property changes, the clock label is
set once a second (its text changes once a minute), the flash toggles only while it lasts
and ``maxfps`` is low. The running text is the one thing that moves; leave it empty for a
fully still screen.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from pathlib import Path

import msgspec

# Our own argparse owns the command line; Kivy must not parse it (set before Kivy loads).
os.environ.setdefault("KIVY_NO_ARGS", "1")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.factory import Factory  # noqa: E402
from kivy.lang import Builder  # noqa: E402
from kivy.metrics import dp  # noqa: E402
from kivy.properties import (BooleanProperty, ListProperty, NumericProperty,  # noqa: E402
                             StringProperty)
from kivy.uix.floatlayout import FloatLayout  # noqa: E402
from kivy.uix.stencilview import StencilView  # noqa: E402

from antrean.clock import HubClock  # noqa: E402
from antrean.device_settings import (add_login_arguments, own_password,  # noqa: E402
                                     own_tls_ca)
from antrean.sdnotify import Watchdog  # noqa: E402
from antrean.window import after_first_frame, configure_window, window_size  # noqa: E402
from antrean.errors import AntreanError  # noqa: E402
from antrean.mqtt import HallClient  # noqa: E402
from antrean.messages import Call  # noqa: E402

from display.layout import (TILE_MAX_MM, TILE_MM, mm_per_px, page_at,  # noqa: E402
                            page_items, plan_grid, px_for_mm)
from display.memory import AnnounceMemory, default_path  # noqa: E402
from display.state import DisplaySettings, DisplayState, View, counter_topics  # noqa: E402
from display.strings import Strings  # noqa: E402
from display.whole_label import (FitText, WholeLabel, cap_height,  # noqa: E402  (kv classes)
                                 cap_ratio)

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
MAX_FPS = 15            # enough for the flash and the running text; idles cheaply
FLASH_S = 6.0           # how long a new call flashes
FLASH_STEP_S = 0.5
MARQUEE_FPS = 15
MARQUEE_SPEED_DP = 80   # running text speed, dp per second
PAGE_S = 8.0            # running text in "page" mode: seconds per sentence


class HallScreen(FloatLayout):
    """Layout in hall.kv: latest call, every counter, recent calls, clock, running text."""


class CounterScreen(FloatLayout):
    """Layout in counter.kv: one counter's number, huge."""


class Marquee(StencilView):
    """The running text. ``mode`` "scroll": right to left at :data:`MARQUEE_FPS`; "page":
    one sentence at a time, :data:`PAGE_S` each. kv shows ``shown`` at x = ``offset`` and
    reports its width in ``text_width``. Nothing is scheduled while there is no text."""

    text = StringProperty("")
    mode = StringProperty("scroll")
    shown = StringProperty("")
    offset = NumericProperty(0)
    text_width = NumericProperty(0)

    def __init__(self, **kw):
        super().__init__(**kw)
        self._event = None
        self._page = 0
        self.bind(text=self._restart, width=self._restart, mode=self._restart,
                  text_width=self._center)

    def _restart(self, *_):
        if self._event is not None:
            self._event.cancel()
            self._event = None
        if not self.text or self.width <= 0:
            self.shown = ""
        elif self.mode == "page":
            self._page = -1
            self._next_page(0)
            self._event = Clock.schedule_interval(self._next_page, PAGE_S)
        else:
            self.shown, self.offset = self.text, self.width
            self._event = Clock.schedule_interval(self._step, 1 / MARQUEE_FPS)

    def _step(self, dt):
        self.offset -= dp(MARQUEE_SPEED_DP) * dt
        if self.offset < -self.text_width:
            self.offset = self.width

    def _next_page(self, dt):
        pages = [p for p in re.split(r"(?<=[.!?])\s+", self.text.strip()) if p]
        self._page = (self._page + 1) % len(pages)
        self.shown = pages[self._page]
        self._center()

    def _center(self, *_):
        if self.mode == "page":
            self.offset = max(0, (self.width - self.text_width) / 2)


def longest_number_em(site, counters) -> float:
    """How wide the hall's longest ticket number can be, in font sizes: its widest prefix
    among the shown counters' services with four digits ("PAS-8888"), bold, as drawn."""
    from kivy.core.text import Label as CoreLabel
    prefixes = {site.services[s].prefix for c in counters for s in site.counters[c].services
                if s in site.services} or {"A"}
    probe = CoreLabel(font_size=100, bold=True)
    return max(probe.get_extents(f"{p}-8888")[0] for p in prefixes) / 100


def gl_renderer() -> str:
    """The OpenGL renderer's name, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)" or "V3D 4.2"."""
    from kivy.graphics.opengl import GL_RENDERER, glGetString
    try:
        name = glGetString(GL_RENDERER)
    except Exception:       # no GL context: treat as unknown
        return ""
    return name.decode(errors="replace") if isinstance(name, bytes) else str(name)


def marquee_mode(choice: str, renderer: str) -> str:
    """"auto": scroll on a GPU; page on software GL (llvmpipe, softpipe), where every frame
    of a full-screen redraw costs ~0.1 s of CPU and a scrolling line would eat a core."""
    if choice != "auto":
        return choice
    return "page" if any(s in renderer.lower() for s in ("llvmpipe", "softpipe", "swrast")) \
        else "scroll"


class DisplayApp(App):
    """Properties below are what the kv files show; :meth:`render` sets them from the core."""

    site_name = StringProperty("")
    time_text = StringProperty("--:--")
    date_text = StringProperty("")
    banner = StringProperty("")
    latest_number = StringProperty("")
    latest_counter = StringProperty("")
    latest_service = StringProperty("")
    recent_title = StringProperty("")
    recent_counter_title = StringProperty("")
    counter_name = StringProperty("")
    counter_agency = StringProperty("")
    counter_number = StringProperty("")
    counter_service = StringProperty("")
    counter_status = StringProperty("")
    running_text = StringProperty("")
    marquee_mode = StringProperty("scroll")
    flash = NumericProperty(0)
    portrait = BooleanProperty(False)
    grid_cols = NumericProperty(1)
    grid_row_px = NumericProperty(60)
    tiles = ListProperty()              # every counter (what shown() reports)
    page_tiles = ListProperty()         # the counters on the page showing now
    page_text = StringProperty("")      # "Loket 1-20 · halaman 1/3" when there are pages
    tiles_box = ListProperty([0, 0])    # the tile grid's size, set by hall.kv
    recent = ListProperty()

    def __init__(self, *, site, display, settings: DisplaySettings, password: str, host: str,
                 port: int, memory: AnnounceMemory, voice=None, screenshot: Path | None = None,
                 running_text_mode: str = "auto", tls_ca: Path | None = None, **kw):
        super().__init__(**kw)
        self.site, self.device, self.settings = site, display, settings
        self.text = Strings(display.language)
        self.hub_clock = HubClock()
        self.state = DisplayState(site, settings, memory, self.hub_clock)
        self.voice, self.screenshot_path = voice, screenshot
        self.client = HallClient(site=site.id, device=display.id, role="display",
                                 password=password, host=host, port=port, tls_ca=tls_ca,
                                 deliver=lambda f: Clock.schedule_once(lambda dt: f()))
        self.site_name = site.name
        self.running_text = display.running_text
        self.recent_title = self.text.get("recent")
        self.recent_counter_title = self.text.get("recent_counter")
        self.title = f"Antrean - {display.id}"
        self._running_text_mode = running_text_mode
        self._flash_event = None
        self._flash_until = 0.0
        self._shot_event = None
        self._last_shot: dict | None = None
        self._shot_layout: tuple = ()
        self._health_sent: dict | None = None
        self._number_em = 0.0
        self._page = (0, 1)
        self.watchdog = Watchdog()

    # ---- Kivy lifecycle ----------------------------------------------------------------
    def build(self):
        screen = "counter" if self.device.layout == "counter" else "hall"
        Builder.load_file(str(HERE / f"{screen}.kv"))
        root = Factory.CounterScreen() if screen == "counter" else Factory.HallScreen()
        root.bind(size=self._on_size)
        self._number_em = longest_number_em(self.site, self.settings.counters)
        self.bind(tiles_box=lambda *_: self.render())
        topics = self.client.topics
        wanted = [(t, 1) for t in counter_topics(topics, self.site, self.settings)]
        for topic, qos in (*wanted, (topics.called, 1), (topics.clock, 0)):
            self.client.subscribe(topic, self._on_message, qos=qos)
        self.client.on_link(self._on_link)
        self._report_health()
        self.client.start()
        Clock.schedule_interval(self._tick, 1.0)
        self.render()
        return root

    def on_start(self):
        renderer = gl_renderer()    # the window and its GL context exist now
        self.marquee_mode = marquee_mode(self._running_text_mode, renderer)
        log.info("OpenGL renderer %r: running text in %s mode", renderer, self.marquee_mode)
        after_first_frame(lambda: self.watchdog.ready("showing the hall"))

    def on_stop(self):
        self.client.stop()
        if self.voice is not None:
            self.voice.close()

    # ---- inputs ------------------------------------------------------------------------
    def _on_message(self, msg) -> None:
        fresh = self.state.receive(msg.payload, retained=msg.retain)
        for call in fresh:
            self._announce(call)
        self.render()
        if fresh:
            self._start_flash()

    def _on_link(self, up: bool) -> None:
        self.state.on_link(up)
        self.render()

    def _tick(self, dt) -> None:
        # Once a second: the clock and the banner. Unchanged texts cost no redraw.
        # The watchdog is fed from Kivy's clock: a hung UI loop gets the unit restarted.
        self.render()
        self._report_health()
        self.watchdog.ping()

    def _on_size(self, root, size) -> None:
        self.portrait = size[1] > size[0]
        self.render()

    def _announce(self, call: Call) -> None:
        log.info("call %s: %s", call.call_id, self.text.get("call_line", number=call.number,
                                                             counter=call.counter))
        if self.voice is None:
            return
        try:
            self.voice.announce(msgspec.structs.asdict(call))
        except AntreanError as e:
            log.error("cannot announce call %s: %s", call.call_id, e)

    # ---- output ------------------------------------------------------------------------
    def render(self) -> None:
        view = self.state.view()
        self._render_banner(view)
        self._render_clock()
        self._render_latest(view)
        self._render_counters(view)
        self._schedule_screenshot()

    def _render_banner(self, view: View) -> None:
        if not view.stale:
            self.banner = ""
        else:
            self.banner = self.text.get("stale" if view.ever_fresh else "connecting")

    def _render_clock(self) -> None:
        moment = self.state.local_time()
        if moment is not None:
            self.time_text = self.text.time(moment)
            self.date_text = self.text.date(moment)

    def _render_latest(self, view: View) -> None:
        t, call = self.text, view.latest
        if call is None:
            self.latest_number, self.latest_counter = "", ""
            self.latest_service = t.get("waiting_none")
        else:
            self.latest_number = call.number
            self.latest_counter = t.get("counter", counter=call.counter).upper()
            self.latest_service = t.with_priority(call.priority,
                                                  self.state.service_name(call.service))
        self.recent = [{"number": c.number, "counter": str(c.counter)} for c in view.recent]

    def _render_counters(self, view: View) -> None:
        t = self.text
        # A paused counter's tile says so (even while it finishes a ticket: it calls nobody).
        self.tiles = [{"counter": str(c.counter),
                       "number": t.get("paused") if c.paused else c.number or t.get("idle"),
                       "note": t.get("paused") if c.paused else ""} for c in view.counters]
        self._render_pages(view)
        if view.counters:
            mine = view.counters[0]
            self.counter_name = t.get("counter", counter=mine.counter).upper()
            self.counter_agency = mine.agency
            self.counter_number = mine.number or t.get("paused" if mine.paused else "idle")
            self.counter_service = mine.service or ""
            # Paused while still serving a ticket: the number stays, the state is said.
            self.counter_status = t.get("paused").upper() if mine.paused and mine.number \
                else ""

    def _render_pages(self, view: View) -> None:
        """The tiles of the page showing now: as many per page as keep every number at
        least TILE_MM tall on a 50" panel (display/layout.py), pages turned by the hub's
        clock."""
        width, height = self.root.size if self.root else (0, 0)
        cap = cap_ratio("Roboto", True)
        grid = plan_grid(len(view.counters), *self.tiles_box, self._number_em,
                         min_font=px_for_mm(TILE_MM, width, height) / cap,
                         max_font=px_for_mm(TILE_MAX_MM, width, height) / cap)
        page = page_at(self.state.hub_now_ms(), grid.pages)
        self._page = (page, grid.pages)
        self.grid_cols, self.grid_row_px = grid.cols, grid.row_px
        self.page_tiles = page_items(list(self.tiles), grid, page)
        shown = page_items(list(view.counters), grid, page)
        self.page_text = self.text.get(
            "page", first=shown[0].counter, last=shown[-1].counter, page=page + 1,
            pages=grid.pages) if grid.pages > 1 and shown else ""

    def _start_flash(self) -> None:
        # Two crisp states (normal / inverted) swapped twice a second: always readable,
        # and only two redraws a second (a smooth fade would redraw every frame).
        if self._flash_event is not None:
            self._flash_event.cancel()
        self._flash_until = Clock.get_boottime() + FLASH_S
        self.flash = 1
        self._flash_event = Clock.schedule_interval(self._flash_step, FLASH_STEP_S)

    def _flash_step(self, dt) -> bool:
        if Clock.get_boottime() >= self._flash_until:
            self.flash, self._flash_event = 0, None
            return False
        self.flash = 1 - self.flash
        return True

    # ---- screenshots (--screenshot): the screen as PNG and its texts as JSON -------------
    def shown(self) -> dict:
        """What the screen says, as plain data (written next to each screenshot)."""
        shown = {k: getattr(self, k) for k in (
            "banner", "time_text", "date_text", "latest_number", "latest_counter",
            "latest_service", "counter_name", "counter_number", "counter_service",
            "counter_status", "running_text", "page_text")}
        shown["tiles"], shown["recent"] = list(self.tiles), list(self.recent)
        shown["page_tiles"] = list(self.page_tiles)
        shown["page"], shown["pages"] = self._page
        shown["size"] = list(self.root.size) if self.root else None
        fitted = [w for w in self.root.walk() if isinstance(w, (WholeLabel, FitText))
                  and w.text.strip()] if self.root else []
        # Texts larger than their box (never, by design): a self-check tests read.
        numbers = [w for w in fitted if isinstance(w, WholeLabel)]
        shown["numbers"] = sorted(w.text for w in numbers)
        shown["numbers_cut"] = sorted(w.text for w in fitted if w.cut)
        # How tall each kind of text is drawn: the smallest capital of each role, in px and
        # in mm on a 50" panel showing this screen (docs/display.md).
        heights: dict[str, float] = {}
        for w in fitted:
            if w.role:
                heights[w.role] = min(heights.get(w.role, 1e9), cap_height(w))
        pitch = mm_per_px(*self.root.size) if self.root else 0
        shown["heights_px"] = {k: round(v, 1) for k, v in sorted(heights.items())}
        shown["heights_mm"] = {k: round(v * pitch, 1) for k, v in sorted(heights.items())}
        shown["texts"] = {}
        for w in fitted:
            shown["texts"].setdefault(w.role or "-", []).append(w.text)
        return shown

    def _schedule_screenshot(self) -> None:
        if self.screenshot_path is None or self.root is None or self._shot_event is not None:
            return
        if self.shown() != self._last_shot:
            # Wait for the frame that shows the change (layout and texture updates first).
            self._shot_event = Clock.schedule_once(self._take_screenshot, 0.3)

    def _layout_now(self) -> tuple:
        return tuple((w.text, tuple(w.pos), tuple(w.size), w.font_size)
                     for w in self.root.walk() if isinstance(w, (WholeLabel, FitText)))

    def _take_screenshot(self, dt) -> None:
        # Only a settled screen: the same texts, places and sizes as 0.3 s ago (a resize or
        # a new page lays out over a few frames).
        self._shot_event = None
        layout = self._layout_now()
        if layout != self._shot_layout:
            self._shot_layout = layout
            self._shot_event = Clock.schedule_once(self._take_screenshot, 0.3)
            return
        path, shown = self.screenshot_path, self.shown()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.stem}.tmp.png")
            self.root.export_to_png(str(tmp))
            os.replace(tmp, path)
            text_tmp = path.with_name(f".{path.stem}.tmp.json")
            text_tmp.write_text(json.dumps(shown, ensure_ascii=False, indent=1))
            os.replace(text_tmp, path.with_suffix(".json"))
            self._last_shot = shown
        except OSError as e:
            log.error("screenshot %s failed: %s", path, e)

    def _errors(self) -> list[str]:
        if self.device.speak and self.voice is None:
            return ["voice unavailable: calls are shown but not spoken"]
        if self.voice is not None and not self.voice.running:
            return ["announcer stopped: calls are shown but not spoken"]
        if self.voice is not None and self.voice.last_error:
            return [f"voice failing: {self.voice.last_error}"]
        return []

    def _report_health(self) -> None:
        """Publish health when what it says changed (a sink that starts or stops failing):
        a mute display must not look healthy to `antrean status`."""
        fields = {"errors": self._errors(), "layout": self.device.layout}
        if fields != self._health_sent:
            self._health_sent = fields
            self.client.set_health(fields)


# ---- entry point ---------------------------------------------------------------------------
def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="antrean display",
        description="Run a hall display (every counter, latest calls, voice) or a counter "
                    "display (one big number), as the site config says for --device.")
    p.add_argument("--config", required=True, help="the site config file (TOML)")
    p.add_argument("--device", required=True, help="this display's id in the site config")
    p.add_argument("--host", default="127.0.0.1", help="broker host (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=1883, help="broker port (default 1883)")
    p.add_argument("--windowed", metavar="WxH",
                   help="a window of this size instead of full screen, e.g. 800x480")
    p.add_argument("--screenshot", metavar="PATH", type=Path,
                   help="after every change, save the screen as PNG here (texts in .json)")
    p.add_argument("--screenshots", metavar="DIR", type=Path,
                   help="like --screenshot, as DIR/<device>.png")
    p.add_argument("--audio", metavar="BACKEND[:ARG]",
                   help="aplay[:ALSA device] | file:FOLDER | null (default: aplay on the "
                        "config's audio_device, or null when speak = false)")
    p.add_argument("--running-text", choices=("auto", "scroll", "page"), default="auto",
                   help="scroll the running text, or show it a sentence at a time (auto: "
                        "page on software OpenGL, where scrolling costs a CPU core)")
    p.add_argument("--memory", metavar="PATH", type=Path,
                   help="file remembering the last announced call (default: "
                        "$STATE_DIRECTORY or ~/.local/state/antrean/<device>-announced.json)")
    p.add_argument("--max-age", metavar="S", type=float, default=60.0,
                   help="never announce a call older than this many seconds (default 60)")
    p.add_argument("--stale-after", metavar="S", type=float, default=5.0,
                   help="show 'not up to date' when the hub is silent this long (default 5)")
    add_login_arguments(p)
    return p.parse_args(argv)


def open_voice(display, audio: str | None, max_age_s: float, clock: HubClock):
    """The announcement queue, or None when this display is silent or cannot speak."""
    spec = audio or (f"aplay:{display.audio_device}" if display.speak else "null")
    backend, _, arg = spec.partition(":")
    if backend == "null" or not display.speak:
        return None
    from display.player import VoiceConfig, open_voice as _open
    config = VoiceConfig(languages=(display.language,), backend=backend,
                         device=arg or display.audio_device,
                         folder=arg if backend == "file" else None, max_age_s=max_age_s)
    try:
        return _open(config, clock=lambda: clock.now_ms() / 1000)
    except AntreanError as e:
        log.error("no voice: %s", e)
        return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    from antrean.config import device_of, load_site   # the TOML loader; only the app needs it
    site = load_site(args.config)
    display = device_of(site, "display", args.device, args.config)
    password = own_password(display.id, args.device_config, args.password_file)
    tls_ca = own_tls_ca(site.broker_tls, args.tls_ca, args.device_config)
    settings = DisplaySettings.of(site, display, max_age_s=args.max_age,
                                  stale_after_s=args.stale_after)
    configure_window(window_size(args.windowed) if args.windowed else None, max_fps=MAX_FPS)
    shot = args.screenshot or (args.screenshots / f"{display.id}.png" if args.screenshots
                               else None)
    memory = AnnounceMemory(args.memory or default_path(display.id))
    app = DisplayApp(site=site, display=display, settings=settings, password=password,
                     tls_ca=tls_ca,
                     host=args.host,
                     port=args.port, memory=memory, screenshot=shot,
                     running_text_mode=args.running_text)
    app.voice = open_voice(display, args.audio, args.max_age, app.hub_clock)
    app.run()
    return 0
