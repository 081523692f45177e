"""`antrean demo`: a whole hall on one computer, with virtual hardware.

Starts a real Mosquitto from the generated config, the hub, a virtual ESC/POS printer that
saves every ticket as an image, and every role that exists: kiosk, hall display, counter
button box on gpiozero's mock pins. With no screen (no $DISPLAY) it starts Xvfb and runs the
same hall headless, saving screenshots, tickets and the spoken calls as files.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from antrean.deploy.files import example, example_names
from antrean.errors import UsageError

DEFAULT_HALL = "mini-hall"
DEFAULT_WORKDIR = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local/state") \
    / "antrean" / "demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hall:
    """The processes of the demo hall; stops them all on exit."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.procs: list[tuple[str, subprocess.Popen]] = []
        # Kivy's own log handler would print every library's DEBUG lines into the logs.
        self.env = {**os.environ, "KIVY_LOG_MODE": "PYTHON", "KIVY_NO_ARGS": "1"}

    def spawn(self, name: str, argv: list[str], stdin=None) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "antrean.cli", *argv], stdout=log,
                                stderr=subprocess.STDOUT, stdin=stdin, env=self.env,
                                cwd=self.workdir)
        log.close()
        self.procs.append((name, proc))
        return proc

    def start_xvfb(self) -> None:
        if not shutil.which("Xvfb"):
            raise UsageError("no screen and no Xvfb: install the package xvfb")
        for n in range(90, 140):
            if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
                break
        xvfb = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1920x1080x24", "-nolisten",
                                 "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(("xvfb", xvfb))
        self.env["DISPLAY"] = f":{n}"

    def stop(self) -> None:
        """Roles first, then the virtual screen they draw on."""
        roles = [p for name, p in self.procs if name != "xvfb"]
        screens = [p for name, p in self.procs if name == "xvfb"]
        for group in (roles, screens):
            for proc in group:
                if proc.poll() is None:
                    proc.terminate()
            for proc in group:
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)


def available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="antrean demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=DEFAULT_HALL,
                        help="site config: a TOML file, or the name of an example hall ("
                        + ", ".join(example_names()) + f"; default {DEFAULT_HALL})")
    parser.add_argument("--workdir", default=str(DEFAULT_WORKDIR),
                        help="where logs, tickets, screenshots and calls go")
    parser.add_argument("--headless", action="store_true",
                        help="run on a virtual screen even if one is attached")
    parser.add_argument("--duration", type=float, default=0,
                        help="stop after this many seconds (0 = until Ctrl-C)")
    parser.add_argument("--clock-from", metavar="MOMENT", default=None,
                        help="run the hall's clock from this moment, e.g. 2026-11-25T10:00 "
                        "(a real hall's opening hours at night; see `antrean hub --help`)")
    args = parser.parse_args(argv)

    from antrean.deploy.broker import run_broker
    from antrean.config import load_site
    # Absolute: the roles run in the work folder, which is also where an installed demo runs.
    config = str(Path(args.config).resolve() if Path(args.config).is_file()
                 else example(args.config))
    site = load_site(config)
    work = Path(args.workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    hall = Hall(work)
    headless = args.headless or not os.environ.get("DISPLAY")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    broker = run_broker(site, work / "broker")
    try:
        clock = ["--clock-from", args.clock_from] if args.clock_from else []
        _start_roles(hall, site, config, broker, headless, clock)
        _tell(site, work, broker, headless)
        stop.wait(args.duration or None)
    except KeyboardInterrupt:
        pass
    finally:
        hall.stop()
        broker.stop()
    return 0


def _start_roles(hall: Hall, site, config: str, broker, headless: bool,
                 clock: list[str]) -> None:
    net = ["--config", config, "--host", broker.host, "--port", str(broker.port)]

    def login(device: str) -> list[str]:     # each role reads only its own password
        return ["--password-file", str(broker.password_file(device))]
    hall.spawn("hub", ["hub", *net, *login("hub"), "--db", str(hall.workdir / "hub.sqlite"),
                       *clock])
    if headless:
        hall.start_xvfb()
    shots = hall.workdir / "screens"
    if available("kiosk.app"):
        for kiosk in site.kiosks.values():
            port = free_port()
            hall.spawn(f"printer-{kiosk.id}", ["virtual-printer", "--port", str(port),
                                               "--out", str(hall.workdir / "tickets" / kiosk.id)])
            hall.spawn(kiosk.id, ["kiosk", *net, *login(kiosk.id), "--device", kiosk.id,
                                  "--windowed", "800x480",
                                  "--printer", f"network:127.0.0.1:{port}",
                                  "--state-dir", str(hall.workdir / "kiosk-state"),
                                  *(["--screenshots", str(shots), "--demo-visitors", "3"]
                                    if headless else [])])
    if available("display.app"):
        for display in site.displays.values():
            audio = f"file:{hall.workdir / 'calls'}" if headless else "aplay:default"
            hall.spawn(display.id, ["display", *net, *login(display.id), "--device", display.id,
                                    "--windowed", "1280x720", "--audio", audio,
                                    *(["--screenshots", str(shots)] if headless else [])])
    if available("counter_button.app"):
        for box in site.button_boxes.values():
            proc = hall.spawn(box.id, ["counter", *net, *login(box.id), "--device", box.id,
                                       "--virtual"],
                              stdin=subprocess.PIPE if headless else None)
            if headless:       # nobody at the keyboard: a pretend officer presses NEXT
                threading.Thread(target=_officer, args=(proc, box.counters), daemon=True).start()


def _officer(proc: subprocess.Popen, counters, every_s: float = 2.0) -> None:
    """Press NEXT on each counter of the box in turn, through the box's own key input. Often:
    a big hall's ticket is for one of a few counters among many, and NEXT on a counter with
    nobody waiting does nothing."""
    pause = threading.Event()
    turn = 0
    while proc.poll() is None and not pause.wait(every_s):
        try:
            proc.stdin.write(f"{counters[turn % len(counters)]}n\n".encode())
            proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            return
        turn += 1


def _tell(site, work: Path, broker, headless: bool) -> None:
    print(f"Antrean demo: {site.name}")
    print(f"  broker      127.0.0.1:{broker.port} (config in {work / 'broker'})")
    print(f"  logs        {work / 'logs'}/")
    print(f"  tickets     {work / 'tickets'}/<kiosk>/*.png  (each printed ticket as an image)")
    if headless:
        print("  no screen: the hall runs on a virtual screen (Xvfb)")
        print(f"  screens     {work / 'screens'}/*.png  (kiosk and display, refreshed)")
        print(f"  calls       {work / 'calls'}/*.wav  (every spoken call)")
    print("  counters    the 'Tombol Loket' window (keys: 1-9 counter, n next, r recall, s skip, p pause)")
    from antrean.status import status_login
    status = status_login(site, None).id if site.operators else None
    if status:
        print(f"  status      antrean status --config ... --port {broker.port} --as {status} "
              f"--password-file {broker.password_file(status)}")
    print(f"  passwords   {work / 'broker' / 'keys.toml'} (made for this demo)")
    print("  Ctrl-C stops the hall")
    sys.stdout.flush()
