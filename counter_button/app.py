"""`antrean counter`: run a button box, its GPIO buttons and LEDs talking to the hub.

``antrean counter --config SITE.toml --device BOX_ID [--host H --port P] [--virtual]``

Without ``--virtual`` the pins come from gpiozero's own factory (``GPIOZERO_PIN_FACTORY``,
lgpio on a Pi). ``--virtual`` puts every pin on gpiozero's MockFactory and lets you press
them: a "Tombol Loket" window when there is a screen, else keys typed on stdin ("1n").
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from antrean.clock import HubClock
from antrean.command import CommandChannel
from antrean.device_settings import add_login_arguments, own_password, own_tls_ca
from antrean.errors import UsageError
from antrean.mqtt import HallClient
from antrean.sdnotify import Watchdog

from . import box as gpio, keypad as kp
from .console import Console
from .controller import REPLY_TIMEOUT_S, Controller
from .core import ButtonCore
from .finger import parse_line, stroke
from .strings import text
from .wiring import pins_of

log = logging.getLogger(__name__)


class CounterBox:
    """One running box: pins, loop and hub link, built from the site config."""

    def __init__(self, site, device: str, *, password: str, host: str, port: int,
                 pin_factory=None, tls_ca: Path | None = None,
                 virtual: bool = False, hold_time: float = gpio.HOLD_TIME_S,
                 bounce_time: float | None = gpio.BOUNCE_TIME_S,
                 debounce_s: float = kp.DEBOUNCE_S, reply_timeout_s: float = REPLY_TIMEOUT_S,
                 on_led=None, on_tick=None):
        from antrean.config import device_of
        config = device_of(site, "button box", device)
        self.config, self.hold_time = config, hold_time
        self.wiring = pins_of(config, source=site.source, virtual=virtual)
        self.core = ButtonCore([p.counter for p in self.wiring])
        keypad = kp.Keypad({p.counter: tuple(p.buttons()) for p in self.wiring},
                           long_press=bool(hold_time), debounce_s=debounce_s)
        self.clock = HubClock()
        self.controller = Controller(self.core, keypad, clock=self.clock,
                                     reply_timeout_s=reply_timeout_s, on_led=on_led,
                                     on_tick=on_tick)
        self.gpio = gpio.GpioBox(self.wiring, on_edge=self.controller.on_edge,
                                 on_held=self.controller.on_held, hold_time=hold_time,
                                 bounce_time=bounce_time, pin_factory=pin_factory)
        self.client = HallClient(site=site.id, device=device, role="counter",
                                 password=password, host=host, port=port, tls_ca=tls_ca,
                                 deliver=self.controller.put)
        self.channel = CommandChannel(self.client, self.client.topics, device, self.clock)
        self.controller.attach_box(self.gpio)
        self.controller.attach_hub(self.client, self.channel)

    @property
    def counters(self) -> list[int]:
        return [p.counter for p in self.wiring]

    def start(self) -> None:
        self.controller.start()
        self.client.start()

    def stop(self) -> None:
        self.channel.close()
        self.client.stop(timeout=3)
        self.controller.stop(timeout=3)
        self.gpio.close()


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="antrean counter",
        description="Run a counter button box: NEXT / RECALL / SKIP / PAUSE buttons and one "
                    "LED per counter on GPIO, as the site config says for --device. LED: "
                    "steady = serving, slow blink = waiting for the hub, fast blink = error "
                    "or offline, off = paused or idle, double flash = refused.")
    p.add_argument("--config", required=True, help="the site config file (TOML)")
    p.add_argument("--device", required=True, help="this box's id in the site config")
    p.add_argument("--host", default="127.0.0.1", help="broker host (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=1883, help="broker port (default 1883)")
    p.add_argument("--virtual", action="store_true",
                   help="mock pins you press yourself: a 'Tombol Loket' window when there is "
                        "a screen, else keys on stdin like '1n' (counter 1 next)")
    p.add_argument("--console", action="store_true",
                   help="with --virtual: read keys from stdin even when there is a screen")
    p.add_argument("--hold-time", type=float, default=gpio.HOLD_TIME_S, metavar="S",
                   help="hold RECALL this long to SKIP; 0 = no long press, RECALL fires on "
                        "press (default %(default)s)")
    p.add_argument("--bounce-time", type=float, default=gpio.BOUNCE_TIME_S, metavar="S",
                   help="gpiozero debounce time of every button (default %(default)s)")
    p.add_argument("--reply-timeout", type=float, default=REPLY_TIMEOUT_S, metavar="S",
                   help="an unanswered press shows an error after this (default %(default)s)")
    p.add_argument("--screenshot", metavar="PATH", type=Path,
                   help="with the --virtual window: save it as PNG here (and what it shows "
                        "in .json) whenever an LED changes")
    p.add_argument("--lang", choices=("id", "en"), default="id",
                   help="language of the panel and console (default id)")
    add_login_arguments(p)
    args = p.parse_args(argv)
    if args.hold_time < 0 or args.bounce_time < 0 or args.reply_timeout <= 0:
        raise UsageError("--hold-time and --bounce-time must be >= 0, --reply-timeout > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    from antrean.config import load_site     # the TOML loader, imported when running
    site = load_site(args.config)
    factory = None
    if args.virtual:
        from gpiozero.pins.mock import MockFactory
        factory = MockFactory()
    windowed = args.virtual and not args.console and bool(os.environ.get("DISPLAY"))
    watchdog = Watchdog()
    signal.signal(signal.SIGTERM, _terminate)
    console = Console()
    say = (lambda c, p: console.say(text(args.lang, "console.led", counter=c,
                                         text=text(args.lang, f"led.{p.value}"))))
    password = own_password(args.device, args.device_config, args.password_file)
    tls_ca = own_tls_ca(site.broker_tls, args.tls_ca, args.device_config)
    box = CounterBox(site, args.device, password=password, host=args.host, port=args.port,
                     tls_ca=tls_ca,
                     pin_factory=factory,
                     virtual=args.virtual, hold_time=args.hold_time,
                     bounce_time=args.bounce_time or None,
                     reply_timeout_s=args.reply_timeout,
                     on_led=say if args.virtual else None,
                     on_tick=watchdog.ping)
    box.start()
    watchdog.ready(f"{args.device}: counters {', '.join(map(str, box.counters))}")
    try:
        if windowed:
            from .panel import run_panel      # Kivy only for the window
            run_panel(box, factory, args.lang, args.screenshot, sys.stdin, console)
        elif args.virtual:
            run_console(box, factory, args.lang, sys.stdin, console)
        else:
            threading.Event().wait()          # the loop and the pins work on their threads
    except KeyboardInterrupt:
        pass
    finally:
        box.stop()
    return 0


def run_console(box: CounterBox, factory, lang: str, lines, console: Console) -> None:
    """Headless ``--virtual``: each stdin line presses mock buttons, e.g. ``1n``."""
    console.say(text(lang, "console.help"))
    selected = box.counters[0]
    wiring = {p.counter: p for p in box.wiring}
    for line in lines:
        parsed = parse_line(line, box.counters, selected)
        if parsed is None:
            console.say(text(lang, "console.bad", line=line.strip()))
            continue
        selected, kinds = parsed
        for kind in kinds:
            press = stroke(wiring[selected], kind, box.hold_time)
            if press is None:
                console.say(text(lang, "console.bad", line=line.strip()))
                continue
            pin = factory.pin(press.pin)
            pin.drive_low()
            # The finger holds the button: a real duration, not a synchronisation.
            threading.Event().wait(press.hold_s)
            pin.drive_high()
    # stdin closed (Ctrl-D, or none given): the box goes on until Ctrl-C or SIGTERM.
    console.say(text(lang, "console.eof"))
    threading.Event().wait()


def _terminate(signum, frame) -> None:
    # systemd stops us with SIGTERM: leave through main()'s finally, which says "offline".
    raise KeyboardInterrupt
