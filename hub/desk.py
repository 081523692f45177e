"""The hub's command desk: raw command payloads in, committed answers out. MQTT-free.

The MQTT adapter (hub/service.py) hands over each payload of ``cmd/<device>`` as it arrives
(``take``: decoded at once, in the order received) and, once its inbox is drained, asks for
the answers (``answer``): the commands taken run together in one SQLite transaction, each in
a savepoint of its own, and every payload gets its reply, however malformed it was, once
that transaction is committed. Only a device id that cannot name ``reply/<device>`` gets
none (docs/protocol.md, "Replies").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from antrean import protocol
from antrean.errors import ProtocolError

from . import strings
from .queue import QueueEngine
from .store import Store

log = logging.getLogger("antrean.hub")


@dataclass(frozen=True)
class Answer:
    """What one command payload leads to, in the order the payloads were taken."""

    device: str
    reply: bytes | None             # for reply/<device>; None when <device> is no id
    calls: list[dict] = field(default_factory=list)     # for event/called, in order
    changed: set[tuple] = field(default_factory=set)    # snapshot keys to publish


class Desk:
    def __init__(self, engine: QueueEngine, store: Store, now_ms: Callable[[], int]):
        self.engine, self.store, self.now_ms = engine, store, now_ms
        self._taken: list[tuple[str, bytes, object]] = []   # (device, payload, command|refusal)

    def __len__(self) -> int:
        """Payloads taken and not answered yet."""
        return len(self._taken)

    def take(self, device: str, payload: bytes) -> None:
        try:
            cmd = protocol.decode(payload, protocol.COMMANDS)
        except ProtocolError as e:
            log.warning("refused payload from %s: %s", device, e)
            cmd = e.with_traceback(None)    # its frames hold copies of the payload
        self._taken.append((device, payload, cmd))

    def answer(self) -> list[Answer]:
        """Execute what was taken in one transaction; the answers once it is committed."""
        taken, self._taken = self._taken, []
        if not taken:
            return []
        now = self.now_ms()
        with self.store.transaction():      # each command in its own savepoint inside
            outcomes = [None if isinstance(cmd, ProtocolError) else
                        self.engine.execute(device, cmd, now) for device, _, cmd in taken]
        answers = []
        for (device, payload, cmd), outcome in zip(taken, outcomes):
            if outcome is None:
                answers.append(Answer(device, _reply(device, protocol.command_id(payload),
                                                     strings.envelope_refusal(cmd.code,
                                                                              cmd.message))))
            else:
                answers.append(Answer(device, _reply(device, cmd.id, outcome.reply),
                                      list(outcome.calls), set(outcome.changed)))
        return answers


def _reply(device: str, cmd_id: str | None, reply: dict) -> bytes | None:
    if not protocol.valid_id(device):
        log.warning("no reply to a command on cmd/%r: not a device id", device[:80])
        return None
    try:
        return protocol.encode("reply", id=cmd_id, **reply)
    except ProtocolError as e:      # too large: a bug (replies are small by construction)
        log.error("reply to %s from %s not sendable (%s): answering internal", cmd_id,
                  device, e)
        return protocol.encode("reply", id=cmd_id, **strings.refusal("internal"))
