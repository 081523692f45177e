"""Every word the kiosk screen shows, in Bahasa Indonesia (default) and English.

Pure data and formatting: no Kivy. Indonesian follows KBBI spelling ("antrean", "silakan",
"loket"). What the printed ticket says lives in :mod:`kiosk.ticket`; these are the words on
the touchscreen.
"""
from __future__ import annotations

from antrean.texts import Texts

LANGUAGES = ("id", "en")

TEXT: dict[str, dict[str, str]] = {
    "id": {
        "other_language": "English",
        "offline": "tanpa jaringan",
        "home_title": "Silakan pilih instansi",
        "home_hint": "Sentuh instansi yang Anda tuju untuk mengambil nomor antrean.",
        "services_title": "Pilih layanan",
        "back": "Kembali",
        "agency_services": "{n} layanan",
        "agency_services_one": "1 layanan",
        "agency_waiting": "{n} menunggu",
        "agency_closed": "Semua layanan tutup",
        "waiting": "{n} orang menunggu",
        "waiting_none": "Tidak ada antrean",
        "wait": "Perkiraan tunggu \u00b1 {n} menit",
        "wait_short": "Perkiraan tunggu kurang dari 1 menit",
        "wait_tile": "\u00b1 {n} menit",
        "wait_tile_short": "< 1 menit",
        "quota_left": "Sisa kuota hari ini: {n}",
        "unknown": "Data antrean belum tersedia",
        "closed_service_closed": "Tutup",
        "closed_service_closed_at": "Tutup \u2014 buka pukul {time}",
        "closed_holiday": "Tutup \u2014 libur nasional",
        "closed_on_break": "Istirahat \u2014 buka lagi pukul {time}",
        "closed_on_break_open": "Istirahat",
        "closed_quota_exhausted": "Kuota hari ini sudah habis",
        "closed_no_numbers": "Tidak dapat mencetak: kios tanpa jaringan dan nomor cadangan habis",
        "page": "Halaman {n} dari {count}",
        "previous": "\u2039  Sebelumnya",
        "next": "Berikutnya  \u203a",
        "take_ticket": "Ambil antrean",
        "take_priority": "Prioritas (lansia, disabilitas, ibu hamil)",
        "priority_title": "Antrean prioritas untuk siapa?",
        "priority_hint": "Antrean prioritas dipanggil bergantian dengan antrean biasa.",
        "priority_badge": "PRIORITAS \u00b7 {kind}",
        "priority_elderly": "Lansia",
        "priority_disabled": "Penyandang disabilitas",
        "priority_pregnant": "Ibu hamil",
        "priority_mark": "Prioritas: {kind}",
        "printing": "Tiket sedang dicetak\u2026",
        "printing_hint": "Mohon tunggu sebentar.",
        "done_title": "Silakan ambil tiket Anda",
        "done_ahead": "{n} orang di depan Anda",
        "done_ahead_one": "1 orang di depan Anda",
        "done_ahead_none": "Tidak ada antrean di depan Anda",
        "done_offline": "Kios sedang tanpa jaringan. Nomor Anda tetap berlaku.",
        "done_button": "Selesai",
        "error_title": "Maaf, tiket tidak dapat dicetak",
        "error_closed_title": "Maaf, layanan ini tidak menerima antrean",
        "error_button": "Kembali ke awal",
        "error_no_paper": "Kertas printer habis. Mohon hubungi petugas.",
        "error_cover_open": "Penutup printer terbuka. Mohon hubungi petugas.",
        "error_offline": "Printer tidak terhubung. Mohon hubungi petugas.",
        "error_lease_exhausted": "Kios tidak terhubung ke server antrean dan nomor cadangan "
                                 "untuk layanan ini sudah habis. Silakan gunakan kios lain "
                                 "atau hubungi petugas.",
        "error_quota_exhausted": "Kuota layanan ini untuk hari ini sudah habis. Silakan "
                                 "datang kembali pada hari kerja berikutnya.",
        "error_priority_not_allowed": "Layanan ini tidak menyediakan antrean prioritas.",
        "error_internal": "Terjadi gangguan. Silakan coba lagi atau hubungi petugas.",
        "notice_no_paper": "Kertas tiket habis \u2014 mohon hubungi petugas",
        "notice_cover_open": "Penutup printer terbuka \u2014 mohon hubungi petugas",
        "notice_offline": "Printer tidak terhubung \u2014 mohon hubungi petugas",
    },
    "en": {
        "other_language": "Bahasa Indonesia",
        "offline": "offline",
        "home_title": "Please choose an agency",
        "home_hint": "Touch the agency you need to take a queue number.",
        "services_title": "Choose a service",
        "back": "Back",
        "agency_services": "{n} services",
        "agency_services_one": "1 service",
        "agency_waiting": "{n} waiting",
        "agency_closed": "All services closed",
        "waiting": "{n} waiting",
        "waiting_none": "Nobody waiting",
        "wait": "Estimated wait about {n} min",
        "wait_short": "Estimated wait under 1 min",
        "wait_tile": "about {n} min",
        "wait_tile_short": "under 1 min",
        "quota_left": "Quota left today: {n}",
        "unknown": "Queue information not available yet",
        "closed_service_closed": "Closed",
        "closed_service_closed_at": "Closed \u2014 opens at {time}",
        "closed_holiday": "Closed \u2014 public holiday",
        "closed_on_break": "On break \u2014 reopens at {time}",
        "closed_on_break_open": "On break",
        "closed_quota_exhausted": "Today's quota is used up",
        "closed_no_numbers": "Cannot print: kiosk offline and its reserved numbers are used up",
        "page": "Page {n} of {count}",
        "previous": "\u2039  Previous",
        "next": "Next  \u203a",
        "take_ticket": "Take a number",
        "take_priority": "Priority (elderly, disabled, pregnant)",
        "priority_title": "Who is the priority ticket for?",
        "priority_hint": "Priority tickets are called in turn with regular ones.",
        "priority_badge": "PRIORITY \u00b7 {kind}",
        "priority_elderly": "Elderly",
        "priority_disabled": "Person with disability",
        "priority_pregnant": "Pregnant",
        "priority_mark": "Priority: {kind}",
        "printing": "Printing your ticket\u2026",
        "printing_hint": "Please wait a moment.",
        "done_title": "Please take your ticket",
        "done_ahead": "{n} people ahead of you",
        "done_ahead_one": "1 person ahead of you",
        "done_ahead_none": "Nobody is ahead of you",
        "done_offline": "The kiosk is offline. Your number is valid.",
        "done_button": "Done",
        "error_title": "Sorry, the ticket cannot be printed",
        "error_closed_title": "Sorry, this service takes no tickets now",
        "error_button": "Back to start",
        "error_no_paper": "The printer is out of paper. Please ask a staff member.",
        "error_cover_open": "The printer cover is open. Please ask a staff member.",
        "error_offline": "The printer is not connected. Please ask a staff member.",
        "error_lease_exhausted": "The kiosk cannot reach the queue server and its reserved "
                                 "numbers for this service are used up. Please use another "
                                 "kiosk or ask a staff member.",
        "error_quota_exhausted": "Today's quota for this service is used up. Please come "
                                 "back on the next working day.",
        "error_priority_not_allowed": "This service has no priority queue.",
        "error_internal": "Something went wrong. Please try again or ask a staff member.",
        "notice_no_paper": "Out of ticket paper \u2014 please ask a staff member",
        "notice_cover_open": "Printer cover open \u2014 please ask a staff member",
        "notice_offline": "Printer not connected \u2014 please ask a staff member",
    },
}

