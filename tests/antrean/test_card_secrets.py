"""What a stolen card opens: the technician's way from `antrean credentials` to provisioned
cards and a running broker, then an intruder who reads every file of a kiosk card.

The broker is started from the hub card's own files (its hall TOML and hashed password
file, through `antrean broker-config`), as antrean-broker.service does.
"""
from __future__ import annotations

import os
import pwd
import re
import shutil
import threading
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from antrean.deploy.broker import BrokerProcess, free_port, logins, main_broker_config
from antrean.config import load_site
from antrean.deploy.credentials import (hash_matches, main as credentials_main, read_keys,
                                        read_passwd)
from antrean.protocol import Topics
from antrean.deploy.provision import provision

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WAIT_S = 5
TOKEN = re.compile(rb"[A-Za-z0-9_.~+/=-]{8,}")


@pytest.fixture
def hall(tmp_path):
    """The technician's computer: the mini hall's TOML and a keys file made for it, and the
    hub's password file for its card."""
    shutil.copyfile(EXAMPLES / "mini-hall.toml", tmp_path / "hall.toml")
    assert credentials_main(["--config", str(tmp_path / "hall.toml"), "--keys",
                             str(tmp_path / "keys.toml"), "--passwd",
                             str(tmp_path / "passwd")]) == 0
    return tmp_path


def card(hall: Path, name: str, device_file: str) -> Path:
    """An SD card after its first boot: the FAT files copied by the technician, provisioned."""
    root = hall / name
    fat = root / "boot/firmware"
    (fat / "antrean").mkdir(parents=True)
    shutil.copyfile(hall / "hall.toml", fat / "antrean/hall.toml")
    if "BROKER_PASSWD" in device_file:
        shutil.copyfile(hall / "passwd", fat / "antrean/passwd")
    (fat / "antrean.txt").write_text(device_file)
    result = provision(fat / "antrean.txt", root)
    assert result.exit_code == 0, [str(p) for p in result.problems]
    return root


def kiosk_card(hall: Path, keys: dict) -> Path:
    return card(hall, "kiosk-card", "ROLE=kiosk\nSITE=mpp-mini\nDEVICE_ID=kiosk-1\n"
                f"DEVICE_PASSWORD={keys['kiosk-1']}\nHUB_ADDRESS=192.168.1.10\n"
                "SITE_CONFIG=/boot/firmware/antrean/hall.toml\nPRINTER=dummy\n")


def hub_broker(hall: Path, keys: dict) -> BrokerProcess:
    """The broker from the hub card's files, on a free loopback port."""
    root = card(hall, "hub-card", f"ROLE=hub\nSITE=mpp-mini\nDEVICE_PASSWORD={keys['hub']}\n"
                "BROKER_PASSWD=/boot/firmware/antrean/passwd\n"
                "SITE_CONFIG=/boot/firmware/antrean/hall.toml\n")
    out = hall / "broker"
    assert main_broker_config(["--config", str(root / "etc/antrean/site.toml"), "--passwd",
                               str(root / "etc/antrean/broker-passwd"), "--out", str(out),
                               "--port", str(free_port()), "--bind", "127.0.0.1",
                               "--user", pwd.getpwuid(os.geteuid()).pw_name]) == 0
    return BrokerProcess(out / "mosquitto.conf").start()


def every_token(root: Path) -> set[str]:
    """Every word of 8+ password characters in every file of the card, as an intruder with
    the card in a reader would try them."""
    found = set()
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            found |= {m.decode() for m in TOKEN.findall(path.read_bytes())}
    return found


