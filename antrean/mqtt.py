"""The one MQTT client every role uses: reconnects by itself, announces presence and health,
and hands every message to the role's own loop.

paho-mqtt runs its network on a thread of its own and calls us there. Everything we do on that
thread is short and never blocks: messages, link changes and timeouts are handed to ``deliver``
(Kivy: ``Clock.schedule_once``; the hub: its queue; default: one worker thread of ours), and a
handler that raises is logged while the loop goes on.

Presence follows docs/protocol.md: a retained ``online`` on every connect and a last will
``lost``, both carrying this process's ``session`` and a ``bdseq`` that grows with every
connection attempt; a clean ``stop()`` publishes ``offline``.
"""
from __future__ import annotations

import functools
import logging
import os
import queue
import socket
import ssl
import threading
import time
import uuid
from importlib import metadata
from typing import Callable

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from .errors import ConfigError, UsageError
from .protocol import Topics, encode, valid_id

log = logging.getLogger(__name__)

ROLES = ("hub", "kiosk", "display", "counter", "operator")
RECONNECT_MIN_S = 0.5     # paho's default is 1..120 s: far too slow for a hall LAN
RECONNECT_MAX_S = 4
CONNECT_TIMEOUT_S = 3
HEALTH_EVERY_S = 60       # docs/protocol.md: health at least every 60 s
MAX_QUEUED = 1000         # messages kept while the link is down; beyond, publish() is refused


def queue_limit(snapshots: int) -> int:
    """Messages a queue must hold for a hall of ``snapshots`` retained states (one per
    service and counter): the hub re-publishes every one at each connect, in one burst that
    a subscriber of them all receives at once, besides its usual traffic."""
    return MAX_QUEUED + 2 * snapshots

Deliver = Callable[[Callable[[], None]], None]


def _version() -> str:
    try:
        return metadata.version("antrean")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


def _wall_ms() -> int:
    return int(time.time() * 1000)


class Incoming:
    """A received message as handlers see it."""

    __slots__ = ("topic", "payload", "retain", "qos", "_ack")

    def __init__(self, topic: str, payload: bytes, retain: bool, qos: int,
                 ack: Callable[[], None] | None = None):
        self.topic = topic
        self.payload = payload
        self.retain = retain
        self.qos = qos
        self._ack = ack

    def ack(self) -> None:
        """Acknowledge to the broker (only with ``manual_ack``; once; else a no-op). The hub
        calls it after its commit, so a crash before the commit means a redelivery."""
        ack, self._ack = self._ack, None
        if ack is not None:
            ack()

    def __repr__(self) -> str:
        return f"Incoming({self.topic!r}, {len(self.payload)} bytes, retain={self.retain})"


class Published:
    """What became of one ``publish()``. ``done`` is set when the broker acknowledged it
    (QoS 1), when it was written (QoS 0), or at once when it was refused (``rc`` says why)."""

    __slots__ = ("topic", "qos", "mid", "rc", "done")

    def __init__(self, topic: str, qos: int):
        self.topic = topic
        self.qos = qos
        self.mid: int | None = None
        self.rc = MQTTErrorCode.MQTT_ERR_SUCCESS
        self.done = threading.Event()

    @property
    def refused(self) -> bool:
        """paho refused it for good (queue full, or QoS 0 while disconnected)."""
        return self.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN)


class _Worker:
    """The default ``deliver``: one thread running handed-over work in order."""

    def __init__(self, name: str):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __call__(self, fn: Callable[[], None]) -> None:
        self._queue.put(fn)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> None:
        self._queue.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(max(0.0, timeout))

    def is_current(self) -> bool:
        return threading.current_thread() is self._thread

    def _run(self) -> None:
        while (fn := self._queue.get()) is not None:
            fn()   # already guarded by HallClient.deliver: never raises


class _Subscription:
    __slots__ = ("filter", "qos", "handler", "ready")

    def __init__(self, topic_filter: str, qos: int, handler: Callable[[Incoming], None]):
        self.filter, self.qos, self.handler = topic_filter, qos, handler
        self.ready = threading.Event()


