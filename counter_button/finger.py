"""The virtual finger: presses mock pins the way a hand presses real buttons.

The ``--virtual`` panel and console never call the core: they drive the MockFactory pins
low (pressed, the button shorts the pulled-up pin to ground) and high again, so a newcomer
exercises the very code path of real buttons: gpiozero, the keypad's debounce, the loop.
Keys: a digit selects a counter (its loket number when this box serves it, else the n-th
counter of the box), ``n`` next, ``r`` recall, ``s`` skip, ``p`` pause/resume.
"""
from __future__ import annotations

from dataclasses import dataclass

from .wiring import CounterPins

KEYS = {"n": "next", "r": "recall", "s": "skip", "p": "pause"}
TAP_S = 0.15            # a quick human press: longer than the keypad's debounce
LONG_PRESS_MARGIN_S = 0.4


@dataclass(frozen=True)
class Stroke:
    """Hold ``pin`` low for ``hold_s`` seconds."""

    pin: int
    hold_s: float


def counter_for(digit: str, counters: list[int]) -> int | None:
    n = int(digit)
    if n in counters:
        return n
    return counters[n - 1] if 1 <= n <= len(counters) else None


def stroke(pins: CounterPins, kind: str, hold_time: float) -> Stroke | None:
    """How to press ``kind`` on this counter; SKIP without its own pin is a long RECALL."""
    if kind == "skip" and pins.skip is None:
        return Stroke(pins.recall, hold_time + LONG_PRESS_MARGIN_S) if hold_time else None
    pin = pins.buttons().get(kind)
    return None if pin is None else Stroke(pin, TAP_S)


def parse_line(line: str, counters: list[int], selected: int) -> tuple[int, list[str]] | None:
    """``"1n"`` -> (1, ["next"]); ``"n"`` uses the selected counter; ``"2"`` only selects.
    None when the line is not understood."""
    counter, kinds = selected, []
    for ch in line.strip().lower():
        if ch.isdigit():
            found = counter_for(ch, counters)
            if found is None:
                return None
            counter = found
        elif ch in KEYS:
            kinds.append(KEYS[ch])
        elif not ch.isspace():
            return None
    return counter, kinds
