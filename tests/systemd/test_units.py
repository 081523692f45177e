"""The unit files in systemd/: `systemd-analyze verify` on every one, and the traps we know."""
import configparser
import subprocess
from pathlib import Path

import pytest

from antrean.deploy.install import DEFAULT_EXECUTABLE
from antrean.deploy.provision import COMMON_UNITS, ROLE_UNITS

UNITS = Path(__file__).resolve().parents[2] / "systemd"
ALL = sorted([*UNITS.glob("*.service"), *UNITS.glob("*.path")])
LONG_RUNNING = [u for u in ALL if u.suffix == ".service" and "provision" not in u.name]
ROLES = {"hub": "", "kiosk": "video render input lp dialout",
         "display": "video render input audio", "counter": "gpio"}


def unit(path: Path) -> configparser.ConfigParser:
    # strict=False: systemd allows a key more than once (After=, Environment=).
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(path.read_text())
    return parser


def directives(path: Path, section: str, key: str) -> list[str]:
    values = []
    in_section = False
    for line in path.read_text().splitlines():
        if line.startswith("["):
            in_section = line.strip() == f"[{section}]"
        elif in_section and line.startswith(f"{key}="):
            values.append(line.split("=", 1)[1])
    return values


@pytest.fixture(scope="module")
def verifiable(tmp_path_factory):
    """Copies of the units whose ExecStart binaries exist: our command becomes a stub."""
    work = tmp_path_factory.mktemp("units")
    stub = work / "bin" / "antrean"
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    out = work / "units"
    out.mkdir()
    for path in ALL:
        (out / path.name).write_text(path.read_text().replace(DEFAULT_EXECUTABLE, str(stub)))
    return out


def test_every_unit_the_provisioner_enables_exists():
    names = {u.name for u in ALL}
    wanted = {u for units in ROLE_UNITS.values() for u in units} | set(COMMON_UNITS)
    assert wanted <= names
    assert "antrean-reprovision.service" in names


@pytest.mark.needs("systemd-analyze", "mosquitto", "kill", "man")
def test_systemd_analyze_verify_is_clean(verifiable):
    files = sorted(str(p) for p in verifiable.iterdir())
    done = subprocess.run(["systemd-analyze", "verify", *files], capture_output=True,
                          text=True, timeout=120, cwd=verifiable)
    # Unknown keys or bad values are only warnings (exit 0): any output is a failure.
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


@pytest.mark.needs("systemd-analyze")
def test_verify_would_catch_a_typo(verifiable, tmp_path):
    """The check above is able to fail: a misspelt value is reported."""
    broken = tmp_path / "antrean-hub.service"
    broken.write_text((verifiable / "antrean-hub.service").read_text()
                      .replace("Restart=always", "Restart=allways"))
    done = subprocess.run(["systemd-analyze", "verify", str(broken)], capture_output=True,
                          text=True, timeout=120)
    assert "allways" in done.stderr


