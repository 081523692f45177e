"""Both display layouts on the real halls, read as a visitor in the seats would (issue 11.4).

The real app (Kivy under Xvfb, a subprocess) against a real Mosquitto, on
examples/mpp-madiun.toml (24 counters) and examples/mpp-kota-besar.toml (60 counters), at
800x480, 1080x1920 and 1920x1080. Every counter serves the longest number its services can
print (its widest prefix, four digits); some are paused, one is idle; the latest call is of
the hall's longest-named service. The screen's own report (``--screenshot`` JSON) says what
each label shows and how tall its capitals are drawn, which is what these tests check.
Set ANTREAN_SHOTS_DIR to keep the screenshots.
"""
from __future__ import annotations

import math

import pytest

from antrean.deploy.broker import run_broker
from antrean.config import load_site
from display.layout import LATEST_MM, PAGE_S, RECENT_MM, TILE_MM, mm_per_px
from tests.fixtures.display import ROOT, DisplayProcess, StandInHub, call, png_size
from tests.fixtures.sites import with_tool_logins

pytestmark = pytest.mark.needs("Xvfb", "mosquitto")

SIZES = ("800x480", "1080x1920", "1920x1080")
HALLS = ("mpp-madiun", "mpp-kota-besar")

# The least capital height (px) each text must reach at each size: the mm goal over the
# millimetres per pixel of that picture filling a 50" 16:9 panel (623 mm tall landscape,
# 1107 mm portrait; 1 px = 0.577 mm at 1080p and 1.297 mm at 800x480), rounded up.
#   latest call's number and loket: 50 mm (10 m); recent calls: 30 mm (6 m);
#   each counter's number and the latest call's service: 20 mm (4 m).
MIN_PX = {
    "1920x1080": {"latest": 87, "recent": 53, "tile": 35},
    "1080x1920": {"latest": 87, "recent": 53, "tile": 35},
    "800x480": {"latest": 39, "recent": 24, "tile": 16},
}


def test_the_minimum_heights_are_the_mm_goals_on_a_50_inch_panel():
    for size, goal in MIN_PX.items():
        w, h = map(int, size.split("x"))
        for key, mm in (("latest", LATEST_MM), ("recent", RECENT_MM), ("tile", TILE_MM)):
            assert goal[key] == math.ceil(mm / mm_per_px(w, h)), (size, key)


@pytest.fixture(scope="module", params=HALLS)
def hall(request, tmp_path_factory):
    """The real hall's TOML, plus one counter display above its last counter (the big hall
    declares none) and the test tools' logins."""
    out = tmp_path_factory.mktemp(request.param)
    config = with_tool_logins(ROOT / "examples" / f"{request.param}.toml", out)
    site = load_site(config)
    last = max(site.counters)
    config.write_text(config.read_text(encoding="utf-8") + (
        f'\n[[displays]]\nid = "display-test-{last}"\nlayout = "counter"\n'
        f'counters = [{last}]\nspeak = false\n'), encoding="utf-8")
    site = load_site(config)
    broker = run_broker(site, out / "broker")
    yield config, site, broker
    broker.stop()


@pytest.fixture
def hub(hall):
    _, site, broker = hall
    h = StandInHub(site, broker)
    yield h
    h.close()


def longest_numbers(site) -> dict[int, tuple[str, str]]:
    """Each counter's widest ticket: its longest prefix with four digits, and the service."""
    out = {}
    for cid, counter in site.counters.items():
        service = max((site.services[s] for s in counter.services),
                      key=lambda s: (len(s.prefix), s.prefix))
        out[cid] = (f"{service.prefix}-{8000 + cid:04d}", service.id)
    return out


def shots_name(site, layout, size, extra=""):
    return f"{site.id}-{layout}-{size}{extra}.png"


