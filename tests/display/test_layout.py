"""The hall screen's pages (display/layout.py): plain numbers in, a grid out; no Kivy."""
import math

from display.layout import (NUMBER_SHARE, PAGE_S, TILE_PAD_PX, Grid, mm_per_px, page_at,
                            page_items, plan_grid, px_for_mm, tile_font)

PAS_EM = 4.51       # "PAS-8888" in bold Roboto, font sizes wide (measured by the app)
MIN_FONT = 35 / 0.711   # a 35 px capital (20 mm at 1080p)
MAX_FONT = 53 / 0.711


def test_a_50_inch_panel_has_0_58_mm_pixels_at_1080p_either_way_round():
    assert round(mm_per_px(1920, 1080), 2) == 0.58
    assert round(mm_per_px(1080, 1920), 2) == 0.58
    assert round(mm_per_px(800, 480), 3) == 1.297
    assert math.ceil(px_for_mm(50, 1920, 1080)) == 87


def test_every_tile_meets_the_minimum_and_every_counter_has_a_page():
    for n in (3, 24, 60, 300):
        grid = plan_grid(n, 1200, 530, PAS_EM, MIN_FONT, MAX_FONT)
        assert grid.number_px >= MIN_FONT, (n, grid)
        assert grid.pages * grid.per_page >= n
        assert grid.rows * grid.row_px <= 530 and grid.cols * grid.rows >= grid.per_page
        assert tile_font(1200 / grid.cols, grid.row_px, PAS_EM) == grid.number_px


def test_the_fewest_pages_filled_evenly():
    grid = plan_grid(60, 1200, 530, PAS_EM, MIN_FONT, MAX_FONT)
    # 3 columns x 6 rows hold 18 at >= 35 px; 4 columns do not: 60 needs 4 pages of 15.
    assert (grid.cols, grid.pages, grid.per_page) == (3, 4, 15)
    assert plan_grid(60, 1200, 530, PAS_EM, MIN_FONT * 1.5, MAX_FONT).pages > 4
    one = plan_grid(12, 1200, 530, PAS_EM, MIN_FONT, MAX_FONT)
    assert one.pages == 1


def test_a_few_counters_never_outgrow_the_recent_calls():
    grid = plan_grid(3, 1200, 530, PAS_EM, MIN_FONT, MAX_FONT)
    assert grid.pages == 1
    assert grid.row_px <= MAX_FONT / NUMBER_SHARE + 2 * TILE_PAD_PX
    assert grid.number_px <= MAX_FONT + 1e-9


def test_a_box_too_small_for_the_minimum_shows_one_counter_per_page():
    grid = plan_grid(5, 100, 30, PAS_EM, MIN_FONT, MAX_FONT)
    assert (grid.pages, grid.per_page) == (5, 1)
    assert plan_grid(5, 0, 0, PAS_EM, MIN_FONT, MAX_FONT) == Grid(1, 1, 1, 5, 0.0, 0.0)


def test_the_page_follows_the_hub_clock():
    step = PAGE_S * 1000
    assert [page_at(k * step + 1, 4) for k in range(9)] == [0, 1, 2, 3, 0, 1, 2, 3, 0]
    assert page_at(5 * step - 1, 4) == 0        # the last moment of a page
    assert page_at(None, 4) == 0 and page_at(123_456, 1) == 0
    grid = Grid(3, 5, 4, 15, 90.0, 50.0)
    counters = list(range(1, 61))
    pages = [page_items(counters, grid, p) for p in range(grid.pages)]
    assert sum(pages, []) == counters
