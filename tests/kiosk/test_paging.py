"""Whole tiles in whole pages (kiosk/paging.py)."""
from __future__ import annotations

import pytest

from kiosk.paging import grid, items_on, page


def test_tiles_fill_the_area_exactly_with_no_half_tile():
    # a 7" landscape tile area: 768 x 250 px, tiles at least 230 x 100, 12 px apart
    g = grid(768, 250, min_w=230, min_h=100, spacing=12, max_cols=3)
    assert (g.cols, g.rows) == (3, 2)
    assert g.rows * g.tile_h + (g.rows - 1) * 12 == pytest.approx(250)
    assert g.cols * g.tile_w + (g.cols - 1) * 12 == pytest.approx(768)
    assert g.tile_h >= 100 and g.tile_w >= 230


def test_a_tall_screen_gets_more_rows_not_giant_tiles():
    g = grid(1000, 1500, min_w=400, min_h=200, spacing=20, max_cols=1, max_h=260)
    assert g.cols == 1 and g.tile_h <= 260 and g.rows == 6
    assert g.rows * g.tile_h + (g.rows - 1) * 20 == pytest.approx(1500)


def test_a_tiny_area_still_shows_one_tile():
    g = grid(50, 40, min_w=230, min_h=100, spacing=12, max_cols=3)
    assert (g.cols, g.rows) == (1, 1)


def test_pages_reach_every_item_once():
    items = list(range(38))
    seen, number = [], 1
    while True:
        p = page(len(items), 6, number)
        seen += items_on(items, p, 6)
        if not p.has_next:
            break
        number += 1
    assert seen == items and p.count == 7 and p.number == 7
    assert not page(38, 6, 1).has_previous and page(38, 6, 2).has_previous


def test_a_page_beyond_the_list_is_its_last_and_an_empty_list_has_one_page():
    assert page(10, 6, 5).number == 2
    assert page(0, 6, 3) == page(0, 6, 1) and page(0, 6, 1).count == 1
