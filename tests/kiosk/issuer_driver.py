"""A kiosk without a screen, for tests that kill it: the real HallClient, HubClock,
CommandChannel, Outbox, Issuer and network printer, wired as kiosk/screens/touchscreen.py
wires them, driven by lines on stdin and reporting JSON lines on stdout.

    python -m tests.kiosk.issuer_driver CONFIG HOST PORT PRINTER_PORT STATE_DIR NOW_MS

NOW_MS is the hub's clock when the driver starts: the kiosk's own clock agrees with the
hub's, as in a hall where both keep time, so a kiosk restarted while the hub is away still
prints for the hub's day (the test's hub runs on a clock it set, not the wall clock).

stdin:  ``issue SERVICE N``   issue N tickets one after the other
        ``lease SERVICE N``   report ``leased`` once N numbers are leased for SERVICE today
        ``drain``             report ``drained`` once the outbox has nothing left to hand over
stdout: {"event": "up"} | {"event": "printed", ...} | {"event": "leased"} | {"event": "drained"}

All work runs on one loop (this process's "role loop", as Kivy's clock is for the app); the
waits are checked after every job on it, so they answer as soon as the state allows.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from antrean.clock import HubClock, PresetClock
from antrean.command import CommandChannel
from antrean.config import load_site
from antrean.mqtt import HallClient
from kiosk.issuer import Issuer
from kiosk.outbox import Outbox
from kiosk.printer import open_printer

REFLUSH_S = 1.0     # while draining, hand the outbox over again this often (the app: 30 s)


def say(**fields) -> None:
    print(json.dumps(fields), flush=True)


class Driver:
    def __init__(self, config: str, host: str, port: int, printer_port: int, state_dir: str,
                 now_ms: int, password: str):
        self.site = load_site(config)
        self.kiosk = self.site.kiosks["kiosk-1"]
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        own = PresetClock(now_ms)
        self.clock = HubClock(wall=lambda: own.now_ms() / 1000)
        self.client = HallClient(site=self.site.id, device=self.kiosk.id, role="kiosk",
                                 password=password, host=host, port=port,
                                 deliver=self.jobs.put)
        self.clock.follow(self.client, self.client.topics)
        self.channel = CommandChannel(self.client, self.client.topics, self.kiosk.id, self.clock)
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        self.outbox = Outbox(Path(state_dir) / "kiosk-1-outbox.sqlite")
        printer = open_printer({"backend": "network", "host": "127.0.0.1", "port": printer_port,
                                "paper": "80mm"})
        self.issuer = Issuer(site=self.site, kiosk=self.kiosk, channel=self.channel,
                             clock=self.clock, outbox=self.outbox, open_printer=lambda: printer,
                             deliver=self.client.deliver, request_timeout=0.5)
        self.client.on_link(self.on_link)
        self.waits: list = []
        self.to_issue: list[str] = []
        self.issuing = False

    def on_link(self, up: bool) -> None:
        if up:
            self.issuer.flush()
            self.issuer.refresh_leases()
            say(event="up")

    def today(self) -> str:
        return dt.datetime.fromtimestamp(self.clock.now_ms() / 1000,
                                         ZoneInfo(self.site.timezone)).date().isoformat()

    def command(self, line: str) -> None:
        words = line.split()
        if words[0] == "issue":
            self.to_issue += [words[1]] * int(words[2])
            self.next_ticket()
        elif words[0] == "lease":
            service, n = words[1], int(words[2])
            self.waits.append((lambda: self.outbox.numbers_left(service, self.today()) >= n,
                               "leased"))
        elif words[0] == "drain":
            self.waits.append((lambda: not self.outbox.pending()
                               and not self.outbox.pending_confirms(), "drained"))
            self.reflush()

    def reflush(self) -> None:
        if any(name == "drained" for _, name in self.waits):
            if self.client.connected:
                self.issuer.flush()
            threading.Timer(REFLUSH_S, lambda: self.jobs.put(self.reflush)).start()

    def next_ticket(self) -> None:
        if self.issuing or not self.to_issue:
            return
        self.issuing = True
        self.issuer.issue(self.to_issue.pop(0), None, self.printed)

    def printed(self, r) -> None:
        self.issuing = False
        say(event="printed", ok=r.ok, number=r.number, offline=r.offline, error=r.error)
        self.next_ticket()

    def run(self) -> None:
        threading.Thread(target=self.read_stdin, daemon=True).start()
        self.client.start()
        while True:
            job = self.jobs.get()
            if job is None:
                return
            try:
                job()
            except Exception:
                logging.exception("driver job failed")
            for wait in list(self.waits):
                if wait[0]():
                    self.waits.remove(wait)
                    say(event=wait[1])

    def read_stdin(self) -> None:
        for line in sys.stdin:
            if line.strip():
                self.jobs.put(lambda line=line: self.command(line))
        self.jobs.put(None)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config, host, port, printer_port, state_dir, now_ms, password_file = sys.argv[1:8]
    Driver(config, host, int(port), int(printer_port), state_dir, int(now_ms),
           Path(password_file).read_text().strip()).run()
