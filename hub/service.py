"""The hub process: the MQTT adapter around the queue engine.

One loop owns the engine. paho's network thread only puts work on ``self.inbox``; the loop
hands each command to the desk (hub/desk.py), which executes the commands that arrived together
in one SQLite transaction (each in a savepoint of its own, so one command's bug rolls back
only that command); the loop answers each after the commit, acknowledges it to the broker
only then (so a hub killed mid-batch gets them again and answers them idempotently), and
publishes the snapshots that changed once the inbox is drained.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import queue
import threading
import time
from collections import deque
from typing import Callable
from zoneinfo import ZoneInfo

from antrean import protocol
from antrean.clock import PresetClock
from antrean.device_settings import add_login_arguments, own_password, own_tls_ca
from antrean.errors import ProtocolError, StorageError, UsageError
from antrean.mqtt import HallClient, queue_limit
from antrean.protocol import Topics
from antrean.sdnotify import Watchdog
from antrean.site import Site

from .desk import Desk
from .queue import ALL, QueueEngine
from .store import Store

log = logging.getLogger("antrean.hub")
HEARTBEAT_S = 1.0
MAX_BATCH = 100           # commands per transaction at most: bounds the wait for a reply


def wall_ms() -> int:
    return int(time.time() * 1000)


def moment_ms(text: str, timezone: str) -> int:
    """``--clock-from``'s moment (ISO 8601, local to the site unless it has an offset)."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as e:
        raise UsageError(f"--clock-from {text!r} is not a moment like 2026-11-27T11:50") from e
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return int(moment.timestamp() * 1000)


