"""The display's words: times and dates as each language writes them."""
import datetime as dt

from display.strings import Strings

MORNING = dt.datetime(2026, 11, 23, 9, 5)


def test_the_clock_is_written_as_each_language_writes_it():
    assert Strings("id").time(MORNING) == "09.05"          # PUEBI, as the kiosk and tickets
    assert Strings("en").time(MORNING) == "09:05"


def test_the_date_names_the_day():
    assert Strings("id").date(MORNING) == "Senin, 23 November 2026"
    assert Strings("en").date(MORNING) == "Monday, 23 November 2026"


def test_a_priority_call_is_marked_in_both_languages():
    from display.strings import Strings as DisplayStrings
    assert DisplayStrings("id").priority("elderly") == "PRIORITAS"
    assert DisplayStrings("en").priority("pregnant") == "PRIORITY"
    assert DisplayStrings("id").priority(None) == ""
    assert DisplayStrings("id").priority_kind("disabled") == "Prioritas: penyandang disabilitas"
    assert DisplayStrings("en").priority_kind(None) == ""
