"""Fitting a name into a few lines of a tile, keeping its beginning.

"Kantor Imigrasi Kelas II Non TPI Madiun" must read "Kantor Imigrasi Kelas II…" on a small
tile, never "Kelas II Non TPI Madiun": the beginning names the agency. Words wrap greedily;
the last line that fits ends in an ellipsis when words are left over. No Kivy here: the
caller passes ``measure(text) -> width`` in the same units as ``width``.
"""
from __future__ import annotations

from typing import Callable

ELLIPSIS = "\u2026"


def fit_lines(text: str, width: float, measure: Callable[[str], float],
              max_lines: int = 2) -> list[str]:
    """``text`` in at most ``max_lines`` lines no wider than ``width``."""
    words, lines = text.split(), []
    while words and len(lines) < max_lines:
        line, words = _take(words, width, measure)
        lines.append(line)
    if words:
        lines[-1] = _with_ellipsis(" ".join([lines[-1], *words]), width, measure)
    return lines


def _take(words: list[str], width: float, measure) -> tuple[str, list[str]]:
    """The longest run of whole words that fits (one word cut when none fits alone)."""
    line = words[0]
    if measure(line) > width:
        return _with_ellipsis(line, width, measure), words[1:]
    for i in range(1, len(words)):
        longer = f"{line} {words[i]}"
        if measure(longer) > width:
            return line, words[i:]
        line = longer
    return line, []


def _with_ellipsis(text: str, width: float, measure) -> str:
    """The longest beginning of ``text`` that fits with an ellipsis after it, ending at a
    word when the line holds more than one."""
    if measure(text) <= width:
        return text
    cut = len(text)
    while cut > 0 and measure(text[:cut].rstrip() + ELLIPSIS) > width:
        cut -= 1
    space = text.rfind(" ", 0, cut + 1)
    if space > 0:
        cut = space
    return text[:cut].rstrip() + ELLIPSIS
