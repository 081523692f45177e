"""Every word the hall display shows, in Bahasa Indonesia (default) and English.

Pure data and formatting: no Kivy. Indonesian follows KBBI spelling ("antrean", "silakan",
"loket"). The spoken words live in :mod:`display.announcer`; these are the written ones.
"""
from __future__ import annotations

import datetime as dt

from antrean.texts import Texts

LANGUAGES = ("id", "en")

TEXT: dict[str, dict[str, str]] = {
    "id": {
        "title": "Antrean",
        "counter": "Loket {counter}",
        "call_line": "Nomor {number} silakan ke Loket {counter}",
        "arrow": "{number}  \u2192  LOKET {counter}",
        "now_serving": "Sedang dilayani",
        "recent": "Panggilan terakhir",
        "recent_counter": "Loket",
        "idle": "-",
        "paused": "Istirahat",
        "waiting_none": "Belum ada panggilan",
        "page": "Loket {first}\u2013{last} \u00b7 halaman {page}/{pages}",
        "stale": "Data tidak terbaru \u2014 menghubungkan kembali...",
        "connecting": "Menghubungkan ke server antrean...",
        "priority": "PRIORITAS",
        "priority_elderly": "Prioritas: lansia",
        "priority_disabled": "Prioritas: penyandang disabilitas",
        "priority_pregnant": "Prioritas: ibu hamil",
    },
    "en": {
        "title": "Queue",
        "counter": "Counter {counter}",
        "call_line": "Number {number}, please go to Counter {counter}",
        "arrow": "{number}  \u2192  COUNTER {counter}",
        "now_serving": "Now serving",
        "recent": "Recent calls",
        "recent_counter": "Counter",
        "idle": "-",
        "paused": "On break",
        "waiting_none": "No calls yet",
        "page": "Counters {first}\u2013{last} \u00b7 page {page}/{pages}",
        "stale": "Data not up to date \u2014 reconnecting...",
        "connecting": "Connecting to the queue server...",
        "priority": "PRIORITY",
        "priority_elderly": "Priority: elderly",
        "priority_disabled": "Priority: person with disability",
        "priority_pregnant": "Priority: pregnant",
    },
}

DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


class Strings(Texts):
    """The texts of one language: ``Strings("id").get("counter", counter=3)``."""

    def __init__(self, language: str = "id"):
        super().__init__(TEXT, language)

    def priority(self, kind: str | None) -> str:
        """The mark beside a priority call's number ("PRIORITAS"), or '' for a regular one:
        priority tickets share their service's prefix, and the mark tells the hall why
        A-015 is called before A-001."""
        return self.get("priority") if kind else ""

    def with_priority(self, kind: str | None, service: str) -> str:
        """The latest call's service line: "Prioritas: lansia · KTP Elektronik" for a
        priority ticket, the service alone for a regular one."""
        return f"{self.priority_kind(kind)} · {service}" if kind else service

    def priority_kind(self, kind: str | None) -> str:
        """The longer mark, where there is room: "Prioritas: lansia"."""
        key = f"priority_{kind}"
        return (self.get(key) if key in self.table else self.get("priority")) if kind else ""

    def time(self, moment: dt.datetime) -> str:
        """24-hour clock in each language's standard: "09.05" (PUEBI), "09:05" in English,
        as the kiosk and its tickets write it."""
        mark = "." if self.language == "id" else ":"
        return f"{moment.hour:02d}{mark}{moment.minute:02d}"

    def date(self, moment: dt.datetime) -> str:
        """"Senin, 23 November 2026" / "Monday, 23 November 2026"."""
        day = DAYS[self.language][moment.weekday()]
        month = MONTHS[self.language][moment.month - 1]
        return f"{day}, {moment.day} {month} {moment.year}"
