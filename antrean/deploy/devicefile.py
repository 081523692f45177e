"""The per-device text file a technician edits on the SD card's FAT partition.

Flat ``KEY=value`` lines (documented in docs/device-file.md, template in images/device.txt)
so it opens in Notepad: a UTF-8 BOM and CRLF are fine, quotes around a value are optional,
``#`` starts a comment at the start of a line or after a space in an unquoted value. Parsing
collects *every* problem with its line number, so one trip to the PC fixes them all.

Pure: reads one file and returns plain data; :mod:`antrean.deploy.provision` applies it.
"""
from __future__ import annotations

import difflib
import ipaddress
import os
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from antrean.deploy.tls import TLS_PORT
from antrean.errors import ConfigError
from antrean.protocol import valid_id

ROLES = ("hub", "kiosk", "display", "counter")
ROTATIONS = (0, 90, 180, 270)
DEFAULT_PORT = 1883
DEFAULT_TIMEZONE = "Asia/Jakarta"
# What provision writes in place of a used Wi-Fi password; parsing it means "keep the stored one".
STORED_MARK = "# disimpan/stored"
KEYS = ("ROLE", "SITE", "DEVICE_ID", "HUB_ADDRESS", "HUB_PORT", "DEVICE_PASSWORD", "COUNTERS",
        "HOSTNAME", "WIFI_SSID", "WIFI_PASSWORD", "WIFI_COUNTRY", "SSH_AUTHORIZED_KEY",
        "TIMEZONE", "SITE_CONFIG", "DISPLAY_ROTATION", "PRINTER", "BROKER_PASSWD", "BROKER_CA",
        "BROKER_CERT", "BROKER_KEY")
TLS_KEYS = ("BROKER_CA", "BROKER_CERT", "BROKER_KEY")    # absolute paths on the boot partition
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_HOST_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_SSH_KEY = re.compile(r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|"
                      r"sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)"
                      r" [A-Za-z0-9+/]{20,}={0,3}( .*)?$")
_ISO3166 = Path("/usr/share/zoneinfo/iso3166.tab")


