"""images/rootfs/: the files copied onto the image's root, checked without building it."""
import re
import subprocess
from pathlib import Path

import pytest

ROOTFS = Path(__file__).resolve().parents[2] / "images/rootfs"
SCRIPTS = [p for p in ROOTFS.rglob("*") if p.is_file() and p.read_bytes()[:2] == b"#!"]


def test_there_are_scripts():
    names = {p.name for p in SCRIPTS}
    assert {"antrean-overlay", "antrean-image-provision", "antrean-remount-rw",
            "antrean-grow-data"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOTFS)))
def test_scripts_are_valid_posix_shell_and_executable(script):
    subprocess.run(["sh", "-n", str(script)], check=True)
    assert script.stat().st_mode & 0o111, "not executable in git"


def overlay_fstab_rewrite(fstab: str) -> str:
    """Apply the overlay script's own sed expression to ``fstab``."""
    script = (ROOTFS / "etc/initramfs-tools/scripts/local-bottom/antrean-overlay").read_text()
    expression = re.search(r"sed '([^']+)'", script).group(1)
    return subprocess.run(["sed", expression], input=fstab, capture_output=True, text=True,
                          check=True).stdout


def test_overlay_comments_out_only_the_root_line_of_the_fstab():
    fstab = (ROOTFS / "etc/fstab").read_text()
    rewritten = overlay_fstab_rewrite(fstab).splitlines()
    active = [ln.split() for ln in rewritten if ln.strip() and not ln.startswith("#")]
    assert "/" not in [fields[1] for fields in active]
    assert [f[1] for f in active] == ["/boot/firmware", "/data", "/var/lib/antrean",
                                      "/var/log/journal"]
    assert any(ln.startswith("#antrean-overlay# LABEL=antrean-root") for ln in rewritten)


def test_fstab_data_partition_is_journaled_and_holds_state_and_logs():
    rows = [ln.split() for ln in (ROOTFS / "etc/fstab").read_text().splitlines()
            if ln.strip() and not ln.startswith("#")]
    by_mount = {r[1]: r for r in rows}
    assert "data=journal" in by_mount["/data"][3]
    assert by_mount["/var/lib/antrean"][0] == "/data/antrean"
    assert by_mount["/var/log/journal"][0] == "/data/journal"
    assert by_mount["/"][0] == "LABEL=antrean-root"


@pytest.mark.parametrize("unit", ["antrean-provision.service", "antrean-reprovision.service"])
def test_provision_drop_ins_replace_exec_start(unit):
    text = (ROOTFS / f"etc/systemd/system/{unit}.d/image.conf").read_text().splitlines()
    starts = [ln for ln in text if ln.startswith("ExecStart=")]
    assert starts == ["ExecStart=", "ExecStart=/usr/local/sbin/antrean-image-provision"]
    assert "StandardOutput=journal+console" in text


def test_raspi_firmware_defaults_keep_our_cmdline_on_kernel_upgrades():
    extra = (ROOTFS / "etc/default/raspi-extra-cmdline").read_text().split()
    assert {"ro", "antrean.overlay=1"} <= set(extra)
    assert "ROOTPART=LABEL=antrean-root" in (ROOTFS / "etc/default/raspi-firmware").read_text()