class HallClient:
    """A device's link to the hall broker: username = client id = device id (the broker
    enforces the pair: ``use_username_as_clientid``).

    Handlers, link callbacks and command replies run via ``deliver``, never on paho's thread.
    """

    def __init__(self, *, site: str, device: str, role: str, password: str, host: str,
                 port: int, deliver: Deliver | None = None, keepalive: int = 5,
                 clean_session: bool = True, manual_ack: bool = False,
                 now_ms: Callable[[], int] = _wall_ms,
                 announce: bool = True, max_queued: int = MAX_QUEUED,
                 tls_ca: str | os.PathLike | None = None):
        if role not in ROLES:
            raise UsageError(f"role {role!r} is not one of {', '.join(ROLES)}")
        if not valid_id(device):
            raise UsageError(f"device id {device!r} cannot be a topic level")
        self.topics = Topics(site)
        self.device, self.role = device, role
        self.session = uuid.uuid4().hex[:16]   # random per process (docs/protocol.md)
        self.bdseq = 0
        self.last_refusal: str | None = None   # why the broker last refused our login
        self.login_refused = threading.Event()  # set while the broker refuses our login
        self._host, self._port, self._keepalive = host, port, keepalive
        self._manual_ack = manual_ack
        self._max_queued = max_queued
        self._now_ms = now_ms
        # A tool (antrean status) may keep quiet: no presence, no will, no health of its own.
        self._announce = announce
        self._started_at = time.monotonic()
        self._worker = _Worker(f"mqtt-deliver-{device}") if deliver is None else None
        self._deliver = deliver or self._worker
        self._lock = threading.Lock()   # guards only our dicts; never held around paho calls
        self._subs: list[_Subscription] = []
        self._pending: dict[int, Published] = {}
        self._acked_early: set[int] = set()
        self._sub_pending: dict[int, tuple[list[_Subscription], bool]] = {}
        self._subacked_early: set[int] = set()
        self._link_callbacks: list[Callable[[bool], None]] = []
        self._health_fields: dict = {"errors": []}
        self._up = threading.Event()
        self._stopping = threading.Event()
        self._unreachable_logged = False
        self._started = False
        self._client = self._make_client(password, clean_session)
        if tls_ca is not None:
            self._use_tls(tls_ca)

    def _use_tls(self, ca: str | os.PathLike) -> None:
        """Verify the broker against the hall's CA and the host name it is dialled by
        (paho's defaults: CERT_REQUIRED, hostname checked)."""
        try:
            self._client.tls_set(ca_certs=os.fspath(ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        except (OSError, ssl.SSLError) as e:
            raise ConfigError(f"cannot use it as the hall's CA certificate: {e}",
                              os.fspath(ca)) from None

    def _make_client(self, password: str, clean_session: bool) -> paho.Client:
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id=self.device,
                        clean_session=clean_session, protocol=paho.MQTTv311,
                        manual_ack=self._manual_ack)
        c.username_pw_set(self.device, password)
        c.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        c.connect_timeout = CONNECT_TIMEOUT_S
        c.max_queued_messages_set(self._max_queued)
        c.on_pre_connect = self._on_pre_connect
        c.on_connect = self._on_connect
        c.on_connect_fail = self._on_connect_fail
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_publish = self._on_publish
        c.on_subscribe = self._on_subscribe
        c.on_socket_open = _no_delay
        return c

    # ---- public API ------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Connected, presence announced, and the broker confirmed every subscription."""
        return self._up.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._up.wait(timeout)

    def start(self) -> None:
        """Connect in the background; a broker that is down now is retried until it is up."""
        if self._started:
            raise UsageError("HallClient.start() called twice")
        self._started = True
        if self._worker is not None:
            self._worker.start()
        # connect_async + loop_start: connect() would raise at once when the broker is down.
        self._client.connect_async(self._host, self._port, self._keepalive)
        self._client.loop_start()
        threading.Thread(target=self._tick_health, name=f"mqtt-health-{self.device}",
                         daemon=True).start()

    def stop(self, timeout: float = 5.0) -> None:
        """Say ``offline``, disconnect and stop the threads; every wait is bounded."""
        if not self._started or self._stopping.is_set():
            return
        deadline = time.monotonic() + timeout
        remaining = lambda: max(0.0, deadline - time.monotonic())  # noqa: E731
        self._stopping.set()
        if self.connected and self._announce:
            self.publish(self.topics.presence(self.device), self._presence("offline"),
                         qos=1, retain=True).done.wait(remaining())
        # A clean DISCONNECT: the broker drops the will, so "offline" stays.
        self._client.disconnect()
        # loop_stop() joins paho's thread with no timeout; run it aside and wait bounded.
        stopper = threading.Thread(target=self._client.loop_stop, daemon=True)
        stopper.start()
        stopper.join(remaining())
        if not stopper.is_alive():
            # paho 2.1 keeps loop_start()'s wake-up socket pair open until the client is
            # garbage collected (and in a reference cycle not even then, cleanly).
            self._client._reset_sockets(sockpair_only=True)
        if self._worker is not None:
            self._worker.stop(remaining())

    def subscribe(self, topic_filter: str, handler: Callable[[Incoming], None],
                  qos: int = 1) -> threading.Event:
        """Call ``handler(Incoming)`` (via deliver) for every message matching the filter,
        across reconnects. Returns an event set once the broker confirmed the subscription.
        A retained message may arrive twice around a reconnect: handlers must be idempotent
        (snapshots are ordered by epoch/rev, commands by id)."""
        sub = _Subscription(topic_filter, qos, handler)
        with self._lock:
            self._subs.append(sub)
        if self.connected:
            rc, mid = self._client.subscribe(topic_filter, qos)
            if rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._track_suback(mid, [sub], False)
        return sub.ready

    def publish(self, topic: str, payload: bytes, qos: int = 1,
                retain: bool = False) -> Published:
        """Publish without blocking. While the link is down QoS 1 messages wait in paho's
        queue and go out after the reconnect; watch ``.done`` rather than wait_for_publish()."""
        pub = Published(topic, qos)
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        pub.mid, pub.rc = info.mid, info.rc
        # QoS 0 while disconnected is dropped by paho (no on_publish ever); so is anything
        # refused for a full queue.
        if pub.refused or (qos == 0 and info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN):
            if pub.refused:
                log.warning("publish to %s refused: %s", topic, paho.error_string(info.rc))
            pub.done.set()
            return pub
        # paho may call on_publish before publish() returns (the PUBACK raced us): then the
        # mid is already in _acked_early.
        with self._lock:
            if info.mid in self._acked_early:
                self._acked_early.discard(info.mid)
                pub.done.set()
            else:
                self._pending[info.mid] = pub
        return pub

    def on_link(self, callback: Callable[[bool], None]) -> None:
        """``callback(True)`` when the link comes up, ``callback(False)`` when it drops."""
        with self._lock:
            self._link_callbacks.append(callback)

    def set_health(self, fields: dict) -> None:
        """Replace the role's health fields and publish them (retained) with the common ones."""
        self._health_fields = dict(fields)
        if self.connected:
            self._publish_health()

    def deliver(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the role's loop; if it raises, log it and go on."""
        try:
            self._deliver(functools.partial(_guarded, fn))
        except Exception:   # e.g. the role's loop is gone while shutting down
            log.exception("could not hand work to the role's loop")

    def in_worker(self) -> bool:
        """True on the default deliver thread (where blocking would stall every handler)."""
        return self._worker is not None and self._worker.is_current()

    # ---- presence and health -----------------------------------------------------------------

    def _presence(self, state: str) -> bytes:
        return encode("presence", device=self.device, role=self.role, state=state,
                      session=self.session, bdseq=self.bdseq, at=self._now_ms())

    def _publish_health(self) -> None:
        if not self._announce:
            return
        common = {"device": self.device, "role": self.role, "at": self._now_ms(),
                  "version": _version(),
                  "uptime_s": int(time.monotonic() - self._started_at)}
        self.publish(self.topics.health(self.device),
                     encode("health", **{**self._health_fields, **common}), qos=1, retain=True)

    def _tick_health(self) -> None:
        # An Event wait, not a sleep: stop() ends it at once.
        while not self._stopping.wait(HEALTH_EVERY_S):
            if self.connected:
                self._publish_health()

    # ---- paho callbacks: on paho's network thread. Short, never blocking, never raising:
    # paho 2.x re-raises a callback's exception (suppress_exceptions=False) and that kills
    # its network thread, which would end reconnects for good.

    def _on_pre_connect(self, client, userdata) -> None:
        try:
            # paho sends the will stored at the moment of each CONNECT, and calls this hook
            # just before every attempt (first connect and every automatic reconnect), so
            # the will always carries the bdseq of the connection it belongs to.
            self.bdseq += 1
            if not self._announce:
                return
            client.will_set(self.topics.presence(self.device), self._presence("lost"),
                            qos=1, retain=True)
        except Exception:
            log.exception("setting the last will failed")

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            # VERSION2 reason codes are objects: compare by value, never with `is`.
            if reason_code.is_failure:
                self.last_refusal = str(reason_code)
                self.login_refused.set()
                log.error("broker %s:%s refused %s: %s", self._host, self._port, self.device,
                          reason_code)
                return
            self.last_refusal = None
            self.login_refused.clear()
            self._unreachable_logged = False
            log.info("%s connected to %s:%s (bdseq %d, session present %s)", self.device,
                     self._host, self._port, self.bdseq, flags.session_present)
            if self._announce:
                self.publish(self.topics.presence(self.device), self._presence("online"),
                             qos=1, retain=True)
                self._publish_health()
            with self._lock:
                subs = list(self._subs)
            # Subscriptions are made here so that they come back after every reconnect,
            # even with a clean session. The link counts as up once the broker confirmed
            # them (SUBACK), so "connected" means "messages for us will arrive".
            if subs:
                rc, mid = client.subscribe([(s.filter, s.qos) for s in subs])
                if rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
                    self._track_suback(mid, subs, True)
                    return
            self._link_up()
        except Exception:
            log.exception("on_connect failed")

    def _link_up(self) -> None:
        self._up.set()
        self._notify_link(True)

    def _track_suback(self, mid: int, subs: list[_Subscription], on_connect: bool) -> None:
        # Like PUBACKs, a SUBACK may be handled before subscribe() returned its mid.
        with self._lock:
            early = mid in self._subacked_early
            self._subacked_early.discard(mid)
            if not early:
                self._sub_pending[mid] = (subs, on_connect)
        if early:
            self._subscribed(subs, on_connect)

    def _subscribed(self, subs: list[_Subscription], on_connect: bool) -> None:
        for s in subs:
            s.ready.set()
        if on_connect:
            self._link_up()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        try:
            refused = [str(rc) for rc in reason_codes if rc.is_failure]
            if refused:
                log.error("broker refused a subscription of %s: %s", self.device, refused)
            with self._lock:
                entry = self._sub_pending.pop(mid, None)
                if entry is None:
                    self._subacked_early.add(mid)
            if entry is not None:
                self._subscribed(*entry)
        except Exception:
            log.exception("on_subscribe failed")

    def _on_connect_fail(self, client, userdata) -> None:
        if not self._unreachable_logged:
            self._unreachable_logged = True
            log.warning("broker %s:%s unreachable; retrying every %s-%s s", self._host,
                        self._port, RECONNECT_MIN_S, RECONNECT_MAX_S)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            was_up = self._up.is_set()
            self._up.clear()
            with self._lock:   # SUBACKs of a dead connection never come
                self._sub_pending.clear()
                self._subacked_early.clear()
                # Nor do QoS 0 messages paho had not written yet: it drops them on
                # reconnect without calling on_publish. (QoS 1 ones are sent again.)
                lost = [m for m, p in self._pending.items() if p.qos == 0]
                lost_pubs = [self._pending.pop(m) for m in lost]
            for pub in lost_pubs:
                pub.rc = MQTTErrorCode.MQTT_ERR_CONN_LOST
                pub.done.set()
            if was_up:
                if not self._stopping.is_set():
                    log.warning("%s lost the broker: %s", self.device, reason_code)
                self._notify_link(False)
        except Exception:
            log.exception("on_disconnect failed")

    def _on_message(self, client, userdata, message) -> None:
        try:
            ack = None
            if self._manual_ack and message.qos > 0:
                ack = functools.partial(client.ack, message.mid, message.qos)
            msg = Incoming(message.topic, bytes(message.payload), bool(message.retain),
                           message.qos, ack)
            with self._lock:
                handlers = [s.handler for s in self._subs
                            if paho.topic_matches_sub(s.filter, msg.topic)]
            if not handlers:
                msg.ack()   # nobody will ever ack it: do not leave it unacknowledged
            for handler in handlers:
                self.deliver(functools.partial(handler, msg))
        except Exception:
            log.exception("on_message failed for %s", getattr(message, "topic", "?"))

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        with self._lock:
            pub = self._pending.pop(mid, None)
            if pub is None:
                self._acked_early.add(mid)
        if pub is not None:
            pub.done.set()

    def _notify_link(self, up: bool) -> None:
        with self._lock:
            callbacks = list(self._link_callbacks)
        for cb in callbacks:
            self.deliver(functools.partial(cb, up))


def _guarded(fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception:
        log.exception("handler %r failed; going on", fn)


def _no_delay(client, userdata, sock) -> None:
    """paho leaves Nagle's algorithm on: a small PUBLISH then waits up to 40 ms for the
    broker's delayed ACK of the previous one, which would dominate every call on a LAN."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):   # not a TCP socket (e.g. websockets/unix): fine
        pass
