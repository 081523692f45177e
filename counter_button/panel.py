"""The "Tombol Loket" window of ``antrean counter --virtual``: a virtual button box.

Each on-screen button drives its MockFactory pin low while pressed and high on release, and
each drawn LED mirrors its mock LED pin, so the newcomer exercises the code path of the
real box (gpiozero, keypad, loop, MQTT). Keys: 1-9 select a counter, n / r / s / p press
NEXT / RECALL / SKIP / PAUSE on it. Layout is in panel.kv; decisions stay in the core.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

os.environ.setdefault("KIVY_NO_ARGS", "1")     # our argv belongs to argparse

from kivy.config import Config  # noqa: E402

Config.set("graphics", "width", "720")
Config.set("graphics", "height", "420")
Config.set("graphics", "maxfps", "30")
Config.set("kivy", "exit_on_escape", "0")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.properties import (BooleanProperty, DictProperty, NumericProperty,  # noqa: E402
                             StringProperty)
from kivy.uix.boxlayout import BoxLayout  # noqa: E402

from .console import Console  # noqa: E402
from .finger import KEYS, counter_for, stroke  # noqa: E402
from .strings import text  # noqa: E402

MIRROR_S = 1 / 30       # how often the drawn LEDs copy the mock LED pins


class CounterRow(BoxLayout):
    """One counter: its name, its LED and its buttons (panel.kv draws it)."""

    counter = NumericProperty(0)
    title = StringProperty("")
    lit = BooleanProperty(False)
    selected = BooleanProperty(False)
    labels = DictProperty({})
    wired = DictProperty({})    # button -> True when it can be pressed on this counter


class PanelRoot(BoxLayout):
    title = StringProperty("")
    keys = StringProperty("")

    def add_row(self, row: CounterRow) -> None:
        self.ids.rows.add_widget(row)


class PanelApp(App):
    """Kivy auto-loads panel.kv (the name of this class minus "App")."""

    def __init__(self, box, factory, lang: str = "id", screenshot: Path | None = None,
                 lines=None, console: Console | None = None, **kw):
        super().__init__(**kw)
        self.box, self.factory, self.lang = box, factory, lang
        self.console = console or Console()
        self.screenshot, self.lines = screenshot, lines
        self.title = text(lang, "title") + f" - {box.config.id}"
        self.selected = box.counters[0]
        self.rows: dict[int, CounterRow] = {}
        self._strokes: dict[tuple[int, str], object] = {}

    def build(self):
        root = PanelRoot(title=f"{text(self.lang, 'title')} ({self.box.config.id})",
                         keys=text(self.lang, "keys"))
        labels = {k: text(self.lang, k) for k in KEYS.values()}
        for pins in self.box.wiring:
            wired = {k: stroke(pins, k, self.box.hold_time) is not None for k in KEYS.values()}
            row = CounterRow(counter=pins.counter, labels=labels, wired=wired,
                             title=text(self.lang, "counter", counter=pins.counter),
                             selected=pins.counter == self.selected)
            self.rows[pins.counter] = row
            root.add_row(row)
        Window.bind(on_key_down=self._on_key)
        Clock.schedule_interval(self._mirror, MIRROR_S)
        if self.lines is not None:
            threading.Thread(target=self._read_lines, daemon=True, name="panel-stdin").start()
        if self.screenshot:
            Clock.schedule_once(lambda dt: self._shoot(), 0.5)
        return root

    # ---- verbs for panel.kv ------------------------------------------------------------------

    def finger_down(self, counter: int, kind: str) -> None:
        self.select(counter)
        press = stroke(self._pins(counter), kind, self.box.hold_time)
        if press is None:
            return
        if kind == "skip" and self._pins(counter).skip is None:
            self._tap(counter, kind)        # a long RECALL, whatever the click's length
            return
        self.factory.pin(press.pin).drive_low()

    def finger_up(self, counter: int, kind: str) -> None:
        press = stroke(self._pins(counter), kind, self.box.hold_time)
        if press is None or (kind == "skip" and self._pins(counter).skip is None):
            return
        self.factory.pin(press.pin).drive_high()

    def select(self, counter: int) -> None:
        self.selected = counter
        for c, row in self.rows.items():
            row.selected = c == counter

    # ---- internals ---------------------------------------------------------------------------

    def _pins(self, counter: int):
        return next(p for p in self.box.wiring if p.counter == counter)

    def _tap(self, counter: int, kind: str) -> None:
        press = stroke(self._pins(counter), kind, self.box.hold_time)
        if press is None or (counter, kind) in self._strokes:
            return
        pin = self.factory.pin(press.pin)
        pin.drive_low()

        def release(dt):
            pin.drive_high()
            self._strokes.pop((counter, kind), None)

        self._strokes[(counter, kind)] = Clock.schedule_once(release, press.hold_s)

    def _on_key(self, window, key, scancode, codepoint, modifiers):
        ch = (codepoint or "").lower()
        if ch.isdigit() and ch != "0":
            found = counter_for(ch, self.box.counters)
            if found is not None:
                self.select(found)
            return True
        if ch in KEYS:
            self._tap(self.selected, KEYS[ch])
            return True
        return False

    def _read_lines(self) -> None:
        # The same keys as typed in the window, one line at a time ("1n"): for the headless
        # demo and the tests. Each key is handed to Kivy's thread.
        for line in self.lines:
            for ch in line.strip():
                Clock.schedule_once(lambda dt, ch=ch: self._key(ch))

    def _key(self, ch: str) -> None:
        self._on_key(None, 0, 0, ch, [])

    def _mirror(self, dt) -> None:
        changed = False
        for counter, row in self.rows.items():
            lit = self.box.gpio.lit(counter)
            changed |= lit != row.lit
            row.lit = lit
        if changed and self.screenshot:
            Clock.schedule_once(lambda dt: self._shoot(), 0)   # after the frame is drawn

    def _shoot(self) -> None:
        """Save the window as PNG, and what it shows as JSON next to it (one line on stdout)."""
        # Kivy numbers screenshots (name0001.png); keep the one name the user asked for.
        made = Window.screenshot(name=str(self.screenshot.resolve()))
        if made and Path(made).exists():
            Path(made).replace(self.screenshot)
        shown = {"title": self.root.title, "selected": self.selected,
                 "lit": {str(c): row.lit for c, row in self.rows.items()}}
        self.screenshot.with_suffix(".json").write_text(json.dumps(shown))
        self.console.say("panel " + json.dumps(shown))


def run_panel(box, factory, lang: str = "id", screenshot: Path | None = None,
              lines=None, console: Console | None = None) -> None:
    PanelApp(box, factory, lang, screenshot, lines, console).run()

