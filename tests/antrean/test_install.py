"""antrean.deploy.install into fake roots and an image-like root (real systemd-sysusers)."""
import shutil
from pathlib import Path

import pytest

from antrean.errors import UsageError
from antrean.deploy.install import install, main_install
from antrean.deploy.provision import WANTS

KIOSK = ("ROLE=kiosk\nSITE=mpp-mini\nDEVICE_ID=kiosk-1\nHUB_ADDRESS=192.168.1.10\n"
         "DEVICE_PASSWORD=demo-GANTI-kiosk-1\nSITE_CONFIG=/boot/firmware/antrean/hall.toml\n")
HALL = Path(__file__).resolve().parents[2] / "examples" / "mini-hall.toml"
EXE = "/srv/antrean/venv/bin/antrean"


@pytest.fixture
def root(tmp_path):
    """A fake root whose boot partition holds the hall's TOML, as on every card."""
    r = tmp_path / "root"
    (r / "boot/firmware/antrean").mkdir(parents=True)
    shutil.copyfile(HALL, r / "boot/firmware/antrean/hall.toml")
    return r


def test_install_on_a_fake_root(root, tmp_path, capsys):
    device = tmp_path / "kiosk.txt"
    device.write_text(KIOSK)
    assert install("kiosk", str(device), str(root), executable=EXE) == 0
    out = capsys.readouterr().out
    assert "skip users on a fake root" in out and "u antrean" in out
    assert not (root / "etc/passwd").exists()

    hub = (root / "etc/systemd/system/antrean-hub.service").read_text()
    assert f"ExecStart={EXE} hub --config" in hub and "/opt/antrean" not in hub
    for dest in ("etc/systemd/journald.conf.d/antrean.conf", "etc/sysusers.d/antrean.conf",
                 "etc/tmpfiles.d/antrean.conf", "etc/udev/rules.d/60-antrean-gpio.rules"):
        assert (root / dest).is_file(), dest
    # the device file now lives where boot-time provisioning reads it, and was applied
    assert (root / "boot/firmware/antrean.txt").read_text() == KIOSK
    link = root / WANTS / "antrean-kiosk.service"
    assert str(link.readlink()) == "/etc/systemd/system/antrean-kiosk.service"
    assert (root / "etc/antrean/site.toml").read_bytes() == HALL.read_bytes()


def test_dry_run_writes_nothing(root, tmp_path, capsys):
    device = tmp_path / "kiosk.txt"
    device.write_text(KIOSK)
    before = sorted(root.rglob("*"))
    assert main_install(["kiosk", "--device-file", str(device), "--root", str(root),
                         "--dry-run"]) == 0
    assert "(dry run) write" in capsys.readouterr().out
    assert sorted(root.rglob("*")) == before
    assert [p.name for p in before] == ["boot", "firmware", "antrean", "hall.toml"]


def test_without_a_device_file_the_template_is_put_in_place(root, capsys):
    assert install("counter", root=str(root), executable=EXE) == 0
    placed = (root / "boot/firmware/antrean.txt").read_text()
    assert "ROLE=counter" in placed and "ROLE=kiosk" not in placed
    assert "then run: antrean provision" in capsys.readouterr().out
    assert not (root / WANTS).exists()           # nothing enabled from an unedited template


def test_role_must_match_the_device_file(root, tmp_path):
    device = tmp_path / "kiosk.txt"
    device.write_text(KIOSK)
    with pytest.raises(UsageError):
        install("display", str(device), str(root), executable=EXE)
    assert main_install(["display", "--device-file", str(device), "--root", str(root)]) == 2


def test_broken_device_file_exits_3(root, tmp_path):
    device = tmp_path / "kiosk.txt"
    device.write_text(KIOSK.replace("HUB_ADDRESS", "HUB_ADRES"))
    assert install("kiosk", str(device), str(root), executable=EXE) == 3
    assert "HUB_ADRES" in (root / "boot/firmware/antrean-status.txt").read_text()


@pytest.mark.needs("systemd-sysusers")
def test_image_root_gets_the_user_and_groups(root, tmp_path):
    (root / "etc").mkdir()
    for name in ("passwd", "group"):
        (root / "etc" / name).write_text(Path("/etc", name).read_text().split("\n", 1)[0] + "\n")
    device = tmp_path / "kiosk.txt"
    device.write_text(KIOSK)
    assert install("kiosk", str(device), str(root), executable=EXE) == 0
    users = (root / "etc/passwd").read_text()
    assert "antrean:x:" in users and ":/home/antrean:" in users
    groups = {line.split(":")[0]: line.split(":")[3]
              for line in (root / "etc/group").read_text().splitlines()}
    for group in ("gpio", "video", "render", "input", "lp", "dialout", "audio"):
        assert "antrean" in groups[group].split(","), group
