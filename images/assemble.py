"""A flashable SD card image from three folders, without loop devices or mounts.

Each file system is made in its own file (``mkfs.vfat -C`` + ``mcopy -s``,
``mkfs.ext4 -d``), the MBR is written with ``sfdisk`` on the image file, and each
partition is copied into place with ``dd conv=notrunc``. MBR, not GPT: the Pi 3's boot ROM
reads only MBR.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from antrean.errors import AntreanError, ConfigError

MiB = 2**20
FIRST = 4 * MiB     # first partition start: aligned to SD card erase blocks


@dataclass(frozen=True)
class Partition:
    name: str            # boot | root | data
    label: str
    fstype: str          # vfat | ext4
    size: int            # bytes
    start: int = 0       # bytes, set by layout()


def layout(parts: list[Partition]) -> tuple[list[Partition], int]:
    """Partitions placed one after the other at MiB boundaries; (placed, image size)."""
    placed, offset = [], FIRST
    for p in parts:
        if p.size <= 0 or p.size % MiB:
            raise ConfigError(f"{p.name} partition size must be a positive number of MiB")
        placed.append(Partition(p.name, p.label, p.fstype, p.size, offset))
        offset += p.size
    return placed, offset


def sfdisk_script(parts: list[Partition]) -> str:
    """MBR script: FAT32 LBA (type c, bootable) then Linux (83) partitions, 512-byte sectors."""
    lines = ["label: dos", "unit: sectors", ""]
    for p in parts:
        kind = "c" if p.fstype == "vfat" else "83"
        boot = ", bootable" if p.fstype == "vfat" else ""
        lines.append(f"start={p.start // 512}, size={p.size // 512}, type={kind}{boot}")
    return "\n".join(lines) + "\n"


def _run(argv: list[str], **kw) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise AntreanError(f"{' '.join(argv[:3])} failed ({done.returncode}): "
                           f"{done.stderr.strip()[-2000:]}")


def make_fat(path: Path, part: Partition, source: Path) -> None:
    path.unlink(missing_ok=True)
    _run(["mkfs.vfat", "-C", "-F", "32", "-n", part.label, str(path), str(part.size // 1024)])
    entries = [str(e) for e in sorted(source.iterdir())]
    if entries:
        _run(["mcopy", "-s", "-p", "-m", "-i", str(path), *entries, "::"])


def make_ext4(path: Path, part: Partition, source: Path, options: str = "") -> None:
    path.unlink(missing_ok=True)
    # 4 KiB blocks even when small: the data partition grows to the card's size later.
    argv = ["mkfs.ext4", "-q", "-F", "-b", "4096", "-L", part.label, "-d", str(source),
            "-E", "root_owner=0:0"]
    if options:
        argv += ["-E", options]
    _run([*argv, str(path), str(part.size // 1024) + "k"])


def assemble(image: Path, parts: list[Partition], sources: dict[str, Path],
             workdir: Path) -> None:
    """Write ``image`` with ``parts`` (placed by :func:`layout`) filled from ``sources``."""
    if shutil.which("sfdisk") is None:
        raise AntreanError("sfdisk not found: apt-get install fdisk")
    size = parts[-1].start + parts[-1].size
    image.unlink(missing_ok=True)
    with image.open("wb") as f:
        f.truncate(size)                       # sparse: unwritten space costs nothing
    _run(["sfdisk", "--no-reread", "--no-tell-kernel", "-q", str(image)],
         input=sfdisk_script(parts))
    for p in parts:
        fs = workdir / f"{p.name}.fs"
        if p.fstype == "vfat":
            make_fat(fs, p, sources[p.name])
        else:
            make_ext4(fs, p, sources[p.name])
        _dd(fs, image, p.start)
        fs.unlink()


def _dd(source: Path, image: Path, start: int) -> None:
    _run(["dd", f"if={source}", f"of={image}", "bs=4M", f"seek={start}", "oflag=seek_bytes",
          "conv=notrunc,sparse", "status=none"])
