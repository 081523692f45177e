"""What a ticket says, rendered as ESC/POS bytes. Pure: no device is touched.

The bytes are built with python-escpos's ``Dummy`` printer and a profile that matches the
paper: cheap 58 mm printers behave like ``POS-5890`` (32 columns, 384 dots), 80 mm ones like
``TM-T20II`` (48 columns, 576 dots). Text is ASCII-only: clone printers disagree on code pages,
and Indonesian needs no accents.
"""
from __future__ import annotations

import datetime as dt
import textwrap
import unicodedata
from dataclasses import dataclass

from antrean.errors import ConfigError

PAPERS = {
    # paper -> (python-escpos profile, columns of font A, printable dots, QR module size)
    "58mm": ("POS-5890", 32, 384, 6),
    "80mm": ("TM-T20II", 48, 576, 8),
}
DEFAULT_CUTTER = {"58mm": False, "80mm": True}
FEED_LINES = 5          # print head to tear bar / cutter is about 15-20 mm: 5 lines of 3.75 mm
FULL_CUT = b"\x1dV\x00"  # GS V 0; sent by hand because POS-5890's profile drops cut()
MAX_NUMBER_SCALE = 6     # GS ! allows 8; 6 keeps "A-012" inside 58 mm paper

# Every visitor-facing string of the ticket, one dict per language.
STRINGS = {
    "id": {
        "number": "NOMOR ANTREAN",
        "ahead": "Antrean di depan Anda: {n} orang",
        "ahead_none": "Tidak ada antrean di depan Anda",
        "wait": "Perkiraan tunggu: +/- {n} menit",
        "wait_short": "Perkiraan tunggu: < 1 menit",
        "issued": "Diambil: {when}",
        "offline": "Nomor cadangan: kios sedang tanpa jaringan. Nomor tetap berlaku, dipanggil sesuai jam ambil.",
        "keep": "Simpan tiket ini sampai dipanggil.",
        "priority": "PRIORITAS - {kind}",
        "kinds": {"elderly": "LANSIA", "disabled": "DISABILITAS", "pregnant": "IBU HAMIL"},
        "days": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
        "months": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
                   "Agustus", "September", "Oktober", "November", "Desember"),
        "when": "{day}, {d} {month} {y} pukul {H:02d}.{M:02d} {tz}",
    },
    "en": {
        "number": "QUEUE NUMBER",
        "ahead": "People ahead of you: {n}",
        "ahead_none": "Nobody is ahead of you",
        "wait": "Estimated wait: about {n} min",
        "wait_short": "Estimated wait: under 1 min",
        "issued": "Issued: {when}",
        "offline": "Backup number: the kiosk had no network. Your number is valid and is called by the time it was taken.",
        "keep": "Keep this ticket until you are called.",
        "priority": "PRIORITY - {kind}",
        "kinds": {"elderly": "ELDERLY", "disabled": "DISABILITY", "pregnant": "PREGNANT"},
        "days": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "months": ("January", "February", "March", "April", "May", "June", "July",
                   "August", "September", "October", "November", "December"),
        "when": "{day} {d} {month} {y}, {H:02d}:{M:02d} {tz}",
    },
}

# Characters NFKD does not reduce to ASCII but that a person would write plainly.
_PLAIN = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'",
                        "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u2022": "*",
                        "\u00b1": "+/-", "\u00d7": "x", "\u00a0": " ", "\u00df": "ss",
                        "\u00e6": "ae", "\u00f8": "o", "\u0131": "i", "\u00b0": " "})


@dataclass(frozen=True)
class TicketView:
    """Everything printed on one ticket, already decided by the hub or the outbox."""

    site_name: str
    agency_name: str
    service_name: str
    number: str                       # "A-012"
    issued_at: dt.datetime            # hub time, timezone-aware
    people_ahead: int | None = None   # None: not known (offline)
    estimated_wait_min: int | None = None
    priority: str | None = None       # "elderly" | "disabled" | "pregnant" | None
    ticket_id: str = ""               # QR payload
    footer: str = ""
    language: str = "id"
    offline: bool = False


def ascii_text(text: str) -> str:
    """Transliterate to printable ASCII: accents dropped, dashes and quotes made plain."""
    text = unicodedata.normalize("NFKD", str(text).translate(_PLAIN))
    out = "".join(c for c in text if not unicodedata.combining(c))
    return "".join(c if " " <= c <= "~" else ("" if ord(c) > 127 else " ") for c in out)


