"""The slow part of the image: a Debian root filesystem made by mmdebstrap, cached.

The tarball is kept outside the repository (``ANTREAN_IMG_CACHE``) under a name holding the
hash of everything that decides its content (suite, arch, mirror, components, variant,
packages, mmdebstrap options), so a change of any of them builds a new one and an
unchanged configuration reuses the old one.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from antrean.errors import AntreanError
from images import lock
from images.config import BuildConfig

# Keep the card small: no manuals, no docs but the licences, only Indonesian and English
# messages. Part of the cache key.
DPKG_OPTIONS = (
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/locale/*",
    "path-include=/usr/share/locale/id/*",
    "path-include=/usr/share/locale/en*",
    "path-include=/usr/share/locale/locale.alias",
)
APT_OPTIONS = ('APT::Install-Recommends "false"',)
# Put in place before the packages install, so the kernel's own initramfs already carries
# the read-only-root overlay script (mkinitramfs under qemu-user takes ~3 min: done once,
# here, not at every image build). Their content is part of the cache key.
BASE_OVERLAY = Path(__file__).resolve().parent / "rootfs/etc/initramfs-tools"
# The lock's apt pins, present while the packages install and gone from the result (apt on
# a device must not hold security updates back).
PINS_IN_ROOT = "/etc/apt/preferences.d/antrean-lock.pref"


def locked_versions(cfg: BuildConfig) -> dict[str, str]:
    """The lock's package versions; none when the lock file does not exist yet."""
    path = cfg.path("LOCK")
    return lock.read(path) if path.is_file() else {}


def pins_file(cfg: BuildConfig) -> Path:
    """Where the lock's apt preferences are written for mmdebstrap to upload."""
    return cfg.path("CACHE") / "antrean-lock.pref"


def mmdebstrap_argv(cfg: BuildConfig, target: Path) -> list[str]:
    """The exact mmdebstrap command line for ``cfg``, writing ``target``."""
    argv = ["mmdebstrap", "--mode=root", f"--arch={cfg['ARCH']}",
            f"--variant={cfg['VARIANT']}", f"--components={','.join(cfg.words('COMPONENTS'))}",
            f"--include={','.join(sorted(cfg.words('PACKAGES')))}"]
    argv += [f"--aptopt={o}" for o in APT_OPTIONS]
    argv += [f"--dpkgopt={o}" for o in DPKG_OPTIONS]
    argv += ['--setup-hook=mkdir -p "$1/etc/initramfs-tools"',
             f"--setup-hook=sync-in {BASE_OVERLAY} /etc/initramfs-tools"]
    if locked_versions(cfg):
        argv += ['--setup-hook=mkdir -p "$1/etc/apt/preferences.d"',
                 f"--setup-hook=upload {pins_file(cfg)} {PINS_IN_ROOT}",
                 f'--customize-hook=rm -f "$1{PINS_IN_ROOT}"']
    return argv + [cfg["SUITE"], str(target), cfg["MIRROR"]]


def cache_key(cfg: BuildConfig) -> str:
    """Hash of the base's inputs: the mmdebstrap command line without its output path (and
    without where the checkout and the cache are), plus the files the setup hooks copy in:
    the initramfs scripts and the lock's pins."""
    argv = [a.replace(str(BASE_OVERLAY), "BASE_OVERLAY").replace(str(pins_file(cfg)), "PINS")
            for a in mmdebstrap_argv(cfg, Path("OUT"))]
    digest = hashlib.sha256(json.dumps(argv).encode())
    digest.update(lock.apt_preferences(locked_versions(cfg)).encode())
    for path in sorted(p for p in BASE_OVERLAY.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(BASE_OVERLAY)).encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"%o" % (path.stat().st_mode & 0o111))
    return digest.hexdigest()[:16]


def base_tarball(cfg: BuildConfig) -> Path:
    return cfg.path("CACHE") / f"base-{cfg['SUITE']}-{cfg['ARCH']}-{cache_key(cfg)}.tar.zst"


def ensure_base(cfg: BuildConfig, log=print) -> Path:
    """The cached base tarball for ``cfg``, built first when missing."""
    tarball = base_tarball(cfg)
    if tarball.is_file():
        log(f"base: cached {tarball} ({tarball.stat().st_size // 2**20} MB)")
        return tarball
    tarball.parent.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_name(tarball.name + ".partial.tar.zst")
    argv = mmdebstrap_argv(cfg, partial)
    pins_file(cfg).write_text(lock.apt_preferences(locked_versions(cfg)))
    (tarball.parent / (tarball.name + ".argv.json")).write_text(json.dumps(argv, indent=1))
    log("base: " + " ".join(argv))
    start = time.monotonic()
    done = subprocess.run(argv, stdout=sys.stdout, stderr=sys.stderr, check=False,
                          env=cfg.emulator_env())
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise AntreanError(f"mmdebstrap failed with exit code {done.returncode}")
    os.replace(partial, tarball)   # only a complete tarball ever carries the final name
    log(f"base: built in {time.monotonic() - start:.0f} s, "
        f"{tarball.stat().st_size // 2**20} MB")
    return tarball


def extract(tarball: Path, rootdir: Path) -> None:
    """Unpack the base into a fresh ``rootdir`` (numeric owners, xattrs kept)."""
    if rootdir.exists():
        shutil.rmtree(rootdir)
    rootdir.mkdir(parents=True)
    subprocess.run(["tar", "--zstd", "-xpf", str(tarball), "--numeric-owner",
                    "--xattrs", "--xattrs-include=*", "-C", str(rootdir)], check=True)
