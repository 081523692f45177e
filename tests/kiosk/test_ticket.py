import pytest
from escpos.printer import Dummy

from antrean.errors import ConfigError
from kiosk.escpos_decode import decode, line_overflows
from kiosk.ticket import FULL_CUT, STRINGS, ascii_text, paper_columns, render_ticket

from .conftest import make_view

PAPERS = ("58mm", "80mm")


def texts(receipt):
    return [ln.text.strip() for ln in receipt.lines]


@pytest.mark.parametrize("paper", PAPERS)
def test_visitor_reads_number_service_and_wait(paper, view):
    receipt = decode(render_ticket(view, paper))
    big = [ln for ln in receipt.lines if ln.text.strip() == "A-012"]
    assert len(big) == 1 and big[0].width >= 4 and big[0].height >= 4
    assert big[0].align == "center"
    lines = texts(receipt)
    assert "NOMOR ANTREAN" in lines
    assert "Perekaman KTP-el" in lines
    assert "Antrean di depan Anda: 4 orang" in lines
    assert "Perkiraan tunggu: +/- 18 menit" in lines
    assert any("Senin, 23 November 2026" in t for t in lines)
    assert any("09.41 WIB" in t for t in lines)
    assert "tkt-20261123-KTP-012" in lines
    assert len(receipt.images) == 1                       # the QR, as an image


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("priority, mark", [("elderly", "PRIORITAS - LANSIA"),
                                            ("disabled", "PRIORITAS - DISABILITAS"),
                                            ("pregnant", "PRIORITAS - IBU HAMIL")])
def test_priority_mark_stands_out(paper, priority, mark):
    receipt = decode(render_ticket(make_view(priority=priority), paper))
    marked = [ln for ln in receipt.lines if ln.text.strip() == mark]
    assert len(marked) == 1 and marked[0].invert and marked[0].height == 2
    assert not line_overflows(receipt, paper_columns(paper))


def test_regular_ticket_has_no_priority_mark(view):
    assert not any("PRIORITAS" in t for t in texts(decode(render_ticket(view, "80mm"))))


@pytest.mark.parametrize("paper", PAPERS)
def test_every_line_fits_the_paper(paper):
    long = make_view(site_name="Mal Pelayanan Publik Kabupaten Kepulauan Seribu Utara",
                     agency_name="Badan Pengelolaan Keuangan dan Aset Daerah " * 2,
                     service_name="Pendaftaran dan Pembaruan Nomor Pokok Wajib Pajak Daerah",
                     number="KTP-123", priority="disabled", offline=True,
                     footer="Terima kasih atas kunjungan Anda. " * 4)
    receipt = decode(render_ticket(long, paper))
    assert not line_overflows(receipt, paper_columns(paper))
    assert "KTP-123" in texts(receipt)
    assert all(len(ln.text) <= paper_columns(paper) for ln in receipt.lines)


def test_pos5890_profile_silently_drops_cut():
    # The trap we work around: python-escpos's cut() emits nothing for this profile.
    p = Dummy(profile="POS-5890")
    p.cut()
    assert b"\x1dV" not in p.output


def test_58mm_feeds_to_tear_off_without_cutter(view):
    data = render_ticket(view, "58mm")
    receipt = decode(data)
    assert not receipt.cut
    assert receipt.items[-5:] == ["feed"] * 5


@pytest.mark.parametrize("paper", PAPERS)
def test_cut_emitted_when_cutter_configured(paper, view):
    data = render_ticket(view, paper, cutter=True)
    assert data.endswith(b"\x1bd\x05" + FULL_CUT)
    assert decode(data).cuts == 1


def test_80mm_cuts_by_default_and_not_when_told(view):
    assert decode(render_ticket(view, "80mm")).cut
    assert not decode(render_ticket(view, "80mm", cutter=False)).cut


def test_text_is_ascii_and_cannot_inject_commands():
    evil = make_view(agency_name="Dinas\x1b@\x1dV\x00 Kependudukan \u2014 Catatan Sipil \u00e9",
                     service_name="Pembuatan Akta Kelahiran \u201cbaru\u201d")
    data = render_ticket(evil, "80mm")
    receipt = decode(data)
    assert receipt.cuts == 1                    # only ours
    lines = texts(receipt)
    assert "Dinas @ V  Kependudukan - Catatan Sipil e" in lines
    assert 'Pembuatan Akta Kelahiran "baru"' in lines
    assert all(ord(c) < 128 for ln in receipt.lines for c in ln.text)


def test_ascii_text_transliterates():
    assert ascii_text("Caf\u00e9 \u2013 na\u00efve\u2026 \u00b1 5") == "Cafe - naive... +/- 5"


def test_english_ticket(view):
    lines = texts(decode(render_ticket(make_view(language="en", priority="elderly"), "80mm")))
    assert "QUEUE NUMBER" in lines and "People ahead of you: 4" in lines
    assert "PRIORITY - ELDERLY" in lines
    assert any(t.startswith("Issued: Monday 23 November 2026, 09:41 WIB") for t in lines)


def test_unknown_or_zero_wait_and_offline_note():
    lines = texts(decode(render_ticket(
        make_view(people_ahead=None, estimated_wait_min=None, offline=True), "58mm")))
    assert not any("depan" in t or "tunggu" in t for t in lines)
    assert any("Nomor cadangan" in t for t in lines)
    lines = texts(decode(render_ticket(make_view(people_ahead=0, estimated_wait_min=0), "58mm")))
    assert "Tidak ada antrean di depan Anda" in lines
    assert "Perkiraan tunggu: < 1 menit" in lines


def test_languages_say_the_same_things():
    assert STRINGS["id"].keys() == STRINGS["en"].keys()
    assert STRINGS["id"]["kinds"].keys() == STRINGS["en"]["kinds"].keys()


def test_unknown_paper_is_a_config_error(view):
    with pytest.raises(ConfigError, match="57mm"):
        render_ticket(view, "57mm")
