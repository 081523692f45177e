"""What the kiosk lists: agencies and services from the site config, live figures and closed
reasons from the hub's state.service messages, filtered by the kiosk's services."""
from __future__ import annotations

import dataclasses

import pytest

from pathlib import Path

from antrean import messages, protocol
from antrean.config import load_site
from antrean.errors import ProtocolError
from kiosk.catalog import Catalog, GroupEntry
from kiosk.strings import Strings
from tests.fixtures.sites import small_site

MADIUN = Path(__file__).resolve().parents[2] / "examples" / "mpp-madiun.toml"


def payload(service: str, rev: int, epoch: int = 1, db: int | None = 7, *, waiting=0,
            wait_min=0, quota_left=None, open=True, reason=None, opens_at=None,
            **fields) -> bytes:
    """One service's retained state, as the hub publishes it on state/service/<service>."""
    msg = {"epoch": epoch, "rev": rev, "at": 0, "service": service, "day": "2026-11-23",
           "open": open, "reason": reason, "opens_at": opens_at, "opens_on": None,
           "waiting": waiting, "priority_waiting": 0, "wait_min": wait_min,
           "quota_left": quota_left, "last_called": None, "next_number": "A-001", **fields}
    return protocol.encode("state.service", **(msg if db is None else {**msg, "db": db}))


def state(*args, **kwargs) -> messages.StateService:
    """That state as the kiosk receives it: decoded at the edge, as the app does."""
    return protocol.decode(payload(*args, **kwargs), (messages.StateService,))


def kiosk_1() -> Catalog:
    site = small_site()
    return Catalog(site, site.kiosks["kiosk-1"])


def test_before_any_state_every_service_is_offered_without_figures():
    site = small_site()
    catalog = Catalog(site, site.kiosks["kiosk-1"])
    entries = catalog.services("dukcapil")
    assert [e.id for e in entries] == ["KTP", "KK", "AKTA"]
    assert all(e.open and not e.known and e.waiting is None for e in entries)
    assert catalog.agencies()[0].waiting is None


def test_a_kiosk_limited_to_two_services_lists_only_them_and_their_agency():
    site = small_site()
    catalog = Catalog(site, site.kiosks["kiosk-2"])      # services = ("KTP", "KK")
    assert [a.id for a in catalog.agencies()] == ["dukcapil"]
    assert [e.id for e in catalog.services("dukcapil")] == ["KTP", "KK"]
    assert catalog.services("pdam") == []


def test_figures_come_from_each_services_state_and_are_summed_per_agency():
    catalog = kiosk_1()
    for i, (sid, waiting, wait_min, quota) in enumerate(
            [("KTP", 4, 18, 96), ("KK", 2, 9, None), ("AKTA", 0, 0, None),
             ("PAM-BAYAR", 1, 5, None)]):
        assert catalog.update(state(sid, i + 1, waiting=waiting, wait_min=wait_min,
                                    quota_left=quota))
    ktp = catalog.service("KTP", "en")
    assert (ktp.name, ktp.waiting, ktp.wait_min, ktp.quota_left) == \
        ("Electronic ID card", 4, 18, 96)
    dukcapil = catalog.agencies("en")[0]
    assert (dukcapil.name, dukcapil.waiting, dukcapil.services, dukcapil.open_services) == \
        ("Civil Registry", 6, 3, 3)
    assert dukcapil.initials == "DKP"
    assert catalog.queues["KTP"].waiting == 4    # what the issuer reads offline


def test_known_once_one_offered_service_has_its_state():
    catalog = kiosk_1()
    assert not catalog.known
    catalog.update(state("KK", 3, waiting=2))
    assert catalog.known and catalog.day == "2026-11-23"
    assert catalog.service("KK").known and not catalog.service("KTP").known


