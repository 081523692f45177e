"""Tiles in whole pages: how many fit the screen, which ones a page shows. Kivy-free.

A visitor with 40 agencies or 150 services of one office must see where they are and reach
every tile with big buttons, never by flicking a thin scroll bar: the tile area is cut into
a grid of whole tiles (no half tile at the bottom edge), the tiles stretch to fill it, and
the list is shown one page at a time ("Halaman 2 dari 5").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Grid:
    """How tiles fill an area: ``cols`` x ``rows``, each ``tile_w`` x ``tile_h``."""

    cols: int
    rows: int
    tile_w: float
    tile_h: float

    @property
    def per_page(self) -> int:
        return self.cols * self.rows


def grid(width: float, height: float, *, min_w: float, min_h: float, spacing: float,
         max_cols: int, max_h: float | None = None) -> Grid:
    """The most tiles of at least ``min_w`` x ``min_h`` that fit ``width`` x ``height`` with
    ``spacing`` between them (at least one, even in a tiny area), at most ``max_cols`` wide.
    The tiles grow to fill the area; with ``max_h`` they grow no taller than that, and extra
    rows are added instead (a tall portrait screen shows more tiles, not giant ones)."""
    def fit(room: float, least: float) -> int:
        return max(1, int((room + spacing) // (least + spacing)))

    cols = min(max(1, max_cols), fit(width, min_w))
    rows = fit(height, min_h)
    tile_h = (height - spacing * (rows - 1)) / rows
    if max_h is not None and tile_h > max_h:
        rows = fit(height, max_h)
        while (height - spacing * (rows - 1)) / rows > max_h:
            rows += 1
        tile_h = (height - spacing * (rows - 1)) / rows
    tile_w = (width - spacing * (cols - 1)) / cols
    return Grid(cols, rows, max(0.0, tile_w), max(0.0, tile_h))


@dataclass(frozen=True)
class Page:
    number: int          # 1-based
    count: int           # pages in all (at least 1)
    first: int           # index of the page's first item

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


def page(total: int, per_page: int, number: int) -> Page:
    """Page ``number`` of ``total`` items, clamped to the pages there are (a list that
    shrank while a visitor looked at its last page shows the new last page)."""
    per_page = max(1, per_page)
    count = max(1, -(-total // per_page))
    number = min(max(1, number), count)
    return Page(number, count, (number - 1) * per_page)


def items_on(items: Sequence[T], p: Page, per_page: int) -> list[T]:
    return list(items[p.first:p.first + max(1, per_page)])
