"""What exactly went into an image: written next to it as ``<image>.manifest.txt``.

The Debian versions come from the image's own dpkg status, with the drift from
images/debian.lock (what the archive no longer had); the Python packages are pinned in
requirements-aarch64.txt and listed again.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from images.config import BuildConfig


def dpkg_versions(root: Path) -> list[tuple[str, str]]:
    """(package, version) of every installed package in ``root``'s dpkg status file."""
    found, fields = [], {}
    for line in [*(root / "var/lib/dpkg/status").read_text().splitlines(), ""]:
        if not line:
            if fields.get("Status", "").endswith(" installed"):
                found.append((fields["Package"], fields["Version"]))
            fields = {}
        elif not line[0].isspace() and ":" in line:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return sorted(found)


def python_versions(site_packages: Path) -> list[tuple[str, str]]:
    """(distribution, version) from the ``*.dist-info`` folders."""
    found = []
    for info in site_packages.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
        found.append((name, version))
    return sorted(found, key=lambda nv: nv[0].lower())


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest(cfg: BuildConfig, root: Path, base_key: str, image: Path, packed: Path,
             drift: list[str] = ()) -> str:
    site = next((root / "opt/antrean/lib").glob("python*/site-packages"))
    lines = [f"# Antrean image manifest, built {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC",
             "", "[build]", *(f"{k}={v}" for k, v in sorted(cfg.raw.items())),
             f"base_cache_key={base_key}", "", "[files]",
             f"{image.name} {image.stat().st_size} bytes"]
    if packed != image:
        lines.append(f"{packed.name} {packed.stat().st_size} bytes sha256 {sha256(packed)}")
    lines += ["", "[lock drift]", *(drift or ["none: every Debian package as locked"])]
    lines += ["", "[debian]", *(f"{p} {v}" for p, v in dpkg_versions(root)),
              "", "[python]", *(f"{p} {v}" for p, v in python_versions(site)), ""]
    return "\n".join(lines)
