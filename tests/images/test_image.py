"""The built SD card image: read statically, then booted in qemu (slow, opt-in:
ANTREAN_IMAGE_TESTS=1, root). The qemu boots use the image's own Debian kernel."""
import re
import sqlite3
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.images import machine

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]
REPO = Path(__file__).resolve().parents[2]
HALL = REPO / "examples/mini-hall.toml"


def hub_device_file() -> bytes:
    site = tomllib.loads(HALL.read_text())["site"]["id"]
    # As Notepad writes it: BOM and CRLF.
    return ("\ufeffROLE=hub\r\nSITE=" + site + "\r\nSITE_CONFIG=/boot/firmware/antrean/hall.toml"
            "\r\nTIMEZONE=Asia/Jakarta\r\n").encode()


def test_partition_table(built_image):
    parts = machine.partitions(built_image)
    assert [p["type"] for p in parts] == ["c", "83", "83"]
    assert parts[0].get("bootable") is True
    assert parts[0]["start"] * 512 == 4 * 2**20


def test_boot_partition_files(built_image):
    names = subprocess.run(["mdir", "-b", "-i", machine.fat(built_image), "::"],
                           capture_output=True, text=True, check=True).stdout
    names = {Path(n).name for n in names.split()}
    for needed in ("config.txt", "cmdline.txt", "antrean.txt", "bootcode.bin", "start4.elf",
                   "fixup4.dat", "bcm2837-rpi-3-b-plus.dtb", "bcm2711-rpi-4-b.dtb",
                   "bcm2711-rpi-400.dtb", "bcm2837-rpi-zero-2-w.dtb"):
        assert needed in names, needed
    config = machine.mtype(built_image, "config.txt").splitlines()
    kernel = next(ln.split("=", 1)[1] for ln in config if ln.startswith("kernel="))
    initrd = next(ln.split()[1] for ln in config if ln.startswith("initramfs "))
    assert kernel in names and initrd in names
    cmdline = machine.mtype(built_image, "cmdline.txt")
    assert cmdline.count("\n") == 1
    assert {"root=LABEL=antrean-root", "ro", "antrean.overlay=1"} <= set(cmdline.split())
    device = machine.mtype(built_image, "antrean.txt")
    assert "ROLE=kiosk" in device and "\r\n" in device


def test_root_partition_setup(built_image):
    wants = machine.debugfs(built_image, 2, "ls /etc/systemd/system/multi-user.target.wants")
    for unit in ("antrean-provision.service", "antrean-provision.path",
                 "antrean-grow-data.service"):
        assert unit in wants
    assert "mosquitto.service" not in wants
    assert "antrean-hub.service" not in wants          # the device file decides the role
    for path in ("/etc/systemd/system/antrean-hub.service",
                 "/etc/systemd/system/antrean-provision.service.d/image.conf",
                 "/etc/initramfs-tools/scripts/local-bottom/antrean-overlay",
                 "/usr/local/sbin/antrean-remount-rw", "/opt/antrean/bin/antrean",
                 "/opt/antrean/pyvenv.cfg", "/media/root-ro", "/data"):
        assert "Inode:" in machine.debugfs(built_image, 2, f"stat {path}"), path
    assert machine.debugfs(built_image, 2, "cat /etc/machine-id") == ""
    assert "ssh_host_" not in machine.debugfs(built_image, 2, "ls /etc/ssh")
    assert "systemd-timesyncd" not in machine.debugfs(built_image, 2, "ls /usr/lib/systemd")
    fstab = machine.debugfs(built_image, 2, "cat /etc/fstab")
    assert "data=journal" in fstab and "/var/lib/antrean" in fstab
    site = machine.debugfs(built_image, 2, "ls /opt/antrean/lib/python3.13/site-packages")
    assert "_lgpio.cpython-313-aarch64-linux-gnu.so" in site and "kivy" in site
    assert "antrean" in machine.debugfs(built_image, 3, "ls /")


def test_manifest_and_compressed_image(built_image):
    text = (built_image.parent / (built_image.name + ".manifest.txt")).read_text()
    assert "\nlinux-image-arm64 " in text and "\npaho_mqtt 2.2.0" in text
    packed = built_image.with_name(built_image.name + ".zst")
    assert 0 < packed.stat().st_size < 700 * 2**20


