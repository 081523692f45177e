"""An intruder with one card's login tries to take over every other device's session.

MQTT closes the older of two connections with one client id. Unless the broker ties the
client id to the login, a stolen kiosk login connecting as client id ``hub`` knocks the hub
off. The intruder here uses the stock paho client, every login of the hall against every
other device's client id, while the real devices stay connected.
"""
from __future__ import annotations

import threading
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from antrean.deploy.broker import BrokerProcess, free_port, logins, write_broker_config
from antrean.deploy.credentials import complete, hashed
from antrean.protocol import Topics

CONNECT_S = 5
TAKEOVER = "already connected, closing old connection"


class Link:
    """A device's connection, counting how often it connected and lost the broker."""

    def __init__(self, broker: BrokerProcess, username: str, password: str, client_id: str):
        self.connects = self.drops = 0
        self.refused: str | None = None
        self.up = threading.Event()
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        c.username_pw_set(username, password)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.connect(broker.host, broker.port, keepalive=30)
        c.loop_start()
        self.client = c
        if not self.up.wait(CONNECT_S):
            raise AssertionError(f"{username} as {client_id!r} did not connect: {self.refused}")

    def _on_connect(self, client, userdata, flags, reason, props):
        if reason.is_failure:
            self.refused = str(reason)
            return
        self.connects += 1
        self.up.set()

    def _on_disconnect(self, client, userdata, flags, reason, props):
        self.drops += 1

    def round_trip(self, topic: str) -> None:
        """A QoS 1 publish acknowledged on this connection: the broker still serves it."""
        assert self.client.publish(topic, b"{}", qos=1).wait_for_publish(CONNECT_S) is None

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def log_lines_through(broker: BrokerProcess, marker: str, count: int) -> list[str]:
    """The broker's log once it holds ``count`` lines with ``marker``. Mosquitto logs in
    order, so every line of what happened before is in it (its log is read by a thread)."""
    return broker.wait_for_log(lambda lines: sum(marker in line for line in lines) >= count,
                               CONNECT_S)


def attack(site, conf, passwords) -> tuple[list[str], dict[str, tuple[int, int]]]:
    """Every login connects under every other login's client id while the real devices are
    on; returns the broker's log and (connects, drops) of each real device's link."""
    accounts = logins(site)
    t = Topics(site.id)
    broker = BrokerProcess(conf).start()
    real: dict[str, Link] = {}
    try:
        real = {d: Link(broker, d, passwords[d], d) for d in accounts}
        attempts = 0
        for intruder in accounts:
            # The intruder holds this card: its own device is the one it replaces.
            real.pop(intruder).close()
            for victim in accounts:
                if victim != intruder:
                    Link(broker, intruder, passwords[intruder], victim).close()
                    attempts += 1
            real[intruder] = Link(broker, intruder, passwords[intruder], intruder)
        for device, link in real.items():
            link.round_trip(t.health(device))
        # The last connection logged is the hub's own return: the log holds everything.
        log = log_lines_through(broker, "New client connected", len(accounts) * 2 + attempts)
        return log, {d: (link.connects, link.drops) for d, link in real.items()}
    finally:
        for link in real.values():
            link.close()
        broker.stop()


def hall_broker(site, tmp_path) -> tuple[Path, dict[str, str]]:
    passwords, _ = complete(site, {})
    return write_broker_config(site, tmp_path / "b", hashes=hashed(passwords), port=free_port(),
                               bind="127.0.0.1"), passwords


def test_no_login_takes_over_another_devices_session(tmp_path, hall_site):
    conf, passwords = hall_broker(hall_site, tmp_path)
    log, real = attack(hall_site, conf, passwords)
    # Every login's client ids were tried (hub, kiosks, displays, box and operators) ...
    assert {"hub", "kiosk-1", "display-hall", "box-1", "ops-status"} <= set(real)
    # ... and no session was closed for another, no device dropped or had to reconnect.
    assert [line for line in log if TAKEOVER in line] == []
    assert real == {d: (1, 0) for d in real}


def test_without_the_binding_a_kiosk_login_knocks_the_hub_off(tmp_path, hall_site):
    # The control: the same broker config without use_username_as_clientid.
    conf, passwords = hall_broker(hall_site, tmp_path)
    text = conf.read_text()
    assert "use_username_as_clientid true\n" in text
    conf.write_text(text.replace("use_username_as_clientid true\n", ""))
    broker = BrokerProcess(conf).start()
    try:
        hub = Link(broker, "hub", passwords["hub"], "hub")
        Link(broker, "kiosk-1", passwords["kiosk-1"], "hub").close()
        log = log_lines_through(broker, TAKEOVER, 1)
        assert any(f"Client hub {TAKEOVER}" in line for line in log)
        hub.close()
    finally:
        broker.stop()
