"""TLS as a site option, against a real Mosquitto: devices verify the broker with the hall's
CA, and the broker has no plaintext way in."""
import dataclasses
import json
import socket
import ssl
import threading
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from antrean.deploy.broker import BrokerProcess, free_port, write_broker_config
from antrean.deploy.credentials import hashed
from antrean.deploy.tls import (BrokerTls, make_broker_cert, make_ca, make_hall_tls,
                                main as tls_main)
from antrean.device_settings import own_tls_ca
from antrean.errors import ConfigError, UsageError
from antrean.mqtt import HallClient
from tests.fixtures.broker import Inbox
from tests.fixtures.sites import small_site

WAIT_S = 5
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def hall_site():
    return dataclasses.replace(small_site(), broker_tls=True)


def _connack(broker, *, tls_ca=None, password=None, host=None) -> tuple[bool, str]:
    """(connected, why not) of one stock paho client logging in as kiosk-1."""
    done, result = threading.Event(), {}
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id="kiosk-1")
    c.username_pw_set("kiosk-1", password or broker.passwords["kiosk-1"])
    if tls_ca is not None:
        c.tls_set(ca_certs=str(tls_ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)

    def on_connect(client, userdata, flags, reason, props):
        result["ok"], result["why"] = not reason.is_failure, str(reason)
        done.set()
    c.on_connect = on_connect
    try:
        c.connect(host or broker.host, broker.port, keepalive=5)
    except (ssl.SSLError, OSError) as e:
        if c.socket() is not None:      # paho leaves the failed TLS socket open
            c.socket().close()
        return False, f"{type(e).__name__}: {e}"
    c.loop_start()
    got = done.wait(WAIT_S)
    c.loop_stop()
    c.disconnect()
    return (result.get("ok", False), result.get("why", "no CONNACK")) if got \
        else (False, "no CONNACK")


def test_the_broker_speaks_tls_only(broker):
    conf = broker.conf.read_text()
    assert conf.count("listener ") == 1 and "certfile" in conf and "keyfile" in conf
    assert broker.tls


def test_a_device_with_the_halls_ca_logs_in_and_talks(broker, client_for):
    inbox = Inbox()
    watcher = client_for("ops-watch")
    watcher.subscribe(watcher.topics.presence("kiosk-1"), inbox)
    kiosk = client_for("kiosk-1")
    assert kiosk.connected
    msg = inbox.wait_for(lambda m: json.loads(m.payload).get("state") == "online", WAIT_S)
    assert msg is not None, "kiosk-1's presence never crossed the TLS broker"


def test_plaintext_is_refused(broker):
    ok, why = _connack(broker)           # the right login, no TLS
    assert not ok, why
    # and at the byte level: a plain MQTT CONNECT gets no CONNACK (0x20) back
    with socket.create_connection((broker.host, broker.port), timeout=WAIT_S) as s:
        s.sendall(bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 5, 0, 0]))
        s.settimeout(WAIT_S)
        try:
            reply = s.recv(4)
        except (ConnectionResetError, socket.timeout):
            reply = b""
    assert not reply.startswith(b"\x20"), reply


def _handshake(host, port, ca, name=None) -> str:
    """'ok', or why the TLS handshake was refused, as a device's ssl context sees it."""
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection((host, port), timeout=WAIT_S) as raw:
        try:
            with ctx.wrap_socket(raw, server_hostname=name or host):
                return "ok"
        except ssl.SSLCertVerificationError as e:
            return e.verify_message


# paho drops the socket of a failed handshake without closing it (the garbage collector does):
# a ResourceWarning, not ours to fix, and no fd is kept.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_broker_signed_by_another_ca_is_refused(broker, hall_site, tmp_path):
    assert _handshake(broker.host, broker.port, broker.ca) == "ok"
    make_hall_tls("another-hall", tmp_path / "other", ["127.0.0.1"])
    other = tmp_path / "other" / "ca.crt"
    assert "unable to get local issuer" in _handshake(broker.host, broker.port, other)
    # Our own client with the wrong CA: the broker sees the handshake fail, no login.
    client = HallClient(site=hall_site.id, device="kiosk-1", role="kiosk",
                        password=broker.passwords["kiosk-1"], host=broker.host,
                        port=broker.port, tls_ca=other)
    client.start()
    try:
        broker.wait_for_log(lambda lines: any("OpenSSL Error" in ln for ln in lines), WAIT_S)
        assert not client.connected
        assert not any("kiosk-1" in ln and "as kiosk-1" in ln for ln in broker.log)
    finally:
        client.stop(timeout=2)


