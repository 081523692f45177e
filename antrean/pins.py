"""The GPIO pins of a counter button box, and the one check of them.

``[button_boxes.pins] 1 = { next = 17, recall = 27, skip = 22, pause = 6, led = 23 }``: BCM
GPIO numbers per counter the box lists. NEXT, RECALL and the LED are required, SKIP and
PAUSE optional. ``antrean config check`` (through :mod:`antrean.config`) and ``antrean
counter`` (through :mod:`counter_button.wiring`) both run :func:`pin_problems`, so a box
whose hall file passes the check also starts.

Which numbers a box may use:

- GPIO 2-27, the GPIOs of the Raspberry Pi's 40-pin header (the same on every Pi with one).
- Not GPIO 0 and 1: they are on the header too (pins 27 and 28), but they are the I2C bus
  of the HAT ID EEPROM (ID_SD, ID_SC), which the firmware reads at boot; the Pi's HAT rules
  reserve them. Refused rather than warned about: this check has no warnings, and a button
  on them works only until a HAT is plugged in.
- Any other number is not on the header. One that is the header *position* of a GPIO gets
  a hint ("header pin 40 is GPIO21"): the usual mix-up.
- Each pin once per box: a box is one Pi, so the same pin may not serve two buttons, or a
  button and an LED, of any of its counters. Two boxes are two Pis and may use the same pins.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .config_fields import describe

REQUIRED = ("next", "recall", "led")
OPTIONAL = ("skip", "pause")
NAMES = REQUIRED + OPTIONAL
USABLE = range(2, 28)           # GPIO2..GPIO27
ID_EEPROM = (0, 1)              # ID_SD, ID_SC
# Header position -> BCM GPIO, for the hint when a position was written instead.
HEADER = {3: 2, 5: 3, 7: 4, 8: 14, 10: 15, 11: 17, 12: 18, 13: 27, 15: 22, 16: 23, 18: 24,
          19: 10, 21: 9, 22: 25, 23: 11, 24: 8, 26: 7, 27: 0, 28: 1, 29: 5, 31: 6, 32: 12,
          33: 13, 35: 19, 36: 16, 37: 26, 38: 20, 40: 21}
EXAMPLE = "{ next = 17, recall = 27, led = 23 }"


@dataclass(frozen=True)
class PinProblem:
    """What is wrong, and where under the box's ``pins`` table: ``()``, ``("2",)`` or
    ``("2", "led")``."""

    key: tuple[str, ...]
    message: str


def pin_problems(pins: Mapping, counters: Iterable[int], *,
                 need_all: bool = True) -> list[PinProblem]:
    """Every problem of one box's ``pins`` for the ``counters`` it lists, in the order of
    its counters. ``need_all``: a listed counter without pins is a problem (only the
    virtual box of ``antrean counter --virtual`` makes up missing pins)."""
    counters = list(counters)
    listed = {str(c) for c in counters}
    problems = [PinProblem((str(key),), f"pins for counter {str(key)!r}, which this box does "
                           "not list in counters") for key in pins if str(key) not in listed]
    used: dict[int, str] = {}       # pin -> "counter 1 next"
    for counter in counters:
        raw = pins.get(str(counter), pins.get(counter))
        if raw is None:
            if need_all:
                problems.append(PinProblem((), f"no pins for counter {counter}; add e.g. "
                                           f"{counter} = {EXAMPLE}"))
            continue
        problems += _counter_problems(str(counter), raw, used)
    return problems


def _counter_problems(counter: str, raw: Any, used: dict[int, str]) -> list[PinProblem]:
    if not isinstance(raw, Mapping):
        return [PinProblem((counter,), f"must be a table like {EXAMPLE}, not {describe(raw)}")]
    problems = []
    for key in raw:
        if key not in NAMES:
            hint = difflib.get_close_matches(str(key), NAMES, n=1, cutoff=0.6)
            problems.append(PinProblem((counter, str(key)), f"unknown key; did you mean "
                                       f"'{hint[0]}'?" if hint else "unknown key; known keys "
                                       f"here: {', '.join(NAMES)}"))
    for name in NAMES:
        value = raw.get(name)
        if value is None:
            if name in REQUIRED:
                problems.append(PinProblem((counter, name), f"{name} pin is missing"))
            continue
        wrong = pin_error(value)
        if wrong:
            problems.append(PinProblem((counter, name), f"{name}: {wrong}"))
        elif value in used:
            problems.append(PinProblem((counter, name), f"GPIO {value} is used twice in this "
                                       f"box: {used[value]} and counter {counter} {name}"))
        else:
            used[value] = f"counter {counter} {name}"
    return problems


def pin_error(value: Any) -> str | None:
    """Why ``value`` cannot be a button's or LED's pin, or None when it can."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be a BCM GPIO number 2-27, not {describe(value)}"
    if value in ID_EEPROM:
        return (f"GPIO {value} is reserved for the HAT ID EEPROM (ID_SD/ID_SC, header pins "
                "27/28); use a BCM GPIO number 2-27")
    if value not in USABLE:
        hint = (f" (header pin {value} is GPIO{HEADER[value]}: write {HEADER[value]})"
                if HEADER.get(value) in USABLE else "")
        return (f"GPIO {value} does not exist on the Raspberry Pi's 40-pin header; use a BCM "
                f"GPIO number 2-27{hint}")
    return None
