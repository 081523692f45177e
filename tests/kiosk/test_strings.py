"""The kiosk's words: both languages complete, the hub's own sentence preferred for refusals,
our own for printer faults."""
from __future__ import annotations

import pytest

from antrean.errors import ConfigError
from kiosk.strings import TEXT, Strings


def test_both_languages_have_every_key():
    assert TEXT["id"].keys() == TEXT["en"].keys()


def test_indonesian_follows_kbbi_spelling():
    words = " ".join(TEXT["id"].values()).lower()
    for wrong in ("antrian", "silahkan"):
        assert wrong not in words


def test_a_hub_refusal_is_said_in_the_hubs_words_in_the_visitors_language():
    message = {"id": "Layanan tutup: istirahat 12:00-13:00", "en": "Closed: break 12:00-13:00"}
    assert Strings("id").error("on_break", message) == message["id"]
    assert Strings("en").error("on_break", message) == message["en"]
    assert Strings("en").error("on_break", {"id": message["id"]}) == message["id"]


def test_printer_faults_and_unknown_codes_use_our_words():
    assert Strings("en").error("no_paper", {"en": "ignored"}).startswith("The printer is out")
    assert Strings("id").error("something_new") == TEXT["id"]["error_internal"]


def test_counts_and_waits_read_naturally():
    t = Strings("id")
    assert (t.waiting(0), t.waiting(3)) == ("Tidak ada antrean", "3 orang menunggu")
    assert (t.wait(0), t.wait(18)) == ("Perkiraan tunggu kurang dari 1 menit",
                                       "Perkiraan tunggu \u00b1 18 menit")
    assert (t.ahead(None), t.ahead(1)) == ("", "1 orang di depan Anda")
    assert Strings("en").priority("disabled") == "Priority: Person with disability"
    assert t.notice("ok") == "" and t.notice("no_paper").startswith("Kertas tiket habis")


def test_unknown_language_is_a_config_error():
    with pytest.raises(ConfigError, match="language"):
        Strings("jv")


def test_words_a_visitor_reads_right():
    en, id_ = Strings("en"), Strings("id")
    assert (en.get("agency_services", n=1), en.get("agency_services", n=2)) == \
        ("1 service", "2 services")
    assert en.ahead(1) == "1 person ahead of you" and id_.ahead(1) == "1 orang di depan Anda"
    assert id_.closed("on_break", "13:30") == "Istirahat \u2014 buka lagi pukul 13.30"
    assert en.closed("on_break", "13:30") == "On break \u2014 reopens at 13:30"
    assert id_.get("error_cover_open").startswith("Penutup printer")
