"""Runs the real kiosk (``antrean kiosk ...``) in this process and taps it like a visitor.

    python -m tests.kiosk.kiosk_driver STEPS_JSON -- KIOSK ARGS...

Each step waits for a condition or taps a widget with Kivy's ``UnitTestTouch`` (a touch that
goes through the window, the screen manager and the scroll views like a finger's). After each
step one JSON line goes to stdout, so the test follows along. Steps:

    {"wait": "screen", "is": "done"}        the shown screen
    {"wait": "online"} / {"wait": "offline"}
    {"wait": "known"}                       every offered service's state.service arrived
    {"wait": "notice"}                      a printer problem is shown on home
    {"wait": "leased", "service": "AKTA"}   the kiosk holds leased numbers for that service
    {"wait": "file", "path": "/p/go"}       the test created that file (it changed the world)
    {"tap": "agency", "id": "dukcapil"}     an agency tile (or "service", "priority" kinds,
    {"tap": "text", "text": "English"}      or any button by its text)
    {"shot": "/path.png"}                   the window as drawn, after the next frame
    {"seek": "agencies", "id": "dukcapil"}  Next or Previous tapped until the tile is shown
    {"walk": "agencies", "shots": "/p/x"}   every page of a list, Next tapped until the last;
                                            reports each page's tiles as drawn (tile_report)
                                            and shoots pages 1, 2 and the last as x-p<N>.png
    {"quit": true}

Conditions are checked on Kivy's clock every 50 ms, each with a 20 s limit.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import time
from zoneinfo import ZoneInfo

os.environ.setdefault("KIVY_NO_ARGS", "1")
# Before Kivy: its import would claim the root logger and hide the kiosk's own log.
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402

STEP_LIMIT_S = 20.0


def say(**fields) -> None:
    print(json.dumps(fields), flush=True)


def state(app) -> dict:
    return {"screen": app.screen, "offline": app.offline, "number": app.result_number,
            "lines": app.result_lines, "priority": app.result_priority,
            "note": app.result_note, "error_title": app.error_title,
            "error_text": app.error_text, "notice": app.notice, "lang": app.lang,
            "agencies": list(app.agency_tiles), "services": list(app.service_tiles),
            "agency_name": app.agency_name, "service_name": app.service_name,
            "group_name": app.group_name,
            "size": list(app.root.size) if app.root else None,
            "names": names_shown(app) if app.root else []}


def names_shown(app) -> list[dict]:
    """Every name label of the screen shown: the whole name, the lines it shows, its box
    and whether those lines fit it (measured in its own font)."""
    try:
        screen = shown_screen(app).current_screen
    except StopIteration:
        return []
    return [{"full": w.full_text, "shown": w.text, "height": round(w.height, 1),
             "font": round(w.font_size, 1), "fits": _lines_fit(w)}
            for w in screen.walk(restrict=True) if w.__class__.__name__ == "NameLabel"
            and w.full_text and _on_screen(w)]


def _on_screen(w) -> bool:
    return w.get_root_window() is not None and w.width > 1 and w.opacity > 0


def leased(app, service: str) -> int:
    day = dt.datetime.fromtimestamp(app.hub_clock.now_ms() / 1000,
                                    ZoneInfo(app.site.timezone)).date().isoformat()
    return app.outbox.numbers_left(service, day)


def known(app) -> bool:
    """Each service's state comes on its own topic: wait for all the kiosk offers, and for
    the lists drawn from them (once per frame), so what the test reads next does not depend
    on which arrived first."""
    return all(s in app.catalog.queues for s in app.catalog.service_ids) and app.lists_current


def tile_id(t) -> str | None:
    """A tile's id, from its widget or its data: an agency's or a service's id, or
    "group:<group>" for a group of services."""
    get = t.get if isinstance(t, dict) else lambda k: getattr(t, k, None)
    if get("group"):
        return f"group:{get('group')}"
    return get("agency_id") or get("service_id")


def box(w) -> list[float]:
    x, y = w.to_window(w.x, w.y)
    return [round(x, 1), round(y, 1), round(w.width, 1), round(w.height, 1)]


def shown_screen(app):
    return app.root.ids.get("screens") or next(
        w for w in app.root.walk() if w.__class__.__name__ == "KioskScreens")


def tile_report(app) -> dict:
    """The page of tiles as a visitor sees it: where the tile area is, each tile's box, its
    full tile name and the lines its name label shows (at what share of its font)."""
    screen = shown_screen(app).current_screen
    area = next(w for w in screen.walk() if w.__class__.__name__ == "TilePage")
    bar = next(w for w in screen.walk() if w.__class__.__name__ == "PageBar")
    tiles = []
    for w in area.walk(restrict=True):
        ident = tile_id(w)
        if w.__class__.__name__ not in ("AgencyTile", "ServiceTile", "GroupTile") or not ident:
            continue
        name = next(n for n in w.walk(restrict=True) if n.__class__.__name__ == "NameLabel")
        tiles.append({"id": ident, "title": w.title, "shown": name.text,
                      "font_share": round(name.font_size / name.base_size, 3),
                      "name_fits": _lines_fit(name), "box": box(w)})
    kind = area.kind
    name = "agency" if kind == "agencies" else "service"
    return {"kind": kind, "page": getattr(app, f"{name}_page"),
            "pages": getattr(app, f"{name}_pages"),
            "label": getattr(app, f"{name}_page_label"), "area": box(area),
            "per_page": app._grids[kind].per_page, "cols": app._grids[kind].cols,
            "bar": {"shown": bar.opacity > 0 and bar.height > 0, "box": box(bar),
                    "fits": all(_fits(w) for w in bar.children)},
            "tiles": tiles}


def _lines_fit(label) -> bool:
    """Every line of the label, measured in its own font, inside its box: a label whose text
    box is its size draws a texture of that size and silently drops what does not fit."""
    from kivy.core.text import Label as CoreLabel
    probe = CoreLabel(font_size=label.font_size, bold=label.bold, font_name=label.font_name)
    lines = label.text.split("\n")
    width = max(probe.get_extents(line)[0] for line in lines)
    height = len(lines) * probe.get_extents("Ag")[1] * label.line_height
    # and every line drawn: Kivy's own layout (private, read only here) drops lines it
    # decides have no room, e.g. the third of a middle-aligned label 3 lines tall
    label.texture_update()
    drawn = len(label._label._cached_lines)
    return width <= label.width and height <= label.height and drawn == len(lines)


def _fits(w) -> bool:
    """A label or button shows all its text inside its own box."""
    if not getattr(w, "text", ""):
        return True
    w.texture_update()
    tw, th = w.texture_size
    return tw <= w.width + 1 and th <= w.height + 1


def settled(app, kind: str) -> bool:
    """The page shown is drawn: its tiles are the app's page tiles, each with its name."""
    key = "agency_page_tiles" if kind == "agencies" else "service_page_tiles"
    want = [tile_id(t) for t in getattr(app, key)]
    try:
        got = tile_report(app)["tiles"]
    except StopIteration:
        return False
    return [t["id"] for t in got] == want and all(t["shown"] for t in got)