# Every problem a technician can see, in Indonesian then English ({value}, {hint}, {line}).
MESSAGES: dict[str, tuple[str, str]] = {
    "unreadable": ("berkas tidak dapat dibaca: {value}", "cannot read the file: {value}"),
    "not_utf8": ("bukan teks UTF-8: simpan sebagai UTF-8 (Notepad: Save As, Encoding UTF-8)",
                 "not UTF-8 text: save it as UTF-8 (Notepad: Save As, Encoding UTF-8)"),
    "syntax": ("harus berbentuk KUNCI=nilai", "expected KEY=value"),
    "unknown_key": ("kunci tidak dikenal; yang dikenal: {value}",
                    "unknown key; known keys: {value}"),
    "unknown_key_hint": ("kunci tidak dikenal; maksud Anda {value}?",
                         "unknown key; did you mean {value}?"),
    "twice": ("ditulis dua kali (pertama di baris {value})",
              "given twice (first on line {value})"),
    "open_quote": ("tanda kutip {value} dibuka tetapi tidak ditutup",
                   "the value opens a {value} quote but never closes it"),
    "after_quote": ("ada teks setelah tanda kutip penutup: {value}",
                    "unexpected text after the closing quote: {value}"),
    "role": ("harus salah satu dari hub, kiosk, display, counter (bukan '{value}')",
             "must be one of hub, kiosk, display, counter (not '{value}')"),
    "need_site": ("wajib diisi: id situs ([site] id di berkas TOML aula)",
                  "missing: the site id (the [site] id of the hall's TOML file)"),
    "need_device_id": ("wajib diisi: id perangkat ini (seperti di berkas TOML aula)",
                       "missing: this device's id (as listed in the hall's TOML file)"),
    "need_hub": ("wajib diisi: nama host atau alamat IP hub",
                 "missing: host name or IP address of the hub"),
    "need_password": ("wajib diisi: kata sandi broker perangkat ini",
                      "missing: this device's broker password"),
    "need_site_config": ("wajib diisi: path berkas TOML aula (berkas yang sama di setiap "
                         "kartu), mis. /boot/firmware/antrean/hall.toml",
                         "missing: path of the hall's TOML file (the same file on every "
                         "card), e.g. /boot/firmware/antrean/hall.toml"),
    "need_country": ("wajib diisi bersama WIFI_SSID: kode negara (ID untuk Indonesia); "
                     "Wi-Fi tetap diblokir sampai kode ini diisi",
                     "required with WIFI_SSID: the country code (ID for Indonesia); "
                     "Wi-Fi stays blocked until it is set"),
    "bad_id": ("gunakan huruf, angka, '-', '_' atau '.' (paling banyak 64)",
               "use letters, digits, '-', '_' or '.' (at most 64)"),
    "hub_id": ("id hub selalu 'hub' (hapus DEVICE_ID)",
               "the hub's id is always 'hub' (leave DEVICE_ID out)"),
    "short_password": ("paling sedikit 8 karakter", "at least 8 characters"),
    "relative_path": ("harus path lengkap, mis. /boot/firmware/antrean/hall.toml",
                      "must be an absolute path, e.g. /boot/firmware/antrean/hall.toml"),
    "bad_host": ("'{value}' bukan alamat IP maupun nama host",
                 "'{value}' is neither an IP address nor a host name"),
    "not_number": ("harus bilangan bulat, bukan '{value}'",
                   "must be a whole number, not '{value}'"),
    "bad_port": ("harus antara 1 dan 65535", "must be between 1 and 65535"),
    "counters_role": ("hanya kotak tombol loket atau layar yang melayani loket, bukan {value}",
                      "only a counter button box or a display serves counters, not a {value}"),
    "bad_counters": ("daftar nomor loket dipisah koma, mis. 1,2 (bukan '{value}')",
                     "a comma-separated list of counter numbers like 1,2 (not '{value}')"),
    "twice_counter": ("ada nomor loket yang ditulis dua kali", "a counter number is listed twice"),
    "bad_hostname": ("gunakan huruf kecil, angka dan '-' (paling banyak 63, tidak di ujung)",
                     "use lowercase letters, digits and '-' (at most 63, not at the ends)"),
    "long_ssid": ("nama Wi-Fi paling banyak 32 byte", "a Wi-Fi name is at most 32 bytes"),
    "password_no_ssid": ("diisi tanpa WIFI_SSID", "given without WIFI_SSID"),
    "bad_wifi_password": ("kata sandi WPA terdiri dari 8 sampai 63 karakter (kosongkan untuk "
                          "jaringan terbuka)", "a WPA password has 8 to 63 characters (leave "
                          "it empty for an open network)"),
    "bad_country": ("'{value}' bukan kode negara ISO dua huruf (ID = Indonesia)",
                    "'{value}' is not a two-letter ISO country code (ID = Indonesia)"),
    "bad_ssh_key": ("tempel satu baris kunci publik, mis. 'ssh-ed25519 AAAA... anda@laptop' "
                    "(berkas .pub, jangan kunci privat)", "paste one public key line, e.g. "
                    "'ssh-ed25519 AAAA... you@laptop' (the .pub file, never the private key)"),
    "bad_timezone": ("zona waktu '{value}' tidak dikenal; maksud Anda {hint}?",
                     "unknown time zone '{value}'; did you mean {hint}?"),
    "bad_rotation": ("harus 0, 90, 180 atau 270", "must be 0, 90, 180 or 270"),
    "rotation_role": ("hanya kios dan layar yang memiliki layar, bukan {value}",
                      "only a kiosk or a display has a screen, not a {value}"),
    "printer_role": ("hanya kios yang memiliki printer", "only a kiosk has a printer"),
    "bad_printer": ("gunakan file:/dev/usb/lp0, serial:/dev/ttyUSB0:9600, "
                    "network:192.168.1.50:9100, usb:0416:5011 atau dummy",
                    "use file:/dev/usb/lp0, serial:/dev/ttyUSB0:9600, "
                    "network:192.168.1.50:9100, usb:0416:5011 or dummy"),
    # Found while applying the file (antrean.deploy.provision), reported the same way.
    "site_config_missing": ("berkas TOML aula tidak ada: {value}",
                            "the hall's TOML file does not exist: {value}"),
    "site_config_bad": ("berkas TOML aula bermasalah: {value}",
                        "the hall's TOML file has problems: {value}"),
    "site_mismatch": ("SITE tidak sama dengan id situs di berkas TOML aula ('{value}')",
                      "SITE differs from the site id in the hall's TOML file ('{value}')"),
    "device_not_in_site": ("perangkat '{value}' tidak ada di berkas TOML aula ({kind}: {hint})",
                           "device '{value}' is not listed in the hall's TOML file "
                           "({kind}: {hint})"),
    "device_other_kind": ("'{value}' di berkas TOML aula ada di {hint}, bukan di {kind} "
                          "(ROLE={role})", "'{value}' is in {hint} of the hall's TOML file, "
                          "not in {kind} (ROLE={role})"),
    "counters_mismatch": ("berkas TOML aula memberi '{value}' loket {hint}: samakan COUNTERS "
                          "atau hapus baris ini (berkas TOML aula yang menentukan)",
                          "the hall's TOML file gives '{value}' counters {hint}: make COUNTERS "
                          "the same or leave it out (the hall's TOML file decides)"),
    "need_broker_passwd": ("wajib diisi di kartu hub: path berkas kata sandi broker (dibuat "
                           "oleh `antrean credentials --passwd`), mis. "
                           "/boot/firmware/antrean/passwd",
                           "required on the hub card: path of the broker's password file "
                           "(made by `antrean credentials --passwd`), e.g. "
                           "/boot/firmware/antrean/passwd"),
    "broker_passwd_role": ("hanya kartu hub yang membawa berkas kata sandi broker; hapus "
                           "baris ini dan berkasnya dari kartu ini",
                           "only the hub card carries the broker's password file; remove "
                           "this line and the file from this card"),
    "broker_passwd_missing": ("berkas kata sandi broker tidak ada: {value}",
                              "the broker's password file does not exist: {value}"),
    "broker_passwd_bad": ("berkas kata sandi broker bermasalah: {value}",
                          "the broker's password file has problems: {value}"),
    "hub_password_mismatch": ("bukan kata sandi hub di berkas kata sandi broker ({value})",
                              "not the hub's password in the broker's password file "
                              "({value})"),
    "broker_tls_role": ("hanya kartu hub yang membawa sertifikat dan kunci broker; hapus "
                        "baris ini dan berkasnya dari kartu ini",
                        "only the hub card carries the broker's certificate and key; remove "
                        "this line and the file from this card"),
    "need_broker_tls": ("kartu hub dengan TLS perlu BROKER_CA, BROKER_CERT dan BROKER_KEY "
                        "(dibuat oleh `antrean tls`)",
                        "a hub card with TLS needs BROKER_CA, BROKER_CERT and BROKER_KEY "
                        "(made by `antrean tls`)"),
    "need_broker_ca": ("berkas TOML aula menyalakan TLS (broker_tls): isi BROKER_CA dengan "
                       "path ca.crt aula, mis. /boot/firmware/antrean/ca.crt",
                       "the hall's TOML file turns TLS on (broker_tls): set BROKER_CA to the "
                       "path of the hall's ca.crt, e.g. /boot/firmware/antrean/ca.crt"),
    "tls_not_on": ("berkas TOML aula tidak menyalakan TLS (broker_tls): hapus baris ini, atau "
                   "tulis broker_tls = true di [site] berkas TOML aula",
                   "the hall's TOML file does not turn TLS on (broker_tls): remove this line, "
                   "or set broker_tls = true under [site] in the hall's TOML file"),
    "tls_file_missing": ("berkas TLS tidak ada: {value}", "the TLS file does not exist: {value}"),
    "wifi_password_gone": ("kata sandi Wi-Fi sudah dihapus dari berkas tetapi tidak tersimpan "
                           "untuk jaringan ini: ketik ulang WIFI_PASSWORD",
                           "the Wi-Fi password was removed from the file but none is stored for "
                           "this network here: type WIFI_PASSWORD again"),
}


