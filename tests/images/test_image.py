"""The built SD card image: read statically, then booted in qemu (slow; as root, as CI runs
them). The qemu boots use the image's own Debian kernel."""
import re
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from PIL import Image

from antrean.deploy.broker import run_broker
from antrean.deploy.credentials import complete, passwd_text
from antrean.config import load_site
from images import lock
from kiosk.virtual_printer import VirtualPrinter
from images.config import IMAGES
from tests.fixtures.hallclock import clock_from, hall_clock
from tests.images import machine

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]
REPO = Path(__file__).resolve().parents[2]
HALL = REPO / "examples/mini-hall.toml"


def hub_device_file(passwords: dict) -> bytes:
    site = tomllib.loads(HALL.read_text())["site"]["id"]
    # As Notepad writes it: BOM and CRLF.
    return ("\ufeffROLE=hub\r\nSITE=" + site + "\r\nSITE_CONFIG=/boot/firmware/antrean/hall.toml"
            f"\r\nDEVICE_PASSWORD={passwords['hub']}\r\n"
            "BROKER_PASSWD=/boot/firmware/antrean/passwd\r\nTIMEZONE=Asia/Jakarta\r\n").encode()


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
    # The lock's apt pins were there for the build only: apt on a card takes updates.
    assert "antrean-lock" not in machine.debugfs(built_image, 2, "ls /etc/apt/preferences.d")
    assert "systemd-timesyncd" not in machine.debugfs(built_image, 2, "ls /usr/lib/systemd")
    fstab = machine.debugfs(built_image, 2, "cat /etc/fstab")
    assert "data=journal" in fstab and "/var/lib/antrean" in fstab
    site = machine.debugfs(built_image, 2, "ls /opt/antrean/lib/python3.13/site-packages")
    assert "_lgpio.cpython-313-aarch64-linux-gnu.so" in site and "kivy" in site
    assert "antrean" in machine.debugfs(built_image, 3, "ls /")


def test_manifest_and_compressed_image(built_image):
    text = (built_image.parent / (built_image.name + ".manifest.txt")).read_text()
    assert "\nlinux-image-arm64 " in text and "\npaho_mqtt 2.2.0" in text
    # Every installed package is either as locked or named in the drift section.
    debian = dict(line.split() for line in section(text, "debian"))
    drift = {line.split(":")[0] for line in section(text, "lock drift")} - {"none"}
    locked = lock.read(IMAGES / "debian.lock")
    assert {p for p, v in debian.items() if locked.get(p) != v} == drift
    packed = built_image.with_name(built_image.name + ".xz")
    assert 0 < packed.stat().st_size < 700 * 2**20


def section(manifest_text: str, name: str) -> list[str]:
    """The lines of one ``[name]`` section of a manifest."""
    block = manifest_text.split(f"\n[{name}]\n", 1)[1]
    return [line for line in block.split("\n\n", 1)[0].splitlines() if line]


