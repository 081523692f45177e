"""Names on tiles keep their beginning (kiosk/fit_text.py), measured here in characters."""
from kiosk.fit_text import ELLIPSIS, fit_lines


def chars(text: str) -> float:
    return len(text)


def test_a_long_agency_name_keeps_its_beginning_and_ends_in_an_ellipsis():
    lines = fit_lines("Kantor Imigrasi Kelas II Non TPI Madiun", 16, chars)
    assert lines == ["Kantor Imigrasi", "Kelas II Non" + ELLIPSIS]
    assert all(len(line) <= 16 for line in lines)


def test_a_name_that_fits_is_left_alone():
    assert fit_lines("Bea dan Cukai Madiun", 16, chars) == ["Bea dan Cukai", "Madiun"]
    assert fit_lines("Samsat", 16, chars) == ["Samsat"]


def test_one_word_longer_than_the_line_is_cut_not_dropped():
    assert fit_lines("Ketenagakerjaan Cabang", 8, chars) == ["Ketenag" + ELLIPSIS, "Cabang"]


def test_the_words_of_the_beginning_are_always_there():
    name = "Badan Pendapatan Pengelolaan Keuangan dan Aset Daerah Kota Madiun"
    shown = " ".join(fit_lines(name, 20, chars)).rstrip(ELLIPSIS)
    assert name.startswith(shown) and shown.startswith("Badan Pendapatan")