class DeviceFileProblem(ConfigError):
    """One problem in a device file: a ConfigError (English) that also carries Indonesian."""

    def __init__(self, code: str, path: str, line: int | None = None, key: str | None = None,
                 **fields: str):
        indonesian, english = MESSAGES[code]
        self.code = code
        self.indonesian = indonesian.format(**fields)
        super().__init__(english.format(**fields), path=path, line=line, key=key)


@dataclass(frozen=True)
class DeviceFile:
    """One device's settings, validated. ``lines`` maps each key given to its line number."""

    path: str
    role: str
    site: str
    device_id: str
    hub_address: str
    hub_port: int = DEFAULT_PORT
    device_password: str = ""
    broker_passwd: str = ""              # hub only: the broker's hashed password file
    broker_ca: str = ""                  # TLS: the hall's CA certificate (every card)
    broker_cert: str = ""                # TLS, hub only: the broker's certificate and key
    broker_key: str = ""
    counters: tuple[int, ...] = ()
    hostname: str = ""
    wifi_ssid: str = ""
    wifi_password: str = ""
    wifi_password_stored: bool = False   # scrubbed after an earlier run: reuse the stored one
    wifi_country: str = ""
    ssh_authorized_key: str = ""
    timezone: str = DEFAULT_TIMEZONE
    site_config: str = ""
    display_rotation: int = 0
    printer: dict = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)



