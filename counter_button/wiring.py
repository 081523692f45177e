"""Which GPIO pin does what, read from the site config's ``button_boxes.pins`` and checked.

``[button_boxes.pins] 1 = { next = 17, recall = 27, skip = 22, pause = 6, led = 23 }``:
BCM pin numbers per counter. NEXT, RECALL and the LED are required; SKIP and PAUSE are
optional (SKIP is also a long press on RECALL). Buttons connect the pin to ground (the Pi's
internal pull-up is used); the LED goes from the pin through a resistor to ground.
"""
from __future__ import annotations

from dataclasses import dataclass

from antrean.errors import ConfigError
from antrean.site import ButtonBox

REQUIRED = ("next", "recall", "led")
OPTIONAL = ("skip", "pause")
BCM_GPIOS = range(2, 28)      # GPIO2..GPIO27 on the 40-pin header

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
    """The checked wiring of every counter of ``box``. With ``virtual``, a counter without
    pins gets the example plan and a missing PAUSE gets a spare pin, so the demo panel
    shows every button (SKIP stays a long press on RECALL where no pin is wired)."""
    where = f"button_boxes[{box.id}].pins"
    out, used = [], {}
    for n, counter in enumerate(box.counters):
        raw = box.pins.get(str(counter)) or box.pins.get(counter)
        if raw is None:
            if not virtual:
                raise ConfigError(f"no pins for counter {counter}; add e.g. "
                                  f"{counter} = {{ next = 17, recall = 27, led = 23 }}",
                                  source, key=where)
            raw = VIRTUAL_PLAN[n] if n < len(VIRTUAL_PLAN) else {}
        pins = _checked(counter, raw, f"{where}.{counter}", source)
        out.append(pins)
        for name, pin in (*pins.buttons().items(), ("led", pins.led)):
            if pin in used:
                raise ConfigError(f"pin {pin} is used twice ({used[pin]} and counter {counter} "
                                  f"{name})", source, key=where)
            used[pin] = f"counter {counter} {name}"
    return _fill_virtual(out, used) if virtual else out


def _checked(counter: int, raw, where: str, source: str) -> CounterPins:
    if not isinstance(raw, dict):
        raise ConfigError("must be a table like { next = 17, recall = 27, led = 23 }",
                          source, key=where)
    unknown = set(raw) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))}; known: "
                          f"{', '.join(REQUIRED + OPTIONAL)}", source, key=where)
    for name in REQUIRED + OPTIONAL:
        value = raw.get(name)
        if value is None and name in OPTIONAL:
            continue
        if value is None:
            raise ConfigError(f"{name} pin is missing", source, key=f"{where}.{name}")
        if isinstance(value, bool) or not isinstance(value, int) or value not in BCM_GPIOS:
            raise ConfigError(f"{name} must be a BCM GPIO number 2-27, not {value!r}",
                              source, key=f"{where}.{name}")
    return CounterPins(counter, raw["next"], raw["recall"], raw["led"], raw.get("skip"),
                       raw.get("pause"))


def _fill_virtual(pins: list[CounterPins], used: dict) -> list[CounterPins]:
    spare = [p for p in BCM_GPIOS if p not in used]
    out = []
    for p in pins:
        pause = p.pause if p.pause is not None or not spare else spare.pop(0)
        out.append(CounterPins(p.counter, p.next, p.recall, p.led, p.skip, pause))
    return out