PRIORITY_KINDS = ("elderly", "disabled", "pregnant")
# Printer states that stop the kiosk (kiosk/printer_status.py REFUSE) and hub refusals that
# mean "this service takes no tickets now" rather than "something broke".
PRINTER_PROBLEMS = ("no_paper", "cover_open", "offline")
CLOSED_CODES = ("service_closed", "holiday", "on_break", "quota_exhausted")


class Strings(Texts):
    """The texts of one language: ``Strings("id").get("waiting", n=3)``."""

    def __init__(self, language: str = "id"):
        super().__init__(TEXT, language)

    def waiting(self, n: int | None) -> str:
        if n is None:
            return ""
        return self.get("waiting", n=n) if n else self.get("waiting_none")

    def wait(self, minutes: int | None) -> str:
        if minutes is None:
            return ""
        return self.get("wait", n=minutes) if minutes >= 1 else self.get("wait_short")

    def wait_short(self, minutes: int | None) -> str:
        """The estimate as a tile has room for it: "± 18 menit"."""
        if minutes is None:
            return ""
        return self.get("wait_tile", n=minutes) if minutes >= 1 else self.get("wait_tile_short")

    def ahead(self, n: int | None) -> str:
        if n is None:
            return ""
        return self.get("done_ahead", n=n) if n else self.get("done_ahead_none")

    def closed(self, reason: str, opens_at: str | None = None) -> str:
        """Why a service takes no tickets (a ``state.service`` reason, or ``no_numbers``).
        ``opens_at`` comes as "HH:MM"; Bahasa Indonesia writes times "08.00"."""
        if opens_at and self.language == "id":
            opens_at = opens_at.replace(":", ".")
        if reason == "service_closed":
            return self.get("closed_service_closed_at", time=opens_at) if opens_at \
                else self.get("closed_service_closed")
        if reason == "on_break":
            return self.get("closed_on_break", time=opens_at) if opens_at \
                else self.get("closed_on_break_open")
        key = f"closed_{reason}"
        return self.get(key) if key in self.table else self.get("closed_service_closed")

    def priority(self, kind: str | None) -> str:
        return self.get("priority_mark", kind=self.get(f"priority_{kind}")) if kind else ""

    def priority_badge(self, kind: str | None) -> str:
        """The mark under a priority ticket's number on the result screen, or ''."""
        return self.get("priority_badge", kind=self.get(f"priority_{kind}")) if kind else ""

    def page(self, number: int, count: int) -> str:
        return self.get("page", n=number, count=count)

    def error(self, code: str, hub_message: dict | None = None) -> str:
        """What went wrong, for a visitor: the hub's own sentence when it gave one."""
        hub_message = hub_message or {}
        said = hub_message.get(self.language) or hub_message.get("id")
        if said and code not in PRINTER_PROBLEMS:
            return said
        key = f"error_{code}"
        return self.get(key) if key in self.table else self.get("error_internal")

    def notice(self, printer_state: str) -> str:
        """The home screen's banner for a printer that cannot print, or ''."""
        return self.get(f"notice_{printer_state}") if printer_state in PRINTER_PROBLEMS else ""
