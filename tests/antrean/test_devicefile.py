"""antrean.deploy.devicefile: the technician's KEY=value file, read as Notepad saves it."""
from pathlib import Path

import pytest

from antrean.deploy.devicefile import MESSAGES, STORED_MARK, check, parse, printer_config
from antrean.errors import ConfigError

TEMPLATE = Path(__file__).resolve().parents[2] / "images" / "device.txt"

KIOSK = """\
# a kiosk
ROLE=kiosk
SITE=mpp-madiun
DEVICE_ID=kiosk-1
HUB_ADDRESS=192.168.1.10
DEVICE_PASSWORD=kiosk-1-secret
SITE_CONFIG=/boot/firmware/antrean/hall.toml
"""
HALL = "/boot/firmware/antrean/hall.toml"


def write(tmp_path, text: str, raw: bytes | None = None) -> Path:
    path = tmp_path / "antrean.txt"
    path.write_bytes(raw if raw is not None else text.encode())
    return path


def where(problems) -> set[tuple[int | None, str | None]]:
    return {(p.line, p.key) for p in problems}


def test_the_template_technicians_copy_is_valid():
    device = parse(TEMPLATE)
    assert (device.role, device.device_id, device.hub_port) == ("kiosk", "kiosk-1", 1883)
    assert device.printer == {"backend": "file", "path": "/dev/usb/lp0"}
    assert device.site_config == HALL


def test_notepad_file_with_bom_crlf_and_quotes(tmp_path):
    text = KIOSK.replace("\n", "\r\n") + ('WIFI_SSID="MPP Lantai 2"\r\n'
                                          "WIFI_PASSWORD='sandi #1 rahasia'\r\n"
                                          "wifi_country=id\r\nHUB_PORT=1884  # our port\r\n")
    device = parse(write(tmp_path, "", b"\xef\xbb\xbf" + text.encode()))
    assert device.role == "kiosk"                     # BOM did not stick to the first key
    assert device.wifi_ssid == "MPP Lantai 2"
    assert device.wifi_password == "sandi #1 rahasia"  # '#' inside quotes is kept
    assert device.wifi_country == "ID"                # lower-case key and value accepted
    assert device.hub_port == 1884                    # comment after a space is dropped
    assert device.timezone == "Asia/Jakarta"
    assert device.hostname == "antrean-kiosk-1"
    assert device.lines["WIFI_SSID"] == 8


def test_every_mistake_is_reported_with_its_line(tmp_path):
    text = ("ROLE=kiosks\n"              # 1 bad role
            "SITE=mpp madiun\n"          # 2 not an id
            "DEVICE_ID=kiosk-1\n"
            "HUB_ADRESS=10.0.0.1\n"      # 4 typo
            "HUB_PORT=70000\n"           # 5 out of range
            "DEVICE_PASSWORD=short\n"    # 6 too short
            "this line has no equals\n"  # 7 syntax
            "WIFI_SSID=MPP\n"            # 8 no country given
            "TIMEZONE=Asia/Jakart\n"     # 9 typo
            "PRINTER=lpt1\n"             # 10 unknown printer form
            "SITE=again\n"               # 11 duplicate
            f"SITE_CONFIG={HALL}\n")
    device, problems = check(write(tmp_path, text))
    assert device is None
    assert where(problems) == {
        (1, "ROLE"), (2, "SITE"), (4, "HUB_ADRESS"), (5, "HUB_PORT"), (6, "DEVICE_PASSWORD"),
        (7, None), (8, "WIFI_COUNTRY"), (9, "TIMEZONE"), (10, "PRINTER"), (11, "SITE"),
        (1, "HUB_ADDRESS"),          # required key missing: reported at the ROLE line
    }
    by_key = {p.key: p for p in problems}
    assert "did you mean HUB_ADDRESS?" in str(by_key["HUB_ADRESS"])
    assert "maksud Anda HUB_ADDRESS?" in by_key["HUB_ADRESS"].indonesian
    assert "Asia/Jakarta" in str(by_key["TIMEZONE"])

    with pytest.raises(ConfigError) as caught:
        parse(write(tmp_path, text))
    message = str(caught.value)
    assert "11 problem(s)" in message and "antrean.txt:4: HUB_ADRESS" in message


def test_hub_needs_site_its_password_the_broker_passwords_and_the_hall_config(tmp_path):
    device = parse(write(tmp_path, "ROLE=hub\nSITE=mpp-madiun\nDEVICE_PASSWORD=hub-rahasia\n"
                                   "BROKER_PASSWD=/boot/firmware/antrean/passwd\n"
                                   "SITE_CONFIG=/boot/firmware/antrean/hall.toml\n"))
    assert (device.device_id, device.hub_address, device.hostname, device.broker_passwd) == \
        ("hub", "127.0.0.1", "antrean-hub", "/boot/firmware/antrean/passwd")
    _, problems = check(write(tmp_path, "ROLE=hub\nSITE=mpp-madiun\nDEVICE_ID=kiosk-1\n"))
    assert where(problems) == {(3, "DEVICE_ID"), (1, "SITE_CONFIG"), (1, "DEVICE_PASSWORD"),
                               (1, "BROKER_PASSWD")}