def parse(path: str | os.PathLike) -> DeviceFile:
    """Read and validate a device file; raise one ConfigError listing every problem."""
    device, problems = check(path)
    if problems:
        text = "\n".join(str(p) for p in problems)
        raise ConfigError(f"{len(problems)} problem(s):\n{text}", path=str(path))
    return device


def check(path: str | os.PathLike) -> tuple[DeviceFile | None, list[ConfigError]]:
    """Like :func:`parse` but return ``(device or None, problems)``."""
    path = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return None, [DeviceFileProblem("unreadable", path, value=exc.strerror or str(exc))]
    return check_bytes(data, path)


def check_bytes(data: bytes, path: str = "<device file>") -> tuple[DeviceFile | None,
                                                                   list[ConfigError]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return None, [DeviceFileProblem("not_utf8", path, line)]
    raw, problems = _split(text, path)
    device = _build(raw, path, problems)
    problems.sort(key=lambda p: p.line or 0)     # read top to bottom, like the file
    return (None if problems else device), problems


def _split(text: str, path: str) -> tuple[dict[str, tuple[str, int, bool]], list[ConfigError]]:
    """Lines -> {KEY: (value, line, stored_mark)}; syntax problems collected."""
    raw: dict[str, tuple[str, int, bool]] = {}
    problems: list[ConfigError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, rest = line.partition("=")
        key = key.strip().upper()
        if not sep or not key:
            problems.append(DeviceFileProblem("syntax", path, number))
            continue
        if key not in KEYS:
            hint = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)
            code, value = (("unknown_key_hint", hint[0]) if hint
                           else ("unknown_key", ", ".join(KEYS)))
            problems.append(DeviceFileProblem(code, path, number, key, value=value))
            continue
        if key in raw:
            first = str(raw[key][1])
            problems.append(DeviceFileProblem("twice", path, number, key, value=first))
            continue
        value, error = _value(rest)
        if error:
            problems.append(DeviceFileProblem(error[0], path, number, key, value=error[1]))
            continue
        raw[key] = (value, number, rest.strip() == STORED_MARK)
    return raw, problems


def _value(rest: str) -> tuple[str, tuple[str, str] | None]:
    rest = rest.strip()
    if rest[:1] in ("'", '"'):
        quote = rest[0]
        end = rest.find(quote, 1)
        if end < 0:
            return "", ("open_quote", quote)
        tail = rest[end + 1:].strip()
        if tail and not tail.startswith("#"):
            return "", ("after_quote", tail)
        return rest[1:end], None
    # dotenv convention: in an unquoted value, '#' after whitespace starts a comment.
    match = re.search(r"(^|\s)#", rest)
    return (rest[:match.start()].strip() if match else rest), None


class _Checker:
    """Collects problems while converting raw strings to typed values."""

    def __init__(self, raw: dict[str, tuple[str, int, bool]], path: str,
                 problems: list[ConfigError]):
        self.raw, self.path, self.problems = raw, path, problems

    def get(self, key: str) -> str:
        return self.raw.get(key, ("", 0, False))[0]

    def line(self, key: str) -> int | None:
        return self.raw[key][1] if key in self.raw else None

    def fail(self, key: str, code: str, at: str = "", **fields: str) -> None:
        """Record a problem on ``key``, at the line of ``at`` (a key that is there) if given."""
        line = self.line(at or key)
        self.problems.append(DeviceFileProblem(code, self.path, line, key, **fields))

    def require(self, key: str, code: str, at: str = "") -> None:
        if not self.get(key):
            self.fail(key, code, at)


def _build(raw: dict, path: str, problems: list[ConfigError]) -> DeviceFile:
    c = _Checker(raw, path, problems)
    role = c.get("ROLE").lower()
    if role not in ROLES:
        c.fail("ROLE", "role", value=role)
    is_hub = role == "hub"
    c.require("SITE", "need_site")
    if c.get("SITE") and not valid_id(c.get("SITE")):
        c.fail("SITE", "bad_id")
    device_id = c.get("DEVICE_ID") or ("hub" if is_hub else "")
    if not is_hub:
        c.require("DEVICE_ID", "need_device_id", at="ROLE")
        c.require("HUB_ADDRESS", "need_hub", at="ROLE")
    # Every role logs in to the broker with its own password, the hub too.
    c.require("DEVICE_PASSWORD", "need_password", at="ROLE")
    if is_hub:
        c.require("BROKER_PASSWD", "need_broker_passwd", at="ROLE")
    elif c.get("BROKER_PASSWD") and role in ROLES:
        c.fail("BROKER_PASSWD", "broker_passwd_role")
    for key in ("BROKER_PASSWD", *TLS_KEYS):
        if c.get(key) and not c.get(key).startswith("/"):
            c.fail(key, "relative_path")
    _tls(c, role)
    if device_id and not valid_id(device_id):
        c.fail("DEVICE_ID", "bad_id")
    if is_hub and device_id != "hub":
        c.fail("DEVICE_ID", "hub_id")
    if c.get("DEVICE_PASSWORD") and len(c.get("DEVICE_PASSWORD")) < 8:
        c.fail("DEVICE_PASSWORD", "short_password")
    # Every role reads the hall's TOML (services, counters, names): the same file on each card.
    c.require("SITE_CONFIG", "need_site_config", at="ROLE")
    if c.get("SITE_CONFIG") and not c.get("SITE_CONFIG").startswith("/"):
        c.fail("SITE_CONFIG", "relative_path")
    wifi_password, stored = _wifi(c)
    return DeviceFile(
        path=path, role=role, site=c.get("SITE"), device_id=device_id,
        hub_address=_host(c) or ("127.0.0.1" if is_hub else ""),
        hub_port=_port(c), device_password=c.get("DEVICE_PASSWORD"),
        broker_passwd=c.get("BROKER_PASSWD") if is_hub else "",
        broker_ca=c.get("BROKER_CA"), broker_cert=c.get("BROKER_CERT") if is_hub else "",
        broker_key=c.get("BROKER_KEY") if is_hub else "",
        counters=_counters(c, role), hostname=_hostname(c, device_id),
        wifi_ssid=c.get("WIFI_SSID"), wifi_password=wifi_password,
        wifi_password_stored=stored, wifi_country=_country(c),
        ssh_authorized_key=_ssh_key(c), timezone=_timezone(c),
        site_config=c.get("SITE_CONFIG"), display_rotation=_rotation(c, role),
        printer=_printer(c, role), lines={k: v[1] for k, v in raw.items()})


def _host(c: _Checker) -> str:
    host = c.get("HUB_ADDRESS")
    if not host:
        return ""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        c.fail("HUB_ADDRESS", "bad_host", value=host)
    return host


def _int(c: _Checker, key: str, default: int) -> int | None:
    text = c.get(key)
    if not text:
        return default
    if not text.isdigit():
        c.fail(key, "not_number", value=text)
        return None
    return int(text)


def _tls(c: _Checker, role: str) -> None:
    """The broker's certificate and key go on the hub card only, and with the CA."""
    if role == "hub":
        given = [k for k in TLS_KEYS if c.get(k)]
        if given and len(given) < len(TLS_KEYS):
            c.fail(given[0], "need_broker_tls")
        return
    for key in ("BROKER_CERT", "BROKER_KEY"):
        if c.get(key) and role in ROLES:
            c.fail(key, "broker_tls_role")


def _port(c: _Checker) -> int:
    # A card that verifies the broker with the hall's CA dials its TLS port by default.
    default = TLS_PORT if c.get("BROKER_CA") else DEFAULT_PORT
    port = _int(c, "HUB_PORT", default)
    if port is not None and not 1 <= port <= 65535:
        c.fail("HUB_PORT", "bad_port")
    return port or default


def _counters(c: _Checker, role: str) -> tuple[int, ...]:
    text = c.get("COUNTERS")
    if not text:
        return ()
    if role in ("hub", "kiosk"):   # an invalid role is reported once, on ROLE
        c.fail("COUNTERS", "counters_role", value=role)
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        c.fail("COUNTERS", "bad_counters", value=text)
        return ()
    numbers = tuple(int(p) for p in parts)
    if len(set(numbers)) != len(numbers):
        c.fail("COUNTERS", "twice_counter")
    return numbers


def _hostname(c: _Checker, device_id: str) -> str:
    name = c.get("HOSTNAME")
    if not name:
        # Default: a distinct, predictable name per device, e.g. antrean-kiosk-1.
        return "antrean-" + re.sub(r"[^a-z0-9-]+", "-", device_id.lower()).strip("-")[:55] \
            if device_id else ""
    if not _HOSTNAME.match(name):
        c.fail("HOSTNAME", "bad_hostname")
    return name


def _wifi(c: _Checker) -> tuple[str, bool]:
    ssid, password = c.get("WIFI_SSID"), c.get("WIFI_PASSWORD")
    stored = "WIFI_PASSWORD" in c.raw and c.raw["WIFI_PASSWORD"][2]
    if ssid:
        if len(ssid.encode()) > 32:
            c.fail("WIFI_SSID", "long_ssid")
        c.require("WIFI_COUNTRY", "need_country", at="WIFI_SSID")
    else:
        if password and not stored:
            c.fail("WIFI_PASSWORD", "password_no_ssid")
        if c.get("WIFI_COUNTRY"):   # the country is only applied with a network to join
            c.fail("WIFI_COUNTRY", "password_no_ssid")
    hex64 = len(password) == 64 and all(ch in "0123456789abcdefABCDEF" for ch in password)
    if password and not (8 <= len(password) <= 63 or hex64):
        c.fail("WIFI_PASSWORD", "bad_wifi_password")
    return password, stored


def _country(c: _Checker) -> str:
    code = c.get("WIFI_COUNTRY").upper()
    if not code:
        return ""
    known = _iso_codes()
    if not re.fullmatch(r"[A-Z]{2}", code) or (known and code not in known):
        c.fail("WIFI_COUNTRY", "bad_country", value=code)
    return code


def _iso_codes() -> frozenset[str]:
    try:
        rows = _ISO3166.read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    return frozenset(r.split("\t")[0] for r in rows if r and not r.startswith("#"))


def _ssh_key(c: _Checker) -> str:
    key = c.get("SSH_AUTHORIZED_KEY")
    if key and not _SSH_KEY.match(key):
        c.fail("SSH_AUTHORIZED_KEY", "bad_ssh_key")
    return key


def _timezone(c: _Checker) -> str:
    name = c.get("TIMEZONE") or DEFAULT_TIMEZONE
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = difflib.get_close_matches(name, zoneinfo.available_timezones(), n=1)
        c.fail("TIMEZONE", "bad_timezone", value=name, hint=hint[0] if hint else
               "Asia/Jakarta, Asia/Makassar, Asia/Jayapura")
    return name


def _rotation(c: _Checker, role: str) -> int:
    rotation = _int(c, "DISPLAY_ROTATION", 0)
    if rotation is not None and rotation not in ROTATIONS:
        c.fail("DISPLAY_ROTATION", "bad_rotation")
    elif c.get("DISPLAY_ROTATION") and role in ("hub", "counter"):   # a bad ROLE: on ROLE
        c.fail("DISPLAY_ROTATION", "rotation_role", value=role)
    return rotation or 0


def _printer(c: _Checker, role: str) -> dict:
    text = c.get("PRINTER")
    if not text:
        return {}
    if role != "kiosk" and role in ROLES:   # an invalid role is reported once, on ROLE
        c.fail("PRINTER", "printer_role")
    config = printer_config(text)
    if config is None:
        c.fail("PRINTER", "bad_printer")
        return {}
    return config


def printer_config(text: str) -> dict | None:
    """``PRINTER=`` text -> the kiosk's printer dict (see kiosk/printer.py), or None."""
    kind, _, rest = text.partition(":")
    parts = rest.split(":") if rest else []
    if kind == "dummy" and not parts:
        return {"backend": "dummy"}
    if kind == "file" and len(parts) == 1 and parts[0].startswith("/dev/"):
        return {"backend": "file", "path": parts[0]}
    if kind == "serial" and 1 <= len(parts) <= 2 and parts[0].startswith("/dev/"):
        baud = parts[1] if len(parts) == 2 else "9600"
        return {"backend": "serial", "device": parts[0], "baudrate": int(baud)} \
            if baud.isdigit() else None
    if kind == "network" and 1 <= len(parts) <= 2 and parts[0]:
        port = parts[1] if len(parts) == 2 else "9100"
        return {"backend": "network", "host": parts[0], "port": int(port)} \
            if port.isdigit() and 0 < int(port) < 65536 else None
    if kind == "usb" and len(parts) == 2 and all(re.fullmatch(r"[0-9a-fA-F]{4}", p)
                                                 for p in parts):
        return {"backend": "usb", "vendor": int(parts[0], 16), "product": int(parts[1], 16)}
    return None
