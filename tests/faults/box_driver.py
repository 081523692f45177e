"""The mini hall's button box ``box-1`` as a process of its own, for tests that run it inside a
network namespace: the real CounterBox on gpiozero MockFactory pins, driven over stdin.

``python -m tests.faults.box_driver SITE.toml HOST PORT``. Input lines:
``tap PIN`` (press and release a button), ``sync`` (answered from the box's own loop, so every
edge before it has been handled), ``status``. Output: one JSON object per line:
``{"led": counter, "pattern": p}`` for every LED change, ``{"synced": n}``, ``{"status": ...}``.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from antrean.config import load_site
from counter_button.app import CounterBox

FINGER_S = 0.1      # a finger rests this long on the button (physical time)


def main(argv: list[str]) -> int:
    site = load_site(argv[0])
    out = threading.Lock()

    def say(obj: dict) -> None:
        with out:
            print(json.dumps(obj), flush=True)

    factory = MockFactory()
    password = Path(argv[3]).read_text().strip()
    box = CounterBox(site, "box-1", password=password, host=argv[1], port=int(argv[2]),
                     pin_factory=factory,
                     hold_time=0.3, on_led=lambda c, p: say({"led": c, "pattern": p.value}))
    box.start()
    finger = threading.Event()
    try:
        for n, line in enumerate(sys.stdin):
            cmd, *args = line.split()
            if cmd == "tap":
                pin = factory.pin(int(args[0]))
                pin.drive_low()
                finger.wait(FINGER_S)
                pin.drive_high()
                finger.wait(FINGER_S)
            elif cmd == "sync":
                box.controller.put(lambda n=n: say({"synced": n}))
            elif cmd == "status":
                box.controller.put(lambda: say({"status": {
                    "online": box.core.online(time.monotonic()),
                    "counters": box.core.status(time.monotonic())}}))
    finally:
        box.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