@pytest.mark.parametrize("role", ["kiosk", "display", "counter"])
def test_every_role_needs_the_hall_config(tmp_path, role):
    text = KIOSK.replace("ROLE=kiosk", f"ROLE={role}").replace(f"SITE_CONFIG={HALL}\n", "")
    _, problems = check(write(tmp_path, text))
    assert where(problems) == {(2, "SITE_CONFIG")}      # missing: reported at the ROLE line
    assert "antrean.txt:2: SITE_CONFIG" in str(problems[0])
    assert HALL in str(problems[0]) and HALL in problems[0].indonesian
    _, problems = check(write(tmp_path, text + "SITE_CONFIG=antrean/hall.toml\n"))
    assert where(problems) == {(7, "SITE_CONFIG")}      # and it must be an absolute path


def test_role_specific_keys_are_refused_elsewhere(tmp_path):
    _, problems = check(write(tmp_path, KIOSK.replace("ROLE=kiosk", "ROLE=display")
                              + "PRINTER=network:10.0.0.5\nCOUNTERS=1,1\n"))
    assert where(problems) == {(8, "PRINTER"), (9, "COUNTERS")}


def test_counters_and_rotation(tmp_path):
    device = parse(write(tmp_path, KIOSK.replace("ROLE=kiosk", "ROLE=display")
                         + "COUNTERS= 3, 4 ,12\nDISPLAY_ROTATION=90\n"))
    assert device.counters == (3, 4, 12)
    assert device.display_rotation == 90


@pytest.mark.parametrize("role", ["hub", "counter"])
def test_a_device_without_a_screen_refuses_a_rotation(tmp_path, role):
    text = KIOSK.replace("ROLE=kiosk", f"ROLE={role}") + "DISPLAY_ROTATION=90\n"
    if role == "hub":
        text = ("ROLE=hub\nSITE=mpp-madiun\nSITE_CONFIG=/x.toml\nDEVICE_PASSWORD=hub-rahasia\n"
                "BROKER_PASSWD=/boot/firmware/antrean/passwd\nDISPLAY_ROTATION=90\n")
    _, problems = check(write(tmp_path, text))
    assert [p.key for p in problems] == ["DISPLAY_ROTATION"]
    assert f"only a kiosk or a display has a screen, not a {role}" in str(problems[0])


def test_a_wifi_country_without_a_network_is_refused(tmp_path):
    _, problems = check(write(tmp_path, KIOSK + "WIFI_COUNTRY=ID\n"))
    assert [(p.line, p.key, p.message) for p in problems] == [
        (8, "WIFI_COUNTRY", "given without WIFI_SSID")]


def test_not_utf8_names_the_line(tmp_path):
    _, problems = check(write(tmp_path, "", KIOSK.encode() + b"WIFI_SSID=caf\xe9\n"))
    assert where(problems) == {(8, None)}
    assert "UTF-8" in str(problems[0])


def test_missing_file_is_a_problem_not_a_crash(tmp_path):
    _, problems = check(tmp_path / "nope.txt")
    assert len(problems) == 1 and "cannot read" in str(problems[0])


def test_wifi_rules(tmp_path):
    _, problems = check(write(tmp_path, KIOSK + "WIFI_SSID=MPP\nWIFI_PASSWORD=1234567\n"
                                                "WIFI_COUNTRY=XX\n"))
    assert where(problems) == {(9, "WIFI_PASSWORD"), (10, "WIFI_COUNTRY")}
    _, problems = check(write(tmp_path, KIOSK + "WIFI_PASSWORD=12345678\n"))
    assert where(problems) == {(8, "WIFI_PASSWORD")}           # a password without a network


def test_scrubbed_password_means_keep_the_stored_one(tmp_path):
    device = parse(write(tmp_path, KIOSK + f"WIFI_SSID=MPP\nWIFI_PASSWORD= {STORED_MARK}\n"
                                           "WIFI_COUNTRY=ID\n"))
    assert device.wifi_password == "" and device.wifi_password_stored


def test_ssh_key_must_be_a_public_key_line(tmp_path):
    good = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq0Xy3p7pbK4h2o9X2v1zQ teknisi@laptop"
    assert parse(write(tmp_path, KIOSK + f"SSH_AUTHORIZED_KEY={good}\n")).ssh_authorized_key == good
    private = "SSH_AUTHORIZED_KEY=-----BEGIN OPENSSH PRIVATE KEY\n"
    _, problems = check(write(tmp_path, KIOSK + private))
    assert where(problems) == {(8, "SSH_AUTHORIZED_KEY")}


@pytest.mark.parametrize("text, expected", [
    ("file:/dev/usb/lp0", {"backend": "file", "path": "/dev/usb/lp0"}),
    ("serial:/dev/ttyUSB0", {"backend": "serial", "device": "/dev/ttyUSB0", "baudrate": 9600}),
    ("serial:/dev/ttyUSB0:19200", {"backend": "serial", "device": "/dev/ttyUSB0",
                                   "baudrate": 19200}),
    ("network:192.168.1.50", {"backend": "network", "host": "192.168.1.50", "port": 9100}),
    ("network:printer.local:9101", {"backend": "network", "host": "printer.local", "port": 9101}),
    ("usb:0416:5011", {"backend": "usb", "vendor": 0x0416, "product": 0x5011}),
    ("dummy", {"backend": "dummy"}),
    ("file:lp0", None), ("network:host:99999", None), ("usb:416:5011", None), ("lpt1", None),
])
def test_printer_forms(text, expected):
    assert printer_config(text) == expected


def test_every_message_has_indonesian_and_english():
    for code, (indonesian, english) in MESSAGES.items():
        assert indonesian and english and indonesian != english, code
