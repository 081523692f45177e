"""images/config.py: the one build configuration, overridable from the environment."""
import re
from pathlib import Path

import pytest

from antrean.errors import ConfigError
from images import config


def test_the_repo_config_has_the_required_settings():
    cfg = config.load(environ={})
    assert cfg["SUITE"] == "trixie"
    assert cfg["ARCH"] == "arm64"
    assert "non-free-firmware" in cfg.words("COMPONENTS")
    packages = cfg.words("PACKAGES")
    for needed in ("linux-image-arm64", "raspi-firmware", "firmware-brcm80211", "chrony",
                   "network-manager", "openssh-server", "mosquitto", "python3-venv"):
        assert needed in packages
    assert "systemd-timesyncd" not in packages   # chrony keeps time


def test_environment_overrides_the_file():
    cfg = config.load(environ={"ANTREAN_IMG_SUITE": "forky", "OTHER": "x"})
    assert cfg["SUITE"] == "forky"
    assert "OTHER" not in cfg.raw


def test_quotes_and_comments(tmp_path):
    conf = tmp_path / "build.conf"
    conf.write_text('# c\nANTREAN_IMG_A="one two"  # tail\nANTREAN_IMG_B=3\n')
    cfg = config.load(conf, environ={})
    assert cfg.words("A") == ["one", "two"]
    assert cfg.number("B") == 3


def test_a_bad_line_names_its_number(tmp_path):
    conf = tmp_path / "build.conf"
    conf.write_text("ANTREAN_IMG_A=1\nSUITE=trixie\n")
    with pytest.raises(ConfigError) as err:
        config.load(conf, environ={})
    assert err.value.line == 2


def test_missing_key_and_bad_number_are_config_errors(tmp_path):
    conf = tmp_path / "build.conf"
    conf.write_text("ANTREAN_IMG_A=x\n")
    cfg = config.load(conf, environ={})
    with pytest.raises(ConfigError, match="ANTREAN_IMG_NOPE"):
        cfg["NOPE"]
    with pytest.raises(ConfigError, match="whole number"):
        cfg.number("A")


def test_python_requirements_are_exact_pins():
    cfg = config.load(environ={})
    lines = [ln.strip() for ln in cfg.path("REQUIREMENTS").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert lines and all("==" in ln for ln in lines)
    names = {ln.split("==")[0].lower() for ln in lines}
    assert {"paho-mqtt", "sqlite-utils", "kivy", "python-escpos", "gpiozero"} <= names
    # every package the cards' roles need (setup.cfg), the hub's web page included
    import configparser
    setup = configparser.ConfigParser()
    setup.read(Path(__file__).resolve().parents[2] / "setup.cfg")
    needed = setup["options"]["install_requires"].split() + [
        req for extra in ("kiosk", "display", "counter", "web")
        for req in setup["options.extras_require"][extra].split()]
    wanted = {re.split(r"[<>=\[]", req)[0].lower().replace("_", "-") for req in needed}
    assert wanted <= {n.replace("_", "-") for n in names}, wanted - names
    assert "==" in cfg["LGPIO"]


def test_emulated_steps_run_on_a_core_without_pointer_authentication(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    env = config.load(environ={}).emulator_env()
    assert env["QEMU_CPU"] == "cortex-a72"           # qemu-user's "max" is ~20x slower
    assert env["PATH"] == "/usr/bin:/bin"
    assert config.load(environ={"ANTREAN_IMG_QEMU_CPU": "max"}).emulator_env()["QEMU_CPU"] == "max"
