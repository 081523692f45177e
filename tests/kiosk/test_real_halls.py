"""The kiosk on the real halls (issue 11): Madiun (15 agencies, 51 services) and the big city
(38 agencies, 312 services, 150 of them at the permit office) on a 7" 800x480 screen, a
1080x1920 portrait kiosk and a 1920x1080 TV, driven like a visitor through the real app, hub,
broker and virtual printer. Each run pages through every agency and through every service of
the agency with the most, then takes a priority ticket. Screenshots: /tmp/antrean-shots/.

What a visitor checks: every page is whole (no half tile, tiles inside the tile area, the
grid filled on every page but the last), each name keeps its first word, the page count is
shown whenever there is more than one page, and Next reaches every agency and service.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from antrean.config import load_site
from kiosk.catalog import Catalog, GroupEntry
from tests.fixtures.sites import with_tool_logins
from tests.kiosk.kiosk_hall import SHOTS, Hall, decoded, xvfb  # noqa: F401 (fixture)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HALLS = {"madiun": "mpp-madiun.toml", "kota-besar": "mpp-kota-besar.toml"}
SIZES = ("800x480", "1080x1920", "1920x1080")
GAP = 1.0        # px of rounding allowed at the edges


@pytest.fixture
def real_hall(tmp_path):
    made = []

    def make(name: str) -> Hall:
        h = Hall(tmp_path, with_tool_logins(EXAMPLES / HALLS[name], tmp_path))
        made.append(h)
        return h
    yield make
    for h in made:
        h.close()


def biggest_agency(site) -> str:
    counts = {a: 0 for a in site.agencies}
    for s in site.services.values():
        counts[s.agency] += 1
    return max(counts, key=counts.get)


def check_pages(pages: list[dict], ids: list[str], label: str) -> None:
    """Whole pages, whole first words, the count shown, every tile reached once in order."""
    count = pages[0]["pages"]
    assert [p["page"] for p in pages] == list(range(1, count + 1))
    assert [t["id"] for p in pages for t in p["tiles"]] == ids
    for p in pages:
        assert p["pages"] == count
        assert p["label"] == label.format(n=p["page"], count=count)
        assert p["bar"]["shown"] == (count > 1)
        assert p["bar"]["fits"] or count == 1, p["bar"]      # "Halaman 2 dari 43" readable
        ax, ay, aw, ah = p["area"]
        if p["page"] < count:
            assert len(p["tiles"]) == p["per_page"]
        for t in p["tiles"]:
            x, y, w, h = t["box"]
            # inside the tile area: nothing cut at an edge, nothing under the page bar
            assert ax - GAP <= x and x + w <= ax + aw + GAP, t
            assert ay - GAP <= y and y + h <= ay + ah + GAP, t
            assert t["shown"].split()[0] == t["title"].split()[0], t
            assert t["font_share"] >= 0.7
            assert t["name_fits"], t         # every line of the name inside its box
        if len(p["tiles"]) == p["per_page"]:
            # a full page fills the area: its lowest row ends at the area's bottom edge
            assert min(t["box"][1] for t in p["tiles"]) == pytest.approx(ay, abs=GAP)


def level_ids(catalog, agency: str) -> list[str]:
    return [f"group:{e.group}" if isinstance(e, GroupEntry) else e.id
            for e in catalog.tiles(agency)]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", list(HALLS))
def test_a_visitor_finds_every_agency_and_service_and_takes_a_priority_ticket(
        real_hall, xvfb, name, size):
    h = real_hall(name)
    site = load_site(EXAMPLES / HALLS[name])
    catalog = Catalog(site, site.kiosks["kiosk-1"])
    agency = biggest_agency(site)
    groups = [e for e in catalog.tiles(agency) if isinstance(e, GroupEntry)]
    group = max(groups, key=lambda g: g.services).group if groups else None
    services = [e.id for e in catalog.services(agency, group=group)]
    pick = services[-1]                      # on the last page: reached only by paging
    tag = f"{name}-{size}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    steps, at = [], {}

    def step(label, *more):
        at[label] = len(steps)
        steps.extend(more)

    step("home", {"wait": "online"}, {"wait": "known"},
         {"walk": "agencies", "shots": str(SHOTS / f"{tag}-home")})
    step("services", {"seek": "agencies", "id": agency},
         {"tap": "agency", "id": agency}, {"wait": "screen", "is": "services"},
         {"walk": "services", "shots": str(SHOTS / f"{tag}-services")})
    if group:
        step("group", {"seek": "services", "id": f"group:{group}"},
             {"tap": "group", "id": group},
             {"walk": "services", "shots": str(SHOTS / f"{tag}-group")})
    step("service", {"tap": "service", "id": pick}, {"wait": "screen", "is": "service"},
         {"shot": str(SHOTS / f"{tag}-service.png")})
    step("priority", {"tap": "text", "text": "Prioritas (lansia, disabilitas, ibu hamil)"},
         {"wait": "screen", "is": "priority"}, {"shot": str(SHOTS / f"{tag}-priority.png")})
    step("done", {"tap": "text", "text": "Lansia"}, {"wait": "screen", "is": "done"},
         {"shot": str(SHOTS / f"{tag}-done.png")})
    # then the printer runs out of paper: the next visitor's regular ticket ends on the error
    go = h.tmp / "paper-out"
    step("error", {"wait": "file", "path": str(go)}, {"tap": "text", "text": "Selesai"},
         {"wait": "screen", "is": "home"}, {"seek": "agencies", "id": agency},
         {"tap": "agency", "id": agency}, {"wait": "screen", "is": "services"},
         *([{"seek": "services", "id": f"group:{group}"}, {"tap": "group", "id": group}]
           if group else []),
         {"seek": "services", "id": pick}, {"tap": "service", "id": pick},
         {"wait": "screen", "is": "service"}, {"tap": "text", "text": "Ambil antrean"},
         {"wait": "screen", "is": "error"}, {"shot": str(SHOTS / f"{tag}-error.png")},
         {"quit": True})
    k = h.kiosk(steps, xvfb, size=size)
    r = k.steps_until(at["error"], timeout=120)
    job = h.printer.wait_for_job(10)           # the priority ticket, printed
    h.printer.paper_out()
    go.touch()
    r += k.steps_until(len(steps) - at["error"], timeout=120)
    # home: every agency of the hall, page by page, by its tile name
    home = r[at["home"] + 2]["pages_seen"]
    check_pages(home, list(site.agencies), "Halaman {n} dari {count}")
    titles = {t["id"]: t["title"] for p in home for t in p["tiles"]}
    assert titles == {a.id: a.tile_name("id") for a in site.agencies.values()}
    # the agency's screen: its full name heads it; every tile of it reached by paging
    first = r[at["services"] + 3]
    assert first["agency_name"] == site.agencies[agency].name
    check_pages(first["pages_seen"], level_ids(catalog, agency), "Halaman {n} dari {count}")
    if group:
        # a big office in groups: few pages to find the group, then the group's own pages
        assert first["pages_seen"][0]["pages"] <= 4
        inside = r[at["group"] + 2]
        assert inside["group_name"] == group
        check_pages(inside["pages_seen"], services, "Halaman {n} dari {count}")
    # the service screen names it in full; the ticket is priority, and says so
    svc = site.services[pick]
    assert r[at["service"] + 1]["service_name"] == svc.name
    for report in (r[at["service"] + 1], r[at["priority"] + 1]):
        for n in report["names"]:
            # headings: the name's lines fit their box and read as the name's beginning
            assert n["fits"] and n["shown"].split()[0] == n["full"].split()[0], n
            assert " ".join(n["shown"].split()).rstrip("\u2026").rstrip() in n["full"], n
    done = r[at["done"] + 1]
    assert done["priority"] == "PRIORITAS \u00b7 Lansia"
    error = r[-2]
    assert error["error_text"] == "Kertas printer habis. Mohon hubungi petugas."
    assert h.printer.wait_for_job(1.0) is None            # nothing more was printed
    assert job is not None and job.complete
    paper = decoded(job)
    assert "PRIORITAS - LANSIA" in paper and done["number"] in paper
    # the full names, not the tiles' short ones (the ticket wraps them across lines)
    words = " ".join(paper.split())
    assert svc.name in words and site.agencies[agency].name in words
    [ticket] = h.tickets(f"service = '{pick}'")
    assert (ticket["number"], ticket["priority"]) == (done["number"], "elderly")
    assert k.wait() == 0
