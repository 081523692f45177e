"""The gpiozero adapter: real (or mock) buttons in, LED patterns out.

gpiozero calls ``when_pressed`` / ``when_released`` / ``when_held`` on its own threads (the
pin backend's callback thread, or the hold thread); this adapter only stamps each edge with
the time and hands it to ``on_edge`` / ``on_held``, which queue it for the box's one loop.
The pin factory is gpiozero's own choice (``GPIOZERO_PIN_FACTORY``: lgpio on a Pi, ``mock``
in tests) unless ``pin_factory`` is given (``--virtual`` gives a MockFactory).
"""
from __future__ import annotations

import functools
import logging
import time
from typing import Callable

from antrean.errors import HardwareError

from .core import Pattern
from .wiring import CounterPins

log = logging.getLogger(__name__)

BOUNCE_TIME_S = 0.02      # gpiozero's own debounce, where the pin backend supports it
HOLD_TIME_S = 1.5         # RECALL held this long = SKIP
SLOW = (0.5, 0.5)         # on, off seconds: waiting for the hub
FAST = (0.1, 0.1)         # error or offline
FLASH_STEP_S = 0.1
DOUBLE_FLASH = (0, 0, 1, 0, 1, 0)   # dark, flash, dark, flash, dark: one value per step

OnEdge = Callable[[int, str, bool, float], None]
OnHeld = Callable[[int, str], None]


def _gpiozero():
    try:
        import gpiozero
    except ImportError as e:   # optional dependency: fail late and say what to install
        raise HardwareError("gpiozero is not installed: pip install 'antrean[counter]' "
                            f"(and lgpio on a Raspberry Pi): {e}") from e
    return gpiozero


class GpioBox:
    """The buttons and LEDs of every counter of one box."""

    def __init__(self, wiring: list[CounterPins], *, on_edge: OnEdge, on_held: OnHeld,
                 hold_time: float = HOLD_TIME_S, bounce_time: float | None = BOUNCE_TIME_S,
                 pin_factory=None):
        gz = _gpiozero()
        self.wiring = {p.counter: p for p in wiring}
        self._devices: list = []
        self._leds: dict[int, object] = {}
        try:
            for p in wiring:
                for name, pin in p.buttons().items():
                    self._button(gz, p.counter, name, pin, on_edge, on_held, hold_time,
                                 bounce_time, pin_factory)
                led = gz.LED(p.led, pin_factory=pin_factory)
                self._devices.append(led)
                self._leds[p.counter] = led
        except gz.GPIOZeroError as e:
            self.close()
            raise HardwareError(f"cannot claim the box's GPIO pins: {e} (is another "
                                "process still holding them?)") from e

    def _button(self, gz, counter, name, pin, on_edge, on_held, hold_time, bounce_time,
                factory) -> None:
        # hold_time 0 means "no long press"; gpiozero needs a positive value anyway.
        button = gz.Button(pin, pull_up=True, bounce_time=bounce_time,
                           hold_time=hold_time or HOLD_TIME_S, pin_factory=factory)
        self._devices.append(button)
        button.when_pressed = functools.partial(_stamp, on_edge, counter, name, True)
        button.when_released = functools.partial(_stamp, on_edge, counter, name, False)
        if name == "recall" and hold_time:
            button.when_held = functools.partial(on_held, counter, name)

    def show(self, counter: int, pattern: Pattern) -> None:
        """Render one counter's LED pattern (the docstring of :mod:`counter_button.core`)."""
        led = self._leds[counter]
        led.source = None       # stop a double flash still running
        if pattern is Pattern.ON:
            led.on()
        elif pattern is Pattern.OFF:
            led.off()
        elif pattern is Pattern.SLOW:
            led.blink(*SLOW)
        elif pattern is Pattern.FAST:
            led.blink(*FAST)
        else:
            # blink() always starts lit, so a flash over a lit LED would not show; a short
            # value sequence starts dark. It ends dark; the core reverts the LED after it.
            led.off()
            led.source_delay = FLASH_STEP_S
            led.source = iter(DOUBLE_FLASH)

    def lit(self, counter: int) -> bool:
        """Whether the counter's LED is lit now (the virtual panel mirrors it)."""
        return bool(self._leds[counter].is_lit)

    def close(self) -> None:
        for device in reversed(self._devices):
            try:
                device.close()
            except Exception:   # closing must go on for the other pins
                log.exception("closing %r failed", device)
        self._devices.clear()


def _stamp(on_edge: OnEdge, counter: int, name: str, pressed: bool) -> None:
    on_edge(counter, name, pressed, time.monotonic())
