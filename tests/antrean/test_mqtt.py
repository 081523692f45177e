"""HallClient against a real Mosquitto: logins, ACL, presence, reconnects, delivery."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from antrean.errors import UsageError
from antrean.mqtt import HallClient
from antrean.protocol import Topics, decode, encode
from tests.fixtures.broker import Inbox, json_of

REPO = Path(__file__).resolve().parents[2]
T = Topics("mpp-test")


def observer(client_for, *filters: str) -> Inbox:
    """The hub (the only login that may read everything), subscribed to ``filters``
    (default: the whole site tree) before it connects."""
    return observing_hub(client_for, *filters)[1]


def observing_hub(client_for, *filters: str) -> tuple[HallClient, Inbox]:
    inbox = Inbox()
    hub = client_for("hub", start=False)
    for f in filters or (f"{T.base}/#",):
        hub.subscribe(f, inbox)
    hub.start()
    assert hub.wait_connected(5)
    return hub, inbox


def link_events(client: HallClient):
    up, down = threading.Event(), threading.Event()
    client.on_link(lambda ok: (up if ok else down).set())
    return up, down


# ---- logins --------------------------------------------------------------------------------

def test_wrong_password_is_refused(client_for):
    kiosk = client_for("kiosk-1", password="not-the-password", start=False)
    kiosk.start()
    assert kiosk.login_refused.wait(5)
    assert not kiosk.connected
    assert "not authori" in kiosk.last_refusal.lower()


def test_anonymous_login_is_refused(broker):
    refused = threading.Event()
    codes = []
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id="stranger")
    c.on_connect = lambda cl, ud, fl, rc, pr: (codes.append(rc), refused.set())
    c.connect(broker.host, broker.port, 5)
    c.loop_start()
    try:
        assert refused.wait(5)
        assert codes[0].is_failure
    finally:
        c.disconnect()
        c.loop_stop()


def test_every_site_login_connects(client_for, hall_site):
    for device in ("hub", "kiosk-1", "display-hall", "display-3", "box-1"):
        assert client_for(device).connected


def test_bad_role_or_device_is_a_usage_error(broker):
    with pytest.raises(UsageError):
        HallClient(site="mpp-test", device="kiosk-1", role="printer", password="x",
                   host=broker.host, port=broker.port)
    with pytest.raises(UsageError):
        HallClient(site="mpp-test", device="kiosk/1", role="kiosk", password="x",
                   host=broker.host, port=broker.port)


# ---- ACL -----------------------------------------------------------------------------------

def test_kiosk_cannot_publish_other_commands_or_state(client_for):
    inbox = observer(client_for)
    kiosk = client_for("kiosk-1")
    for topic in (T.cmd("box-1"), T.cmd("kiosk-2"), T.service("KTP"), T.counter(1),
                  T.reply("kiosk-1"), T.presence("display-hall")):
        kiosk.publish(topic, b'{"forged":true}')
    marker = kiosk.publish(T.cmd("kiosk-1"), b'{"marker":true}')
    assert marker.done.wait(5)
    # The broker handles one client's publishes in order: the marker came through, the
    # forged ones before it did not.
    assert inbox.wait_for(lambda m: m.topic == T.cmd("kiosk-1"))
    assert not [m for m in inbox.messages if b"forged" in m.payload]


def test_display_cannot_publish_commands(client_for):
    inbox = observer(client_for)
    display = client_for("display-hall")
    display.publish(T.cmd("display-hall"), b'{"forged":true}')
    display.publish(T.cmd("kiosk-1"), b'{"forged":true}')
    display.set_health({"errors": [], "marker": True})
    assert inbox.wait_for(lambda m: m.topic == T.health("display-hall")
                          and json_of(m).get("marker"))
    assert not [m for m in inbox.messages if b"forged" in m.payload]


def test_kiosk_reads_only_its_own_replies(client_for):
    kiosk = client_for("kiosk-1")
    inbox = Inbox()
    assert kiosk.subscribe(f"{T.base}/reply/+", inbox).wait(5)
    hub = client_for("hub")
    hub.publish(T.reply("box-1"), b'{"for":"box"}')
    hub.publish(T.reply("kiosk-1"), b'{"for":"kiosk"}')
    assert inbox.wait_for(lambda m: m.topic == T.reply("kiosk-1"))
    assert [m.topic for m in inbox.messages] == [T.reply("kiosk-1")]


# ---- presence and health -------------------------------------------------------------------

def test_presence_online_then_offline_on_clean_stop(client_for):
    hub, inbox = observing_hub(client_for, T.all_presence)
    kiosk = client_for("kiosk-1")
    online = inbox.wait_for(lambda m: m.topic == T.presence("kiosk-1"))
    body = decode(online.payload)
    assert (body.state, body.session, body.bdseq, body.role) == \
        ("online", kiosk.session, 1, "kiosk")
    kiosk.stop()
    offline = inbox.wait_for(lambda m: json_of(m)["device"] == "kiosk-1"
                             and json_of(m)["state"] == "offline")
    assert json_of(offline)["session"] == kiosk.session
    # Retained: someone who looks later sees "offline" too. (One login, one connection:
    # a second "hub" would take over the first one's connection.)
    hub.stop()
    late = Inbox()
    late_hub = client_for("hub", start=False)
    late_hub.subscribe(T.presence("kiosk-1"), late)
    late_hub.start()
    msg = late.wait_for(lambda m: True)
    assert msg.retain and json_of(msg)["state"] == "offline"


CHILD = """
import sys
from antrean.mqtt import HallClient
port, password = int(sys.argv[1]), sys.argv[2]
c = HallClient(site="mpp-test", device="kiosk-1", role="kiosk", password=password,
               host="127.0.0.1", port=port)
