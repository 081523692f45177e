"""What the hall hears when a ticket is called: the words and the clip sequence.

Pure: no audio, no files. A call is spoken as a chime followed by a fixed phrase, the ticket's
prefix letters by name, the number as words, and the counter as words:

    id: chime, "Nomor antrean", A, dua belas, "silakan menuju loket", tiga
    en: chime, "Ticket number", A, twelve, "please proceed to counter", three

Every spoken unit is one clip from a fixed vocabulary per language (:data:`VOCABULARY`), so a
hall can replace the synthetic voice with recordings of the same names (see docs/voice.md).
Number words are clips of their own; "dua belas" is the two clips ``dua`` and ``belas``.
"""
from __future__ import annotations

import re

from antrean.errors import ProtocolError, UsageError

LANGUAGES = ("id", "en")
CHIME = "chime"
MAX_NUMBER = 9999

# Letter names: Indonesian as the KBBI spells the alphabet, English as read aloud.
LETTERS_ID = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    "a", "be", "ce", "de", "e", "ef", "ge", "ha", "i", "je", "ka", "el", "em", "en", "o",
    "pe", "ki", "er", "es", "te", "u", "fe", "we", "eks", "ye", "zet")))
LETTERS_EN = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    "ay", "bee", "cee", "dee", "ee", "ef", "gee", "aitch", "eye", "jay", "kay", "el", "em",
    "en", "oh", "pee", "cue", "ar", "ess", "tee", "you", "vee", "double-u", "ex", "wye", "zed")))

_ONES_ID = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
            "sembilan")
_ONES_EN = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
            "seventeen", "eighteen", "nineteen")
_TENS_EN = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
            "ninety")

# The spoken phrases around the number, as clip names in order.
_PHRASES = {
    "id": (("nomor_antrean",), ("silakan_menuju", "loket")),
    "en": (("ticket_number",), ("please_proceed_to", "counter")),
}
# What each phrase clip says (the text given to the speech synthesizer).
PHRASE_TEXT = {
    "id": {"nomor_antrean": "nomor antrean", "silakan_menuju": "silakan menuju",
           "loket": "loket"},
    "en": {"ticket_number": "ticket number", "please_proceed_to": "please proceed to",
           "counter": "counter"},
}

_TICKET = re.compile(r"^([A-Za-z]{0,3})-?([0-9]{1,4})$")


