"""Every sentence the hub says to a person, in Bahasa Indonesia (KBBI spelling) and English.

Error replies carry both: ``message`` (Indonesian, shown first) and ``message_en``. Kiosks show
the messages of refusals a visitor meets (closed, break, holiday, quota) as they are, so they
must read well on their own. Times follow each language's custom: "pukul 08.00" / "at 08:00".
"""
from __future__ import annotations

import datetime as dt
import re

DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")

# key -> (error code, Indonesian, English). Placeholders are filled by ``refusal``.
MESSAGES: dict[str, tuple[str, str, str]] = {
    "unknown_type": ("unknown_type", "Jenis perintah {type} tidak dikenal.",
                     "Unknown command type {type}."),
    "unknown_service": ("unknown_service", "Layanan {service} tidak dikenal.",
                        "Unknown service {service}."),
    "unknown_counter": ("unknown_counter", "Loket {counter} tidak dikenal.",
                        "Unknown counter {counter}."),
    "counter_not_yours": ("not_allowed", "Perangkat {device} tidak boleh mengoperasikan loket "
                          "{counter}.", "Device {device} may not operate counter {counter}."),
    "service_not_here": ("not_allowed", "Layanan {name} tidak tersedia di anjungan ini.",
                         "{name_en} is not available at this kiosk."),
    "ticket_not_yours": ("not_allowed", "Tiket {number} bukan dari perangkat {device}.",
                         "Ticket {number} was not issued by device {device}."),
    "closed_later": ("service_closed", "Layanan {name} sedang tutup. Buka kembali {when_id}.",
                     "{name_en} is closed. It opens again {when_en}."),
    "closed_unknown": ("service_closed", "Layanan {name} sedang tutup.", "{name_en} is closed."),
    "on_break": ("on_break", "Layanan {name} sedang istirahat sampai pukul {until_id}.",
                 "{name_en} is on a break until {until_en}."),
    "holiday": ("holiday", "Hari ini libur nasional. Layanan {name} buka kembali {when_id}.",
                "Closed today for a national holiday. {name_en} opens again {when_en}."),
    "holiday_unknown": ("holiday", "Hari ini libur nasional; layanan {name} tutup.",
                        "Closed today for a national holiday; {name_en} is closed."),
    "quota_exhausted": ("quota_exhausted", "Kuota antrean {name} hari ini sudah habis. Silakan "
                        "datang kembali {when_id}.", "Today's quota for {name_en} is used up. "
                        "Please come back {when_en}."),
    "quota_exhausted_unknown": ("quota_exhausted", "Kuota antrean {name} hari ini sudah habis.",
                                "Today's quota for {name_en} is used up."),
    "priority_not_allowed": ("priority_not_allowed", "Layanan {name} tidak melayani antrean "
                             "prioritas. Silakan ambil nomor antrean biasa.", "{name_en} has no "
                             "priority queue. Please take a regular number."),
    "unknown_ticket": ("unknown_ticket", "Tiket {ticket} tidak dikenal.",
                       "Unknown ticket {ticket}."),
    "ticket_not_printing": ("ticket_not_printing", "Tiket {number} tidak sedang menunggu "
                            "konfirmasi cetak (status: {status}).", "Ticket {number} is not "
                            "awaiting its print confirmation (status: {status})."),
    "ticket_expired": ("expired", "Tiket {number} sudah tidak berlaku.",
                       "Ticket {number} is no longer valid."),
    "past_day": ("expired", "Tiket {number} dari tanggal {day} tidak dapat dilayani hari ini.",
                 "Ticket {number} of {day} cannot be served today."),
    "lease_exhausted": ("lease_exhausted", "Nomor {number} di luar blok nomor yang dipinjamkan "
                        "ke perangkat {device}.", "Number {number} is outside the blocks of "
                        "numbers leased to device {device}."),
    "stale": ("stale", "Perintah dari loket {counter} sudah kedaluwarsa ({age} detik); silakan "
              "tekan lagi.", "The command from counter {counter} is too old ({age} s); please "
              "press again."),
    "stale_request": ("stale", "Permintaan tiket sudah kedaluwarsa ({age} detik); silakan "
                      "ambil tiket lagi.", "The ticket request is too old ({age} s); please "
                      "take a ticket again."),
    "counter_paused": ("counter_paused", "Loket {counter} sedang dijeda; lanjutkan dulu.",
                       "Counter {counter} is paused; resume it first."),
    "nothing_to_recall": ("nothing_to_recall", "Loket {counter} sedang tidak melayani siapa "
                          "pun.", "Counter {counter} is serving nobody now."),
    "internal": ("internal", "Hub gagal memproses perintah; tidak ada yang berubah. Silakan "
                 "ulangi dengan id yang sama.", "The hub failed; nothing was changed. Retry "
                 "with the same id."),
}


