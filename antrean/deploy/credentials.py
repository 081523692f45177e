"""Broker passwords, kept apart from the hall's TOML (which every card carries).

Three places hold them, each only what it needs:

- the **keys file** (``keys.toml``, mode 600): every login's password in clear, made and kept
  by ``antrean credentials`` on the technician's computer, never copied to a card;
- the **broker's password file** (``passwd``, hashed the way ``mosquitto_passwd`` does): on
  the hub card only, named by the hub's device file (``BROKER_PASSWD``);
- each device's **own password**: its device file's ``DEVICE_PASSWORD``, which provisioning
  stores in ``/etc/antrean/device.toml``; a role reads it with ``--device-config`` (or a file
  given with ``--password-file``): :mod:`antrean.device_settings`.

Rotating one device's password changes its device file and the hub's password file; no
other card is touched.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import re
import secrets
import tomllib
from pathlib import Path
from typing import Mapping

from antrean.errors import ConfigError, UsageError
from antrean.site import Site

# mosquitto_passwd's own choice in 2.0: "$7$" = PBKDF2-SHA512, 101 rounds, 12-byte salt.
PBKDF2_ROUNDS = 101
SALT_BYTES = 12
PASSWORD_BYTES = 18          # 24 URL-safe characters: typed once into a device file
KEYS_VERSION = 1
KEYS_HEAD = ("# Antrean broker passwords, one per login, in clear. Keep this file on the "
             "technician's\n# computer (mode 600); never copy it to a card. Made by "
             "`antrean credentials`.\n")


def password_hash(password: str, *, salt: bytes | None = None) -> str:
    """A password in mosquitto 2.0's ``$7$`` format, as ``mosquitto_passwd -b`` writes it."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PBKDF2_ROUNDS)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"$7${PBKDF2_ROUNDS}${b64(salt)}${b64(digest)}"


def hash_matches(password: str, hashed: str) -> bool:
    """Whether ``password`` is the one ``hashed`` (a ``$7$`` line's hash) was made from."""
    try:
        _, seven, rounds, salt, digest = hashed.split("$")
        salt_b, digest_b = base64.b64decode(salt), base64.b64decode(digest)
        if seven != "7" or not 0 < int(rounds) <= 100_000:
            return False
    except (ValueError, TypeError):
        return False
    made = hashlib.pbkdf2_hmac("sha512", password.encode(), salt_b, int(rounds))
    return hmac.compare_digest(made, digest_b)


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def complete(site: Site, known: Mapping[str, str], rotate=()) -> tuple[dict[str, str], list[str]]:
    """Passwords for every login of ``site``: the known ones kept, new ones for logins
    without one and for those in ``rotate``; logins the site no longer has are dropped.
    Returns the passwords and the logins that got a new one."""
    ids = site.logins()
    unknown = sorted(set(rotate) - set(ids))
    if unknown:
        raise UsageError(f"cannot rotate {', '.join(unknown)}: not a login of site {site.id} "
                         f"(logins: {', '.join(ids)})")
    out, made = {}, []
    for login in ids:
        if login in rotate or not known.get(login):
            out[login] = new_password()
            made.append(login)
        else:
            out[login] = known[login]
    return out, made


# ---- the keys file --------------------------------------------------------------------------
def read_keys(path: str | os.PathLike, site_id: str | None = None) -> dict[str, str]:
    """The passwords of a keys file ({} when it does not exist yet)."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read the keys file: {e}", str(path)) from None
    if site_id is not None and raw.get("site", site_id) != site_id:
        raise ConfigError(f"the keys file is for site {raw.get('site')!r}, not {site_id!r}",
                          str(path))
    passwords = raw.get("passwords", {})
    if not isinstance(passwords, dict) or not all(isinstance(v, str)
                                                  for v in passwords.values()):
        raise ConfigError("[passwords] must map each login to a text", str(path))
    return dict(passwords)


def write_keys(path: str | os.PathLike, site_id: str, passwords: Mapping[str, str]) -> None:
    import tomli_w
    body = tomli_w.dumps({"version": KEYS_VERSION, "site": site_id,
                          "passwords": dict(passwords)})
    write_private(Path(path), KEYS_HEAD + body)


# ---- the broker's password file ---------------------------------------------------------------
def hashed(passwords: Mapping[str, str]) -> dict[str, str]:
    """login -> the hash the broker's password file holds for its password."""
    return {login: password_hash(pw) for login, pw in passwords.items()}


