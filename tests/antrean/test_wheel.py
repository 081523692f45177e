"""Deployment from an installed wheel, not the checkout: the wheel is built, installed into a
fresh venv in a folder of its own, and `antrean install`, `antrean demo --help` and the
packaged example halls are run from there with the checkout out of reach."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KIOSK = ("ROLE=kiosk\nSITE=mpp-madiun\nDEVICE_ID=kiosk-1\nHUB_ADDRESS=192.168.1.10\n"
         "DEVICE_PASSWORD=isi-dari-antrean-credentials\n"
         "SITE_CONFIG=/boot/firmware/antrean/hall.toml\n")


def _run(argv, cwd, check=True, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, **kw)
    if check and done.returncode != 0:
        raise AssertionError(f"{argv} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(antrean command, venv, a folder outside the checkout) with the wheel installed."""
    work = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"),
          str(REPO)], cwd=work)
    wheel = next((work / "dist").glob("antrean-*.whl"))
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=work)
    _run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", str(wheel)], cwd=work)
    return venv / "bin/antrean", venv, work


def test_the_package_runs_from_the_venv_not_the_checkout(installed):
    _, venv, work = installed
    where = _run([str(venv / "bin/python"), "-c",
                  "import antrean.deploy.files as f; print(f.__file__); print(f.units_dir())"],
                 cwd=work).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where


def test_install_dry_run_from_the_wheel(installed):
    antrean, venv, work = installed
    device = work / "kiosk.txt"
    device.write_text(KIOSK)
    root = work / "root"
    (root / "boot/firmware/antrean").mkdir(parents=True)
    out = _run([str(antrean), "install", "kiosk", "--device-file", str(device),
                "--root", str(root), "--dry-run"], cwd=work).stdout
    for unit in sorted(p.name for p in (REPO / "systemd").glob("*.service")):
        assert f"etc/systemd/system/{unit}" in out, unit
    assert "etc/udev/rules.d/60-antrean-gpio.rules" in out
    assert not any(p.is_file() for p in root.rglob("*"))     # a dry run writes nothing


def test_install_from_the_wheel_copies_the_checkouts_units(installed):
    antrean, _, work = installed
    root = work / "real-root"
    root.mkdir()
    # No device file: the units are installed and the packaged template is put in place.
    _run([str(antrean), "install", "counter", "--root", str(root)], cwd=work)
    for src in (REPO / "systemd").glob("*.service"):
        placed = (root / "etc/systemd/system" / src.name).read_text()
        assert placed.replace(str(antrean), "/opt/antrean/bin/antrean") == src.read_text(), \
            src.name
    template = (root / "boot/firmware/antrean.txt").read_text()
    expected = (REPO / "images/device.txt").read_text().replace("ROLE=kiosk", "ROLE=counter")
    assert template == expected


def test_demo_help_and_the_example_halls_from_the_wheel(installed):
    antrean, _, work = installed
    help_text = _run([str(antrean), "demo", "--help"], cwd=work).stdout
    for hall in sorted(p.stem for p in (REPO / "examples").glob("*.toml")):
        assert hall in help_text, hall
    for hall in ("mpp-madiun", "mpp-kota-besar", "mini-hall"):
        packaged = _run([str(antrean).replace("bin/antrean", "bin/python"), "-c",
                         f"from antrean.deploy.files import example; print(example({hall!r}))"],
                        cwd=work).stdout.strip()
        assert Path(packaged).read_bytes() == (REPO / "examples" / f"{hall}.toml").read_bytes()
        _run([str(antrean), "config", "check", packaged], cwd=work)


def test_an_unknown_example_hall_is_named_with_the_choices(installed):
    antrean, _, work = installed
    done = _run([str(antrean), "demo", "--config", "mpp-atlantis", "--workdir",
                 str(work / "demo")], cwd=work, check=False, timeout=60)
    assert done.returncode == 2
    assert "no example hall 'mpp-atlantis'" in done.stderr and "mpp-madiun" in done.stderr


def test_the_running_roles_import_nothing_from_deploy():
    """A card's roles need only their own settings (antrean.device_settings): deployment code
    stays out of a running hub, kiosk, display or button box."""
    probe = ("import sys, hub.service, kiosk.app, display.app, counter_button.app, "
             "antrean.status, antrean.cli; "
             "print(sorted(m for m in sys.modules if m.startswith('antrean.deploy')))")
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_LOG_MODE": "PYTHON", "KIVY_NO_WINDOW": "1"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
