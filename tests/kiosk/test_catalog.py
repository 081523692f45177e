"""What the kiosk lists: agencies and services from the site config, live figures and closed
reasons from the hub's state.queues snapshot, filtered by the kiosk's services."""
from __future__ import annotations

import dataclasses

from kiosk.catalog import Catalog
from kiosk.strings import Strings
from tests.fixtures.sites import small_site


def snapshot(rev: int, epoch: int = 1, **services) -> dict:
    return {"v": 1, "type": "state.queues", "epoch": epoch, "rev": rev, "at": 0,
            "day": "2026-11-23", "services": services}


def queue(waiting=0, wait_min=0, quota_left=None, open=True, reason=None, opens_at=None):
    return {"open": open, "reason": reason, "opens_at": opens_at, "waiting": waiting,
            "priority_waiting": 0, "wait_min": wait_min, "quota_left": quota_left,
            "last_called": None, "next_number": "A-001"}


def test_before_any_snapshot_every_service_is_offered_without_figures():
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


def test_figures_come_from_the_snapshot_and_are_summed_per_agency():
    site = small_site()
    catalog = Catalog(site, site.kiosks["kiosk-1"])
    assert catalog.update(snapshot(1, KTP=queue(4, 18, 96), KK=queue(2, 9), AKTA=queue(0, 0),
                                   **{"PAM-BAYAR": queue(1, 5)}))
    ktp = catalog.service("KTP", "en")
    assert (ktp.name, ktp.waiting, ktp.wait_min, ktp.quota_left) == \
        ("Electronic ID card", 4, 18, 96)
    dukcapil = catalog.agencies("en")[0]
    assert (dukcapil.name, dukcapil.waiting, dukcapil.services, dukcapil.open_services) == \
        ("Civil Registry", 6, 3, 3)
    assert dukcapil.initials == "DKP"


def test_closed_services_say_why():
    site = small_site()
    catalog = Catalog(site, site.kiosks["kiosk-1"])
    catalog.update(snapshot(1, KTP=queue(open=False, reason="on_break", opens_at="13:00"),
                            KK=queue(open=False, reason="quota_exhausted", quota_left=0),
                            AKTA=queue(open=False, reason="holiday")))
    t = Strings("id")
    by_id = {e.id: e for e in catalog.services("dukcapil")}
    assert not any(e.open for e in by_id.values())
    assert t.closed(by_id["KTP"].reason, by_id["KTP"].opens_at) == \
        "Istirahat \u2014 buka lagi pukul 13.00"     # Indonesian writes 13.00
    assert t.closed(by_id["KK"].reason) == "Kuota hari ini sudah habis"
    assert t.closed(by_id["AKTA"].reason) == "Tutup \u2014 libur nasional"
    assert catalog.agencies()[0].open_services == 0


def test_a_service_marked_closed_without_a_reason_is_still_closed():
    site = small_site()
    catalog = Catalog(site, site.kiosks["kiosk-1"])
    catalog.update(snapshot(1, KTP=queue(open=False)))
    assert catalog.service("KTP").reason == "service_closed"


def test_older_snapshots_are_ignored_and_a_new_epoch_wins():
    site = small_site()
    catalog = Catalog(site, site.kiosks["kiosk-1"])
    assert catalog.update(snapshot(5, KTP=queue(waiting=5)))
    assert not catalog.update(snapshot(4, KTP=queue(waiting=4)))
    assert not catalog.update(snapshot(5, KTP=queue(waiting=9)))       # a retained repeat
    assert catalog.service("KTP").waiting == 5
    assert catalog.update(snapshot(1, epoch=2, KTP=queue(waiting=1)))  # the hub restarted
    assert catalog.service("KTP").waiting == 1


def test_malformed_figures_are_not_shown():
    site = small_site()
    catalog = Catalog(site, site.kiosks["kiosk-1"])
    catalog.update(snapshot(1, KTP={"open": True, "waiting": "many", "wait_min": -3,
                                    "quota_left": True}, KK="nonsense"))
    ktp = catalog.service("KTP")
    assert ktp.known and ktp.open and (ktp.waiting, ktp.wait_min, ktp.quota_left) == \
        (None, None, None)
    assert not catalog.service("KK").known


def test_offline_a_service_whose_leased_numbers_are_used_up_cannot_print():
    site = small_site()
    catalog = Catalog(site, site.kiosks["kiosk-1"])
    catalog.update(snapshot(1, KTP=queue(), KK=queue()))
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
