"""The files deployment ships with: systemd units and drop-ins, the device-file template and
the example halls, found as package data in ``antrean/deploy/package-data`` (a name Python
cannot import, so setuptools takes it for data, not for a package).

In the source tree ``package-data/`` holds links to the top-level ``systemd/``,
``images/device.txt`` and ``examples/``, which stay the one copy; a wheel carries the files.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from antrean.errors import UsageError

EXAMPLE_SUFFIX = ".toml"


def data_dir() -> Path:
    root = files("antrean.deploy") / "package-data"
    # A zip import would give a zipfile.Path; the installer copies trees and needs real files.
    if not isinstance(root, Path):
        raise UsageError(f"antrean must be installed as files, not zipped ({root})")
    return root


def units_dir() -> Path:
    """The unit files and drop-ins (the repo's ``systemd/``)."""
    return data_dir() / "systemd"


def device_template() -> str:
    """The device file's template (the repo's ``images/device.txt``)."""
    return (data_dir() / "device.txt").read_text(encoding="utf-8")


def example_names() -> list[str]:
    return sorted(p.stem for p in (data_dir() / "examples").glob(f"*{EXAMPLE_SUFFIX}"))


def example(name: str) -> Path:
    """An example hall by name (``mpp-madiun`` or ``mpp-madiun.toml``)."""
    path = data_dir() / "examples" / (name.removesuffix(EXAMPLE_SUFFIX) + EXAMPLE_SUFFIX)
    if not path.is_file():
        raise UsageError(f"no example hall {name!r}; there are: {', '.join(example_names())}")
    return path