class HubService:
    """Runs the engine behind the broker until ``stop()``."""

    def __init__(self, site: Site, db_path: str, host: str, port: int, *, password: str,
                 tls_ca=None,
                 now_ms: Callable[[], int] = wall_ms):
        self.site = site
        self.topics = Topics(site.id)
        self.now_ms = now_ms
        self.store = Store(db_path)
        self.engine = QueueEngine(self.store, site)
        started = now_ms()
        self.epoch = self.store.next_epoch(started)
        self.store.raise_call_ids(started)
        self.db_id = self.store.db_id()
        self.rev = 0
        self.inbox: queue.Queue[Callable[[], None]] = queue.Queue()
        self._stop = threading.Event()
        self.desk = Desk(self.engine, self.store, now_ms)
        self._taken: list = []                      # the Incoming of each command the desk took
        self._dirty: set[tuple] = set()            # snapshot keys to publish
        self._sent: dict[tuple, dict] = {}          # key -> body last published
        self.errors: deque[str] = deque(maxlen=10)  # the latest, for health/hub
        self._link_up = False                       # as _on_link last heard it
        # A persistent session: commands sent while the hub restarts wait at the broker.
        self.client = HallClient(site=site.id, device="hub", role="hub",
                                 password=password, host=host, port=port, tls_ca=tls_ca,
                                 deliver=self.inbox.put, clean_session=False, manual_ack=True,
                                 max_queued=queue_limit(len(site.services) + len(site.counters)))
        self.client.subscribe(self.topics.all_cmds, self._on_command, qos=1)
        self.client.on_link(self._on_link)

    # ---- the loop ---------------------------------------------------------------------
    def run(self, watchdog: Watchdog | None = None) -> None:
        self.client.start()
        next_beat = time.monotonic()
        ready = False
        while not self._stop.is_set():
            timeout = max(0.0, next_beat - time.monotonic())
            self._drain(timeout)
            if self._dirty:
                self._publish_snapshots(self._dirty)
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + HEARTBEAT_S
                self._tick()
                if watchdog:
                    watchdog.ping()
            if watchdog and not ready and self.client.connected:
                watchdog.ready()
                ready = True
        self.client.stop()
        self.store.close()

    def stop(self) -> None:
        self._stop.set()
        self.inbox.put(lambda: None)   # wake the loop

    def _drain(self, timeout: float) -> None:
        """Run everything queued; wait up to ``timeout`` for the first item. Commands queued
        meanwhile run together in one transaction (one fsync for all: group commit)."""
        try:
            job = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return
        while True:
            self._run_job(job)
            if len(self.desk) >= MAX_BATCH:
                self._execute_batch()
            try:
                job = self.inbox.get_nowait()
            except queue.Empty:
                break
        self._execute_batch()

    def _run_job(self, job: Callable[[], None]) -> None:
        try:
            job()
        except StorageError:
            raise   # the database is unusable: let systemd restart us
        except Exception:   # a bug in one handler must not stop the hall
            log.exception("hub job failed")

    # ---- commands ---------------------------------------------------------------------
    def _on_command(self, msg) -> None:
        """Decode now; execute with the batch (see _drain), in the order received."""
        self.desk.take(self.topics.device_of(msg.topic), msg.payload)
        self._taken.append(msg)

    def _execute_batch(self) -> None:
        taken, self._taken = self._taken, []
        # Committed: now they may be answered, announced and acknowledged, in order.
        for msg, answer in zip(taken, self.desk.answer()):
            if answer.reply is not None:
                self.client.publish(self.topics.reply(answer.device), answer.reply, qos=1)
            for call in answer.calls:
                self.client.publish(self.topics.called, protocol.encode(
                    "called", db=self.db_id, call=call), qos=1)
            self._dirty |= answer.changed
            msg.ack()

    # ---- state ------------------------------------------------------------------------
    def _tick(self) -> None:
        now = self.now_ms()
        outcome = self.engine.tick(now)
        self._dirty |= outcome.changed
        if self._dirty:
            self._publish_snapshots(self._dirty)
        if not self._link_up:
            return      # see _publish_snapshots: a heartbeat also says "the hub is up"
        self.client.publish(self.topics.clock, protocol.encode(
            "clock", db=self.db_id, epoch=self.epoch, rev=self.rev, now=now,
            tz=self.site.timezone), qos=0)

    def _on_link(self, up: bool) -> None:
        log.info("broker link %s", "up" if up else "down")
        self._link_up = up
        if up:
            # A restarted broker may have lost its retained messages: the hub's SQLite is
            # the truth, so every snapshot goes out again on every connect.
            self._sent.clear()
            for topic in self.topics.retired:       # 0.2's whole-hall snapshots
                self.client.publish(topic, b"", qos=1, retain=True)
            self._publish_snapshots({ALL})
            self._report_health()

    def _report_health(self) -> None:
        self.client.set_health({"epoch": self.epoch, "db": self.db_id,
                                "errors": list(self.errors)})

    def _publish_snapshots(self, which: set[tuple]) -> None:
        # Not before the link is up, i.e. the command subscription confirmed: paho would
        # send queued snapshots first on connect, and a device taking them for "the hub is
        # up" would send commands the broker drops. The link-up publishes everything; until
        # it has run here, what a tick publishes would only go out twice.
        if not self._link_up:
            return
        now = self.now_ms()
        for key, body in self.engine.snapshots(which, now).items():
            if self._sent.get(key) != body:     # unchanged content is not re-sent
                self._publish_state(key, body, now)
        self._dirty.clear()

    def _publish_state(self, key: tuple, body: dict, now: int) -> None:
        kind, ident = key
        topic = self.topics.service(ident) if kind == "service" else self.topics.counter(ident)
        self.rev += 1
        try:
            payload = protocol.encode(f"state.{kind}", db=self.db_id, epoch=self.epoch,
                                      rev=self.rev, at=now, **body)
        except ProtocolError as e:      # too large: every receiver would refuse it
            log.error("not publishing %s: %s", topic, e)
            self.errors.append(f"{kind} {ident}: {e.message}")
            self._report_health()
            return
        self.client.publish(topic, payload, qos=1, retain=True)
        self._sent[key] = body


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="antrean hub", description="Run the hub: the one writer of the hall's queue.")
    parser.add_argument("--config", required=True, help="site config (TOML)")
    parser.add_argument("--db", default="/var/lib/antrean/hub.sqlite",
                        help="the queue database (default: %(default)s)")
    parser.add_argument("--host", default="127.0.0.1", help="broker host (default: %(default)s)")
    parser.add_argument("--port", type=int, default=1883, help="broker port (default: %(default)s)")
    parser.add_argument("--clock-from", metavar="MOMENT", default=None,
                        help="run the hall's clock from this moment instead of the wall clock, "
                        "e.g. 2026-11-27T11:50 (the site's time zone unless it names one): "
                        "for rehearsals and tests; every device follows the hub's clock")
    add_login_arguments(parser)
    args = parser.parse_args(argv)

    from antrean.config import load_site
    site = load_site(args.config)
    now_ms = wall_ms if args.clock_from is None else \
        PresetClock(moment_ms(args.clock_from, site.timezone))
    password = own_password("hub", args.device_config, args.password_file)
    tls_ca = own_tls_ca(site.broker_tls, args.tls_ca, args.device_config)
    service = HubService(site, args.db, args.host, args.port, password=password, tls_ca=tls_ca,
                         now_ms=now_ms)
    import signal
    signal.signal(signal.SIGTERM, lambda *_: service.stop())
    try:
        service.run(Watchdog())
    except KeyboardInterrupt:
        service.stop()
    return 0
