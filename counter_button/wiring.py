"""Which GPIO pin does what, read from the site config's ``button_boxes.pins`` and checked.

``[button_boxes.pins] 1 = { next = 17, recall = 27, skip = 22, pause = 6, led = 23 }``:
BCM pin numbers per counter. NEXT, RECALL and the LED are required; SKIP and PAUSE are
optional (SKIP is also a long press on RECALL). Buttons connect the pin to ground (the Pi's
internal pull-up is used); the LED goes from the pin through a resistor to ground. Which
numbers are allowed, and the check itself, live in :mod:`antrean.pins`: ``antrean config
check`` runs the same one.
"""
from __future__ import annotations

from dataclasses import dataclass

from antrean.errors import ConfigError
from antrean.pins import USABLE, pin_problems
from antrean.site import ButtonBox

# The wiring plan of the example halls, used by ``--virtual`` when a box lists no pins.
VIRTUAL_PLAN = (
    {"next": 17, "recall": 27, "skip": 22, "led": 23},
    {"next": 5, "recall": 6, "skip": 13, "led": 19},
    {"next": 16, "recall": 20, "skip": 21, "led": 26},
    {"next": 24, "recall": 25, "skip": 12, "led": 18},
)


@dataclass(frozen=True)
class CounterPins:
    counter: int
    next: int
    recall: int
    led: int
    skip: int | None = None
    pause: int | None = None

    def buttons(self) -> dict[str, int]:
        """Button name -> pin, only those wired."""
        named = {"next": self.next, "recall": self.recall, "skip": self.skip,
                 "pause": self.pause}
        return {k: v for k, v in named.items() if v is not None}


def pins_of(box: ButtonBox, *, source: str = "", virtual: bool = False) -> list[CounterPins]:
    """The checked wiring of every counter of ``box``: :func:`antrean.pins.pin_problems`,
    the check ``antrean config check`` makes too, raised as ConfigErrors. With ``virtual``,
    a counter without pins gets the example plan and a missing PAUSE gets a spare pin, so
    the demo panel shows every button (SKIP stays a long press on RECALL where no pin is
    wired)."""
    pins = dict(box.pins)
    if virtual:
        for n, counter in enumerate(box.counters):
            if pins.get(str(counter), pins.get(counter)) is None:
                pins[str(counter)] = VIRTUAL_PLAN[n] if n < len(VIRTUAL_PLAN) else {}
    problems = pin_problems(pins, box.counters)
    if problems:
        where = f"button_boxes[{box.id}].pins"
        errors = [ConfigError(p.message, source, key=".".join((where, *p.key)))
                  for p in problems]
        if len(errors) == 1:
            raise errors[0]
        err = ConfigError(f"{len(errors)} problems:\n" + "\n".join(map(str, errors)), source,
                          key=where)
        err.problems = errors
        raise err
    out = []
    for counter in box.counters:
        raw = pins.get(str(counter), pins.get(counter))
        out.append(CounterPins(counter, raw["next"], raw["recall"], raw["led"], raw.get("skip"),
                               raw.get("pause")))
    return _fill_virtual(out) if virtual else out


def _fill_virtual(pins: list[CounterPins]) -> list[CounterPins]:
    used = {pin for p in pins for pin in (*p.buttons().values(), p.led)}
    spare = [p for p in USABLE if p not in used]
    out = []
    for p in pins:
        pause = p.pause if p.pause is not None or not spare else spare.pop(0)
        out.append(CounterPins(p.counter, p.next, p.recall, p.led, p.skip, pause))
    return out
