"""antrean.deploy.provision against fake root filesystems in tmp_path."""
import configparser
import re
import os
import shutil
import tomllib
from pathlib import Path

import pytest

from antrean.deploy.credentials import passwd_text, read_passwd
from antrean.deploy.provision import (AUTHORIZED_KEYS, HASH_FILE, STATUS_NAME, WANTS, WIFI_KEYFILE,
                               main_provision, provision)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HALL = "boot/firmware/antrean/hall.toml"      # the mini hall, on every fake card
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq0Xy3p7pbK4h2o9X2v1zQ teknisi@laptop"
KIOSK = f"""\
# kios pintu masuk
ROLE=kiosk
SITE=mpp-mini
DEVICE_ID=kiosk-1
HUB_ADDRESS=192.168.1.10
DEVICE_PASSWORD=demo-GANTI-kiosk-1
PRINTER=network:192.168.1.50:9100
WIFI_SSID=MPP Perangkat
WIFI_PASSWORD="rahasia #12 sekali"
WIFI_COUNTRY=ID
SSH_AUTHORIZED_KEY={SSH_KEY}
TIMEZONE=Asia/Makassar
SITE_CONFIG=/boot/firmware/antrean/hall.toml
"""


@pytest.fixture
def root(tmp_path):
    """A fake root: a FAT boot partition with cmdline.txt and the hall's TOML, and a blocked
    Wi-Fi rfkill state."""
    r = tmp_path / "root"
    (r / HALL).parent.mkdir(parents=True)
    shutil.copyfile(EXAMPLES / "mini-hall.toml", r / HALL)
    (r / "boot/firmware/cmdline.txt").write_text(
        "console=tty1 root=PARTUUID=1234-02 rootwait cfg80211.ieee80211_regdom=GB\n")
    (r / "var/lib/systemd/rfkill").mkdir(parents=True)
    (r / "var/lib/systemd/rfkill/platform-3f300000.mmcnr:wlan").write_text("1\n")
    return r


HUB_PASSWORD = "hub-rahasia-123"
PASSWD = "boot/firmware/antrean/passwd"       # the hub card's broker password file


def hub_file(root: Path, site: str = "mpp-mini", hall: str = f"/{HALL}") -> Path:
    """A hub card: its device file and the broker's hashed password file."""
    (root / PASSWD).write_text(passwd_text({"hub": HUB_PASSWORD, "kiosk-1": "kiosk-rahasia"}))
    return device_file(root, f"ROLE=hub\nSITE={site}\nDEVICE_PASSWORD={HUB_PASSWORD}\n"
                             f"BROKER_PASSWD=/{PASSWD}\nSITE_CONFIG={hall}\n")


