"""The image build's one configuration: ``images/build.conf``, overridden by the environment.

Every key starts with ``ANTREAN_IMG_``. The file is plain ``KEY=value`` lines (optional
quotes, ``#`` comments) so a shell, make or CI can set the same names in the environment.
"""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from antrean.errors import ConfigError

PREFIX = "ANTREAN_IMG_"
IMAGES = Path(__file__).resolve().parent
REPO = IMAGES.parent
DEFAULT_FILE = IMAGES / "build.conf"


def read_conf(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of ``path``; a line that is not one names its line number."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.startswith(PREFIX):
            raise ConfigError(f"expected {PREFIX}KEY=value", path=str(path), line=number)
        try:
            words = shlex.split(value, comments=True)
        except ValueError as exc:
            raise ConfigError(str(exc), path=str(path), line=number) from exc
        values[key] = " ".join(words)
    return values


@dataclass(frozen=True)
class BuildConfig:
    """Typed view of the keys; ``raw`` keeps every value as given."""

    raw: dict[str, str]

    def __getitem__(self, key: str) -> str:
        try:
            return self.raw[PREFIX + key]
        except KeyError:
            raise ConfigError(f"{PREFIX}{key} is not set", path=str(DEFAULT_FILE)) from None

    def number(self, key: str) -> int:
        try:
            return int(self[key])
        except ValueError:
            raise ConfigError(f"{PREFIX}{key} must be a whole number, not {self[key]!r}",
                              path=str(DEFAULT_FILE)) from None

    def words(self, key: str) -> list[str]:
        return self[key].replace(",", " ").split()

    def emulator_env(self) -> dict[str, str]:
        """The environment for commands that run the target's binaries under qemu-user:
        its CPU model set (``QEMU_CPU``), the default one costing ~20x (see build.conf)."""
        return {**os.environ, "QEMU_CPU": self["QEMU_CPU"]}

    def path(self, key: str) -> Path:
        """A path key; relative paths are relative to the repository."""
        value = Path(self[key])
        return value if value.is_absolute() else REPO / value


def load(path: Path = DEFAULT_FILE, environ: dict[str, str] | None = None) -> BuildConfig:
    """The file's keys with any ``ANTREAN_IMG_*`` variable of ``environ`` taking precedence."""
    environ = os.environ if environ is None else environ
    values = read_conf(path)
    values.update({k: v for k, v in environ.items() if k.startswith(PREFIX)})
    return BuildConfig(values)
