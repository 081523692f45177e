"""Apply a device file (:mod:`antrean.deploy.devicefile`) to a root filesystem.

Runs at every boot (antrean-provision.service) and when the file changes on a running device
(antrean-provision.path). ``root`` is a parameter so the same code provisions ``/``, a
mounted image or a fake root in a test. Rules:

- All or nothing: a file with any problem applies nothing; the status file next to it
  (``antrean-status.txt``, Indonesian and English) lists every problem with its line, and
  the exit code is 3 (ConfigError). The unit is a oneshot and never restarts, so a broken
  file cannot cause a boot loop; the roles then start with what was applied before.
- Idempotent: the sha256 of the applied file is kept in ``/var/lib/antrean/provisioned.sha256``;
  the same file again changes nothing (not even a timestamp); a changed file re-applies, and
  only files whose content differs are rewritten.
- The Wi-Fi password is scrubbed from the FAT file once it is stored in the keyfile.
- Units are enabled by creating ``multi-user.target.wants/`` symlinks: no systemctl, so it
  works on an image or fake root.
- ``--live`` (the image's first boot): the plan also goes to the running root (``/``, a RAM
  overlay over the card's root given as ``--root``), the hostname is set and the role's units
  are started now, so no reboot is needed. Only a change that takes effect at boot (the
  kernel command line, i.e. the Wi-Fi country; a role's units removed) asks for a reboot,
  with exit code 10 (EXIT_REBOOT).

Wi-Fi regulatory domain: Debian bookworm dropped crda (``/etc/default/crda`` is read by
nothing); the kernel's cfg80211 takes ``ieee80211_regdom`` as a module option. We write
``/etc/modprobe.d/antrean-wifi.conf`` and, when ``/boot/firmware/cmdline.txt`` exists, the
``cfg80211.ieee80211_regdom=`` token Raspberry Pi OS itself uses, and clear systemd's saved
rfkill block for Wi-Fi (Pi OS keeps Wi-Fi soft-blocked until a country is set).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import os
import re
import socket
import subprocess
import sys
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from antrean.deploy.devicefile import STORED_MARK, DeviceFile, DeviceFileProblem, check_bytes
from antrean.errors import ConfigError

BOOT_DEVICE_FILE = "/boot/firmware/antrean.txt"
STATUS_NAME = "antrean-status.txt"
HASH_FILE = "var/lib/antrean/provisioned.sha256"
WIFI_KEYFILE = "etc/NetworkManager/system-connections/antrean-wifi.nmconnection"
AUTHORIZED_KEYS = "home/antrean/.ssh/authorized_keys"
WANTS = "etc/systemd/system/multi-user.target.wants"
SITE_TOML = "etc/antrean/site.toml"      # the hall's TOML, for every role
BROKER_PASSWD = "etc/antrean/broker-passwd"   # the hub's: hashed broker logins
TLS_CA, TLS_CERT, TLS_KEY = ("etc/antrean/tls/ca.crt", "etc/antrean/tls/broker.crt",
                             "etc/antrean/tls/broker.key")   # broker-config's --tls-dir
ROLE_UNITS = {
    "hub": ("antrean-broker.service", "antrean-hub.service", "antrean-web.service"),
    "kiosk": ("antrean-kiosk.service",),
    "display": ("antrean-display.service",),
    "counter": ("antrean-counter.service",),
}
ALL_ROLE_UNITS = frozenset(u for units in ROLE_UNITS.values() for u in units)
COMMON_UNITS = ("antrean-provision.service", "antrean-provision.path")
EXIT_REBOOT = 10    # --live: applied, but it only takes effect after a reboot
USER = "antrean"
MANAGED = "# Managed by antrean provision: edit the device file (antrean.txt), not this file."
WIFI_NAMESPACE = uuid.UUID("5b0d3e8c-3c55-4c2e-9f54-5a1e2f7c9a10")

# Status file text, Indonesian then English.
TEXT = {
    "title": "ANTREAN - status penyiapan perangkat / device provisioning status",
    "when": "Waktu / time (UTC): {value}",
    "file": "Berkas / file: {value}",
    "ok": "HASIL / RESULT: BERHASIL / OK",
    "failed": "HASIL / RESULT: GAGAL / FAILED - tidak ada yang diubah / nothing was changed",
    "fix": "Perbaiki baris berikut lalu nyalakan ulang. / Fix these lines, then restart.",
    "line": "baris/line {value}",
    "applied": "Diterapkan / applied:",
    "unchanged": "tidak berubah / unchanged",
}


@dataclass
class Plan:
    """What a device file means for a root filesystem, before anything is touched."""

    # path -> (data, mode, owner); mode None on the FAT partition, which has no modes
    writes: dict[str, tuple[bytes, int | None, str]] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)                      # path -> target
    removals: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


@dataclass
class Result:
    exit_code: int
    unchanged: bool = False
    changed: list[str] = field(default_factory=list)   # root-relative paths touched
    summary: list[str] = field(default_factory=list)
    problems: list[ConfigError] = field(default_factory=list)
    role: str = ""
    reboot_reason: str = ""    # why a change only takes effect at the next boot


def provision(device_file: str | os.PathLike = BOOT_DEVICE_FILE, root: str | os.PathLike = "/",
              force: bool = False, now: dt.datetime | None = None,
              also: str | os.PathLike | None = None) -> Result:
    """Apply ``device_file`` to ``root`` and, when given, to ``also``: a second view of the
    same system (the running overlay over the card's root). See the module docstring. Never
    raises ConfigError: problems are returned (exit code 3) and written to the status file."""
    device_path, root = Path(device_file), Path(root)
    roots = [root] + ([Path(also)] if also is not None and Path(also) != root else [])
    now = now or dt.datetime.now(dt.timezone.utc)
    try:
        data = device_path.read_bytes()
    except OSError as exc:
        problem = DeviceFileProblem("unreadable", str(device_path), value=exc.strerror or "")
        return _fail(device_path, [problem], now)
    if not force and _stored_hash(root) == _sha256(data):
        return Result(0, unchanged=True)
    device, problems = check_bytes(data, str(device_path))
    if device is not None:
        problems, served = _context_problems(device, root)
        # device.toml records the counters the hall's TOML gives this device.
        device = dataclasses.replace(device, counters=served or device.counters)
    if problems or device is None:
        return _fail(device_path, problems, now)
    plan = build_plan(device, root)
    changed = apply_plan(plan, root)
    for other in roots[1:]:
        apply_plan(plan, other)
    if "etc/hostname" in changed and any(r.resolve() == Path("/") for r in roots):
        _set_live_hostname(device.hostname)
    data = _scrub_wifi_password(device_path, data, device)
    for r in roots:
        _write(r / HASH_FILE, (_sha256(data) + "\n").encode(), 0o644)
    _write_status(device_path, now, [TEXT["ok"], "", TEXT["applied"], *plan.summary])
    return Result(0, changed=changed, summary=plan.summary, role=device.role,
                  reboot_reason=_reboot_reason(changed, root))


def _reboot_reason(changed: list[str], root: Path) -> str:
    """Why ``changed`` cannot all take effect on the running system, or ''."""
    if "boot/firmware/cmdline.txt" in changed:
        return "kernel command line (Wi-Fi country)"
    stopped = [Path(rel).name for rel in changed if rel.startswith(WANTS)
               and Path(rel).name in ALL_ROLE_UNITS and not (root / rel).is_symlink()]
    if stopped:
        return f"role changed ({', '.join(stopped)} no longer enabled)"
    return ""


def _start_units(role: str) -> None:
    """Start the role's units on the running system, without waiting: this runs inside
    antrean-provision.service, which they are ordered after."""
    units = [*ROLE_UNITS[role], "antrean-provision.path"]
    print(f"antrean provision: starting {' '.join(units)}")
    subprocess.run(["systemctl", "--no-block", "start", *units], check=False)


def _set_live_hostname(name: str) -> None:
    # PID 1 read /etc/hostname before we ran; without this the new name (and the one sent
    # to the DHCP server) would wait for the next boot.
    try:
        socket.sethostname(name)
    except OSError as exc:
        print(f"antrean provision: hostname {name} applies after a reboot ({exc})",
              file=sys.stderr)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stored_hash(root: Path) -> str:
    try:
        return (root / HASH_FILE).read_text().strip()
    except OSError:
        return ""


def _fail(device_path: Path, problems: list[ConfigError], now: dt.datetime) -> Result:
    lines = [TEXT["failed"], TEXT["fix"], ""]
    for p in problems:
        where = TEXT["line"].format(value=p.line) if p.line else ""
        where = f"{where}, {p.key}" if p.key else where
        lines.append(f"- {where}:" if where else "-")
        lines.append(f"    ID: {getattr(p, 'indonesian', p.message)}")
        lines.append(f"    EN: {p.message}")
    _write_status(device_path, now, lines)
    return Result(ConfigError.exit_code, problems=problems)


def _write_status(device_path: Path, now: dt.datetime, body: list[str]) -> None:
    head = [TEXT["title"], TEXT["when"].format(value=now.strftime("%Y-%m-%d %H:%M:%S")),
            TEXT["file"].format(value=device_path), ""]
    # CRLF so Notepad on an old Windows shows lines; the FAT side is read on PCs.
    text = "\r\n".join(head + body) + "\r\n"
    try:
        _write(device_path.parent / STATUS_NAME, text.encode("utf-8"), None)
    except OSError as exc:   # a read-only or missing FAT must not hide the real result
        print(f"antrean provision: cannot write the status file: {exc}", file=sys.stderr)


def _inside(root: Path, absolute: str) -> Path:
    return root / absolute.lstrip("/")


# The device file's key each problem with the hall's TOML is about (else SITE_CONFIG).
_CONTEXT_KEY = {"site_mismatch": "SITE", "device_not_in_site": "DEVICE_ID",
                "device_other_kind": "DEVICE_ID", "counters_mismatch": "COUNTERS",
                "need_broker_ca": "ROLE", "tls_not_on": "BROKER_CA"}
# ROLE -> the hall's table of such devices
_TABLES = {"kiosk": "kiosks", "display": "displays", "counter": "button_boxes"}


def _context_problems(device: DeviceFile,
                      root: Path) -> tuple[list[ConfigError], tuple[int, ...]]:
    """Problems only visible against the target: the hall's TOML, a stored Wi-Fi password;
    and the counters the hall's TOML gives this device."""
    problems: list[ConfigError] = []
    served: tuple[int, ...] = ()
    line = device.lines.get
    if device.site_config:
        site = _inside(root, device.site_config)
        if not site.is_file():
            problems.append(DeviceFileProblem("site_config_missing", device.path,
                                              line("SITE_CONFIG"), "SITE_CONFIG",
                                              value=device.site_config))
        else:
            found, served = _site_config_problems(site, device)
            for code, fields in found:
                key = _CONTEXT_KEY.get(code, "SITE_CONFIG")
                problems.append(DeviceFileProblem(code, device.path, line(key), key, **fields))
    if device.broker_passwd:
        problems += _broker_passwd_problems(device, root)
    for key, value in (("BROKER_CA", device.broker_ca), ("BROKER_CERT", device.broker_cert),
                       ("BROKER_KEY", device.broker_key)):
        if value and not _inside(root, value).is_file():
            problems.append(DeviceFileProblem("tls_file_missing", device.path, line(key), key,
                                              value=value))
    if device.wifi_ssid and device.wifi_password_stored \
            and _stored_wifi(root).get("ssid") != device.wifi_ssid:
        problems.append(DeviceFileProblem("wifi_password_gone", device.path,
                                          line("WIFI_PASSWORD"), "WIFI_PASSWORD"))
    return problems, served


def _site_config_problems(path: Path, device: DeviceFile) -> tuple[list[tuple[str, dict]],
                                                                   tuple[int, ...]]:
    """(message code, its fields) for the hall's TOML: valid, same site, lists this device
    in the table its ROLE runs from, with (when COUNTERS is given) these counters, and with
    BROKER_CA exactly when it turns TLS on. Also the counters the hall's TOML gives it."""
    try:
        from antrean.config import read_site   # the full validator (may not be installed)
    except ImportError:
        try:
            tomllib.loads(path.read_bytes().decode("utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            return [("site_config_bad", {"value": str(exc)})], ()
        return [], ()
    site, problems = read_site(path)
    if site is None:
        return [("site_config_bad", {"value": str(p)}) for p in problems], ()
    if site.id != device.site:
        return [("site_mismatch", {"value": site.id})], ()
    found = []
    if site.broker_tls and not device.broker_ca:
        found.append(("need_broker_ca", {}))
    elif device.broker_ca and not site.broker_tls:
        found.append(("tls_not_on", {}))
    if device.role == "hub":
        return found, ()
    table = _TABLES[device.role]
    mine = getattr(site, table)
    if device.device_id not in mine:
        other = next((t for t in _TABLES.values() if device.device_id in getattr(site, t)), None)
        if other:
            return [("device_other_kind", {"value": device.device_id, "hint": f"[[{other}]]",
                                           "kind": f"[[{table}]]", "role": device.role})], ()
        return [("device_not_in_site", {"value": device.device_id, "kind": f"[[{table}]]",
                                        "hint": ", ".join(mine) or "-"})], ()
    served = _served(site, device)
    if device.counters and sorted(device.counters) != list(served):
        found.append(("counters_mismatch", {"value": device.device_id,
                                            "hint": ", ".join(map(str, served)) or "-"}))
    return found, served


def _served(site, device: DeviceFile) -> tuple[int, ...]:
    """The counters the hall's TOML gives this device, sorted: a hall display that lists
    none shows them all; a kiosk serves none."""
    if device.role == "counter":
        return tuple(sorted(site.button_boxes[device.device_id].counters))
    if device.role == "display":
        return tuple(sorted(site.displays[device.device_id].counters or site.counters))
    return ()


def _broker_passwd_problems(device: DeviceFile, root: Path) -> list[ConfigError]:
    """The hub card's broker password file: there, readable, and holding the hub's own
    DEVICE_PASSWORD (a mismatch would leave the hub locked out of its own broker)."""
    from antrean.deploy.credentials import hash_matches, read_passwd
    at = device.lines.get("BROKER_PASSWD")
    path = _inside(root, device.broker_passwd)
    if not path.is_file():
        return [DeviceFileProblem("broker_passwd_missing", device.path, at, "BROKER_PASSWD",
                                  value=device.broker_passwd)]
    try:
        hashes = read_passwd(path)
    except ConfigError as exc:
        return [DeviceFileProblem("broker_passwd_bad", device.path, at, "BROKER_PASSWD",
                                  value=str(exc))]
    if not hash_matches(device.device_password, hashes.get("hub", "")):
        return [DeviceFileProblem("hub_password_mismatch", device.path,
                                  device.lines.get("DEVICE_PASSWORD"), "DEVICE_PASSWORD",
                                  value=device.broker_passwd)]
    return []


def _stored_wifi(root: Path) -> dict[str, str]:
    """ssid and psk of the keyfile we wrote earlier, if any."""
    try:
        text = (root / WIFI_KEYFILE).read_text()
    except OSError:
        return {}
    found = dict(re.findall(r"^(ssid|psk)=(.*)$", text, re.M))
    return {k: _keyfile_unescape(v) for k, v in found.items()}


def build_plan(device: DeviceFile, root: Path) -> Plan:
    """Everything ``device`` means for ``root``, as content; touches nothing."""
    plan = Plan()
    _plan_role(plan, device, root)
    _plan_hostname(plan, device, root)
    _plan_wifi(plan, device, root)
    _plan_ssh(plan, device, root)
    _plan_timezone(plan, device)
    _plan_units(plan, device, root)
    return plan


def _device_toml(d: DeviceFile, site: str) -> bytes:
    settings = {"version": 1, "role": d.role, "site": d.site, "device_id": d.device_id,
                "site_config": site, "counters": list(d.counters),
                "display_rotation": d.display_rotation, "timezone": d.timezone,
                "broker": {"host": d.hub_address, "port": d.hub_port,
                           "username": d.device_id, "password": d.device_password}}
    if d.broker_ca:
        settings["broker"]["tls_ca"] = "/" + TLS_CA
    if d.printer:       # a setting left out (None) is the kiosk's default
        settings["printer"] = {k: v for k, v in d.printer.items() if v is not None}
    return (MANAGED + "\n" + tomli_w.dumps(settings)).encode()


def _plan_role(plan: Plan, d: DeviceFile, root: Path) -> None:
    # Every role runs from a copy of the hall's TOML off the FAT partition (mounted nofail).
    site = "/" + SITE_TOML
    plan.writes[SITE_TOML] = (_inside(root, d.site_config).read_bytes(), 0o640, f"root:{USER}")
    plan.writes["etc/antrean/device.toml"] = (_device_toml(d, site), 0o640, f"root:{USER}")
    if d.broker_passwd:     # the hub: the broker's hashed logins (antrean broker-config)
        plan.writes[BROKER_PASSWD] = (_inside(root, d.broker_passwd).read_bytes(), 0o640,
                                      f"root:{USER}")
    # TLS: every card the hall's CA; the hub the broker's certificate and key, which the
    # broker's set-up (running as antrean) reads.
    for source, target, mode in ((d.broker_ca, TLS_CA, 0o644), (d.broker_cert, TLS_CERT, 0o644),
                                 (d.broker_key, TLS_KEY, 0o640)):
        if source:
            plan.writes[target] = (_inside(root, source).read_bytes(), mode, f"root:{USER}")
    env = [MANAGED, f"ANTREAN_ROLE={d.role}", f"ANTREAN_DEVICE={d.device_id}",
           f"ANTREAN_CONFIG={site}", "ANTREAN_DEVICE_CONFIG=/etc/antrean/device.toml",
           f"ANTREAN_HUB_HOST={d.hub_address}", f"ANTREAN_HUB_PORT={d.hub_port}"]
    if d.role in ("kiosk", "display"):
        env.append(f"KCFG_GRAPHICS_ROTATION={d.display_rotation}")   # Kivy's env override
    plan.writes["etc/antrean/role.env"] = (_text(env), 0o640, f"root:{USER}")
    plan.summary.append(f"- peran/role {d.role}, situs/site {d.site}, id {d.device_id}, "
                        f"hub {d.hub_address}:{d.hub_port}")
    if d.counters:
        plan.summary.append(f"- loket/counters: {', '.join(map(str, d.counters))}")
    if d.printer:
        plan.summary.append(f"- printer: {d.printer['backend']}")
    if d.broker_ca:
        plan.summary.append(f"- TLS: port {d.hub_port}, CA /{TLS_CA}")


def _text(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _plan_hostname(plan: Plan, d: DeviceFile, root: Path) -> None:
    if not d.hostname:
        return
    plan.writes["etc/hostname"] = (_text([d.hostname]), 0o644, "root:root")
    try:
        hosts = (root / "etc/hosts").read_text().splitlines()
    except OSError:
        hosts = ["127.0.0.1\tlocalhost", "::1\t\tlocalhost ip6-localhost ip6-loopback"]
    hosts = [h for h in hosts if not h.startswith("127.0.1.1")] + [f"127.0.1.1\t{d.hostname}"]
    plan.writes["etc/hosts"] = (_text(hosts), 0o644, "root:root")
    plan.summary.append(f"- nama host/hostname: {d.hostname}")


def _keyfile_escape(value: str) -> str:
    # GLib key-file escapes; a leading space must be \s or it is stripped.
    value = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    return "\\s" + value[1:] if value.startswith(" ") else value


def _keyfile_unescape(value: str) -> str:
    swaps = {"\\\\": "\\", "\\n": "\n", "\\t": "\t", "\\s": " "}
    return re.sub(r"\\[\\nts]", lambda m: swaps[m.group()], value)


def _plan_wifi(plan: Plan, d: DeviceFile, root: Path) -> None:
    if not d.wifi_ssid:
        plan.removals.append(WIFI_KEYFILE)
        return
    password = d.wifi_password
    if d.wifi_password_stored:
        password = _stored_wifi(root).get("psk", "")
    lines = ["[connection]", "id=antrean-wifi",
             f"uuid={uuid.uuid5(WIFI_NAMESPACE, d.wifi_ssid)}", "type=wifi",
             "autoconnect=true", "autoconnect-retries=0", "",  # 0 = retry forever
             "[wifi]", "mode=infrastructure", f"ssid={_keyfile_escape(d.wifi_ssid)}", ""]
    if password:
        lines += ["[wifi-security]", "key-mgmt=wpa-psk", f"psk={_keyfile_escape(password)}", ""]
    lines += ["[ipv4]", "method=auto", "", "[ipv6]", "addr-gen-mode=default", "method=auto"]
    plan.writes[WIFI_KEYFILE] = (_text(lines), 0o600, "root:root")
    country = d.wifi_country
    plan.writes["etc/modprobe.d/antrean-wifi.conf"] = (
        _text([MANAGED, f"options cfg80211 ieee80211_regdom={country}"]), 0o644, "root:root")
    cmdline = root / "boot/firmware/cmdline.txt"
    if cmdline.is_file():
        words = [w for w in cmdline.read_text().split()
                 if not w.startswith("cfg80211.ieee80211_regdom=")]
        words.append(f"cfg80211.ieee80211_regdom={country}")
        plan.writes["boot/firmware/cmdline.txt"] = (_text([" ".join(words)]), None, "")
    for state in sorted((root / "var/lib/systemd/rfkill").glob("*:wlan")):
        plan.writes[str(state.relative_to(root))] = (b"0\n", 0o644, "root:root")
    plan.summary.append(f"- Wi-Fi: {d.wifi_ssid} ({'WPA' if password else 'terbuka/open'}), "
                        f"negara/country {country}")


def _plan_ssh(plan: Plan, d: DeviceFile, root: Path) -> None:
    if not d.ssh_authorized_key:
        try:
            ours = (root / AUTHORIZED_KEYS).read_text().startswith(MANAGED)
        except OSError:
            ours = False
        if ours:   # only a file we wrote is ours to remove
            plan.removals.append(AUTHORIZED_KEYS)
        return
    plan.writes[AUTHORIZED_KEYS] = (_text([MANAGED, d.ssh_authorized_key]), 0o600,
                                    f"{USER}:{USER}")
    plan.links[f"{WANTS}/ssh.service"] = "/lib/systemd/system/ssh.service"
    plan.summary.append(f"- SSH: {USER}@{d.hostname or 'perangkat/device'} "
                        f"({d.ssh_authorized_key.split()[0]})")


def _plan_timezone(plan: Plan, d: DeviceFile) -> None:
    plan.writes["etc/timezone"] = (_text([d.timezone]), 0o644, "root:root")
    plan.links["etc/localtime"] = f"/usr/share/zoneinfo/{d.timezone}"
    plan.summary.append(f"- zona waktu/time zone: {d.timezone}")


def _plan_units(plan: Plan, d: DeviceFile, root: Path) -> None:
    wanted = (*ROLE_UNITS[d.role], *COMMON_UNITS)
    for unit in wanted:
        local = root / "etc/systemd/system" / unit
        target = f"/etc/systemd/system/{unit}" if local.exists() else f"/lib/systemd/system/{unit}"
        plan.links[f"{WANTS}/{unit}"] = target
    others = ALL_ROLE_UNITS - set(wanted)
    plan.removals += [f"{WANTS}/{u}" for u in sorted(others)]
    plan.summary.append(f"- layanan/services: {', '.join(ROLE_UNITS[d.role])}")


def apply_plan(plan: Plan, root: Path) -> list[str]:
    """Make ``root`` match ``plan``; return the root-relative paths actually changed."""
    changed = []
    for rel, (data, mode, owner) in plan.writes.items():
        path = root / rel
        try:
            same = path.read_bytes() == data and mode in (None, path.stat().st_mode & 0o777)
        except OSError:
            same = False
        if not same:
            _write(path, data, mode, _ids(root, owner))
            changed.append(rel)
    for rel, target in plan.links.items():
        path = root / rel
        if path.is_symlink() and os.readlink(path) == target:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            path.unlink()
        path.symlink_to(target)
        changed.append(rel)
    for rel in plan.removals:
        path = root / rel
        if path.is_symlink() or path.exists():
            path.unlink()
            changed.append(rel)
    return changed


def _ids(root: Path, owner: str) -> tuple[int, int] | None:
    """uid/gid of ``user:group`` from the target's own passwd/group; None when unknown
    (a fake root) or when we cannot chown anyway (not root)."""
    if not owner or os.geteuid() != 0:
        return None
    user, _, group = owner.partition(":")
    try:
        uids = {r.split(":")[0]: int(r.split(":")[2])
                for r in (root / "etc/passwd").read_text().splitlines() if r.count(":") >= 3}
        gids = {r.split(":")[0]: int(r.split(":")[2])
                for r in (root / "etc/group").read_text().splitlines() if r.count(":") >= 3}
    except (OSError, ValueError):
        return None
    if user not in uids or group not in gids:
        return None
    return uids[user], gids[group]


def _write(path: Path, data: bytes, mode: int | None,
           ids: tuple[int, int] | None = None) -> None:
    """Atomic replace with fsync: a power cut leaves the old file or the new one.
    ``mode`` None for the FAT partition, where chmod fails with EPERM."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.antrean-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode or 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if mode is not None:
            os.fchmod(fd, mode)
        if ids:
            os.fchown(fd, *ids)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if ids and path.parent.name == ".ssh":
        os.chown(path.parent, *ids)
        os.chmod(path.parent, 0o700)


def _scrub_wifi_password(path: Path, data: bytes, device: DeviceFile) -> bytes:
    """Replace a used Wi-Fi password in the FAT file by the stored mark; return new bytes."""
    number = device.lines.get("WIFI_PASSWORD")
    if not device.wifi_password or device.wifi_password_stored or number is None:
        return data
    bom = data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines(keepends=True)
    old = lines[number - 1]
    ending = old[len(old.rstrip("\r\n")):]
    lines[number - 1] = f"WIFI_PASSWORD= {STORED_MARK}{ending}"
    new = ("\ufeff" if bom else "") + "".join(lines)
    _write(path, new.encode("utf-8"), None)
    return new.encode("utf-8")


def main_provision(argv: list[str] | None = None) -> int:
    """``antrean provision``: apply the device file; exit 0, or 3 when it has problems."""
    parser = argparse.ArgumentParser(
        prog="antrean provision",
        description="Apply the device file (antrean.txt on the SD card's boot partition) to "
                    "this system: role, hub address, Wi-Fi, hostname, SSH key, time zone. "
                    "Writes antrean-status.txt next to it.")
    parser.add_argument("--device-file", default=BOOT_DEVICE_FILE,
                        help=f"the device file (default {BOOT_DEVICE_FILE})")
    parser.add_argument("--root", default="/", help="root filesystem to apply it to")
    parser.add_argument("--force", action="store_true",
                        help="apply even when the file is unchanged since the last run")
    parser.add_argument("--reboot-if-changed", action="store_true",
                        help="reboot when something changed (for edits on a running device)")
    parser.add_argument("--live", action="store_true",
                        help="also apply to the running system (/, when --root is the card's "
                             "root under an overlay), set the hostname and start the role's "
                             f"units; exit {EXIT_REBOOT} when a change needs a reboot instead")
    args = parser.parse_args(argv)
    result = provision(args.device_file, args.root, force=args.force,
                       also="/" if args.live else None)
    if result.problems:
        print("\n".join(str(p) for p in result.problems), file=sys.stderr)
    elif result.unchanged:
        print(f"{args.device_file}: {TEXT['unchanged']}")
    else:
        print("\n".join(result.summary))
        if args.reboot_if_changed and result.changed and args.root == "/":
            subprocess.run(["systemctl", "--no-block", "reboot"], check=False)
        elif args.live and result.reboot_reason:
            print(f"antrean provision: reboot needed: {result.reboot_reason}")
            return EXIT_REBOOT
        elif args.live and result.changed:
            _start_units(result.role)
    return result.exit_code
