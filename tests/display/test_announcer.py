"""display/announcer.py: number words, letter names and the clip sequence of a call."""
import pytest

from antrean.errors import ProtocolError, UsageError
from display import announcer
from display.announcer import call_clips, call_text, words_en, words_id

WORDS_ID = {
    0: ["nol"],
    7: ["tujuh"],
    10: ["sepuluh"],
    11: ["sebelas"],
    12: ["dua", "belas"],
    19: ["sembilan", "belas"],
    20: ["dua", "puluh"],
    21: ["dua", "puluh", "satu"],
    99: ["sembilan", "puluh", "sembilan"],
    100: ["seratus"],
    101: ["seratus", "satu"],
    110: ["seratus", "sepuluh"],
    111: ["seratus", "sebelas"],
    999: ["sembilan", "ratus", "sembilan", "puluh", "sembilan"],
    1000: ["seribu"],
    1001: ["seribu", "satu"],
    1100: ["seribu", "seratus"],
    2000: ["dua", "ribu"],
    2026: ["dua", "ribu", "dua", "puluh", "enam"],
    9999: ["sembilan", "ribu", "sembilan", "ratus", "sembilan", "puluh", "sembilan"],
}

WORDS_EN = {
    0: ["zero"],
    7: ["seven"],
    10: ["ten"],
    11: ["eleven"],
    12: ["twelve"],
    19: ["nineteen"],
    20: ["twenty"],
    21: ["twenty", "one"],
    99: ["ninety", "nine"],
    100: ["one", "hundred"],
    101: ["one", "hundred", "and", "one"],
    110: ["one", "hundred", "and", "ten"],
    111: ["one", "hundred", "and", "eleven"],
    999: ["nine", "hundred", "and", "ninety", "nine"],
    1000: ["one", "thousand"],
    1001: ["one", "thousand", "and", "one"],
    2026: ["two", "thousand", "and", "twenty", "six"],
    9999: ["nine", "thousand", "nine", "hundred", "and", "ninety", "nine"],
}


@pytest.mark.parametrize("n, expected", WORDS_ID.items())
def test_indonesian_number_words(n, expected):
    assert words_id(n) == expected


@pytest.mark.parametrize("n, expected", WORDS_EN.items())
def test_english_number_words(n, expected):
    assert words_en(n) == expected


@pytest.mark.parametrize("bad", [-1, 10000, 1.5, "12", True])
def test_unspeakable_numbers_are_refused(bad):
    with pytest.raises(UsageError):
        words_id(bad)


def test_every_number_is_spoken_with_vocabulary_clips_only():
    for lang in announcer.LANGUAGES:
        vocab = set(announcer.VOCABULARY[lang])
        for n in range(10000):
            missing = set(announcer.words(n, lang)) - vocab
            assert not missing, f"{lang} {n}: {missing}"


def test_letter_names():
    assert [announcer.letter_name(c, "id") for c in "abcqvwxyz"] == \
        ["a", "be", "ce", "ki", "fe", "we", "eks", "ye", "zet"]
    assert [announcer.letter_name(c, "en") for c in "AHWZ"] == \
        ["ay", "aitch", "double-u", "zed"]
    with pytest.raises(UsageError):
        announcer.letter_name("1", "id")


def test_call_a012_at_loket_3_in_indonesian():
    assert call_clips("A-012", 3, "id") == [
        "chime", "nomor_antrean", "letter_a", "dua", "belas", "silakan_menuju", "loket", "tiga"]
    assert call_text("A-012", 3, "id") == "Nomor antrean A dua belas, silakan menuju loket tiga"


def test_call_a012_at_counter_3_in_english():
    assert call_clips("A-012", 3, "en") == [
        "chime", "ticket_number", "letter_a", "twelve", "please_proceed_to", "counter", "three"]
    assert call_text("A-012", 3, "en") == \
        "Ticket number A twelve, please proceed to counter three"


@pytest.mark.parametrize("number, spoken", [
    ("B-000", ["nol"]),
    ("B-007", ["tujuh"]),
    ("B-011", ["sebelas"]),
    ("B-012", ["dua", "belas"]),
    ("B-020", ["dua", "puluh"]),
    ("B-021", ["dua", "puluh", "satu"]),
    ("B-100", ["seratus"]),
    ("B-101", ["seratus", "satu"]),
    ("B-999", ["sembilan", "ratus", "sembilan", "puluh", "sembilan"]),
])
def test_call_clips_drop_leading_zeros(number, spoken):
    assert call_clips(number, 10, "id") == [
        "chime", "nomor_antrean", "letter_b", *spoken, "silakan_menuju", "loket", "sepuluh"]


def test_multi_letter_prefix_is_spelled():
    assert call_clips("PB-001", 21, "id")[2:5] == ["letter_p", "letter_b", "satu"]


@pytest.mark.parametrize("bad", ["", "A-", "A-12345", "A 12", "Ä-012", None, 12])
def test_malformed_ticket_numbers_are_refused(bad):
    with pytest.raises(ProtocolError):
        call_clips(bad, 1, "id")


def test_unknown_language_is_refused():
    with pytest.raises(UsageError):
        call_clips("A-001", 1, "jv")


def test_vocabulary_names_are_safe_file_names_and_have_texts():
    for lang, vocab in announcer.VOCABULARY.items():
        assert len(vocab) == len(set(vocab))
        for clip in vocab:
            assert clip.replace("_", "").replace("-", "").isalnum() and clip.islower()
            if clip != announcer.CHIME:
                assert announcer.clip_text(clip, lang)
