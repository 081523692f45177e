"""Build the Antrean SD card image: ``images/build.sh`` runs ``python -m images.build``.

Stages (times on a 2-core x86_64 build host are in images/README.md):
1. base: Debian root filesystem from mmdebstrap, cached by a hash of its inputs (base.py);
2. customize: the overlay folder ``images/rootfs/``, the antrean user and units (the same
   code as ``antrean install``), the Python payload (payload.py), the initramfs with the
   read-only-root overlay script, per-device identity removed;
3. split: ``/boot/firmware`` becomes the FAT partition (with config.txt, cmdline.txt and the
   device file template as antrean.txt), ``/data`` gets the persistent folders;
4. assemble the .img (assemble.py), write the manifest, compress.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from antrean.errors import AntreanError
from antrean.deploy.files import units_dir
from antrean.deploy.install import DEFAULT_EXECUTABLE, Installer
from images import assemble, base, bootfiles, lock, manifest, payload
from images.config import IMAGES, BuildConfig, load

ROOTFS_OVERLAY = IMAGES / "rootfs"
WANTS = "etc/systemd/system/multi-user.target.wants"
ENABLED = ("antrean-provision.service", "antrean-provision.path", "antrean-grow-data.service")
MODES = {"etc/sudoers.d/antrean": 0o440}


def ensure_binfmt(arch: str) -> None:
    """qemu-user registered for the target, so the chroot steps run."""
    name = {"arm64": "qemu-aarch64"}.get(arch, f"qemu-{arch}")
    entry = Path("/proc/sys/fs/binfmt_misc") / name
    if entry.exists():
        return
    if not Path("/proc/sys/fs/binfmt_misc/register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", "/proc/sys/fs/binfmt_misc"],
                       check=False)
    subprocess.run(["update-binfmts", "--enable", name], check=False, capture_output=True)
    if not entry.exists():
        raise AntreanError(f"binfmt for {name} is not registered: install qemu-user-static "
                           "and binfmt-support (images/build.sh --install-deps)")


@contextlib.contextmanager
def chroot_mounts(root: Path):
    """/proc, /sys and /dev inside ``root`` for the few commands run in it."""
    done = []
    try:
        for d in ("proc", "sys", "dev"):
            subprocess.run(["mount", "--bind", f"/{d}", str(root / d)], check=True)
            done.append(root / d)
        yield
    finally:
        for path in reversed(done):
            subprocess.run(["umount", "-l", str(path)], check=False)


def copy_overlay(root: Path) -> None:
    """images/rootfs/ onto the root, like OctoPi's filesystem folder (.keep files skipped)."""
    for src in sorted(ROOTFS_OVERLAY.rglob("*")):
        rel = src.relative_to(ROOTFS_OVERLAY)
        dest = root / rel
        if src.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        elif src.name != ".keep":
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            if os.geteuid() == 0:
                os.chown(dest, 0, 0)
            if str(rel) in MODES:
                dest.chmod(MODES[str(rel)])


def install_units(root: Path) -> None:
    """User, groups, units and drop-ins exactly as ``antrean install --root`` does."""
    inst = Installer(root, False, units_dir(), DEFAULT_EXECUTABLE)
    inst.users()
    inst.copy_units()
    wants = root / WANTS
    wants.mkdir(parents=True, exist_ok=True)
    (wants / "mosquitto.service").unlink(missing_ok=True)   # ours runs antrean-broker
    for unit in ENABLED:
        link = wants / unit
        link.unlink(missing_ok=True)
        link.symlink_to(f"/etc/systemd/system/{unit}")


def forget_identity(root: Path) -> None:
    """Nothing unique per device may be in the image: each card makes its own at first
    boot (antrean-image-provision keeps them on the card)."""
    (root / "etc/machine-id").write_text("")
    dbus = root / "var/lib/dbus/machine-id"
    if dbus.exists() or dbus.is_symlink():
        dbus.unlink()
        dbus.symlink_to("/etc/machine-id")
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    for junk in [*(root / "var/cache/apt").glob("*.bin"), *(root / "var/lib/apt/lists").glob("*_*")]:
        junk.unlink()
    for d in ("var/lib/antrean", "var/log/journal", "data", "media/root-ro", "media/root-rw"):
        (root / d).mkdir(parents=True, exist_ok=True)
    # What systemd-update-done would write at first boot; without it ldconfig and friends
    # (ConditionNeedsUpdate=) would run at every boot, the root being read-only.
    stamp = (root / "usr").stat().st_mtime_ns
    for d in ("etc", "var"):
        (root / d / ".updated").write_text(f"TIMESTAMP_NSEC={stamp}\n")
        os.utime(root / d / ".updated", ns=(stamp, stamp))


def customize(root: Path, cfg: BuildConfig, log) -> None:
    copy_overlay(root)
    install_units(root)
    with chroot_mounts(root):          # compileall's worker processes need /dev/shm
        payload.install_payload(root, cfg, base.cache_key(cfg), log)
    forget_identity(root)


