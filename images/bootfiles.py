"""The boot partition's text files: ``cmdline.txt`` and ``config.txt`` for Debian's kernel.

The Raspberry Pi firmware reads ``config.txt`` (which kernel, initramfs and device tree)
and passes ``cmdline.txt`` to the kernel. Debian's ``raspi-firmware`` writes both on a
kernel upgrade from /etc/default/raspi-firmware (which the image sets to the same values).
"""
from __future__ import annotations

import re
from pathlib import Path

from antrean.errors import ConfigError

ROOT_LABEL = "antrean-root"
BOOT_LABEL = "ANTREAN"          # FAT: at most 11 characters; what Windows shows as the drive
DATA_LABEL = "antrean-data"


def cmdline(consoles: list[str], overlay: bool, root_label: str = ROOT_LABEL) -> str:
    """One line, as the firmware wants it. ``ro``: the card's root is never written in
    normal use; ``antrean.overlay=1`` puts a RAM overlay over it (initramfs script)."""
    if not root_label or " " in root_label:
        raise ConfigError(f"root label must be one word, not {root_label!r}")
    words = [*consoles, f"root=LABEL={root_label}", "rootfstype=ext4", "ro", "rootwait",
             "fsck.repair=yes", "net.ifnames=0", f"antrean.overlay={1 if overlay else 0}"]
    return " ".join(words) + "\n"


def set_overlay(line: str, overlay: bool) -> str:
    """``cmdline.txt`` with the overlay switched on or off, everything else kept."""
    words = [w for w in line.split() if not w.startswith("antrean.overlay=")]
    return " ".join([*words, f"antrean.overlay={1 if overlay else 0}"]) + "\n"


def config_txt(kernel: str, initrd: str) -> str:
    """``config.txt`` for Debian's (upstream) kernel and device trees on Pi 3B+/4/400/Zero 2 W."""
    for name in (kernel, initrd):
        if not name or "/" in name or " " in name:
            raise ConfigError(f"boot file name must be a plain file name, not {name!r}")
    return "\n".join([
        "# Antrean image: Debian's kernel on Raspberry Pi 3B+, 4, 400 and Zero 2 W.",
        "# The Pi 5 is not supported by this kernel: use Raspberry Pi OS + `antrean install`.",
        "arm_64bit=1",
        # Upstream device trees (bcm2711-rpi-4-b.dtb ...) as Debian's kernel expects them.
        "upstream_kernel=1",
        f"kernel={kernel}",
        f"initramfs {initrd} followkernel",
        # Serial console on the GPIO header (ttyS1), for a technician's USB-serial cable.
        "enable_uart=1",
        "disable_overscan=1",
        "",
        "[pi4]",
        "# The Pi 4/400 can drive two screens; Antrean uses the first.",
        "max_framebuffers=2",
        "",
        "[all]",
        "",
    ])


def kernel_files(rootdir: Path) -> tuple[str, str, str]:
    """(version, vmlinuz name, initrd name) of the one kernel in ``rootdir/boot``."""
    found = sorted((rootdir / "boot").glob("vmlinuz-*"))
    if len(found) != 1:
        raise ConfigError(f"expected one kernel in {rootdir}/boot, found {len(found)}")
    version = found[0].name.removeprefix("vmlinuz-")
    if not re.fullmatch(r"[0-9][\w.+~-]*", version):
        raise ConfigError(f"odd kernel version {version!r}")
    return version, found[0].name, f"initrd.img-{version}"