def device_file(root: Path, text: str, raw: bytes | None = None) -> Path:
    path = root / "boot/firmware/antrean.txt"
    path.write_bytes(raw if raw is not None else text.encode())
    return path


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under root with its content or link target, mode and mtime."""
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        if p.is_dir() and not p.is_symlink():   # a directory's mtime moves with its entries
            out[str(p.relative_to(root))] = (None, st.st_mode, None)
            continue
        body = os.readlink(p) if p.is_symlink() else p.read_bytes()
        out[str(p.relative_to(root))] = (body, st.st_mode, st.st_mtime_ns)
    return out


def test_kiosk_file_is_applied(root):
    result = provision(device_file(root, KIOSK), root)
    assert result.exit_code == 0 and not result.problems

    device = tomllib.loads((root / "etc/antrean/device.toml").read_text())
    assert device["role"] == "kiosk" and device["device_id"] == "kiosk-1"
    assert device["broker"] == {"host": "192.168.1.10", "port": 1883, "username": "kiosk-1",
                                "password": "demo-GANTI-kiosk-1"}
    assert device["printer"] == {"backend": "network", "host": "192.168.1.50", "port": 9100}
    env = (root / "etc/antrean/role.env").read_text()
    assert "ANTREAN_DEVICE=kiosk-1\n" in env and "ANTREAN_CONFIG=/etc/antrean/site.toml\n" in env
    assert "ANTREAN_DEVICE_CONFIG=/etc/antrean/device.toml\n" in env
    assert (root / "etc/antrean/device.toml").stat().st_mode & 0o777 == 0o640
    # every role runs from its own copy of the hall's TOML
    copied = (root / "etc/antrean/site.toml").read_bytes()
    assert copied == (EXAMPLES / "mini-hall.toml").read_bytes()
    assert device["site_config"] == "/etc/antrean/site.toml"

    assert (root / "etc/hostname").read_text() == "antrean-kiosk-1\n"
    assert "127.0.1.1\tantrean-kiosk-1" in (root / "etc/hosts").read_text().splitlines()
    assert (root / "etc/timezone").read_text() == "Asia/Makassar\n"
    assert os.readlink(root / "etc/localtime") == "/usr/share/zoneinfo/Asia/Makassar"

    keys = root / AUTHORIZED_KEYS
    assert SSH_KEY in keys.read_text().splitlines() and keys.stat().st_mode & 0o777 == 0o600
    wants = root / WANTS
    assert sorted(p.name for p in wants.iterdir()) == [
        "antrean-kiosk.service", "antrean-provision.path", "antrean-provision.service",
        "ssh.service"]


def test_role_env_names_the_hub_for_the_units(root):
    text = KIOSK.replace("HUB_ADDRESS=192.168.1.10", "HUB_ADDRESS=hub.mpp.local\nHUB_PORT=1884")
    assert provision(device_file(root, text), root).exit_code == 0
    env = (root / "etc/antrean/role.env").read_text().splitlines()
    assert "ANTREAN_HUB_HOST=hub.mpp.local" in env and "ANTREAN_HUB_PORT=1884" in env
    # the default port is spelt out too: the units' ExecStart needs a value
    assert provision(device_file(root, KIOSK), root).exit_code == 0
    env = (root / "etc/antrean/role.env").read_text().splitlines()
    assert "ANTREAN_HUB_HOST=192.168.1.10" in env and "ANTREAN_HUB_PORT=1883" in env


def test_wifi_keyfile_regdomain_and_rfkill(root):
    provision(device_file(root, KIOSK), root)
    keyfile = root / WIFI_KEYFILE
    assert keyfile.stat().st_mode & 0o777 == 0o600
    nm = configparser.ConfigParser(interpolation=None)
    nm.read_string(keyfile.read_text())
    assert nm.sections() == ["connection", "wifi", "wifi-security", "ipv4", "ipv6"]
    assert nm["connection"]["type"] == "wifi" and nm["connection"]["autoconnect"] == "true"
    assert nm["wifi"]["ssid"] == "MPP Perangkat"
    assert nm["wifi-security"]["key-mgmt"] == "wpa-psk"
    assert nm["wifi-security"]["psk"] == "rahasia #12 sekali"
    assert nm["ipv4"]["method"] == "auto"
    assert "options cfg80211 ieee80211_regdom=ID" in \
        (root / "etc/modprobe.d/antrean-wifi.conf").read_text()
    cmdline = (root / "boot/firmware/cmdline.txt").read_text()
    assert cmdline == "console=tty1 root=PARTUUID=1234-02 rootwait cfg80211.ieee80211_regdom=ID\n"
    assert (root / "var/lib/systemd/rfkill/platform-3f300000.mmcnr:wlan").read_text() == "0\n"


def test_wifi_password_is_scrubbed_and_notepad_format_kept(root):
    raw = b"\xef\xbb\xbf" + KIOSK.replace("\n", "\r\n").encode()
    path = device_file(root, "", raw)
    provision(path, root)
    after = path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf") and b"rahasia" not in after
    assert b"\r\nWIFI_PASSWORD= # disimpan/stored\r\nWIFI_COUNTRY=ID\r\n" in after
    assert after.replace(b"WIFI_PASSWORD= # disimpan/stored",
                         b'WIFI_PASSWORD="rahasia #12 sekali"') == raw


def test_second_run_changes_nothing(root):
    path = device_file(root, KIOSK)
    provision(path, root)
    before = snapshot(root)
    result = provision(path, root)
    assert result.unchanged and result.exit_code == 0
    assert snapshot(root) == before


def test_forced_rerun_after_scrub_keeps_the_stored_password(root):
    path = device_file(root, KIOSK)
    provision(path, root)
    keyfile = (root / WIFI_KEYFILE).read_bytes()
    result = provision(path, root, force=True)
    assert result.exit_code == 0 and result.changed == []
    assert (root / WIFI_KEYFILE).read_bytes() == keyfile


def test_changed_file_reapplies(root):
    path = device_file(root, KIOSK)
    provision(path, root)
    text = path.read_text().replace("ROLE=kiosk", "ROLE=display").replace(
        "DEVICE_ID=kiosk-1", "DEVICE_ID=display-hall").replace(
        "demo-GANTI-kiosk-1", "demo-GANTI-display-hall").replace("PRINTER=", "# PRINTER=")
    path.write_text(text + "DISPLAY_ROTATION=90\n")
    result = provision(path, root)
    assert result.exit_code == 0 and not result.unchanged
    wants = {p.name for p in (root / WANTS).iterdir()}
    assert "antrean-display.service" in wants and "antrean-kiosk.service" not in wants
    env = (root / "etc/antrean/role.env").read_text()
    assert "ANTREAN_DEVICE=display-hall\n" in env and "KCFG_GRAPHICS_ROTATION=90\n" in env
    assert (root / "etc/hostname").read_text() == "antrean-display-hall\n"
    # the Wi-Fi password, scrubbed by the first run, is still the stored one
    assert "psk=rahasia #12 sekali" in (root / WIFI_KEYFILE).read_text()


def test_broken_file_applies_nothing_and_says_why(root, capsys):
    broken = KIOSK.replace("ROLE=kiosk", "ROLE=kios").replace("HUB_ADDRESS", "HUB_ADRES")
    path = device_file(root, broken)
    before = snapshot(root)
    code = main_provision(["--device-file", str(path), "--root", str(root)])
    assert code == 3
    changed = {k for k, v in snapshot(root).items() if before.get(k) != v}
    assert changed == {f"boot/firmware/{STATUS_NAME}"}          # only the status file
    status = (root / "boot/firmware" / STATUS_NAME).read_text(encoding="utf-8")
    assert "GAGAL / FAILED" in status
    assert "baris/line 2, ROLE:" in status and "baris/line 5, HUB_ADRES:" in status
    assert "EN: unknown key; did you mean HUB_ADDRESS?" in status
    assert "ID: kunci tidak dikenal; maksud Anda HUB_ADDRESS?" in status
    assert ":5: HUB_ADRES" in capsys.readouterr().err


def test_broken_file_later_keeps_the_last_good_setup(root):
    path = device_file(root, KIOSK)
    provision(path, root)
    good = (root / "etc/antrean/device.toml").read_bytes()
    path.write_text(path.read_text().replace("HUB_PORT", "X") + "HUB_PORT=0\n")
    assert provision(path, root).exit_code == 3
    assert (root / "etc/antrean/device.toml").read_bytes() == good
    assert not (root / HASH_FILE).read_text().startswith("0")      # still the good file's hash


def test_success_status_file(root):
    provision(device_file(root, KIOSK), root)
    status = (root / "boot/firmware" / STATUS_NAME).read_bytes().decode()
    assert "BERHASIL / OK" in status and "\r\n" in status
    assert "antrean-kiosk.service" in status and "rahasia" not in status


def test_hub_copies_the_hall_config(root):
    shutil.copytree(EXAMPLES, root / "boot/firmware/antrean", dirs_exist_ok=True)
    path = hub_file(root, hall="/boot/firmware/antrean/mini-hall.toml")
    result = provision(path, root)
    assert result.exit_code == 0, [str(p) for p in result.problems]
    copied = (root / "etc/antrean/site.toml").read_bytes()
    assert copied == (EXAMPLES / "mini-hall.toml").read_bytes()
    # the broker's hashed logins, for antrean-broker.service; the hub's own login
    passwd = root / "etc/antrean/broker-passwd"
    assert read_passwd(passwd).keys() == {"hub", "kiosk-1"}
    assert passwd.stat().st_mode & 0o777 == 0o640
    device = tomllib.loads((root / "etc/antrean/device.toml").read_text())
    assert device["broker"]["password"] == HUB_PASSWORD
    env = (root / "etc/antrean/role.env").read_text()
    assert "ANTREAN_CONFIG=/etc/antrean/site.toml\n" in env
    assert "ANTREAN_HUB_HOST=127.0.0.1\n" in env and "ANTREAN_HUB_PORT=1883\n" in env
    wants = {p.name for p in (root / WANTS).iterdir()}
    assert {"antrean-hub.service", "antrean-broker.service"} <= wants
    assert not (root / WIFI_KEYFILE).exists()


def test_hub_with_missing_or_broken_hall_config(root):
    (root / HALL).unlink()
    path = hub_file(root)
    result = provision(path, root)
    assert result.exit_code == 3
    assert [(p.line, p.key) for p in result.problems] == [(5, "SITE_CONFIG")]
    (root / HALL).write_text("version = 1\n[site\n")
    result = provision(path, root)
    assert result.exit_code == 3 and result.problems[0].key == "SITE_CONFIG"
    assert not (root / "etc").exists()


def test_hall_config_must_be_this_site_and_list_this_device(root):
    hall = f"SITE_CONFIG=/{HALL}\n"
    path = hub_file(root, site="mpp-madiun")
    assert [(p.line, p.key, p.message) for p in provision(path, root).problems] == [
        (2, "SITE", "SITE differs from the site id in the hall's TOML file ('mpp-mini')")]
    kiosk9 = KIOSK.replace("kiosk-1", "kiosk-9")
    assert hall in kiosk9
    path = device_file(root, kiosk9)
    # The problem is this device's id: its line, not the SITE_CONFIG line.
    [problem] = provision(path, root).problems
    assert (problem.line, problem.key) == (4, "DEVICE_ID")
    assert problem.message == ("device 'kiosk-9' is not listed in the hall's TOML file "
                               "([[kiosks]]: kiosk-1)")
    assert "baris/line 4, DEVICE_ID:" in (root / "boot/firmware" / STATUS_NAME).read_text()


def test_the_device_must_be_listed_as_what_its_role_runs(root):
    # Given a button box's card that names the kiosk's id (its password too).
    text = (f"ROLE=counter\nSITE=mpp-mini\nDEVICE_ID=kiosk-1\nHUB_ADDRESS=192.168.1.10\n"
            f"DEVICE_PASSWORD=demo-GANTI-kiosk-1\nSITE_CONFIG=/{HALL}\n")
    # When it is provisioned, then it is refused at DEVICE_ID: antrean counter would not start.
    [problem] = provision(device_file(root, text), root).problems
    assert (problem.line, problem.key) == (3, "DEVICE_ID")
    assert problem.message == ("'kiosk-1' is in [[kiosks]] of the hall's TOML file, not in "
                               "[[button_boxes]] (ROLE=counter)")


BOX = f"""\
ROLE=counter
SITE=mpp-mini
DEVICE_ID=box-1
DEVICE_PASSWORD=demo-GANTI-box-1
HUB_ADDRESS=192.168.1.10
SITE_CONFIG=/{HALL}
"""


def test_counters_are_checked_against_the_hall_config(root):
    # COUNTERS that differ from the hall's [[button_boxes]] counters are refused at their line.
    [problem] = provision(device_file(root, BOX + "COUNTERS=1,2\n"), root).problems
    assert (problem.line, problem.key) == (7, "COUNTERS")
    assert problem.message.startswith("the hall's TOML file gives 'box-1' counters 1, 2, 3:")
    # The same counters in another order are fine, and so is leaving COUNTERS out: either
    # way the card records, and the status file shows, the hall's counters for the box.
    for text in (BOX + "COUNTERS=3, 1,2\n", BOX):
        result = provision(device_file(root, text), root)
        assert result.exit_code == 0, [str(p) for p in result.problems]
        device = tomllib.loads((root / "etc/antrean/device.toml").read_text())
        assert device["counters"] == [1, 2, 3]
        assert "- loket/counters: 1, 2, 3" in result.summary
    # A counter display: its one counter; a hall display that lists none shows them all.
    display = BOX.replace("ROLE=counter", "ROLE=display").replace("box-1", "display-3")
    assert provision(device_file(root, display + "COUNTERS=3\n"), root).exit_code == 0
    hall_display = display.replace("display-3", "display-hall")
    assert provision(device_file(root, hall_display + "COUNTERS=1,2,3\n"), root).exit_code == 0
    [problem] = provision(device_file(root, hall_display + "COUNTERS=1\n"), root).problems
    assert problem.key == "COUNTERS" and "counters 1, 2, 3" in problem.message


def test_the_hubs_password_must_be_its_login_in_the_broker_password_file(root):
    # A mismatch would leave the hub locked out of its own broker: said now, with the line.
    path = hub_file(root)
    path.write_text(path.read_text().replace(HUB_PASSWORD, "bukan-sandi-hub"))
    result = provision(path, root)
    assert result.exit_code == 3
    [problem] = result.problems
    assert (problem.line, problem.key) == (3, "DEVICE_PASSWORD")
    assert problem.message.startswith("not the hub's password in the broker's password file")
    assert not (root / "etc/antrean/device.toml").exists()


def test_the_broker_password_file_is_the_hub_cards_only(root):
    path = hub_file(root)
    (root / PASSWD).unlink()
    assert [(p.line, p.key, p.message) for p in provision(path, root).problems] == [
        (4, "BROKER_PASSWD", f"the broker's password file does not exist: /{PASSWD}")]
    (root / PASSWD).write_text("hub=plain\n")
    [problem] = provision(path, root).problems
    assert (problem.line, problem.key) == (4, "BROKER_PASSWD") and "Mosquitto" in problem.message
    path = device_file(root, KIOSK + f"BROKER_PASSWD=/{PASSWD}\n")
    [problem] = provision(path, root).problems
    assert problem.key == "BROKER_PASSWD" and "only the hub card" in problem.message
    hub_only = device_file(root, f"ROLE=hub\nSITE=mpp-mini\nSITE_CONFIG=/{HALL}\n")
    assert {p.key for p in provision(hub_only, root).problems} == \
        {"DEVICE_PASSWORD", "BROKER_PASSWD"}


def test_scrubbed_file_on_a_new_network_needs_the_password_again(root):
    path = device_file(root, KIOSK)
    provision(path, root)
    path.write_text(path.read_text().replace("WIFI_SSID=MPP Perangkat", "WIFI_SSID=Lain"))
    result = provision(path, root)
    assert result.exit_code == 3
    assert [(p.line, p.key) for p in result.problems] == [(9, "WIFI_PASSWORD")]


def test_removing_wifi_and_ssh_key_removes_what_we_wrote(root):
    path = device_file(root, KIOSK)
    provision(path, root)
    text = "\n".join(line for line in path.read_text().splitlines()
                     if not line.startswith(("WIFI_", "SSH_")))
    path.write_text(text + "\n")
    assert provision(path, root).exit_code == 0
    assert not (root / WIFI_KEYFILE).exists() and not (root / AUTHORIZED_KEYS).exists()


def test_missing_device_file(root):
    result = provision(root / "boot/firmware/antrean.txt", root)
    assert result.exit_code == 3
    assert "cannot read" in (root / "boot/firmware" / STATUS_NAME).read_text()


def test_also_applies_the_same_plan_to_the_running_root(root, tmp_path):
    """The image's first boot: the card's root and the running overlay over it get the same
    files, so the role can start without a reboot."""
    live = tmp_path / "live"
    wired = KIOSK.replace("WIFI_SSID=MPP Perangkat\n", "").replace(
        'WIFI_PASSWORD="rahasia #12 sekali"\n', "").replace("WIFI_COUNTRY=ID\n", "")
    result = provision(device_file(root, wired), root, also=live)
    assert result.exit_code == 0 and result.role == "kiosk"
    assert result.reboot_reason == ""          # nothing that needs a boot to take effect
    for rel in ("etc/antrean/device.toml", "etc/antrean/role.env", "etc/antrean/site.toml",
                "etc/hostname", AUTHORIZED_KEYS, HASH_FILE):
        assert (live / rel).read_bytes() == (root / rel).read_bytes(), rel
    assert sorted(p.name for p in (live / WANTS).iterdir()) == sorted(
        p.name for p in (root / WANTS).iterdir())


def test_wifi_country_or_role_change_needs_a_reboot(root, tmp_path):
    path = device_file(root, KIOSK)
    first = provision(path, root, also=tmp_path / "live")
    assert "Wi-Fi country" in first.reboot_reason     # the regdom is a kernel parameter
    assert provision(path, root, force=True).reboot_reason == ""
    path.write_text(path.read_text().replace("ROLE=kiosk", "ROLE=display").replace(
        "DEVICE_ID=kiosk-1", "DEVICE_ID=display-hall").replace(
        "demo-GANTI-kiosk-1", "demo-GANTI-display-hall").replace("PRINTER=", "# PRINTER="))
    changed = provision(path, root)
    assert changed.exit_code == 0 and "antrean-kiosk.service" in changed.reboot_reason


# ---- every key of the device file is read or refused -------------------------------------
BASES = {
    "hub": f"ROLE=hub\nSITE=mpp-mini\nSITE_CONFIG=/{HALL}\nDEVICE_PASSWORD={HUB_PASSWORD}\n"
           f"BROKER_PASSWD=/{PASSWD}\n",
    "kiosk": KIOSK.split("PRINTER=")[0] + f"SITE_CONFIG=/{HALL}\n",
    "display": BOX.replace("ROLE=counter", "ROLE=display").replace("box-1", "display-3"),
    "counter": BOX,
}
WIFI = "WIFI_SSID=MPP\nWIFI_COUNTRY=ID\n"
# key -> (its line, what goes with it in both files); per role whether it applies
SAMPLES = {
    "HUB_PORT": ("HUB_PORT=1884\n", ""),
    "HUB_ADDRESS": ("HUB_ADDRESS=10.0.0.2\n", ""),
    "PRINTER": ("PRINTER=dummy\n", ""),
    "DISPLAY_ROTATION": ("DISPLAY_ROTATION=90\n", ""),
    "HOSTNAME": ("HOSTNAME=antrean-lain\n", ""),
    "TIMEZONE": ("TIMEZONE=Asia/Makassar\n", ""),
    "WIFI_SSID": ("WIFI_SSID=MPP\nWIFI_COUNTRY=ID\n", ""),
    "WIFI_COUNTRY": ("WIFI_COUNTRY=ID\n", ""),
    "WIFI_PASSWORD": ("WIFI_PASSWORD=rahasia-123\n", WIFI),
    "SSH_AUTHORIZED_KEY": (f"SSH_AUTHORIZED_KEY={SSH_KEY}\n", ""),
}
REFUSED = {("kiosk", "DISPLAY_ROTATION"): False, ("hub", "DISPLAY_ROTATION"): True,
           ("counter", "DISPLAY_ROTATION"): True, ("hub", "PRINTER"): True,
           ("display", "PRINTER"): True, ("counter", "PRINTER"): True,
           **{(role, "WIFI_COUNTRY"): True for role in BASES}}


def outcome(tmp_path, name: str, text: str):
    """The problems' keys, or every file written (but the status and hash files)."""
    root = tmp_path / name
    (root / HALL).parent.mkdir(parents=True)
    shutil.copyfile(EXAMPLES / "mini-hall.toml", root / HALL)
    (root / PASSWD).write_text(passwd_text({"hub": HUB_PASSWORD}))      # read on a hub only
    result = provision(device_file(root, text), root)
    if result.problems:
        return {p.key for p in result.problems}
    snap = snapshot(root)
    return {k: v[0] for k, v in snap.items() if not k.startswith(("boot/", HASH_FILE))}