def paper_columns(paper: str) -> int:
    """Columns of normal-size text on this paper."""
    return _paper(paper)[1]


def render_ticket(view: TicketView, paper: str = "80mm", cutter: bool | None = None) -> bytes:
    """The ticket as ESC/POS bytes for ``paper`` ("58mm" or "80mm").

    ``cutter`` None takes the paper's usual fitting: 80 mm printers have one, 58 mm ones tear.
    """
    from escpos.printer import Dummy   # optional dependency: fail only when printing

    profile, cols, _, qr_size = _paper(paper)
    words = STRINGS.get(view.language, STRINGS["id"])
    p = Dummy(profile=profile)
    p._raw(b"\x1b@")                   # ESC @: a clean state whatever came before
    _header(p, view, cols)
    _number(p, view, words, cols)
    _facts(p, view, words, cols)
    if view.ticket_id:
        p.set(align="center")
        p.qr(view.ticket_id, size=qr_size, native=False, center=False)
        _lines(p, view.ticket_id, cols)
    _footer(p, view, words, cols)
    p.print_and_feed(FEED_LINES)
    if DEFAULT_CUTTER[paper] if cutter is None else cutter:
        p._raw(FULL_CUT)
    return p.output


def _paper(paper: str) -> tuple[str, int, int, int]:
    if paper not in PAPERS:
        raise ConfigError(f"unknown paper {paper!r}; use one of {', '.join(PAPERS)}",
                          key="printer.paper")
    return PAPERS[paper]


def _lines(p, text: str, width: int) -> None:
    """Wrapped text, each line at most ``width`` characters of the current size."""
    for line in textwrap.wrap(ascii_text(text), width, break_on_hyphens=False) or [""]:
        p.textln(line)


def _header(p, view: TicketView, cols: int) -> None:
    p.set(align="center", bold=True, normal_textsize=True)
    _lines(p, view.site_name.upper(), cols)
    p.set(bold=False)
    _lines(p, view.agency_name, cols)
    p.textln("-" * cols)


def _number(p, view: TicketView, words: dict, cols: int) -> None:
    p.set(align="center", normal_textsize=True)
    p.textln(words["number"])
    number = ascii_text(view.number)
    scale = max(1, min(MAX_NUMBER_SCALE, cols // max(1, len(number))))
    p.set(align="center", bold=True, custom_size=True, width=scale, height=scale)
    p.textln(number)
    p.set(custom_size=True, width=1, height=1)   # GS ! 0: clones keep GS ! over ESC !
    p.set(bold=True, double_height=True)
    _lines(p, view.service_name, cols)
    if view.priority:
        kind = words["kinds"].get(view.priority, view.priority.upper())
        mark = f" {words['priority'].format(kind=kind)} "
        wide = len(mark) <= cols // 2      # double width only when it stays on one line
        p.set(invert=True, double_height=True, double_width=wide)
        p.textln(mark if wide else mark[:cols])
        p.set(invert=False)
    p.set(normal_textsize=True, bold=False)
    p.textln("-" * cols)


def _facts(p, view: TicketView, words: dict, cols: int) -> None:
    p.set(align="left", normal_textsize=True)
    if view.people_ahead is not None:
        _lines(p, words["ahead"].format(n=view.people_ahead) if view.people_ahead
               else words["ahead_none"], cols)
    if view.estimated_wait_min is not None:
        _lines(p, words["wait"].format(n=view.estimated_wait_min)
               if view.estimated_wait_min >= 1 else words["wait_short"], cols)
    _lines(p, words["issued"].format(when=_when(view.issued_at, words)), cols)


def _footer(p, view: TicketView, words: dict, cols: int) -> None:
    p.set(align="center", normal_textsize=True)
    if view.offline:
        p.set(bold=True)
        _lines(p, words["offline"], cols)
        p.set(bold=False)
    _lines(p, words["keep"], cols)
    if view.footer:
        _lines(p, view.footer, cols)


def _when(t: dt.datetime, words: dict) -> str:
    return words["when"].format(day=words["days"][t.weekday()], d=t.day,
                                month=words["months"][t.month - 1], y=t.year,
                                H=t.hour, M=t.minute, tz=t.tzname() or "").strip()
