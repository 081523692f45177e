"""How the hall screen shares its counters out: tiles per page, and which page shows now.

No Kivy. The legibility goals (docs/display.md) are character heights on a 50" 16:9 panel
(~623 x 1107 mm) showing the picture full screen: character height ~ reading distance / 200,
so 10 m needs ~50 mm, 6 m ~30 mm, 4 m ~20 mm. :func:`mm_per_px` turns a screen size in pixels
into millimetres per pixel on such a panel; :func:`plan_grid` picks the fewest pages whose
tiles draw every counter's number at least :data:`TILE_MM` tall, and :func:`page_at` says
which page shows at a moment of the hub's clock (every hall display of a hall shows the same
page at the same time, and a test steps the page by stepping the hub's clock).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

PANEL_MM = (1106.9, 622.6)      # a 50" 16:9 panel, landscape: width, height
LATEST_MM = 50.0                # the latest call's number and loket: read at 10 m
RECENT_MM = 30.0                # the recent calls: 6 m
TILE_MM = 20.0                  # each counter's own number, the latest call's service: 4 m
TILE_MAX_MM = 30.0              # ... and never larger than the recent calls: the latest stands out
PAGE_S = 8                      # seconds per page of counters

# A tile (hall.kv, CounterTile): the loket's number, then the ticket number, which takes
# NUMBER_WIDTH of the tile's width and is at most NUMBER_SHARE of its height; the tile's
# padding (TILE_PAD_PX each side) comes off both, the space between the two off the width.
# (hall.kv writes these in dp, which is px at the density of 1 a Pi and Xvfb run at.)
NUMBER_WIDTH = 0.72
NUMBER_SHARE = 0.72
WIDTH_USED = 0.94               # as display.whole_label
TILE_PAD_PX = 6
TILE_SPACING_PX = 10
MAX_COLS = 6


def mm_per_px(width: float, height: float) -> float:
    """Millimetres per pixel of a ``width`` x ``height`` picture filling a 50" panel turned
    the same way (landscape or portrait), fitted to the panel's height."""
    long_mm, short_mm = PANEL_MM
    return (long_mm if height > width else short_mm) / max(1.0, height)


def px_for_mm(mm: float, width: float, height: float) -> float:
    return mm / mm_per_px(width, height)


@dataclass(frozen=True)
class Grid:
    cols: int
    rows: int
    pages: int
    per_page: int
    row_px: float           # a tile's height (px)
    number_px: float        # the font size a tile's longest number gets (px)


def tile_font(width: float, height: float, number_em: float) -> float:
    """The font size (px) of a number ``number_em`` font sizes wide in a tile this big."""
    w = max(0.0, width - 2 * TILE_PAD_PX - TILE_SPACING_PX) * NUMBER_WIDTH * WIDTH_USED
    h = max(0.0, height - 2 * TILE_PAD_PX) * NUMBER_SHARE
    return max(0.0, min(h, w / max(number_em, 0.1)))


def plan_grid(n: int, width: float, height: float, number_em: float, min_font: float,
              max_font: float) -> Grid:
    """The fewest pages on which every one of ``n`` tiles shows a number ``number_em`` wide
    (the hall's longest) at a font of at least ``min_font`` px, in a ``width`` x ``height``
    box; pages are filled evenly, and of the column counts that fit the one with the
    largest numbers wins. Tiles are never taller than a ``max_font`` number needs (a few
    counters do not make numbers that outshine the latest call). When not even one tile per
    page reaches ``min_font``, one per page."""
    n = max(1, n)
    if width <= 0 or height <= 0:
        return Grid(1, 1, 1, n, 0.0, 0.0)
    tallest = max_font / NUMBER_SHARE + 2 * TILE_PAD_PX
    for pages in range(1, n + 1):
        per_page = math.ceil(n / pages)
        best: Grid | None = None
        for cols in range(1, min(MAX_COLS, per_page) + 1):
            rows = math.ceil(per_page / cols)
            row_px = min(height / rows, tallest)
            font = tile_font(width / cols, row_px, number_em)
            if font >= min_font and (best is None or font > best.number_px):
                best = Grid(cols, rows, pages, per_page, row_px, font)
        if best is not None:
            return best
    row_px = min(height, tallest)
    return Grid(1, 1, n, 1, row_px, tile_font(width, row_px, number_em))


def page_at(now_ms: int | None, pages: int, page_s: float = PAGE_S) -> int:
    """The page shown at ``now_ms`` on the hub's clock (0 before the clock is known)."""
    if pages <= 1 or now_ms is None:
        return 0
    return int(now_ms // (page_s * 1000)) % pages


def page_items(items: list, grid: Grid, page: int) -> list:
    start = page * grid.per_page
    return items[start:start + grid.per_page]
