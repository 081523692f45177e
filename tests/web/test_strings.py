"""web/strings.py: both languages say everything, and every alert has words in both."""
from __future__ import annotations

import pytest

from web import strings

ALERTS = [("printer", "critical", {"status": "no_paper"}),
          ("printer", "critical", {"status": "offline"}),
          ("offline", "critical", {"state": "lost"}), ("offline", "critical", {"state": "never"}),
          ("audio", "warning", {"errors": ["voice failing"]}),
          ("wait", "warning", {"minutes": 12, "standard": 15}),
          ("wait", "critical", {"minutes": 16, "standard": 15}),
          ("crowd", "warning", {"waiting": 31, "counters": 3}),
          ("crowd", "critical", {"waiting": 4, "counters": 0})]


def test_both_languages_have_the_same_words():
    assert set(strings.STRINGS["id"]) == set(strings.STRINGS["en"])


def test_indonesian_is_the_default_and_unknown_languages_fall_back_to_it():
    assert strings.language(None) == strings.language("fr") == "id"
    assert strings.language("en") == "en"


@pytest.mark.parametrize("lang", strings.LANGUAGES)
@pytest.mark.parametrize("kind, level, detail", ALERTS)
def test_every_alert_has_words_naming_its_subject(lang, kind, level, detail):
    words = strings.alert_words(kind, level, "kiosk-1", detail, lang)
    assert "kiosk-1" in words and "{" not in words


def test_never_seen_is_not_called_offline():
    assert "belum pernah terlihat" in strings.alert_words("offline", "critical", "box-1",
                                                          {"state": "never"}, "id")


@pytest.mark.parametrize("ms, id_words, en_words", [
    (40_000, "40 detik", "40 s"), (5 * 60_000, "5 menit", "5 min"),
    (192 * 60_000, "3 jam 12 menit", "3 h 12 min"), (4 * 86_400_000, "4 hari", "4 days")])
def test_durations_read_as_people_say_them(ms, id_words, en_words):
    assert strings.duration(ms, "id") == id_words and strings.duration(ms, "en") == en_words
