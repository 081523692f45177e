"""Send a command to the hub and get its reply, or hear that none came in time.

Commands follow docs/protocol.md: each carries an id chosen here (a UUID4 hex) and its
``sent_at`` on the hub's clock, goes to ``cmd/<device>``, and is answered on
``reply/<device>``. ``on_reply`` is called exactly once per ``send``: with the reply, or with
None at the timeout. A retry re-sends the very same payload (same id, same ``sent_at``), so
the hub answers it from its record and a stale press stays stale.
"""
from __future__ import annotations

import collections
import functools
import logging
import threading
import uuid
from typing import Callable

from .clock import HubClock
from .errors import BrokerError, ProtocolError, UsageError
from .messages import Reply
from .protocol import Topics, decode, encode

log = logging.getLogger(__name__)
_REPLY = (Reply,)
REMEMBERED = 256    # commands kept for retry() and for naming late replies

OnReply = Callable[[Reply | None], None]


class _Pending:
    __slots__ = ("on_reply", "timer")

    def __init__(self, on_reply: OnReply, timer: threading.Timer):
        self.on_reply, self.timer = on_reply, timer


class CommandChannel:
    """Commands of one device over a :class:`~antrean.mqtt.HallClient`."""

    def __init__(self, client, topics: Topics, device: str, clock: HubClock):
        self._client = client
        self._topics = topics
        self._device = device
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        # id -> exact payload, newest last, for retry() and to tell late replies apart.
        self._sent: collections.OrderedDict[str, bytes] = collections.OrderedDict()
        client.subscribe(topics.reply(device), self._on_reply, qos=1)

    def send(self, mtype: str, fields: dict, *, timeout: float, on_reply: OnReply,
             cmd_id: str | None = None) -> str:
        """Publish a command; ``on_reply(reply)`` or ``on_reply(None)`` follows once, via the
        client's deliver. Returns the command id. ``cmd_id`` names the command yourself (an
        outbox re-sending after a restart); leave it None for a new intent."""
        cid = cmd_id or uuid.uuid4().hex
        payload = encode(mtype, id=cid, sent_at=self._clock.now_ms(), **fields)
        self._dispatch(cid, payload, timeout, on_reply)
        return cid

    def retry(self, cmd_id: str, *, timeout: float, on_reply: OnReply) -> str:
        """Send a command again exactly as first sent (same id, same ``sent_at``)."""
        with self._lock:
            payload = self._sent.get(cmd_id)
        if payload is None:
            raise UsageError(f"no command {cmd_id!r} to retry (sent too long ago, or never)")
        self._dispatch(cmd_id, payload, timeout, on_reply)
        return cmd_id

    def request(self, mtype: str, fields: dict, timeout: float) -> Reply:
        """Blocking variant for tools and tests; raises BrokerError when no reply comes.
        Never call it from a handler: the reply would wait behind it."""
        if self._client.in_worker():
            raise UsageError("CommandChannel.request() called from a message handler")
        box: list[Reply | None] = []
        done = threading.Event()

        def got(reply: Reply | None) -> None:
            box.append(reply)
            done.set()

        cid = self.send(mtype, fields, timeout=timeout, on_reply=got)
        # The timer fires on_reply(None) at `timeout`; the margin covers the hand-over.
        done.wait(timeout + 5)
        if not box or box[0] is None:
            raise BrokerError(f"no reply from the hub to {mtype} {cid} within {timeout} s")
        return box[0]

    def close(self) -> None:
        """Forget every pending command without calling its on_reply (shutting down)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        for p in pending.values():
            p.timer.cancel()

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def _dispatch(self, cid: str, payload: bytes, timeout: float, on_reply: OnReply) -> None:
        timer = threading.Timer(timeout, self._expire, args=(cid,))
        timer.daemon = True
        with self._lock:
            if cid in self._pending:
                raise UsageError(f"command {cid} is still waiting for its reply")
            # Registered before publishing: the reply may come back before publish() returns.
            self._pending[cid] = _Pending(on_reply, timer)
            self._sent[cid] = payload
            self._sent.move_to_end(cid)
            while len(self._sent) > REMEMBERED:
                self._sent.popitem(last=False)
        timer.start()
        self._client.publish(self._topics.cmd(self._device), payload, qos=1)

    def _expire(self, cid: str) -> None:
        # On the timer's thread: whoever pops the entry first (reply or timeout) wins.
        with self._lock:
            p = self._pending.pop(cid, None)
        if p is not None:
            log.info("command %s got no reply in time", cid)
            self._client.deliver(functools.partial(p.on_reply, None))

    def _on_reply(self, msg) -> None:
        # Already on the role's loop (the client delivers handlers there).
        try:
            reply = decode(msg.payload, _REPLY)
        except ProtocolError as e:
            log.warning("ignoring bad reply on %s: %s", msg.topic, e)
            return
        cid = reply.id
        with self._lock:
            p = self._pending.pop(cid, None) if cid is not None else None
            known = cid in self._sent
        if p is None:
            if known:
                log.info("late or repeated reply to command %s dropped", cid)
            elif cid is None:
                log.warning("hub could not read one of our commands: %s", reply.error)
            else:
                log.debug("reply to unknown command %s ignored", cid)
            return
        p.timer.cancel()
        p.on_reply(reply)
