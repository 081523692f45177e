"""The button box's one loop: button edges, MQTT messages and clock ticks, in order.

gpiozero calls us on its threads and paho on its network thread; both only ``put()`` work
here, so the core (:mod:`counter_button.core`) and the keypad are only ever touched by this
loop's thread and need no locks. Actions the core returns are carried out here: LED
patterns go to the :class:`~counter_button.box.GpioBox`, commands to the
:class:`~antrean.command.CommandChannel`.
"""
from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from typing import Callable

from antrean.errors import AntreanError, ProtocolError
from antrean.messages import Clock, Reply, StateCounter
from antrean.protocol import decode

from .core import ButtonCore, Led, Pattern, Send
from .keypad import Keypad

log = logging.getLogger(__name__)

TICK_S = 0.05             # how often stale heartbeats and ended flashes are noticed
REPLY_TIMEOUT_S = 4.0     # a little under the hub's 5 s stale-press limit
_COUNTER = (StateCounter,)
_CLOCK = (Clock,)


class Controller:
    """Owns the loop. ``attach_box()`` and ``attach_hub()`` connect the adapters."""

    def __init__(self, core: ButtonCore, keypad: Keypad, *, clock,
                 reply_timeout_s: float = REPLY_TIMEOUT_S, tick_s: float = TICK_S,
                 on_led: Callable[[int, Pattern], None] | None = None,
                 on_tick: Callable[[], None] | None = None):
        self.core, self.keypad, self.clock = core, keypad, clock
        self.reply_timeout_s, self.tick_s = reply_timeout_s, tick_s
        self._on_led, self._on_tick = on_led, on_tick
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._box = None
        self._channel = None
        self._client = None

    # ---- wiring ------------------------------------------------------------------------------

    def attach_box(self, box) -> None:
        self._box = box

    def attach_hub(self, client, channel) -> None:
        """Subscribe to what the box needs; the client must deliver through ``put``."""
        self._client, self._channel = client, channel
        topics = client.topics
        client.subscribe(topics.clock, self._on_clock, qos=0)
        # Only this box's counters: the others' snapshots are no business of its LEDs.
        for counter in self.core.counter_ids:
            client.subscribe(topics.counter(counter), self._on_counter, qos=1)
        client.on_link(lambda up: self._do(self.core.link(up, time.monotonic())))

    # ---- entry points from other threads -----------------------------------------------------

    def put(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the loop (the HallClient's ``deliver``)."""
        self._queue.put(fn)

    def on_edge(self, counter: int, button: str, pressed: bool, t: float) -> None:
        self.put(functools.partial(self._edge, counter, button, pressed, t))

    def on_held(self, counter: int, button: str) -> None:
        self.put(functools.partial(self._held, counter, button))

    # ---- the loop ----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="counter-loop", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def run(self) -> None:
        self._do(self.core.start(time.monotonic()))
        next_tick = time.monotonic()
        while True:
            try:
                fn = self._queue.get(timeout=max(0.0, next_tick - time.monotonic()))
            except queue.Empty:
                fn = _idle
            if fn is None:
                return
            _guarded(fn)
            if time.monotonic() >= next_tick:
                next_tick = time.monotonic() + self.tick_s
                _guarded(self._tick)

    # ---- on the loop -------------------------------------------------------------------------

    def _tick(self) -> None:
        self._do(self.core.tick(time.monotonic()))
        if self._on_tick is not None:
            self._on_tick()

    def _edge(self, counter: int, button: str, pressed: bool, t: float) -> None:
        kind = self.keypad.edge(counter, button, pressed, t)
        if kind is not None:
            self._do(self.core.press(counter, kind, time.monotonic()))

    def _held(self, counter: int, button: str) -> None:
        kind = self.keypad.held(counter, button)
        if kind is not None:
            self._do(self.core.press(counter, kind, time.monotonic()))

    def _on_clock(self, msg) -> None:
        try:
            beat = decode(msg.payload, _CLOCK)
        except ProtocolError as e:
            log.warning("ignoring bad heartbeat: %s", e)
            return
        self.clock.observe(beat.now)
        self._do(self.core.heartbeat(time.monotonic()))

    def _on_counter(self, msg) -> None:
        try:
            snapshot = decode(msg.payload, _COUNTER)
        except ProtocolError as e:
            log.warning("ignoring bad state.counter on %s: %s", msg.topic, e)
            return
        self._do(self.core.counter_state(snapshot, time.monotonic()))

    def _reply(self, counter: int, token: int, reply: Reply | None) -> None:
        self._do(self.core.reply(counter, token, reply, time.monotonic(), self.clock.now_ms()))

    def _do(self, actions: list) -> None:
        changed = False
        for action in actions:
            if isinstance(action, Send):
                self._send(action)
            elif isinstance(action, Led):
                changed = True
                if self._box is not None:
                    self._box.show(action.counter, action.pattern)
                if self._on_led is not None:
                    self._on_led(action.counter, action.pattern)
        if changed and self._client is not None:
            status = self.core.status(time.monotonic())
            errors = sorted({s["last_error"] for s in status.values() if s["last_error"]})
            self._client.set_health({"errors": errors, "counters": status})

    def _send(self, action: Send) -> None:
        done = functools.partial(self._reply, action.counter, action.token)
        if self._channel is None:
            self.put(functools.partial(done, None))
            return
        try:
            self._channel.send(action.mtype, {"counter": action.counter},
                               timeout=self.reply_timeout_s, on_reply=done)
        except AntreanError as e:
            log.error("loket %s: could not send %s: %s", action.counter, action.mtype, e)
            self.put(functools.partial(done, None))


def _idle() -> None:
    pass


def _guarded(fn: Callable[[], None]) -> None:
    # One bad event must not stop the box: log it and go on.
    try:
        fn()
    except Exception:
        log.exception("counter loop: %r failed; going on", fn)