def split(root: Path, cfg: BuildConfig, work: Path) -> dict[str, Path]:
    """Folders for the three partitions; the root keeps empty mount points."""
    boot, data = work / "boot", work / "data"
    for d in (boot, data):
        shutil.rmtree(d, ignore_errors=True)
    shutil.move(root / "boot/firmware", boot)
    (root / "boot/firmware").mkdir()
    _version, kernel, initrd = bootfiles.kernel_files(root)
    for name in (kernel, initrd):       # what the firmware loads; raspi-firmware copies them too
        if not (boot / name).exists():
            shutil.copy2(root / "boot" / name, boot / name)
    (boot / "config.txt").write_text(bootfiles.config_txt(kernel, initrd))
    (boot / "cmdline.txt").write_text(bootfiles.cmdline(cfg.words("CONSOLES"),
                                                        cfg["OVERLAY"] == "1"))
    # CRLF: technicians open it in Notepad.
    template = (IMAGES / "device.txt").read_text().replace("\r\n", "\n")
    (boot / "antrean.txt").write_bytes(template.replace("\n", "\r\n").encode())
    (data / "antrean").mkdir(parents=True)
    (data / "journal").mkdir()
    (data / "journal").chmod(0o2755)
    if os.geteuid() == 0:
        os.chown(data / "antrean", *_ids(root, "antrean"))
        os.chown(data / "journal", 0, _ids(root, "systemd-journal", group_only=True)[1])
    return {"boot": boot, "root": root, "data": data}


def _ids(root: Path, name: str, group_only: bool = False) -> tuple[int, int]:
    groups = {r.split(":")[0]: int(r.split(":")[2])
              for r in (root / "etc/group").read_text().splitlines()}
    if group_only:
        return 0, groups[name]
    users = {r.split(":")[0]: r.split(":") for r in (root / "etc/passwd").read_text().splitlines()}
    return int(users[name][2]), int(users[name][3])


def compress(image: Path, method: str) -> Path:
    if method == "none":
        return image
    # xz -1: 43 s and 367 MB for the 1.9 GB image on 2 cores; -3 saved 15 MB for 60 s more.
    argv = {"xz": ["xz", "-T0", "-1", "-f", "-k"], "zstd": ["zstd", "-T0", "-10", "-f", "-q"]}
    if method not in argv:
        raise AntreanError(f"ANTREAN_IMG_COMPRESS must be xz, zstd or none, not {method!r}")
    subprocess.run([*argv[method], str(image)], check=True)
    return image.with_name(image.name + (".xz" if method == "xz" else ".zst"))


def check_lock(cfg: BuildConfig, root: Path, update: bool, log) -> list[str]:
    """The drift between the lock and the base's packages: logged, fatal when strict;
    with ``update`` the lock is rewritten from the base instead."""
    installed = dict(manifest.dpkg_versions(root))
    if update:
        cfg.path("LOCK").write_text(lock.render(installed))
        log(f"lock: {cfg.path('LOCK')} written ({len(installed)} packages)")
        return []
    found = lock.drift(base.locked_versions(cfg), installed)
    if found and cfg["LOCK_STRICT"] == "1":
        raise AntreanError(f"{len(found)} Debian package(s) differ from {cfg['LOCK']} "
                           "(ANTREAN_IMG_LOCK_STRICT=1):\n  " + "\n  ".join(found))
    for line in found:
        log(f"lock drift: {line}")
    log(f"lock: {len(installed) - len(found)} of {len(installed)} packages as locked"
        + (f", {len(found)} drifted (the archive moved on)" if found else ""))
    return found


def build(cfg: BuildConfig, log=print, update_lock: bool = False) -> Path:
    start = time.monotonic()
    ensure_binfmt(cfg["ARCH"])
    tarball = base.ensure_base(cfg, log)
    work = cfg.path("CACHE") / "work"
    root = work / "root"
    t = time.monotonic()
    base.extract(tarball, root)
    drift = check_lock(cfg, root, update_lock, log)
    customize(root, cfg, log)
    log(f"customize: {time.monotonic() - t:.0f} s")
    sources = split(root, cfg, work)
    parts, _size = assemble.layout([
        assemble.Partition("boot", bootfiles.BOOT_LABEL, "vfat", cfg.number("BOOT_MB") * assemble.MiB),
        assemble.Partition("root", bootfiles.ROOT_LABEL, "ext4", cfg.number("ROOT_MB") * assemble.MiB),
        assemble.Partition("data", bootfiles.DATA_LABEL, "ext4", cfg.number("DATA_MB") * assemble.MiB),
    ])
    out = cfg.path("OUT")
    out.mkdir(parents=True, exist_ok=True)
    image = out / f"{cfg['NAME']}-{cfg['SUITE']}-{cfg['ARCH']}.img"
    t = time.monotonic()
    assemble.assemble(image, parts, sources, work)
    log(f"assemble: {image} in {time.monotonic() - t:.0f} s")
    t = time.monotonic()
    packed = compress(image, cfg["COMPRESS"])
    log(f"compress: {packed.name} in {time.monotonic() - t:.0f} s")
    text = manifest.manifest(cfg, root, base.cache_key(cfg), image, packed, drift)
    (out / f"{image.name}.manifest.txt").write_text(text)
    shutil.rmtree(work, ignore_errors=True)
    log(f"done in {time.monotonic() - start:.0f} s: {packed} "
        f"({packed.stat().st_size / 2**20:.0f} MB; image {image.stat().st_size / 2**20:.0f} MB)")
    return image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="images/build.sh", description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(IMAGES / "build.conf"),
                        help="build configuration (ANTREAN_IMG_* variables override it)")
    parser.add_argument("--base-only", action="store_true", help="only build/cache the base")
    parser.add_argument("--update-lock", action="store_true",
                        help="write images/debian.lock from the versions this build installs")
    args = parser.parse_args(argv)
    try:
        cfg = load(Path(args.config))
        if os.geteuid() != 0:
            raise AntreanError("run as root (mmdebstrap, chroot and file owners need it)")
        if args.base_only:
            ensure_binfmt(cfg["ARCH"])
            base.ensure_base(cfg)
        else:
            build(cfg, update_lock=args.update_lock)
    except AntreanError as exc:
        print(f"images/build.sh: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
