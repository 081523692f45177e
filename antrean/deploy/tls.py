"""TLS between the devices and the hall's broker (``antrean tls``), made with ``cryptography``.

The technician's computer keeps a hall CA (``ca.key`` never leaves it, like ``keys.toml``) and
signs the broker's certificate with it, naming every address the devices dial (the hub's IP,
its host name). Every card gets ``ca.crt`` and verifies the broker against it; only the hub
card gets ``broker.crt`` and ``broker.key``. Turned on by ``[site] broker_tls = true``; then
the broker has no plaintext listener at all (docs/credentials.md, "TLS").
"""
from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from antrean.deploy.credentials import write_private
from antrean.errors import ConfigError, UsageError

TLS_PORT = 8883
LOOPBACK = ("localhost", "127.0.0.1")
CA_YEARS = 20          # a hall's CA outlives its hardware; the broker's cert is renewed sooner
BROKER_YEARS = 5
CA_CERT, CA_KEY, BROKER_CERT, BROKER_KEY = "ca.crt", "ca.key", "broker.crt", "broker.key"


@dataclass(frozen=True)
class BrokerTls:
    """The files a TLS broker needs (on the hub card: /etc/antrean/tls)."""
    cert: Path
    key: Path

    @classmethod
    def in_dir(cls, folder: Path) -> "BrokerTls":
        tls = cls(Path(folder) / BROKER_CERT, Path(folder) / BROKER_KEY)
        for path in (tls.cert, tls.key):
            if not path.is_file():
                raise ConfigError("the hall turns TLS on ([site] broker_tls) but this file is "
                                  "missing; make it with `antrean tls`", str(path))
        return tls


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _key():
    from cryptography.hazmat.primitives.asymmetric import ec
    return ec.generate_private_key(ec.SECP256R1())     # fast on a Pi, accepted by every TLS


def _pem_key(key) -> bytes:
    from cryptography.hazmat.primitives import serialization
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_cert(cert) -> bytes:
    from cryptography.hazmat.primitives import serialization
    return cert.public_bytes(serialization.Encoding.PEM)


def make_ca(site_id: str) -> tuple[bytes, bytes]:
    """(certificate, key) PEM of a new CA for hall ``site_id``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Antrean"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"Antrean CA {site_id}")])
    now = _now()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return _pem_cert(cert), _pem_key(key)


def _san(host: str):
    from cryptography import x509
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def make_broker_cert(ca_cert: bytes, ca_key: bytes, hosts: list[str]) -> tuple[bytes, bytes]:
    """(certificate, key) PEM of the broker, signed by the CA, valid for ``hosts``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    if not hosts:
        raise UsageError("name at least one address the devices use for the hub (--host)")
    ca = x509.load_pem_x509_certificate(ca_cert)
    signer = serialization.load_pem_private_key(ca_key, password=None)
    key = _key()
    now = _now()
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * BROKER_YEARS))
            .add_extension(x509.SubjectAlternativeName([_san(h) for h in hosts]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(signer, hashes.SHA256()))
    return _pem_cert(cert), _pem_key(key)


def make_hall_tls(site_id: str, out: Path, hosts: list[str]) -> list[Path]:
    """Into ``out``: the CA (kept if it exists, so cards already carrying ``ca.crt`` keep
    trusting the broker) and a new broker certificate for ``hosts`` and the loopback names
    (the hub dials its own broker locally). Returns what it wrote."""
    hosts = list(dict.fromkeys([*hosts, *LOOPBACK]))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if not (out / CA_CERT).is_file() or not (out / CA_KEY).is_file():
        cert, key = make_ca(site_id)
        write_private(out / CA_KEY, key.decode())
        (out / CA_CERT).write_bytes(cert)
        written += [out / CA_CERT, out / CA_KEY]
    cert, key = make_broker_cert((out / CA_CERT).read_bytes(), (out / CA_KEY).read_bytes(),
                                 hosts)
    (out / BROKER_CERT).write_bytes(cert)
    write_private(out / BROKER_KEY, key.decode())
    return written + [out / BROKER_CERT, out / BROKER_KEY]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="antrean tls",
        description="Make the hall's CA (once) and the broker's certificate for TLS between "
                    "the devices and the hub. ca.key stays on this computer; ca.crt goes on "
                    "every card (BROKER_CA), broker.crt and broker.key on the hub card only.")
    parser.add_argument("--config", required=True, metavar="SITE.toml", help="the site config")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="where the CA is kept and the broker's files are written")
    parser.add_argument("--host", action="append", default=[], required=True,
                        help="an address the devices use for the hub (its HUB_ADDRESS: IP or "
                             "host name); repeat for each")
    args = parser.parse_args(argv)
    from antrean.config import load_site
    site = load_site(args.config)
    if not site.broker_tls:
        print(f"note: {args.config} does not turn TLS on yet: add broker_tls = true under "
              "[site]")
    for path in make_hall_tls(site.id, args.out, args.host):
        print(f"wrote {path}")
    return 0