REQUIRED = ("ROLE", "SITE", "DEVICE_ID", "DEVICE_PASSWORD", "HUB_ADDRESS", "SITE_CONFIG")
OPTIONAL = [(role, key) for role in BASES for key in SAMPLES
            if role == "hub" or key not in REQUIRED]     # the hub has a default hub address


@pytest.mark.parametrize("role, key", OPTIONAL)
def test_every_optional_key_changes_what_is_applied_or_is_refused(tmp_path, role, key):
    line, company = SAMPLES[key]
    without = outcome(tmp_path, "without", BASES[role] + company)
    assert isinstance(without, dict), without
    given = outcome(tmp_path, "with", BASES[role] + company + line)
    if REFUSED.get((role, key)):
        assert given == {key}
    else:
        assert isinstance(given, dict) and given != without


@pytest.mark.parametrize("role", ["display", "counter"])
def test_counters_are_read_against_the_hall(tmp_path, role):
    # COUNTERS as the hall has them changes nothing; others are refused at COUNTERS.
    right = {"display": "3", "counter": "1,2,3"}[role]
    base = outcome(tmp_path, "base", BASES[role])
    assert outcome(tmp_path, "right", BASES[role] + f"COUNTERS={right}\n") == base
    assert outcome(tmp_path, "wrong", BASES[role] + "COUNTERS=2\n") == {"COUNTERS"}
    for other in ("hub", "kiosk"):
        assert outcome(tmp_path, other, BASES[other] + "COUNTERS=2\n") == {"COUNTERS"}