def test_hub_first_boot_provisions_and_starts(fresh_image, kernel, tmp_path):
    image = fresh_image
    passwords, _ = complete(load_site(HALL), {})       # antrean credentials, in short
    machine.mcopy_in(image, HALL.read_bytes(), "antrean/hall.toml", tmp_path)
    machine.mcopy_in(image, passwd_text(passwords).encode(), "antrean/passwd", tmp_path)
    machine.mcopy_in(image, hub_device_file(passwords), "antrean.txt", tmp_path)
    vm = machine.Machine(image, *kernel, machine.qemu_cmdline(image), tmp_path).start()
    try:
        # Generous waits: under TCG one kernel module's signature check has taken 100 s.
        vm.wait_for(r"antrean: root read-only", 240)
        # Wired: nothing that needs a boot to take effect, so the role starts in this boot.
        i, _, _ = vm.wait_for(r"antrean: provisioned \(hub\), no reboot needed", 300)
        # The image's drop-in says so on the console once the unit is active (READY=1).
        _, seconds, _ = vm.wait_for(r"antrean: antrean-hub aktif / active", 180, after=i)
        print(f"first boot to antrean-hub active: {seconds:.0f} s (TCG)")
        vm.wait_for(r"antrean: antrean-broker aktif / active", 60)
        assert vm.count(r"Failed to start antrean-") == 0
        assert vm.count(r"rebooting") == 0
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
        i, _, _ = vm.wait_for(r"antrean: device file has problems", 300)
        # The card's identity is kept without a reboot; the boot goes on past the failed
        # unit (basic.target) to the data partition's first-boot resize.
        vm.wait_for(r"Reached target .*Basic System", 180, after=i)
        vm.wait_for(r"Finished .*antrean-grow-data", 180)
        assert vm.count(r"rebooting") == 0
        assert vm.count(r"antrean: device file has problems") == 1
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
# What a technician does for an update: write to the card through antrean-remount-rw; a
# plain write to / lands in the RAM overlay and is gone after the boot.
antrean-remount-rw sh -c 'echo kept > /etc/antrean-remount-test'
echo "remount: exit $?"
echo gone > /etc/antrean-ram-test
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
    assert vm.count(r"remount: exit 0") == 1
    assert vm.count(r"card root read-only again") == 1
    # On the card: what went through antrean-remount-rw, not what went to the RAM overlay.
    assert machine.debugfs(image, 2, "cat /etc/antrean-remount-test") == "kept\n"
    assert "Inode:" not in machine.debugfs(image, 2, "stat /etc/antrean-ram-test")
    # And offline, after the clean shutdown, with the host's SQLite.
    copy = tmp_path / "cut.db"
    machine.debugfs(image, 3, f"dump /antrean/cut.db {copy}")
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def display_device_file(broker) -> bytes:
    # 10.0.2.2 is the qemu host, where this test runs the hall's broker and hub.
    return ("ROLE=display\nSITE=mpp-mini\nDEVICE_ID=display-hall\n"
            f"DEVICE_PASSWORD={broker.passwords['display-hall']}\n"
            f"HUB_ADDRESS=10.0.2.2\nHUB_PORT={broker.port}\n"
            "SITE_CONFIG=/boot/firmware/antrean/hall.toml\n").encode()


@pytest.fixture
def hall_on_host(tmp_path):
    """The mini hall's broker and hub on this machine, for a device in qemu to join."""
    site = load_site(HALL)
    broker = run_broker(site, tmp_path / "broker")   # slirp reaches it on loopback
    with (tmp_path / "hub.log").open("w") as log:
        hub = subprocess.Popen([sys.executable, "-m", "antrean.cli", "hub", "--config",
                                str(HALL), "--db", str(tmp_path / "hub.sqlite"),
                                "--port", str(broker.port), *clock_from(hall_clock()),
                                "--password-file", str(broker.password_file("hub"))],
                               stdout=log, stderr=log)
    yield broker
    hub.terminate()
    hub.wait(10)
    broker.stop()


def test_display_first_boot_joins_the_hall_full_screen(fresh_image, kernel, tmp_path,
                                                       hall_on_host):
    """The display role on the image's own KMS/DRM path (virtio GPU, Mesa's llvmpipe):
    provisioned without a reboot, READY=1 once the first frame is up, the hall full screen,
    and connected to the hall's broker on this host (the red banner goes away)."""
    image = fresh_image
    machine.mcopy_in(image, HALL.read_bytes(), "antrean/hall.toml", tmp_path)
    machine.mcopy_in(image, display_device_file(hall_on_host), "antrean.txt", tmp_path)
    vm = machine.Machine(image, *kernel, machine.qemu_cmdline(image), tmp_path,
                         screen=True).start()
    try:
        i, _, _ = vm.wait_for(r"antrean: provisioned \(display\), no reboot needed", 300)
        _, seconds, _ = vm.wait_for(r"antrean: antrean-display aktif / active", 420, after=i)
        print(f"first boot to antrean-display active: {seconds:.0f} s (TCG)")
        # llvmpipe under TCG needs a while for the first full frame (a Pi's GPU does not).
        drawn = vm.poll(lambda: screen(vm, tmp_path / "drawn.ppm"), hall_drawn, timeout=240)
        assert drawn is not None, "the hall layout never showed on the screen"
        joined = vm.poll(lambda: screen(vm, tmp_path / "joined.ppm"),
                         lambda shot: hall_drawn(shot) and not banner_shown(shot), timeout=180)
        assert joined is not None, "the display never lost its 'connecting' banner"
        assert vm.count(r"Failed to start antrean-") == 0
    finally:
        vm.kill()
    assert joined.size == (1280, 720)