def test_hub_first_boot_provisions_and_starts(fresh_image, kernel, tmp_path):
    image = fresh_image
    machine.mcopy_in(image, HALL.read_bytes(), "antrean/hall.toml", tmp_path)
    machine.mcopy_in(image, hub_device_file(), "antrean.txt", tmp_path)
    vm = machine.Machine(image, *kernel, machine.qemu_cmdline(image), tmp_path).start()
    try:
        vm.wait_for(r"antrean: root read-only", 120)
        i, _, _ = vm.wait_for(r"antrean: provisioned \(hub\)", 180)
        vm.wait_for(r"antrean: rebooting", 60, after=i)
        i, _, _ = vm.wait_for(r"antrean: provisioned, device file unchanged", 180, after=i)
        # The image's drop-in says so on the console once the unit is active (READY=1).
        _, seconds, _ = vm.wait_for(r"antrean: antrean-hub aktif / active", 180, after=i)
        print(f"first boot to antrean-hub active: {seconds:.0f} s (TCG)")
        assert vm.count(r"Failed to start antrean-") == 0
        # Switched off without a shutdown, like a technician pulling the plug.
    finally:
        vm.kill()
    status = machine.mtype(image, "antrean-status.txt")
    assert "BERHASIL / OK" in status
    env = machine.debugfs(image, 2, "cat /etc/antrean/role.env")    # kept on the card
    assert "ANTREAN_ROLE=hub" in env
    assert len(machine.debugfs(image, 2, "cat /etc/machine-id").strip()) == 32


def test_broken_device_file_is_reported_and_does_not_loop(fresh_image, kernel, tmp_path):
    image = fresh_image
    machine.mcopy_in(image, b"ROLE=toaster\r\nSITE=x\r\n", "antrean.txt", tmp_path)
    vm = machine.Machine(image, *kernel, machine.qemu_cmdline(image), tmp_path).start()
    try:
        i, _, _ = vm.wait_for(r"antrean: device file has problems", 240)
        # The first boot still keeps the card's identity and reboots once ...
        i, _, _ = vm.wait_for(r"antrean: rebooting", 60, after=i)
        i, _, _ = vm.wait_for(r"antrean: device file has problems", 240, after=i)
        # ... the second boot reaches its target instead of rebooting again.
        vm.wait_for(r"Reached target .*Multi-User System", 180, after=i)
        assert vm.count(r"antrean: rebooting") == 1
    finally:
        vm.kill()
    status = machine.mtype(image, "antrean-status.txt")
    assert "GAGAL / FAILED" in status and "ROLE" in status


CUT_WRITER = """#!/bin/sh
# Power-cut test: commit rows to a WAL SQLite database on the data partition, forever.
exec python3 - <<'PY'
import sqlite3
db = sqlite3.connect("/var/lib/antrean/cut.db", isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, pad TEXT)")
n = db.execute("SELECT count(*) FROM t").fetchone()[0]
while True:
    with db:
        db.execute("INSERT INTO t (pad) VALUES (?)", ("x" * 2000,))
    n += 1
    if n % 50 == 0:
        print(f"cut: {n} rows committed", flush=True)
PY
"""
CUT_CHECK = """#!/bin/sh
exec python3 - <<'PY'
import sqlite3
db = sqlite3.connect("/var/lib/antrean/cut.db")
print("check:", db.execute("PRAGMA integrity_check").fetchone()[0],
      db.execute("SELECT count(*) FROM t").fetchone()[0], flush=True)
PY
"""


def test_power_cut_during_writes_keeps_data(fresh_image, kernel, tmp_path):
    image = fresh_image
    machine.mcopy_in(image, CUT_WRITER.encode(), "cut.sh", tmp_path)
    machine.mcopy_in(image, CUT_CHECK.encode(), "check.sh", tmp_path)
    base = machine.qemu_cmdline(image)
    run = " systemd.run_success_action=poweroff systemd.run_failure_action=poweroff"
    vm = machine.Machine(image, *kernel, base + " systemd.run=/boot/firmware/cut.sh" + run,
                         tmp_path).start()
    try:
        vm.wait_for(r"cut: 1000 rows committed", 600)
        line = vm.wait_for(r"cut: \d+ rows committed", 60, after=len(vm.lines))[2]
        committed = int(re.search(r"cut: (\d+) rows", line).group(1))
        vm.kill()      # power cut in the middle of the writes
    finally:
        vm.kill()
    vm = machine.Machine(image, *kernel, base + " systemd.run=/boot/firmware/check.sh" + run,
                         tmp_path).start()
    try:
        _, _, line = vm.wait_for(r"check: ", 300)
        vm.wait_exit(180)
    finally:
        vm.kill()
    _, verdict, rows = line.split()[-3:]
    assert verdict == "ok"
    assert int(rows) >= committed
    # And offline, after the clean shutdown, with the host's SQLite.
    copy = tmp_path / "cut.db"
    machine.debugfs(image, 3, f"dump /antrean/cut.db {copy}")
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
