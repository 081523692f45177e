"""From switch edges to presses: debouncing and the long press on RECALL, free of GPIO.

A mechanical push button bounces: one press can show as several falling and rising edges
within a few milliseconds, on pressing and again on releasing. gpiozero's ``bounce_time``
filters that on pins that support it (lgpio), but not on every backend (its MockFactory
ignores it), and a release bounce can come after the hub already answered the press, where
the in-flight rule no longer helps. So every edge closer than ``debounce_s`` to the
previous edge of the same button is ignored here too.

RECALL does two jobs when ``long_press`` is on: released before the hold time it recalls;
held for the hold time (gpiozero's ``when_held``) it skips, and its release then does
nothing. So a recall fires on release, a skip as soon as the hold time is reached.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

BUTTONS = ("next", "recall", "skip", "pause")
DEBOUNCE_S = 0.03


@dataclass
class Switch:
    """One button's accepted edges: an edge within ``debounce_s`` of the previous one
    (accepted or not) is contact bounce."""

    debounce_s: float = DEBOUNCE_S
    down: bool = False
    _last_edge: float = -math.inf

    def edge(self, pressed: bool, t: float) -> bool:
        quiet = t - self._last_edge >= self.debounce_s
        self._last_edge = t
        if not quiet:
            return False
        # Accepted even when it repeats the logical state: a release lost in a bounce
        # must not swallow the next real press.
        self.down = pressed
        return True


class Keypad:
    """Every button of a box. ``edge()`` and ``held()`` return the press kind to act on
    (``"next"``, ``"recall"``, ``"skip"``, ``"pause"``) or None."""

    def __init__(self, buttons: dict[int, tuple[str, ...]], *, long_press: bool = True,
                 debounce_s: float = DEBOUNCE_S):
        self.long_press = long_press
        self._switches = {(c, b): Switch(debounce_s) for c, names in buttons.items()
                          for b in names}
        self._armed: set[int] = set()    # counters whose RECALL is down and not yet held

    def edge(self, counter: int, button: str, pressed: bool, t: float) -> str | None:
        switch = self._switches.get((counter, button))
        if switch is None or not switch.edge(pressed, t):
            return None
        if button != "recall" or not self.long_press:
            return button if pressed else None
        if pressed:
            self._armed.add(counter)
            return None
        if counter in self._armed:
            self._armed.discard(counter)
            return "recall"
        return None

    def held(self, counter: int, button: str) -> str | None:
        """gpiozero says ``button`` has been held for its hold time."""
        if button != "recall" or not self.long_press or counter not in self._armed:
            return None
        switch = self._switches[(counter, button)]
        self._armed.discard(counter)
        return "skip" if switch.down else None