def test_closed_services_say_why():
    catalog = kiosk_1()
    catalog.update(state("KTP", 1, open=False, reason="on_break", opens_at="13:00"))
    catalog.update(state("KK", 2, open=False, reason="quota_exhausted", quota_left=0))
    catalog.update(state("AKTA", 3, open=False, reason="holiday"))
    t = Strings("id")
    by_id = {e.id: e for e in catalog.services("dukcapil")}
    assert not any(e.open for e in by_id.values())
    assert t.closed(by_id["KTP"].reason, by_id["KTP"].opens_at) == \
        "Istirahat \u2014 buka lagi pukul 13.00"     # Indonesian writes 13.00
    assert t.closed(by_id["KK"].reason) == "Kuota hari ini sudah habis"
    assert t.closed(by_id["AKTA"].reason) == "Tutup \u2014 libur nasional"
    assert catalog.agencies()[0].open_services == 0


def test_a_service_marked_closed_without_a_reason_is_still_closed():
    catalog = kiosk_1()
    catalog.update(state("KTP", 1, open=False))
    assert catalog.service("KTP").reason == "service_closed"


def test_older_states_of_a_service_are_ignored_and_a_new_epoch_wins():
    catalog = kiosk_1()
    assert catalog.update(state("KTP", 5, waiting=5))
    assert not catalog.update(state("KTP", 4, waiting=4))
    assert not catalog.update(state("KTP", 5, waiting=9))       # a retained repeat
    assert catalog.service("KTP").waiting == 5
    assert catalog.update(state("KTP", 1, epoch=2, waiting=1))  # the hub restarted
    assert catalog.service("KTP").waiting == 1


def test_the_order_is_kept_per_service():
    # given KTP at rev 8 and KK at rev 3 (rev counts across the hub's topics)
    catalog = kiosk_1()
    assert catalog.update(state("KTP", 8, waiting=8))
    assert catalog.update(state("KK", 3, waiting=3))            # older than KTP's: still KK's
    # when an older KTP and a newer KK arrive
    assert not catalog.update(state("KTP", 7, waiting=7))
    assert catalog.update(state("KK", 4, waiting=4))
    # then KTP keeps its figures and KK moves on
    assert (catalog.service("KTP").waiting, catalog.service("KK").waiting) == (8, 4)


def test_another_hub_database_starts_the_order_afresh():
    # given states of the hub's old database, up to epoch 9
    catalog = kiosk_1()
    assert catalog.update(state("KTP", 50, epoch=9, db=7, waiting=5))
    assert catalog.update(state("KK", 51, epoch=9, db=7, waiting=2))
    # when a swapped database's hub sends KTP at a lower (epoch, rev)
    assert catalog.update(state("KTP", 1, epoch=3, db=8, waiting=1))
    # then it is taken, KK's old figures stand until its own state comes, and the order is
    # the new database's from now on
    assert (catalog.service("KTP").waiting, catalog.service("KK").waiting) == (1, 2)
    assert catalog.update(state("KK", 2, epoch=3, db=8, waiting=0))
    assert not catalog.update(state("KTP", 1, epoch=3, db=8, waiting=6))
    assert catalog.db == 8 and catalog.version == (3, 2)


def test_a_state_without_db_keeps_the_order():
    catalog = kiosk_1()
    assert catalog.update(state("KTP", 5, db=7, waiting=5))
    assert not catalog.update(state("KTP", 4, db=None, waiting=4))   # a receiver may skip db
    assert catalog.db == 7 and catalog.service("KTP").waiting == 5


def test_services_not_offered_or_unknown_are_ignored():
    site = small_site()
    catalog = Catalog(site, site.kiosks["kiosk-2"])      # services = ("KTP", "KK")
    assert not catalog.update(state("AKTA", 1, db=99, waiting=3))  # the site's, not this kiosk's
    assert not catalog.update(state("PASPOR", 2, waiting=3))       # a removed service lingers
    assert not catalog.known and catalog.queues == {}
    assert catalog.db is None                  # an ignored state says nothing about the hub


@pytest.mark.parametrize(("field", "value", "where"), [
    ("waiting", "many", "$.waiting"), ("wait_min", -3, "$.wait_min"),
    ("quota_left", True, "$.quota_left"), ("reason", "lunch", "$.reason")])