c.start()
if not c.wait_connected(10):
    sys.exit(3)
print(c.session, flush=True)
sys.stdin.read()   # until the test kills us
"""


def spawn_kiosk(broker, password: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(broker.port), password],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
    session = child.stdout.readline().strip()
    if not session:
        child.kill()
        child.communicate()
        raise RuntimeError(f"child kiosk did not connect (exit {child.wait()})")
    return child, session


def test_presence_lost_after_kill_carries_session_and_bdseq(client_for, broker, hall_site):
    inbox = observer(client_for, T.all_presence)
    child, session = spawn_kiosk(broker, broker.passwords["kiosk-1"])
    try:
        def mine(state, min_bdseq=1):
            return lambda m: (json_of(m)["session"] == session and json_of(m)["state"] == state
                              and json_of(m)["bdseq"] >= min_bdseq)
        assert inbox.wait_for(mine("online"))
        # A broker restart makes the child reconnect: the will must follow the new bdseq.
        broker.restart()
        online = inbox.wait_for(mine("online", 2), timeout=10)
        assert online, [json_of(m) for m in inbox.messages]
        child.send_signal(signal.SIGKILL)
        child.wait(5)
        lost = inbox.wait_for(mine("lost", 2))
        assert lost, [json_of(m) for m in inbox.messages]
        assert json_of(lost)["bdseq"] == json_of(online)["bdseq"]
    finally:
        child.kill()
        child.communicate()   # reaps it and closes our ends of its pipes


def test_health_is_retained_with_common_fields(client_for):
    kiosk = client_for("kiosk-1")
    kiosk.set_health({"errors": [], "printer": {"status": "paper_low", "detail": "58 mm"},
                      "outbox": 2})
    inbox = observer(client_for, T.all_health)
    msg = inbox.wait_for(lambda m: m.topic == T.health("kiosk-1")
                         and "printer" in json_of(m))
    body = decode(msg.payload)
    assert msg.retain
    assert body.printer.status == "paper_low" and body.outbox == 2
    assert body.device == "kiosk-1" and body.role == "kiosk"
    assert body.version and body.uptime_s >= 0 and body.at > 0


# ---- reconnects and delivery ---------------------------------------------------------------

def test_client_started_while_broker_down_connects_when_it_comes_up(client_for, broker):
    broker.stop()
    kiosk = client_for("kiosk-1", start=False)
    up, _ = link_events(kiosk)
    kiosk.start()
    assert not kiosk.connected
    broker.start()
    assert up.wait(10), "\n".join(broker.log)
    assert kiosk.connected


def test_subscriptions_survive_broker_restart(client_for, broker):
    display = client_for("display-hall")
    inbox = Inbox()
    assert display.subscribe(f"{T.base}/state/#", inbox).wait(5)
    up, down = link_events(display)
    hub = client_for("hub")
    snapshot = encode("state.counter", epoch=1, rev=5, at=1, counter=3, paused=False,
                      number=None, service=None, call_id=None, last_call=None)
    hub.publish(T.counter(3), snapshot, retain=True)
    assert inbox.wait_for(lambda m: m.topic == T.counter(3))
    broker.restart()
    assert down.wait(10) and up.wait(10)
    again = inbox.wait_for(lambda m: m.topic == T.counter(3) and m.retain, timeout=10)
    assert again and again.payload == snapshot


def test_publish_while_disconnected_is_delivered_after_reconnect(client_for, broker):
    # The hub keeps its session (as the hub role does), so the broker queues for it even
    # while it has not reconnected yet.
    inbox = Inbox()
    hub = client_for("hub", start=False, clean_session=False)
    hub.subscribe(T.all_cmds, inbox)
    hub.start()
    assert hub.wait_connected(5)
    kiosk = client_for("kiosk-1")
    _, down = link_events(kiosk)
    broker.stop()
    assert down.wait(10)
    pub = kiosk.publish(T.cmd("kiosk-1"), b'{"while":"down"}')
    assert not pub.done.is_set() and not pub.refused
    broker.start()
    assert pub.done.wait(10)
    assert inbox.wait_for(lambda m: m.payload == b'{"while":"down"}', timeout=10)


def test_a_raising_handler_does_not_stop_delivery(client_for, caplog):
    display = client_for("display-hall")
    good = Inbox()

    def bad(msg):
        raise RuntimeError("handler bug")

    display.subscribe(T.called, bad)
    display.on_link(lambda up: 1 / 0)
    assert display.subscribe(T.called, good).wait(5)
    hub = client_for("hub")
    for n in (1, 2):
        hub.publish(T.called, encode("called", call={"call_id": n}))
    assert good.wait_for(lambda m: json_of(m)["call"]["call_id"] == 2)
    assert len(good.messages) == 2
    assert "handler bug" in caplog.text


def test_handlers_run_on_the_given_deliver(client_for):
    # Given a role loop that is a plain queue run by this (the test's) thread,
    handed: queue.Queue = queue.Queue()
    display = client_for("display-hall", start=False, deliver=handed.put)
    ran_on = []
    display.subscribe(T.called, lambda msg: ran_on.append(threading.current_thread()))
    display.start()
    hub = client_for("hub")
    assert display.wait_connected(5)
    hub.publish(T.called, encode("called", call={"call_id": 9}))
    # when we run what the client handed over, then the handler runs here and only here.
    while not ran_on:
        handed.get(timeout=5)()
    assert ran_on == [threading.current_thread()]


def test_manual_ack_redelivers_unacknowledged_messages(client_for, broker):
    # Given a hub with a kept session that does not ack a command (it crashed before its
    # commit), when it reconnects, then the broker delivers the command again.
    inbox = Inbox()
    hub = client_for("hub", start=False, clean_session=False, manual_ack=True)
    hub.subscribe(T.all_cmds, inbox)
    hub.start()
    assert hub.wait_connected(5)
    kiosk = client_for("kiosk-1")
    assert kiosk.publish(T.cmd("kiosk-1"), b'{"n":1}').done.wait(5)
    assert inbox.wait_for(lambda m: m.payload == b'{"n":1}')
    hub.stop()
    inbox2 = Inbox()
    hub2 = client_for("hub", start=False, clean_session=False, manual_ack=True)
    hub2.subscribe(T.all_cmds, inbox2)
    hub2.start()
    again = inbox2.wait_for(lambda m: m.payload == b'{"n":1}', timeout=10)
    assert again
    again.ack()
    again.ack()   # a second ack is harmless


def test_start_twice_is_a_usage_error(client_for):
    kiosk = client_for("kiosk-1")
    with pytest.raises(UsageError):
        kiosk.start()


def test_a_quiet_tool_reads_without_taking_over(client_for, broker, hall_site):
    # Given the hub connected, when a status tool logs in with its operator login and
    # announce=False,
    hub, inbox = observing_hub(client_for, T.all_presence, T.all_health)
    _, hub_down = link_events(hub)
    tool = HallClient(site="mpp-test", device="ops-status", role="operator",
                      password=broker.passwords["ops-status"], host=broker.host,
                      port=broker.port, announce=False)
    seen = Inbox()
    tool.subscribe(T.all_presence, seen)
    tool.start()
    try:
        assert tool.wait_connected(5)
        # then it reads what the hub may read (the hub's own retained presence),
        assert seen.wait_for(lambda m: m.topic == T.presence("hub"))
    finally:
        tool.stop()
    # and it neither kicked the hub off nor left presence or health of its own.
    assert hub.connected and not hub_down.is_set()
    marker = hub.publish(T.health("hub"), encode("health", device="hub", role="hub", at=1))
    assert marker.done.wait(5)
    assert inbox.wait_for(lambda m: m.topic == T.health("hub") and json_of(m)["at"] == 1)
    assert not [m for m in inbox.messages if m.topic.endswith("/ops-status")]