# Refusals of a payload that is not a valid command (antrean.protocol.decode): the reason in
# Bahasa Indonesia; the English twin carries the detail (which field, what is wrong).
ENVELOPE = {
    "bad_payload": "Pesan tidak sesuai protokol Antrean: {detail}.",
    "bad_version": "Versi protokol pesan tidak didukung; perangkat perlu diperbarui.",
    "unknown_type": "Jenis perintah tidak dikenal oleh hub.",
    "too_large": "Pesan terlalu besar (lebih dari 64 KB).",
    "bad_id": "Kode perintah (id) tidak valid: hanya huruf, angka, garis bawah, titik dan "
              "tanda hubung, paling panjang 64.",
}
DETAILS = {"missing": "ada kolom yang tidak diisi", "not UTF-8": "bukan teks UTF-8",
           "not JSON": "bukan JSON", "nested": "JSON bersarang terlalu dalam",
           "too long": "ada angka yang terlalu panjang", "out of range": "ada angka di luar batas",
           "object": "bukan objek JSON"}


def envelope_refusal(code: str, detail_en: str) -> dict:
    """The reply to a payload refused before it became a command."""
    detail = next((text for key, text in DETAILS.items() if key in detail_en),
                  "ada kolom yang isinya salah")
    field = re.search(r"(?:at `\$\.|field `)([\w.\[\]]+)`", detail_en)   # msgspec's words
    if field:
        detail += f" ({field.group(1)})"
    return {"ok": False, "error": {"code": code,
                                   "message": ENVELOPE[code].format(detail=detail),
                                   "message_en": detail_en[:1].upper() + detail_en[1:] + "."}}


QUOTED = 80     # characters of a value a sender chose (a ticket id) quoted in a message


def refusal(key: str, **fields) -> dict:
    """An error reply: ``{"ok": False, "error": {"code", "message", "message_en"}}``. A value
    longer than ``QUOTED`` is shortened: a sender's 40 KB ticket id quoted twice would make
    a reply over the payload limit."""
    code, text_id, text_en = MESSAGES[key]
    fields = {k: _short(v) for k, v in fields.items()}
    return {"ok": False, "error": {"code": code, "message": text_id.format(**fields),
                                   "message_en": text_en.format(**fields)}}


def _short(value):
    if isinstance(value, str) and len(value) > QUOTED:
        return value[:QUOTED - 3] + "..."
    return value


def clock_id(t: dt.time | dt.datetime) -> str:
    return f"{t.hour:02d}.{t.minute:02d}"


def clock_en(t: dt.time | dt.datetime) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def when(moment: dt.datetime, today: dt.date) -> tuple[str, str]:
    """When something happens again, said relative to ``today``: ("pukul 08.00", "at 08:00"),
    ("besok pukul 08.00", "tomorrow at 08:00") or ("Senin, 24 November pukul 08.00", ...)."""
    day = moment.date()
    if day == today:
        return f"pukul {clock_id(moment)}", f"at {clock_en(moment)}"
    if day == today + dt.timedelta(days=1):
        return f"besok pukul {clock_id(moment)}", f"tomorrow at {clock_en(moment)}"
    wd = day.weekday()
    return (f"{DAYS_ID[wd]}, {day.day} {MONTHS_ID[day.month - 1]} pukul {clock_id(moment)}",
            f"on {DAYS_EN[wd]} {day.day} {MONTHS_EN[day.month - 1]} at {clock_en(moment)}")