def _check_number(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_NUMBER:
        raise UsageError(f"can only speak whole numbers 0..{MAX_NUMBER}, not {n!r}")


def _below_100_id(n: int) -> list[str]:
    if n < 10:
        return [_ONES_ID[n]]
    if n == 10:
        return ["sepuluh"]
    if n == 11:
        return ["sebelas"]
    if n < 20:
        return [_ONES_ID[n - 10], "belas"]
    tens, ones = divmod(n, 10)
    return [_ONES_ID[tens], "puluh"] + ([_ONES_ID[ones]] if ones else [])


def words_id(n: int) -> list[str]:
    """Indonesian words for 0..9999, one list item per clip:
    12 -> ["dua", "belas"], 100 -> ["seratus"], 1100 -> ["seribu", "seratus"]."""
    _check_number(n)
    if n == 0:
        return ["nol"]
    thousands, rest = divmod(n, 1000)
    hundreds, rest = divmod(rest, 100)
    words: list[str] = []
    if thousands:
        # "se-" replaces "satu" before ribu/ratus/puluh/belas: seribu, seratus.
        words += ["seribu"] if thousands == 1 else [_ONES_ID[thousands], "ribu"]
    if hundreds:
        words += ["seratus"] if hundreds == 1 else [_ONES_ID[hundreds], "ratus"]
    if rest:
        words += _below_100_id(rest)
    return words


def _below_100_en(n: int) -> list[str]:
    if n < 20:
        return [_ONES_EN[n]]
    tens, ones = divmod(n, 10)
    return [_TENS_EN[tens]] + ([_ONES_EN[ones]] if ones else [])


def words_en(n: int) -> list[str]:
    """English words for 0..9999, one list item per clip, British style:
    21 -> ["twenty", "one"], 101 -> ["one", "hundred", "and", "one"]."""
    _check_number(n)
    if n == 0:
        return ["zero"]
    thousands, rest = divmod(n, 1000)
    hundreds, rest = divmod(rest, 100)
    words: list[str] = []
    if thousands:
        words += [_ONES_EN[thousands], "thousand"]
    if hundreds:
        words += [_ONES_EN[hundreds], "hundred"]
    if rest:
        words += (["and"] if words else []) + _below_100_en(rest)
    return words


def words(n: int, language: str) -> list[str]:
    """Number words in ``language`` ("id" or "en")."""
    return words_id(n) if check_language(language) == "id" else words_en(n)


def letter_name(letter: str, language: str) -> str:
    """The name of one Latin letter as spoken: ("b", "id") -> "be", ("b", "en") -> "bee"."""
    names = LETTERS_ID if check_language(language) == "id" else LETTERS_EN
    try:
        return names[letter.lower()]
    except KeyError:
        raise UsageError(f"no spoken name for letter {letter!r}") from None


def split_ticket(number: str) -> tuple[str, int]:
    """"A-012" -> ("A", 12). Leading zeros are display padding and are not spoken."""
    m = _TICKET.match(number) if isinstance(number, str) else None
    if not m:
        raise ProtocolError("bad_payload",
                            f"ticket number {number!r} is not like 'A-012' (letters, digits)")
    return m.group(1).upper(), int(m.group(2))


def call_clips(number: str, counter: int, language: str = "id") -> list[str]:
    """Clip names spoken for a call, in order. ("A-012", 3, "id") ->
    ["chime", "nomor_antrean", "letter_a", "dua", "belas", "silakan_menuju", "loket", "tiga"]"""
    prefix, n = split_ticket(number)
    intro, towards = _PHRASES[check_language(language)]
    return ([CHIME, *intro]
            + [f"letter_{c.lower()}" for c in prefix]
            + number_clips(n, language)
            + [*towards]
            + number_clips(counter, language))


def number_clips(n: int, language: str) -> list[str]:
    """Clip names for a number: each number word is a clip of the same name."""
    return words(n, language)


def call_text(number: str, counter: int, language: str = "id") -> str:
    """The call as one line of text (for logs and captions):
    "Nomor antrean A dua belas, silakan menuju loket tiga"."""
    prefix, n = split_ticket(number)
    lang = check_language(language)
    intro, towards = ([PHRASE_TEXT[lang][c] for c in part] for part in _PHRASES[lang])
    head = " ".join([*intro, *prefix, *words(n, lang)])
    return f"{head[:1].upper()}{head[1:]}, {' '.join([*towards, *words(counter, lang)])}"


def clip_text(clip: str, language: str) -> str:
    """What a clip of the vocabulary says, as text for a speech synthesizer. Letters are
    given as the capital letter, which synthesizers spell by its name."""
    lang = check_language(language)
    if clip.startswith("letter_") and len(clip) == 8:
        return clip[-1].upper()
    if clip in PHRASE_TEXT[lang]:
        return PHRASE_TEXT[lang][clip]
    if clip in VOCABULARY[lang] and clip != CHIME:
        return clip
    raise UsageError(f"{clip!r} is not a spoken clip of language {lang!r}")


def _vocabulary(language: str) -> tuple[str, ...]:
    numbers: list[str] = []
    # These numbers use every number word of both languages ("and" comes with 101).
    for n in (*range(100), 100, 101, 200, 1000, 2000):
        numbers += [w for w in words(n, language) if w not in numbers]
    phrases = [c for part in _PHRASES[language] for c in part]
    return (CHIME, *phrases, *(f"letter_{c}" for c in LETTERS_ID), *numbers)


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise UsageError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return language


# Every clip a language can need, in a stable order; a clip folder must hold all of them.
VOCABULARY: dict[str, tuple[str, ...]] = {lang: _vocabulary(lang) for lang in LANGUAGES}