def screen(vm: machine.Machine, dest: Path) -> Image.Image:
    shot = Image.open(vm.screendump(dest)).convert("RGB")
    shot.save(dest.with_suffix(".png"))      # to look at
    return shot


def hall_drawn(shot: Image.Image) -> bool:
    """The hall layout's colours and text, not a black screen or the boot console."""
    return len(shot.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50


def banner_shown(shot: Image.Image) -> bool:
    """The hall layout's red 'Menghubungkan ke server antrean...' strip under the title."""
    r, g, b = shot.getpixel((20, 100))
    return r > 150 and g < 80 and b < 80


def kiosk_device_file(broker, printer_port: int) -> bytes:
    # The hall's broker and hub, and a network ESC/POS printer, all on the qemu host.
    return ("ROLE=kiosk\nSITE=mpp-mini\nDEVICE_ID=kiosk-1\n"
            f"DEVICE_PASSWORD={broker.passwords['kiosk-1']}\n"
            f"HUB_ADDRESS=10.0.2.2\nHUB_PORT={broker.port}\n"
            "SITE_CONFIG=/boot/firmware/antrean/hall.toml\n"
            f"PRINTER=network:10.0.2.2:{printer_port}\n").encode()


def test_kiosk_first_boot_shows_the_hall_with_its_own_printer(fresh_image, kernel, tmp_path,
                                                              hall_on_host):
    """A kiosk card: provisioned without a reboot, full screen on KMS/DRM with the hall's
    agencies, its printer the device file's PRINTER= (a network printer on this host; the
    hall's TOML names another) and reachable, and the unit stays up: its watchdog is fed.
    (This boot found the kiosk killed by its watchdog every 30 s and the device file's
    printer ignored. Taps are not tried: qemu 7.2 has no multi-touch screen.)"""
    image = fresh_image
    printer = VirtualPrinter(pty=False, out_dir=tmp_path / "tickets").start()
    machine.mcopy_in(image, HALL.read_bytes(), "antrean/hall.toml", tmp_path)
    machine.mcopy_in(image, kiosk_device_file(hall_on_host, printer.port), "antrean.txt",
                     tmp_path)
    # The journal on the console too: a failure here shows the kiosk's own log.
    vm = machine.Machine(image, *kernel,
                         machine.qemu_cmdline(image) + " systemd.journald.forward_to_console=1",
                         tmp_path, screen=True).start()
    try:
        i, _, _ = vm.wait_for(r"antrean: provisioned \(kiosk\), no reboot needed", 300)
        active, seconds, _ = vm.wait_for(r"antrean: antrean-kiosk aktif / active", 420, after=i)
        print(f"first boot to antrean-kiosk active: {seconds:.0f} s (TCG)")
        home = vm.poll(lambda: screen(vm, tmp_path / "home.ppm"),
                       lambda shot: hall_drawn(shot) and not printer_notice(shot), timeout=240)
        assert home is not None, "the kiosk's home screen never showed with its printer ready"
        vm.wait_for(rf"printer 10\.0\.2\.2:{printer.port}: ok", 60)
        # Longer than WatchdogSec=30 plus a restart: the kiosk is not started again.
        with pytest.raises(AssertionError, match="no console line"):
            vm.wait_for(r"antrean-kiosk.service: Watchdog timeout|antrean-kiosk aktif", 75,
                        after=active + 1)
        assert not printer_notice(screen(vm, tmp_path / "later.ppm"))
    finally:
        vm.kill()
        printer.stop()


def printer_notice(shot: Image.Image) -> bool:
    """The home screen's pink 'Printer tidak terhubung' strip over the agency tiles."""
    r, g, b = shot.getpixel((40, 292))
    return r > 240 and 200 < g < 240 and b < 240