def find(root, step: dict):
    kind = step["tap"]
    for w in root.walk(restrict=True):
        if kind == "agency" and getattr(w, "agency_id", None) == step["id"]:
            return w
        if kind == "service" and getattr(w, "service_id", None) == step["id"]:
            return w
        if kind == "group" and getattr(w, "group", None) == step["id"] and \
                w.__class__.__name__ == "GroupTile":
            return w
        if kind == "text" and getattr(w, "text", None) == step["text"] and \
                hasattr(w, "trigger_action"):
            return w
    return None


class Driver:
    def __init__(self, steps: list[dict]):
        self.steps, self.i, self.started = steps, 0, time.monotonic()
        self.shot_pending = False
        self.walked: list[dict] = []
        self.calm = 0              # ticks the walked page has looked the same
    def tick(self, dt) -> None:
        app = App.get_running_app()
        if app is None or app.root is None or self.shot_pending:
            return
        if self.i >= len(self.steps):
            return
        step = self.steps[self.i]
        at = time.time()           # for taps: the moment the finger came down
        if self.run(app, step):
            say(step=self.i, ok=True, at=at, **state(app),
                **({"pages_seen": step["pages_seen"]} if "pages_seen" in step else {}))
            self.i, self.started = self.i + 1, time.monotonic()
        elif time.monotonic() - self.started > STEP_LIMIT_S:
            say(step=self.i, ok=False, failed=step, **state(app))
            app.stop()

    def run(self, app, step: dict) -> bool:
        if "wait" in step:
            what = step["wait"]
            return {"screen": lambda: app.screen == step.get("is"),
                    "online": lambda: not app.offline, "offline": lambda: app.offline,
                    "known": lambda: known(app),
                    "notice": lambda: bool(app.notice),
                    "leased": lambda: leased(app, step["service"]) > 0,
                    "file": lambda: os.path.exists(step.get("path", ""))}[what]()
        if "tap" in step:
            widget = find(app.root, step)
            if widget is None or widget.disabled:
                return False
            x, y = widget.to_window(*widget.center)
            touch = UnitTestTouch(x, y)
            touch.touch_down()
            touch.touch_up()
            return True
        if "shot" in step:
            # Once the layout has settled: the same names in the same boxes for three ticks
            # (a label that grows after the first frame showed a line short in a shot).
            now = json.dumps(names_shown(app))
            self.calm = self.calm + 1 if now == getattr(self, "_last_names", None) else 0
            self._last_names = now
            if self.calm < 3:
                return False
            self.calm = 0
            self.grab(step["shot"])
            return True
        if "walk" in step:
            return self.walk(app, step)
        if "seek" in step:
            return self.seek(app, step)
        if "quit" in step:
            app.stop()
            return True
        raise ValueError(f"unknown step {step}")


    def grab(self, path: str) -> None:
        from kivy.core.window import Window
        self.shot_pending = True

        def grab(window):
            window.unbind(on_flip=grab)
            written = window.screenshot(name=path + ".tmp.png")
            os.replace(written, path)
            self.shot_pending = False
        Window.bind(on_flip=grab)
        Window.canvas.ask_update()

    def press(self, app, text: str) -> None:
        button = next(w for w in shown_screen(app).current_screen.walk()
                      if getattr(w, "text", None) == text)
        x, y = button.to_window(*button.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()

    def seek(self, app, step: dict) -> bool:
        """Through the pages, as a visitor would, until the tile is shown."""
        if not settled(app, step["seek"]):
            self.calm = 0
            return False
        self.calm += 1
        if self.calm < 3:
            return False
        self.calm = 0
        report = tile_report(app)
        if any(t["id"] == step["id"] for t in report["tiles"]):
            return True
        every = app.agency_tiles if step["seek"] == "agencies" else app.service_tiles
        where = [tile_id(t) for t in every].index(step["id"]) // report["per_page"] + 1
        self.press(app, app.s["next" if where > report["page"] else "previous"])
        return False

    def walk(self, app, step: dict) -> bool:
        """One tick of walking a list's pages; True once the last page is recorded."""
        kind = step["walk"]
        if not settled(app, kind):
            self.calm = 0
            return False
        self.calm += 1
        if self.calm < 3:          # laid out for a few frames: sizes are final
            return False
        self.calm = 0
        report = tile_report(app)
        if not self.walked or self.walked[-1]["page"] != report["page"]:
            # a new page: record it, and shoot it before anything is tapped
            self.walked.append(report)
            self.started = time.monotonic()     # the step's time limit counts per page
            n = report["page"]
            if step.get("shots") and (n <= 2 or n == report["pages"]):
                self.grab(f"{step['shots']}-p{n}.png")
                return False
        if report["page"] == report["pages"]:
            step["pages_seen"], self.walked = self.walked, []
            return True
        self.press(app, app.s["next"])
        return False


def main() -> int:
    steps = json.loads(sys.argv[1])
    argv = sys.argv[sys.argv.index("--") + 1:]
    driver = Driver(steps)
    Clock.schedule_interval(driver.tick, 0.05)
    from antrean.cli import main as cli
    return cli(["kiosk", *argv])


if __name__ == "__main__":
    sys.exit(main())