@pytest.mark.parametrize("path", LONG_RUNNING, ids=lambda p: p.name)
def test_long_running_units_never_give_up(path):
    u = unit(path)
    assert u["Service"]["Restart"] == "always"
    assert u["Service"]["RestartSec"] == "2"
    assert u["Unit"]["StartLimitIntervalSec"] == "0"      # in [Unit], where systemd reads it
    assert "StartLimitIntervalSec" not in u["Service"]
    assert u["Service"]["Type"] == "notify"
    assert u["Service"]["User"] == "antrean"
    assert u["Service"]["NoNewPrivileges"] == "yes"
    assert u["Service"]["ProtectSystem"] == "full"
    assert "antrean" in u["Service"]["StateDirectory"].split()
    assert u["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("path", LONG_RUNNING, ids=lambda p: p.name)
def test_our_notify_services_have_a_watchdog(path):
    u = unit(path)
    if DEFAULT_EXECUTABLE in u["Service"]["ExecStart"]:
        assert int(u["Service"]["WatchdogSec"]) >= 10
    else:    # Mosquitto sends READY=1 but never WATCHDOG=1: a watchdog would kill it
        assert "WatchdogSec" not in u["Service"]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_no_known_traps(path):
    settings = [ln for ln in path.read_text().splitlines() if not ln.startswith("#")]
    assert not [ln for ln in settings if ln.startswith("PrivateDevices")]  # hides /dev/dri...
    # checked before a `nofail` FAT mount and silently skipped (FIELD-NOTES)
    assert not [ln for ln in settings if ln.startswith("ConditionPathExists=/boot")]
    for key in ("After", "Wants", "Requires", "Before"):
        for value in directives(path, "Unit", key):
            for name in value.split():      # OctoPi's trap: a misspelt network-online.target
                assert "online" not in name or name == "network-online.target", name


@pytest.mark.parametrize("path", LONG_RUNNING, ids=lambda p: p.name)
def test_network_online_is_wanted_and_ordered(path):
    assert "network-online.target" in " ".join(directives(path, "Unit", "Wants"))
    assert "network-online.target" in " ".join(directives(path, "Unit", "After"))


@pytest.mark.parametrize("role, groups", ROLES.items())
def test_roles_get_their_device_groups(role, groups):
    u = unit(UNITS / f"antrean-{role}.service")
    assert u["Service"].get("SupplementaryGroups", "").split() == groups.split()
    assert f"antrean {role} --config ${{ANTREAN_CONFIG}}" in u["Service"]["ExecStart"]
    # every role, the hub too, is told the broker's address (role.env, from the device file)
    assert "--host ${ANTREAN_HUB_HOST} --port ${ANTREAN_HUB_PORT}" in u["Service"]["ExecStart"]
    if role != "hub":
        assert "--device ${ANTREAN_DEVICE}" in u["Service"]["ExecStart"]
    assert u["Service"]["EnvironmentFile"] == "/etc/antrean/role.env"


def test_every_supplementary_group_is_created_by_sysusers():
    sysusers = (UNITS / "sysusers.d/antrean.conf").read_text().split()
    for path in LONG_RUNNING:
        for group in unit(path)["Service"].get("SupplementaryGroups", "").split():
            assert group in sysusers, f"{path.name}: group {group} is never created"


@pytest.mark.parametrize("role", ["kiosk", "display"])
def test_kivy_roles_run_full_screen_on_kms(role):
    env = " ".join(directives(UNITS / f"antrean-{role}.service", "Service", "Environment"))
    for setting in ("KIVY_WINDOW=sdl2", "SDL_VIDEODRIVER=kmsdrm", "KCFG_GRAPHICS_FULLSCREEN=auto"):
        assert setting in env
    assert "KIVY_BCM_DISPMANX_ID" not in env


def test_hub_starts_after_the_broker_without_dying_with_it():
    u = unit(UNITS / "antrean-hub.service")
    after = " ".join(directives(UNITS / "antrean-hub.service", "Unit", "After"))
    assert "antrean-broker.service" in after
    assert "Requires" not in u["Unit"] and "BindsTo" not in u["Unit"]


def test_broker_guards_its_database_before_starting():
    pre = directives(UNITS / "antrean-broker.service", "Service", "ExecStartPre")
    assert [p.split()[1] for p in pre] == ["broker-config", "broker-guard"]
    exec_start = unit(UNITS / "antrean-broker.service")["Service"]["ExecStart"]
    assert exec_start == "/usr/sbin/mosquitto -c /var/lib/antrean/broker/mosquitto.conf"


def test_provisioning_runs_once_before_everything_and_cannot_loop():
    path = UNITS / "antrean-provision.service"
    u = unit(path)
    assert u["Service"]["Type"] == "oneshot"
    assert "Restart" not in u["Service"] and "RemainAfterExit" not in u["Service"]
    assert "/boot/firmware" in u["Unit"]["RequiresMountsFor"].split()
    before = " ".join(directives(path, "Unit", "Before"))
    for name in ("NetworkManager.service", *(f"antrean-{r}.service" for r in ROLES),
                 "antrean-broker.service"):
        assert name in before
    watch = unit(UNITS / "antrean-provision.path")
    assert watch["Path"]["PathChanged"] == "/boot/firmware/antrean.txt"
    assert watch["Path"]["Unit"] == "antrean-reprovision.service"
    again = unit(UNITS / "antrean-reprovision.service")["Service"]["ExecStart"]
    assert "--reboot-if-changed" in again


def test_journald_is_sized_for_an_sd_card():
    journal = unit(UNITS / "journald.conf.d/antrean.conf")["Journal"]
    assert journal["SystemMaxUse"] == "64M"
    assert journal["SyncIntervalSec"] == "30s"
    assert journal["Storage"] == "persistent"
