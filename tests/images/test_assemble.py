"""images/assemble.py: an MBR image from folders, no loop devices, read back with the same
tools a technician's PC or the tests of a built image use (sfdisk -J, mtools, debugfs)."""
import json
import subprocess

import pytest

from antrean.errors import ConfigError
from images import assemble

MiB = assemble.MiB
TOOLS = ("sfdisk", "mkfs.vfat", "mcopy", "mkfs.ext4", "debugfs")


def test_layout_places_partitions_back_to_back_from_4_mib():
    parts, size = assemble.layout([
        assemble.Partition("boot", "B", "vfat", 64 * MiB),
        assemble.Partition("root", "r", "ext4", 100 * MiB),
        assemble.Partition("data", "d", "ext4", 16 * MiB)])
    assert [p.start for p in parts] == [4 * MiB, 68 * MiB, 168 * MiB]
    assert size == 184 * MiB


def test_layout_refuses_sizes_not_in_mib():
    with pytest.raises(ConfigError):
        assemble.layout([assemble.Partition("boot", "B", "vfat", MiB + 1)])


def test_sfdisk_script_is_mbr_with_bootable_fat_first():
    parts, _ = assemble.layout([assemble.Partition("boot", "B", "vfat", 64 * MiB),
                                assemble.Partition("root", "r", "ext4", 8 * MiB)])
    script = assemble.sfdisk_script(parts)
    assert script.startswith("label: dos\n")
    assert "start=8192, size=131072, type=c, bootable" in script
    assert "start=139264, size=16384, type=83\n" in script


@pytest.mark.needs(*TOOLS)
def test_assembled_image_reads_back(tmp_path):
    boot, root = tmp_path / "boot", tmp_path / "root"
    (boot / "overlays").mkdir(parents=True)
    (boot / "config.txt").write_text("arm_64bit=1\n")
    (boot / "overlays/x.dtbo").write_bytes(b"\0dtbo")
    (root / "etc").mkdir(parents=True)
    (root / "etc/hostname").write_text("antrean\n")
    parts, _ = assemble.layout([assemble.Partition("boot", "ANTREAN", "vfat", 40 * MiB),
                                assemble.Partition("root", "antrean-root", "ext4", 8 * MiB)])
    image = tmp_path / "t.img"
    work = tmp_path / "work"
    work.mkdir()

    assemble.assemble(image, parts, {"boot": boot, "root": root}, work)

    table = json.loads(subprocess.run(["sfdisk", "-J", str(image)], capture_output=True,
                                      text=True, check=True).stdout)["partitiontable"]
    assert table["label"] == "dos"
    assert [(p["start"], p["size"], p["type"]) for p in table["partitions"]] == [
        (8192, 81920, "c"), (90112, 16384, "83")]
    fat = f"{image}@@{4 * MiB}"
    listing = subprocess.run(["mdir", "-b", "-i", fat, "::/overlays"], capture_output=True,
                             text=True, check=True).stdout
    assert "x.dtbo" in listing
    text = subprocess.run(["mtype", "-i", fat, "::config.txt"], capture_output=True, text=True,
                          check=True).stdout
    assert text == "arm_64bit=1\n"
    ext = f"{image}?offset={parts[1].start}"
    out = subprocess.run(["debugfs", "-R", "cat /etc/hostname", ext], capture_output=True,
                         text=True, check=True).stdout
    assert out == "antrean\n"
    label = subprocess.run(["debugfs", "-R", "stats", ext], capture_output=True, text=True,
                           check=True).stdout
    assert "Filesystem volume name:   antrean-root" in label
    assert list(work.iterdir()) == []    # per-partition files are removed