def test_the_broker_is_checked_against_the_name_dialled(hall_site, tmp_path):
    # The hall's CA, but a certificate for another name than the address the device dials.
    ca, ca_key = make_ca(hall_site.id)
    cert, key = make_broker_cert(ca, ca_key, ["hub.local"])
    tls_dir = tmp_path / "tls"
    tls_dir.mkdir()
    for name, data in (("ca.crt", ca), ("broker.crt", cert), ("broker.key", key)):
        (tls_dir / name).write_bytes(data)
    passwords = {"kiosk-1": "rahasia-kiosk-1"}
    conf = write_broker_config(hall_site, tmp_path / "b", hashes=hashed(passwords),
                               port=free_port(), bind="127.0.0.1",
                               tls=BrokerTls.in_dir(tls_dir))
    broker = BrokerProcess(conf).start()
    try:
        why = _handshake(broker.host, broker.port, tls_dir / "ca.crt")
        assert _handshake(broker.host, broker.port, tls_dir / "ca.crt", "hub.local") == "ok"
    finally:
        broker.stop()
    assert "mismatch" in why.lower(), why


def test_the_halls_ca_with_a_wrong_password_is_still_refused(broker):
    ok, why = _connack(broker, tls_ca=broker.ca, password="not-the-password")
    assert not ok, why


def test_a_client_without_the_ca_file_gets_a_clear_error(hall_site, tmp_path):
    with pytest.raises(ConfigError) as err:
        HallClient(site=hall_site.id, device="kiosk-1", role="kiosk", password="x" * 10,
                   host="127.0.0.1", port=1, tls_ca=tmp_path / "nope.crt")
    assert "nope.crt" in str(err.value)


def test_tls_files_and_their_modes(tmp_path, hall_site):
    made = make_hall_tls(hall_site.id, tmp_path / "t", ["192.168.1.10", "hub.local"])
    assert {p.name for p in made} == {"ca.crt", "ca.key", "broker.crt", "broker.key"}
    for key in ("ca.key", "broker.key"):
        assert (tmp_path / "t" / key).stat().st_mode & 0o777 == 0o600
    from cryptography import x509
    cert = x509.load_pem_x509_certificate((tmp_path / "t" / "broker.crt").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(n.value) for n in names} == {"192.168.1.10", "hub.local", "localhost",
                                             "127.0.0.1"}
    # a second run renews the broker's certificate under the same CA
    ca = (tmp_path / "t" / "ca.crt").read_bytes()
    again = make_hall_tls(hall_site.id, tmp_path / "t", ["192.168.1.10"])
    assert (tmp_path / "t" / "ca.crt").read_bytes() == ca and len(again) == 2


def test_broker_config_refuses_a_half_turned_on_tls(tmp_path, hall_site):
    hashes = hashed({"hub": "rahasia-hub-1"})
    with pytest.raises(UsageError, match="broker_tls"):
        write_broker_config(hall_site, tmp_path / "a", hashes=hashes)
    make_hall_tls(hall_site.id, tmp_path / "t", [])
    plain = dataclasses.replace(hall_site, broker_tls=False)
    with pytest.raises(UsageError, match="broker_tls"):
        write_broker_config(plain, tmp_path / "b", hashes=hashes,
                            tls=BrokerTls.in_dir(tmp_path / "t"))
    with pytest.raises(ConfigError, match="antrean tls"):
        BrokerTls.in_dir(tmp_path / "empty")


def test_a_device_finds_its_ca_in_device_toml(tmp_path):
    device = tmp_path / "device.toml"
    device.write_text('[broker]\nusername = "kiosk-1"\npassword = "x"\n'
                      'tls_ca = "/etc/antrean/tls/ca.crt"\n')
    assert str(own_tls_ca(True, None, device)) == "/etc/antrean/tls/ca.crt"
    assert own_tls_ca(False, None, device) is None       # a hall without TLS ignores it
    bare = tmp_path / "bare.toml"
    bare.write_text('[broker]\nusername = "kiosk-1"\npassword = "x"\n')
    with pytest.raises(UsageError, match="--tls-ca"):
        own_tls_ca(True, None, bare)


def test_antrean_tls_command(tmp_path, capsys):
    hall = tmp_path / "hall.toml"
    hall.write_text((REPO / "examples" / "mini-hall.toml").read_text())
    assert tls_main(["--config", str(hall), "--out", str(tmp_path / "tls"),
                     "--host", "192.168.1.10"]) == 0
    out = capsys.readouterr().out
    assert "broker_tls = true" in out and "broker.key" in out
