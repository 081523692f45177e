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
    {"tap": "agency", "id": "dukcapil"}     an agency tile (or "service", "priority" kinds,
    {"tap": "text", "text": "English"}      or any button by its text)
    {"shot": "/path.png"}                   the window as drawn, after the next frame
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
            "lines": app.result_lines, "priority": app.result_priority, "note": app.result_note, "error_title": app.error_title,
            "error_text": app.error_text, "notice": app.notice, "lang": app.lang,
            "agencies": list(app.agency_tiles), "services": list(app.service_tiles),
            "size": list(app.root.size) if app.root else None}


def leased(app, service: str) -> int:
    day = dt.datetime.fromtimestamp(app.hub_clock.now_ms() / 1000,
                                    ZoneInfo(app.site.timezone)).date().isoformat()
    return app.outbox.numbers_left(service, day)


def known(app) -> bool:
    """Each service's state comes on its own topic: wait for all the kiosk offers, and for
    the lists drawn from them (once per frame), so what the test reads next does not depend
    on which arrived first."""
    return all(s in app.catalog.queues for s in app.catalog.service_ids) and app.lists_current


def find(root, step: dict):
    kind = step["tap"]
    for w in root.walk(restrict=True):
        if kind == "agency" and getattr(w, "agency_id", None) == step["id"]:
            return w
        if kind == "service" and getattr(w, "service_id", None) == step["id"]:
            return w
        if kind == "text" and getattr(w, "text", None) == step["text"] and \
                hasattr(w, "trigger_action"):
            return w
    return None


class Driver:
    def __init__(self, steps: list[dict]):
        self.steps, self.i, self.started = steps, 0, time.monotonic()
        self.shot_pending = False

    def tick(self, dt) -> None:
        app = App.get_running_app()
        if app is None or app.root is None or self.shot_pending:
            return
        if self.i >= len(self.steps):
            return
        step = self.steps[self.i]
        at = time.time()           # for taps: the moment the finger came down
        if self.run(app, step):
            say(step=self.i, ok=True, at=at, **state(app))
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
                    "leased": lambda: leased(app, step["service"]) > 0}[what]()
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
            from kivy.core.window import Window
            self.shot_pending = True

            def grab(window):
                window.unbind(on_flip=grab)
                written = window.screenshot(name=step["shot"] + ".tmp.png")
                os.replace(written, step["shot"])
                self.shot_pending = False
            Window.bind(on_flip=grab)
            Window.canvas.ask_update()
            return True
        if "quit" in step:
            app.stop()
            return True
        raise ValueError(f"unknown step {step}")


def main() -> int:
    steps = json.loads(sys.argv[1])
    argv = sys.argv[sys.argv.index("--") + 1:]
    driver = Driver(steps)
    Clock.schedule_interval(driver.tick, 0.05)
    from antrean.cli import main as cli
    return cli(["kiosk", *argv])


if __name__ == "__main__":
    sys.exit(main())