def passwd_text(passwords: Mapping[str, str]) -> str:
    return "".join(f"{login}:{h}\n" for login, h in hashed(passwords).items())


def read_passwd(path: str | os.PathLike) -> dict[str, str]:
    """login -> hash of a Mosquitto password file; ConfigError naming the line at fault."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read the broker's password file: {e}", str(path)) from None
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        login, sep, hashed = line.partition(":")
        if not sep or not login or not hashed.startswith("$7$"):
            raise ConfigError("not a line of a Mosquitto password file (login:$7$...); "
                              "make the file with `antrean credentials --passwd`",
                              str(path), n)
        out[login] = hashed
    return out


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (it holds passwords or their hashes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)   # O_CREAT's mode does not apply to a file that already existed


# ---- halls from before: passwords written in the hall's TOML ----------------------------------
_PASSWORD_LINE = re.compile(r"^\s*password\s*=.*$\n?", re.M)
_EMPTY_HUB = re.compile(r"^\[hub\]\s*\n(?=\s*(\[|\Z))", re.M)


def adopt(path: Path) -> dict[str, str]:
    """Take the passwords an older hall TOML holds (so cards provisioned with them keep
    working) and remove them from the file. Returns login -> password."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", str(path)) from None
    found = {}
    if isinstance(raw.get("hub"), dict) and isinstance(raw["hub"].get("password"), str):
        found["hub"] = raw["hub"]["password"]
    from antrean.config import DEVICE_TABLES      # the loader's list, late: config is heavier
    for table in DEVICE_TABLES:
        for item in raw.get(table, []) if isinstance(raw.get(table), list) else []:
            if isinstance(item, dict) and isinstance(item.get("password"), str) \
                    and isinstance(item.get("id"), str):
                found[item["id"]] = item["password"]
    if found:
        path.write_text(_EMPTY_HUB.sub("", _PASSWORD_LINE.sub("", text)), encoding="utf-8")
    return found


# ---- antrean credentials -------------------------------------------------------------------
def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="antrean credentials",
        description="Make and rotate the hall's broker passwords: a password for every "
                    "login of the site config (kept in the keys file), the hub's hashed "
                    "password file, and each device's DEVICE_PASSWORD line.")
    parser.add_argument("--config", required=True, metavar="HALL.toml", help="the site config")
    parser.add_argument("--keys", required=True, type=Path, metavar="keys.toml",
                        help="the keys file (made when missing; mode 600; keep it off cards)")
    parser.add_argument("--rotate", action="append", default=[], metavar="LOGIN",
                        help="give this login a new password (repeatable)")
    parser.add_argument("--passwd", type=Path, metavar="FILE",
                        help="write the broker's hashed password file here (for the hub "
                             "card, e.g. E:/antrean/passwd; its device file's BROKER_PASSWD)")
    parser.add_argument("--show", action="append", default=[], metavar="LOGIN",
                        help="print this login's DEVICE_PASSWORD line (repeatable)")
    parser.add_argument("--adopt", action="store_true",
                        help="a hall TOML from before that still holds passwords: keep them "
                             "(cards keep working) and remove them from the file")
    args = parser.parse_args(argv)
    from antrean.config import load_site
    adopted = adopt(Path(args.config)) if args.adopt else {}
    if adopted:
        print(f"{args.config}: {len(adopted)} password(s) moved to {args.keys}")
    site = load_site(args.config)
    known = {**adopted, **read_keys(args.keys, site.id)}
    passwords, made = complete(site, known, args.rotate)
    write_keys(args.keys, site.id, passwords)
    print(f"{args.keys}: {len(passwords)} logins, {len(made)} new password(s)")
    if args.passwd is not None:
        write_private(args.passwd, passwd_text(passwords))
        print(f"{args.passwd}: the broker's password file; copy it to the hub card")
    for login in dict.fromkeys([*made, *args.show]):
        if login not in passwords:
            raise UsageError(f"no login {login!r} in site {site.id}")
        print(f"{login}: DEVICE_PASSWORD={passwords[login]}")
    if made and args.passwd is None:
        print("new passwords: write the hub's password file (--passwd) and copy it to the "
              "hub card, and each new DEVICE_PASSWORD into that device's file")
    return 0
