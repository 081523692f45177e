"""CommandChannel over a real broker, with a small stand-in hub that answers (or not)."""
from __future__ import annotations

import json
import threading

import pytest

from antrean.clock import HubClock
from antrean.command import CommandChannel
from antrean.errors import BrokerError, UsageError
from antrean.protocol import Topics, decode, encode

T = Topics("mpp-test")


class FakeHub:
    """Answers every command with a lease of number 1 while ``answering`` is set."""

    def __init__(self, client_for):
        self.client = client_for("hub", start=False)
        self.answering = threading.Event()
        self.answering.set()
        self.commands: list[tuple[str, bytes]] = []
        self._cond = threading.Condition()
        self.client.subscribe(T.all_cmds, self._on_cmd)
        self.client.start()
        assert self.client.wait_connected(5)

    def _on_cmd(self, msg) -> None:
        with self._cond:
            self.commands.append((msg.topic, msg.payload))
            self._cond.notify_all()
        if self.answering.is_set():
            cmd = json.loads(msg.payload)
            self.reply(T.device_of(msg.topic), cmd["id"])

    def reply(self, device: str, cid, number: int = 1) -> None:
        lease = {"service": "KTP", "day": "2026-11-25", "first": number, "last": number}
        self.client.publish(T.reply(device),
                            encode("reply", id=cid, ok=True, result={"lease": lease}))

    def wait_commands(self, n: int, timeout: float = 5) -> list[tuple[str, bytes]]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.commands) >= n, timeout)
            return list(self.commands)


class Replies:
    """on_reply that counts its calls and lets the test wait for them."""

    def __init__(self):
        self.calls: list = []
        self._cond = threading.Condition()

    def __call__(self, reply) -> None:
        with self._cond:
            self.calls.append(reply)
            self._cond.notify_all()

    def wait(self, n: int = 1, timeout: float = 5) -> list:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.calls) >= n, timeout), self.calls
            return list(self.calls)


@pytest.fixture
def hub(client_for):
    return FakeHub(client_for)


@pytest.fixture
def clock():
    c = HubClock()
    c.observe(1_795_400_000_000)
    return c


@pytest.fixture
def channel(client_for, clock):
    kiosk = client_for("kiosk-1", start=False)
    ch = CommandChannel(kiosk, T, "kiosk-1", clock)
    kiosk.start()
    assert kiosk.wait_connected(5)
    yield ch
    ch.close()


def test_reply_arrives_once_with_the_command_id(hub, channel):
    replies = Replies()
    cid = channel.send("ticket.request", {"service": "KTP"}, timeout=5, on_reply=replies)
    [reply] = replies.wait()
    assert reply.id == cid and reply.ok and reply.result.lease.first == 1
    [(topic, payload)] = hub.wait_commands(1)
    cmd = decode(payload)
    assert topic == T.cmd("kiosk-1") and cmd.id == cid and len(cid) == 32
    # sent_at is on the hub's clock, not this machine's.
    assert 1_795_400_000_000 <= cmd.sent_at < 1_795_400_000_000 + 60_000
    assert channel.pending() == 0


def test_every_send_gets_a_fresh_id(hub, channel):
    replies = Replies()
    ids = {channel.send("lease.request", {"service": "KK"}, timeout=5, on_reply=replies)
           for _ in range(5)}
    assert len(ids) == 5
    assert {r.id for r in replies.wait(5)} == ids


def test_timeout_fires_exactly_once_and_late_reply_is_dropped(hub, channel, caplog):
    hub.answering.clear()
    first = Replies()
    cid = channel.send("ticket.request", {"service": "KTP"}, timeout=0.3, on_reply=first)
    assert first.wait() == [None]
    # The hub answers after all: the late reply must not reach on_reply again.
    caplog.set_level("INFO", logger="antrean.command")
    hub.reply("kiosk-1", cid, number=2)
    hub.answering.set()
    second = Replies()
    channel.send("ticket.request", {"service": "KTP"}, timeout=5, on_reply=second)
    assert second.wait()[0].ok
    # Replies are handled in order on one loop: the late one was handled before the second.
    assert first.calls == [None]
    assert f"late or repeated reply to command {cid}" in caplog.text


def test_retry_resends_the_same_command(hub, channel, clock):
    hub.answering.clear()
    timed_out = Replies()
    cid = channel.send("counter.next", {"counter": 1}, timeout=0.2, on_reply=timed_out)
    assert timed_out.wait() == [None]
    clock.observe(1_795_400_009_000)     # time passed on the hub meanwhile
    hub.answering.set()
    answered = Replies()
    assert channel.retry(cid, timeout=5, on_reply=answered) == cid
    [reply] = answered.wait()
    assert reply.id == cid
    [(_, first), (_, again)] = hub.wait_commands(2)
    # Same id and same sent_at: the hub answers from its record, and a stale press stays stale.
    assert again == first


def test_send_with_a_chosen_id(hub, channel):
    replies = Replies()
    assert channel.send("ticket.printed", {"ticket": "2026-11-23.KTP.1"}, timeout=5,
                        on_reply=replies, cmd_id="outbox-7") == "outbox-7"
    assert replies.wait()[0].id == "outbox-7"


def test_retry_of_unknown_command_is_a_usage_error(channel):
    with pytest.raises(UsageError):
        channel.retry("never-sent", timeout=1, on_reply=Replies())


def test_unknown_and_bad_replies_are_ignored(hub, channel, caplog):
    hub.answering.clear()
    replies = Replies()
    cid = channel.send("lease.request", {"service": "KTP"}, timeout=5, on_reply=replies)
    hub.client.publish(T.reply("kiosk-1"), b"not json")
    hub.client.publish(T.reply("kiosk-1"), encode("reply", id="someone-else", ok=True))
    hub.reply("kiosk-1", cid, number=7777)
    [reply] = replies.wait()
    assert reply.result.lease.first == 7777
    assert "ignoring bad reply" in caplog.text


def test_request_blocks_until_the_reply(hub, channel):
    reply = channel.request("lease.request", {"service": "KTP"}, timeout=5)
    assert reply.ok and reply.result.lease.service == "KTP"


def test_request_raises_broker_error_on_timeout(hub, channel):
    hub.answering.clear()
    with pytest.raises(BrokerError, match="no reply"):
        channel.request("lease.request", {"service": "KTP"}, timeout=0.2)


def test_request_from_a_handler_is_refused(client_for, clock):
    # Given a display whose handler (wrongly) makes a blocking request,
    display = client_for("display-hall", start=False)
    ch = CommandChannel(display, T, "display-hall", clock)
    errors = Replies()

    def handler(msg):
        try:
            ch.request("counter.next", {"counter": 1}, timeout=1)
        except UsageError as e:
            errors(e)

    display.subscribe(T.called, handler)
    display.start()
    assert display.wait_connected(5)
    # when a message arrives, then the request is refused instead of stalling the loop.
    client_for("hub").publish(T.called, encode("called", call={"call_id": 1}))
    assert isinstance(errors.wait()[0], UsageError)


def test_close_cancels_pending_without_callbacks(hub, channel):
    hub.answering.clear()
    replies = Replies()
    channel.send("lease.request", {"service": "KTP"}, timeout=0.2, on_reply=replies)
    channel.close()
    assert channel.pending() == 0
    # A later command times out after the first one would have: timeouts are handed to
    # the same loop in order, so by then the first one's would have been seen.
    later = Replies()
    channel.send("lease.request", {"service": "KTP"}, timeout=0.4, on_reply=later)
    assert later.wait() == [None]
    assert replies.calls == []