class Client:
    """A stock MQTT client: connects (or is refused), publishes, collects what it reads."""

    def __init__(self, broker: BrokerProcess, login: str, password: str):
        self.got: list[tuple[str, bytes]] = []
        self.cond = threading.Condition()
        self.result: list = []
        self.done = threading.Event()
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id=login)
        c.username_pw_set(login, password)
        c.on_connect = lambda cl, u, f, reason, p: (self.result.append(reason), self.done.set())
        c.on_message = self._on_message
        c.connect(broker.host, broker.port)
        c.loop_start()
        assert self.done.wait(WAIT_S), f"{login}: no answer from the broker"
        self.client = c

    @property
    def accepted(self) -> bool:
        return not self.result[0].is_failure

    def _on_message(self, client, userdata, msg):
        with self.cond:
            self.got.append((msg.topic, msg.payload))
            self.cond.notify_all()

    def subscribe(self, *topics: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *_: done.set()
        self.client.subscribe([(t, 1) for t in topics])
        assert done.wait(WAIT_S)

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(WAIT_S)

    def wait_for(self, payload: bytes) -> list[tuple[str, bytes]]:
        with self.cond:
            assert self.cond.wait_for(lambda: any(p == payload for _, p in self.got), WAIT_S)
            return list(self.got)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_a_stolen_kiosk_card_opens_that_kiosk_and_nothing_more(hall):
    keys = read_keys(hall / "keys.toml")
    site = load_site(hall / "hall.toml")
    root = kiosk_card(hall, keys)
    hashes = read_passwd(hall / "passwd")
    # The intruder tries every word on the card against every login of the hall.
    opened = {(login, token) for token in every_token(root) for login in logins(site)
              if hash_matches(token, hashes[login])}
    assert opened == {("kiosk-1", keys["kiosk-1"])}
    # No other login's password is on the card at all, not even hashed.
    text = b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())
    assert not [login for login, pw in keys.items() if login != "kiosk-1" and pw.encode() in text]
    assert not [h for login, h in hashes.items() if h.encode() in text]
    # The hall's TOML on the card holds no password at all.
    assert set(TOKEN.findall((root / "etc/antrean/site.toml").read_bytes())).isdisjoint(
        {pw.encode() for pw in keys.values()})


def test_what_the_kiosk_login_may_do_on_a_real_broker(hall):
    keys = read_keys(hall / "keys.toml")
    t = Topics("mpp-mini")
    broker = hub_broker(hall, keys)
    made = []
    try:
        watch = Client(broker, "ops-status", keys["ops-status"])        # reads everything
        hub = Client(broker, "hub", keys["hub"])
        thief = Client(broker, "kiosk-1", keys["kiosk-1"])
        made += [watch, hub, thief]
        assert watch.accepted and hub.accepted and thief.accepted
        # The card's login is refused for any other account.
        for login in ("hub", "kiosk-2", "display-hall", "box-1", "ops-laptop"):
            other = Client(broker, login, keys["kiosk-1"])
            made.append(other)
            assert not other.accepted, login
        watch.subscribe(f"{t.base}/#")
        # Writes: its own command, presence and health pass; everything else is dropped.
        forbidden = [t.cmd("box-1"), t.cmd("kiosk-2"), t.reply("kiosk-2"),
                     t.service("KTP"), t.counter(1), t.called, t.presence("hub"),
                     t.health("display-hall")]
        for topic in forbidden:
            thief.publish(topic, b"forged")
        for topic in (t.cmd("kiosk-1"), t.presence("kiosk-1"), t.health("kiosk-1")):
            thief.publish(topic, b"own")
        thief.publish(t.health("kiosk-1"), b"marker-1")
        seen = watch.wait_for(b"marker-1")       # one connection: in order
        assert [topic for topic, p in seen if p == b"forged"] == []
        assert {topic for topic, p in seen if p == b"own"} == \
            {t.cmd("kiosk-1"), t.presence("kiosk-1"), t.health("kiosk-1")}
        # Reads: its own replies, the hall's state and events; not others' replies or
        # commands, nor anyone's health.
        thief.subscribe(t.reply("kiosk-1"), t.reply("kiosk-2"), t.cmd("box-1"),
                        t.health("hub"), f"{t.base}/state/#", f"{t.base}/event/#")
        for topic in (t.reply("kiosk-2"), t.cmd("box-1"), t.health("hub")):
            hub.publish(topic, b"secret")
        for topic in (t.reply("kiosk-1"), t.service("KTP"), t.called):
            hub.publish(topic, b"public")
        hub.publish(t.called, b"marker-2")
        got = thief.wait_for(b"marker-2")
        assert [topic for topic, p in got if p == b"secret"] == []
        assert {topic for topic, p in got if p == b"public"} == \
            {t.reply("kiosk-1"), t.service("KTP"), t.called}
    finally:
        for c in made:
            c.close()
        broker.stop()