def test_a_malformed_state_is_refused_at_the_edge_and_never_shown(field, value, where):
    # given a kiosk showing KTP's figures
    catalog = kiosk_1()
    catalog.update(state("KTP", 1, waiting=4))
    # when a state with a malformed field arrives, then decoding refuses it, saying where
    with pytest.raises(ProtocolError, match=where.replace("$", r"\$")):
        state("KTP", 2, **{field: value})
    # and the figures shown stay the last good ones
    assert catalog.service("KTP").waiting == 4 and catalog.version == (1, 1)


def test_offline_a_service_whose_leased_numbers_are_used_up_cannot_print():
    site = small_site()
    catalog = Catalog(site, site.kiosks["kiosk-1"])
    catalog.update(state("KTP", 1))
    catalog.update(state("KK", 2))
    left = {"KTP": 0, "KK": 3, "AKTA": 0}
    entries = {e.id: e for e in catalog.services("dukcapil", "id", left.get)}
    assert (entries["KTP"].open, entries["KTP"].reason) == (False, "no_numbers")
    assert entries["KK"].open
    assert Strings("en").closed("no_numbers").startswith("Cannot print")


def test_agency_logo_is_used_when_the_file_exists(tmp_path):
    (tmp_path / "dukcapil.png").write_bytes(b"\x89PNG")
    site = small_site()
    agencies = dict(site.agencies)
    agencies["dukcapil"] = dataclasses.replace(agencies["dukcapil"], logo="dukcapil.png")
    agencies["pdam"] = dataclasses.replace(agencies["pdam"], logo="missing.png")
    site = dataclasses.replace(site, agencies=agencies, source=str(tmp_path / "site.toml"))
    by_id = {a.id: a for a in Catalog(site, site.kiosks["kiosk-1"]).agencies()}
    assert by_id["dukcapil"].logo == str(tmp_path / "dukcapil.png")
    assert by_id["pdam"].logo == ""          # initials instead


def test_a_raw_state_is_taken_only_from_its_own_services_topic():
    catalog = kiosk_1()
    topics = protocol.Topics(catalog.site.id)
    raw = payload("KK", 3, waiting=2)
    assert not catalog.receive(topics.service("KTP"), raw)        # filed under another's
    assert not catalog.receive(topics.service("KK"), b"[" * 30_000 + b"]" * 30_000)
    assert not catalog.known
    assert catalog.receive(topics.service("KK"), raw)
    assert catalog.queues["KK"].waiting == 2


def test_tiles_carry_the_short_names_and_entries_the_full_ones():
    site = load_site(MADIUN)
    catalog = Catalog(site, site.kiosks["kiosk-1"])
    ptsp = next(a for a in catalog.agencies("id") if a.id == "dpmptsp")
    assert ptsp.tile == "DPMPTSP (Perizinan)"
    assert ptsp.name == "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kota Madiun"
    pbg = catalog.service("PBG-SLF", "en")
    assert (pbg.tile, pbg.name) == ("Building Approval (PBG, SLF)",
                                    site.services["PBG-SLF"].name_en)
    kk = catalog.service("KK", "id")
    assert kk.tile == kk.name                      # no short name: the name is the tile


def test_a_big_office_shows_its_groups_then_each_groups_services():
    site = load_site(MADIUN.with_name("mpp-kota-besar.toml"))
    catalog = Catalog(site, site.kiosks["kiosk-1"])
    tiles = catalog.tiles("dpmptsp")
    groups = [t for t in tiles if isinstance(t, GroupEntry)]
    assert [g.group for g in groups][:2] == ["Surat Izin Praktik", "Izin Operasional"]
    assert len(tiles) <= 12                     # 169 services: three 7" pages, not 43
    # every service is in exactly one group or a tile of its own
    inside = [e.id for g in groups for e in catalog.services("dpmptsp", group=g.group)]
    alone = [t.id for t in tiles if not isinstance(t, GroupEntry)]
    assert sorted(inside + alone) == sorted(e.id for e in catalog.services("dpmptsp"))
    assert sum(g.services for g in groups) == len(inside)
    sip = next(g for g in groups if g.group == "Surat Izin Praktik")
    assert catalog.tiles("dpmptsp", "en")[0].name == "Practice licences" and sip.services == 15
    # an agency without groups lists its services as before
    assert all(not isinstance(t, GroupEntry) for t in catalog.tiles("dukcapil"))