@pytest.mark.parametrize("key", REQUIRED)
def test_a_required_key_left_out_is_refused(tmp_path, key):
    text = "".join(line for line in BASES["counter"].splitlines(keepends=True)
                   if not line.startswith(key + "="))
    assert outcome(tmp_path, "card", text) == {key}


def test_every_key_is_documented_and_tested_here():
    from antrean.deploy.devicefile import KEYS
    doc = (EXAMPLES.parent / "docs" / "device-file.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `([A-Z_]+)` \|", doc, re.M)
    assert sorted(documented) == sorted(KEYS)
    assert set(KEYS) == set(REQUIRED) | set(SAMPLES) | {"COUNTERS", "BROKER_PASSWD",
                                                        *TLS_FILES}      # tested below


# ---- the documents' examples provision as written -----------------------------------------
DOCUMENTS = {"README.md": 0, "images/README.md": 2, "docs/device-file.md": 4}   # at least


def device_file_examples(markdown: str) -> list[str]:
    """Every code block (indented or fenced) that is a device file: starts with ROLE=."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", markdown, re.M | re.S)
    blocks += ["".join(line[4:] + "\n" for line in paragraph.splitlines())
               for paragraph in re.split(r"\n\s*\n", markdown)
               if all(line.startswith("    ") for line in paragraph.splitlines())]
    return [b.strip() + "\n" for b in blocks if b.lstrip().startswith("ROLE=")]


EXAMPLES_IN_DOCS = [(doc, i, text) for doc in DOCUMENTS for i, text in enumerate(
    device_file_examples((EXAMPLES.parent / doc).read_text(encoding="utf-8")))]


def test_the_documents_have_their_device_file_examples():
    for doc, least in DOCUMENTS.items():
        assert sum(1 for d, _, _ in EXAMPLES_IN_DOCS if d == doc) >= least, doc


@pytest.mark.parametrize("doc, index, text", EXAMPLES_IN_DOCS,
                         ids=[f"{d}#{i}" for d, i, _ in EXAMPLES_IN_DOCS])
def test_every_device_file_example_provisions_as_written(tmp_path, doc, index, text):
    # Given a card with the example hall as its hall's TOML, and the document's device file.
    root = tmp_path / "root"
    (root / HALL).parent.mkdir(parents=True)
    shutil.copyfile(EXAMPLES / "mpp-madiun.toml", root / HALL)
    # (a hub card's example names the broker's password file made for its password)
    (root / PASSWD).write_text(passwd_text({"hub": "isi-dari-antrean-credentials"}))
    # When it is provisioned, then it applies without a problem.
    result = provision(device_file(root, text), root)
    assert result.problems == [], "\n".join(str(p) for p in result.problems)
    assert result.exit_code == 0


# ---- TLS: the hall's CA on every card, the broker's certificate and key on the hub's ------
TLS_FILES = {"BROKER_CA": "ca.crt", "BROKER_CERT": "broker.crt", "BROKER_KEY": "broker.key"}


def tls_card(tmp_path, name: str, role: str, keys=TLS_FILES, tls_hall: bool = True) -> Path:
    """A card of a hall with (or without) broker_tls, the TLS files on its boot partition
    and the device file naming ``keys``."""
    root = tmp_path / name
    (root / HALL).parent.mkdir(parents=True)
    hall = (EXAMPLES / "mini-hall.toml").read_text()
    if tls_hall:
        hall = hall.replace("[site]\n", "[site]\nbroker_tls = true\n", 1)
    (root / HALL).write_text(hall)
    (root / PASSWD).write_text(passwd_text({"hub": HUB_PASSWORD}))
    from antrean.deploy.tls import make_hall_tls
    make_hall_tls("mpp-mini", root / "boot/firmware/antrean", ["192.168.1.10"])
    lines = "".join(f"{k}=/boot/firmware/antrean/{v}\n" for k, v in keys.items())
    return device_file(root, BASES[role] + lines)


def test_a_tls_hub_card_gets_the_brokers_files_and_dials_8883(tmp_path):
    path = tls_card(tmp_path, "hub", "hub")
    root = path.parents[2]
    assert provision(path, root).exit_code == 0
    boot = root / "boot/firmware/antrean"
    for name in ("ca.crt", "broker.crt", "broker.key"):
        assert (root / "etc/antrean/tls" / name).read_bytes() == (boot / name).read_bytes()
    assert (root / "etc/antrean/tls/broker.key").stat().st_mode & 0o777 == 0o640
    settings = tomllib.loads((root / "etc/antrean/device.toml").read_text())
    assert settings["broker"]["tls_ca"] == "/etc/antrean/tls/ca.crt"
    assert settings["broker"]["port"] == 8883
    assert "ANTREAN_HUB_PORT=8883" in (root / "etc/antrean/role.env").read_text()


def test_a_tls_kiosk_card_gets_the_ca_only(tmp_path):
    path = tls_card(tmp_path, "kiosk", "kiosk", {"BROKER_CA": "ca.crt"})
    root = path.parents[2]
    assert provision(path, root).exit_code == 0
    assert sorted(p.name for p in (root / "etc/antrean/tls").iterdir()) == ["ca.crt"]
    settings = tomllib.loads((root / "etc/antrean/device.toml").read_text())
    assert settings["broker"]["tls_ca"] == "/etc/antrean/tls/ca.crt"


@pytest.mark.parametrize("role, keys, tls_hall, refused", [
    ("kiosk", {}, True, "ROLE"),                                 # the hall needs the CA
    ("counter", {"BROKER_CA": "ca.crt", "BROKER_KEY": "broker.key"}, True, "BROKER_KEY"),
    ("display", {"BROKER_CA": "ca.crt", "BROKER_CERT": "broker.crt"}, True, "BROKER_CERT"),
    ("hub", {"BROKER_CA": "ca.crt"}, True, "BROKER_CA"),        # the hub needs all three
    ("hub", {}, True, "ROLE"),
    ("kiosk", {"BROKER_CA": "ca.crt"}, False, "BROKER_CA"),      # a hall without TLS
    ("kiosk", {"BROKER_CA": "nope.crt"}, True, "BROKER_CA"),     # a file that is not there
])
def test_tls_keys_are_refused_where_they_do_not_belong(tmp_path, role, keys, tls_hall, refused):
    path = tls_card(tmp_path, "card", role, keys, tls_hall)
    result = provision(path, path.parents[2])
    assert result.exit_code == 3
    assert {p.key for p in result.problems} == {refused}, [str(p) for p in result.problems]
    assert not (path.parents[2] / "etc/antrean/tls").exists()


def test_provisioned_tls_cards_talk_through_the_hub_cards_broker(tmp_path):
    """The hub card's broker, set up from its provisioned files, and a kiosk card that
    verifies it with only what provisioning put on that card."""
    from antrean.config import load_site
    from antrean.deploy.broker import BrokerProcess, free_port, write_broker_config
    from antrean.deploy.credentials import read_passwd
    from antrean.deploy.tls import BrokerTls
    from antrean.device_settings import own_password, own_tls_ca
    from antrean.mqtt import HallClient
    hub = tls_card(tmp_path, "hub", "hub")
    kiosk = tls_card(tmp_path, "kiosk", "kiosk", {"BROKER_CA": "ca.crt"})
    # both cards carry the same hall CA (the technician's one folder made by antrean tls)
    shutil.copytree(hub.parent, kiosk.parent, dirs_exist_ok=True)
    kiosk = device_file(kiosk.parents[2],
                        BASES["kiosk"] + "BROKER_CA=/boot/firmware/antrean/ca.crt\n")
    hub_root, kiosk_root = hub.parents[2], kiosk.parents[2]
    (hub_root / PASSWD).write_text(passwd_text({"hub": HUB_PASSWORD,
                                                "kiosk-1": "demo-GANTI-kiosk-1"}))
    assert provision(hub, hub_root).exit_code == 0
    assert provision(kiosk, kiosk_root).exit_code == 0
    site = load_site(hub_root / "etc/antrean/site.toml")
    conf = write_broker_config(site, tmp_path / "broker", port=free_port(), bind="127.0.0.1",
                               hashes=read_passwd(hub_root / "etc/antrean/broker-passwd"),
                               tls=BrokerTls.in_dir(hub_root / "etc/antrean/tls"))
    broker = BrokerProcess(conf).start()
    try:
        settings = kiosk_root / "etc/antrean/device.toml"
        ca = own_tls_ca(site.broker_tls, None, settings)
        client = HallClient(site=site.id, device="kiosk-1", role="kiosk",
                            password=own_password("kiosk-1", settings),
                            host=broker.host, port=broker.port,
                            tls_ca=kiosk_root / str(ca).lstrip("/"))
        client.start()
        try:
            assert client.wait_connected(10), "\n".join(broker.log)
        finally:
            client.stop(timeout=2)
    finally:
        broker.stop()