def test_rotating_one_login_touches_no_other_card(hall, capsys):
    before = read_keys(hall / "keys.toml")
    capsys.readouterr()
    assert credentials_main(["--config", str(hall / "hall.toml"), "--keys",
                             str(hall / "keys.toml"), "--rotate", "kiosk-1", "--passwd",
                             str(hall / "passwd")]) == 0
    after = read_keys(hall / "keys.toml")
    # Only kiosk-1 has a new password, printed once for its device file.
    assert {k for k in after if after[k] != before[k]} == {"kiosk-1"}
    assert f"kiosk-1: DEVICE_PASSWORD={after['kiosk-1']}" in capsys.readouterr().out
    assert (hall / "keys.toml").stat().st_mode & 0o777 == 0o600
    broker = hub_broker(hall, after)     # the hub card with the new password file
    try:
        old = Client(broker, "kiosk-1", before["kiosk-1"])
        new = Client(broker, "kiosk-1", after["kiosk-1"])
        display = Client(broker, "display-hall", before["display-hall"])  # card untouched
        assert (old.accepted, new.accepted, display.accepted) == (False, True, True)
        for c in (old, new, display):
            c.close()
    finally:
        broker.stop()


def test_credentials_refuse_an_unknown_login_and_a_foreign_keys_file(hall):
    from antrean.errors import ConfigError, UsageError
    with pytest.raises(UsageError, match="not a login of site mpp-mini"):
        credentials_main(["--config", str(hall / "hall.toml"), "--keys",
                          str(hall / "keys.toml"), "--rotate", "kiosk-9"])
    text = (hall / "keys.toml").read_text().replace('site = "mpp-mini"', 'site = "mpp-lain"')
    (hall / "keys.toml").write_text(text)
    with pytest.raises(ConfigError, match="for site 'mpp-lain'"):
        credentials_main(["--config", str(hall / "hall.toml"), "--keys",
                          str(hall / "keys.toml")])


def test_a_hall_from_before_keeps_its_passwords_and_loses_them_from_the_file(tmp_path):
    # Given a hall TOML as older versions wrote it, with passwords on every card,
    text = (EXAMPLES / "mini-hall.toml").read_text(encoding="utf-8")
    text = text.replace("[rules]", '[hub]\npassword = "demo-GANTI-hub"\n\n[rules]', 1)
    text = text.replace('id = "kiosk-1"\n', 'id = "kiosk-1"\npassword = "demo-GANTI-kiosk-1"\n')
    (tmp_path / "hall.toml").write_text(text, encoding="utf-8")
    assert load_site_problems(tmp_path / "hall.toml") == ["hub", "kiosks[0].password"]
    # when the technician adopts them,
    assert credentials_main(["--config", str(tmp_path / "hall.toml"), "--keys",
                             str(tmp_path / "keys.toml"), "--adopt"]) == 0
    # then the keys keep them (cards provisioned with them keep working), the others are new,
    keys = read_keys(tmp_path / "keys.toml")
    assert (keys["hub"], keys["kiosk-1"]) == ("demo-GANTI-hub", "demo-GANTI-kiosk-1")
    assert set(keys) == set(logins(load_site(tmp_path / "hall.toml")))
    # and the hall's TOML holds no password any more, everything else as it was.
    after = (tmp_path / "hall.toml").read_text(encoding="utf-8")
    assert "password =" not in after and "[hub]" not in after
    assert after == (EXAMPLES / "mini-hall.toml").read_text(encoding="utf-8")


def load_site_problems(path: Path) -> list[str]:
    from antrean.config import check_site
    return [p.key for p in check_site(path)]
