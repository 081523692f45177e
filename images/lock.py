"""Exact Debian package versions for the image: ``images/debian.lock``.

The lock lists every package of the base with the version it was built with. The base
build gives apt one pin per line (``Pin: version``, priority 1001), so the archive's
versions are installed as locked. Debian's archive keeps only a suite's current versions:
after a point release or a security update a locked version may be gone, and apt then takes
the archive's version. The build reports each such difference (the drift) in its log and
the image's manifest, and fails on it when ``ANTREAN_IMG_LOCK_STRICT=1`` (release builds).
``images/build.sh --update-lock`` writes the lock from what the build installed.
"""
from __future__ import annotations

import re
from pathlib import Path

from antrean.errors import ConfigError

# Debian policy: package names and versions (epoch, upstream, revision).
_NAME = re.compile(r"[a-z0-9][a-z0-9+.-]+")
_VERSION = re.compile(r"[0-9A-Za-z.+~:-]+")
HEADER = """\
# Exact Debian package versions of the Antrean image (images/lock.py).
# Written by `images/build.sh --update-lock`; one "package version" per line.
"""


def read(path: Path) -> dict[str, str]:
    """Package -> version; a line that is not ``package version`` names its number."""
    versions: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        if len(words) != 2 or not _NAME.fullmatch(words[0]) or not _VERSION.fullmatch(words[1]):
            raise ConfigError(f"expected 'package version', got {line!r}", path=str(path),
                              line=number)
        if words[0] in versions:
            raise ConfigError(f"{words[0]} is locked twice", path=str(path), line=number)
        versions[words[0]] = words[1]
    return versions


def render(versions: dict[str, str]) -> str:
    return HEADER + "".join(f"{p} {v}\n" for p, v in sorted(versions.items()))


def apt_preferences(versions: dict[str, str]) -> str:
    """apt_preferences(5) text holding each package at its locked version. A pin of a
    version the archive no longer has is ignored by apt (the drift check reports it)."""
    return "".join(f"Package: {p}\nPin: version {v}\nPin-Priority: 1001\n\n"
                   for p, v in sorted(versions.items()))


def drift(locked: dict[str, str], installed: dict[str, str]) -> list[str]:
    """One line per difference between the lock and what was installed."""
    lines = []
    for pkg in sorted(locked.keys() | installed.keys()):
        want, got = locked.get(pkg), installed.get(pkg)
        if want == got:
            continue
        if got is None:
            lines.append(f"{pkg}: locked {want}, not installed")
        elif want is None:
            lines.append(f"{pkg}: not in the lock, installed {got}")
        else:
            lines.append(f"{pkg}: locked {want}, installed {got}")
    return lines
