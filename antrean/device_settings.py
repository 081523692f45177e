"""What a running device reads about itself: its ``device.toml`` and its broker login.

Provisioning (:mod:`antrean.deploy.provision`) writes ``/etc/antrean/device.toml`` from the
device file; every role reads its ``[broker]`` password from it (or a ``--password-file``),
the kiosk also its ``[printer]``. Nothing here writes a file or knows other devices' secrets.
"""
from __future__ import annotations

import argparse
import os
import tomllib
from pathlib import Path

from .errors import ConfigError, UsageError


def read_device_config(path: str | os.PathLike) -> dict:
    """``device.toml``, what provisioning made of the device file (the roles read their
    ``[broker]`` login and the kiosk its ``[printer]`` from it); ConfigError naming it."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the device settings: {exc.strerror or exc}",
                          path=str(path)) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(path)) from None


def add_login_arguments(parser: argparse.ArgumentParser, *, device_config: bool = True) -> None:
    """``--device-config`` (unless the role declares its own), ``--password-file`` and
    ``--tls-ca``."""
    if device_config:
        parser.add_argument("--device-config", type=Path, metavar="device.toml",
                            help="this device's settings written by provisioning; its "
                                 "[broker] password is the login's (default: "
                                 "$ANTREAN_DEVICE_CONFIG)")
    parser.add_argument("--password-file", type=Path, metavar="FILE",
                        help="a file holding this login's broker password (instead of "
                             "--device-config)")
    parser.add_argument("--tls-ca", type=Path, metavar="ca.crt",
                        help="the hall's CA certificate, when the hall's broker speaks TLS "
                             "(default: device.toml's [broker] tls_ca)")


def _device_config(path: Path | None) -> Path | None:
    if path is None and os.environ.get("ANTREAN_DEVICE_CONFIG"):
        return Path(os.environ["ANTREAN_DEVICE_CONFIG"])
    return path


def own_tls_ca(tls: bool, tls_ca: Path | None = None,
               device_config: Path | None = None) -> Path | None:
    """The CA certificate this device verifies the broker with: ``tls_ca``, or device.toml's
    ``[broker] tls_ca``; None when the hall runs without TLS (``tls`` false)."""
    if not tls:
        return None
    device_config = _device_config(device_config)
    if tls_ca is None and device_config is not None:
        tls_ca = read_device_config(device_config).get("broker", {}).get("tls_ca")
    if not tls_ca:
        raise UsageError("the hall's broker speaks TLS only ([site] broker_tls): give "
                         "--tls-ca, or BROKER_CA in the device file")
    return Path(tls_ca)


def own_password(device: str, device_config: Path | None = None,
                 password_file: Path | None = None) -> str:
    """The broker password of ``device``, from a password file or the device's
    ``device.toml`` (``$ANTREAN_DEVICE_CONFIG`` when neither is given)."""
    if password_file is not None:
        try:
            password = password_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"cannot read the password file: {e}", str(password_file)) \
                from None
        if not password:
            raise ConfigError("the password file is empty", str(password_file))
        return password
    device_config = _device_config(device_config)
    if device_config is None:
        raise UsageError(f"no broker password for {device}: give --device-config "
                         "(/etc/antrean/device.toml, made by provisioning from the device "
                         "file's DEVICE_PASSWORD) or --password-file")
    return _from_device_config(device, device_config)


def _from_device_config(device: str, path: Path) -> str:
    broker = read_device_config(path).get("broker", {})
    if broker.get("username", device) != device:
        raise ConfigError(f"its [broker] login is {broker.get('username')!r}, not {device!r}: "
                          "this file belongs to another device", str(path))
    password = broker.get("password")
    if not isinstance(password, str) or not password:
        raise ConfigError("no [broker] password in it (the device file's DEVICE_PASSWORD)",
                          str(path))
    return password