@pytest.mark.parametrize("size", SIZES)
def test_the_hall_layout_reads_from_the_seats(tmp_path, xdisplay, hall, hub, size):
    config, site, broker = hall
    counters = sorted(site.counters)
    numbers = longest_numbers(site)
    # Given: every counter but the first two serving its widest number; counter 1 idle,
    # counter 2 paused (nobody at it), counter 3 paused while finishing its ticket; the
    # latest call is of the hall's longest-named service, at the last counter, for an
    # elderly visitor (a priority ticket shares the prefix: the hall must see why it is first).
    longest_service = max(site.services.values(), key=lambda s: len(s.name))
    last = counters[-1]
    latest_number = f"{longest_service.prefix}-8888"
    base = (hub.now() // (PAGE_S * 1000)) * PAGE_S * 1000 + 2000    # 2 s into a page
    hub.freeze(base)
    calls = [call(100 + i, numbers[c][0], c, base - 60_000 + i, numbers[c][1])
             for i, c in enumerate(counters[2:-1])]
    calls.append(call(999, latest_number, last, base - 1000, longest_service.id, "elderly"))
    hub.hall(*calls, paused=(counters[1], counters[2]))
    hub.beating.set()
    expected = {c["counter"]: c["number"] for c in calls}
    expected.update({counters[1]: "Istirahat", counters[2]: "Istirahat"})
    app = DisplayProcess(tmp_path, xdisplay, broker, "display-hall", size, site_file=config)
    try:
        s = app.wait_shown("every counter's number", lambda s: s["latest_number"]
                           == latest_number and len(s["tiles"]) == len(counters)
                           and s["numbers"] and s["banner"] == "", timeout=60)
        w, h = map(int, size.split("x"))
        assert s["size"] == [w, h] and png_size(app.shot) == (w, h)
        # Then the latest call names its service and its loket.
        assert s["latest_service"] == f"Prioritas: lansia · {longest_service.name}"
        assert s["latest_counter"] == f"LOKET {last}"
        # The recent calls are the next newest.
        assert [r["number"] for r in s["recent"]][:3] == [numbers[c][0] for c in
                                                         counters[-2:-5:-1]]
        # Each counter's real state: the idle one shows no number, the paused ones say so.
        tiles = {int(t["counter"]): t for t in s["tiles"]}
        assert tiles[counters[0]]["number"] == "-" and tiles[counters[0]]["note"] == ""
        assert tiles[counters[1]]["number"] == "Istirahat" and tiles[counters[1]]["note"] != ""
        assert tiles[counters[2]]["number"] == "Istirahat"
        assert tiles[counters[2]]["note"] == "Istirahat"
        # Every counter is reachable: shown on one page or across pages the hub's clock turns.
        seen = page_numbers(app, hub, s, base, site, size)
        assert seen == {c: expected.get(c, "-") for c in counters}
    finally:
        app.close()


def page_numbers(app, hub, s, base, site, size) -> dict[int, str]:
    """Step the hub's clock a page at a time through every page (from the one showing);
    check every page; return counter -> number seen."""
    goal = MIN_PX[size]
    seen: dict[int, str] = {}
    first = s["page"]
    for step in range(s["pages"]):
        page = (first + step) % s["pages"]
        hub.freeze(base + step * PAGE_S * 1000)
        s = app.wait_shown(f"page {page + 1}", lambda s: s["page"] == page and all(
            t["number"] in s["texts"].get("tile", []) for t in s["page_tiles"]))
        app.keep(shots_name(site, "hall", size, f"-page{page + 1}"))
        assert s["pages"] == 1 or s["page_text"].endswith(f"halaman {page + 1}/{s['pages']}")
        # Every number whole, no text larger than its box.
        assert s["numbers_cut"] == [], s["numbers_cut"]
        heights = s["heights_px"]
        assert heights["latest_number"] >= goal["latest"], heights
        assert heights["latest_counter"] >= goal["latest"], heights
        assert heights["latest_service"] >= goal["tile"], heights
        assert heights["recent_number"] >= goal["recent"], heights
        assert heights["recent_counter"] >= goal["recent"], heights
        assert heights["tile"] >= goal["tile"], heights
        for t in s["page_tiles"]:
            seen[int(t["counter"])] = t["number"]
        print(size, site.id, f"page {page + 1}/{s['pages']}", s["heights_px"], s["heights_mm"])
    return dict(sorted(seen.items()))


@pytest.mark.parametrize("size", SIZES)
def test_the_counter_layout_reads_from_the_seats(tmp_path, xdisplay, hall, hub, size):
    config, site, broker = hall
    last = max(site.counters)
    number, service = longest_numbers(site)[last]
    hub.freeze(hub.now())
    # Given the counter serving its widest number.
    hub.hall(call(500, number, last, hub.now(), service))
    hub.beating.set()
    app = DisplayProcess(tmp_path, xdisplay, broker, f"display-test-{last}", size,
                         site_file=config)
    try:
        s = app.wait_shown("the counter's number", lambda s: s["counter_number"] == number
                           and number in s["numbers"] and s["banner"] == "", timeout=60)
        goal = MIN_PX[size]
        assert s["counter_service"] == site.services[service].name
        assert s["counter_status"] == ""
        assert s["numbers_cut"] == []
        assert s["heights_px"]["counter_number"] >= goal["latest"], s["heights_px"]
        assert s["heights_px"]["counter_name"] >= goal["latest"], s["heights_px"]
        assert s["heights_px"]["counter_service"] >= goal["tile"], s["heights_px"]
        app.keep(shots_name(site, "counter", size))
        print(size, site.id, "counter", s["heights_px"], s["heights_mm"])
        # When it pauses while still serving that ticket: the number stays, the state says so.
        hub.counter(last, call(500, number, last, hub.now(), service), paused=True)
        s = app.wait_shown("paused", lambda s: s["counter_status"] == "ISTIRAHAT"
                           and "ISTIRAHAT" in s["numbers"])
        assert s["counter_number"] == number and s["numbers_cut"] == []
        app.keep(shots_name(site, "counter", size, "-paused"))
        # When it is done and stays paused: no number, only its state.
        hub.counter(last, call(500, number, last, hub.now(), service), paused=True, done=True)
        s = app.wait_shown("paused, idle", lambda s: s["counter_number"] == "Istirahat"
                           and s["counter_status"] == "" and s["counter_service"] == "")
        assert number not in s["numbers"]
    finally:
        app.close()
