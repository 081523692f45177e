"""Every word the hall's web page shows, Bahasa Indonesia first (KBBI spelling), then English.

``text(lang)`` gives one language's table; the templates and web/app.py take every word from
here. Alerts are formatted by :func:`alert_words` from an alert's kind and detail.
"""
from __future__ import annotations

LANGUAGES = ("id", "en")
DEFAULT = "id"

STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "lang_name": "Bahasa Indonesia",
        "other_lang": "English",
        "title_public": "Antrean layanan",
        "title_staff": "Pemantauan aula",
        "service": "Layanan",
        "waiting": "Menunggu",
        "last_called": "Terakhir dipanggil",
        "estimate": "Perkiraan tunggu",
        "minutes": "{n} menit",
        "none": "-",
        "closed": "Tutup",
        "opens_at": "buka {time}",
        "quota_gone": "Kuota habis",
        "not_known": "belum ada data",
        "link_up": "Langsung dari hub",
        "link_down": "Terputus dari hub: menyambung kembali...",
        "page_down": "Halaman terputus: menyambung kembali...",
        "updated": "Diperbarui {time}",
        "staff_link": "Petugas",
        "public_link": "Antrean umum",
        "login_title": "Masuk petugas",
        "username": "Nama pengguna",
        "password": "Kata sandi",
        "login": "Masuk",
        "logout": "Keluar",
        "wrong_password": "Nama pengguna atau kata sandi salah.",
        "too_many": "Terlalu banyak percobaan salah. Coba lagi dalam {n} detik.",
        "bad_form": "Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.",
        "alerts": "Peringatan",
        "no_alerts": "Tidak ada peringatan.",
        "since": "sejak {time}",
        "devices": "Perangkat",
        "device": "Perangkat",
        "role": "Peran",
        "state": "Status",
        "last_seen": "Terakhir terlihat",
        "version": "Versi",
        "uptime": "Menyala",
        "printer": "Printer",
        "audio": "Suara",
        "outbox": "Tiket luring",
        "counters": "Loket",
        "counter": "Loket",
        "serving": "Melayani",
        "ago": "{d} lalu",
        "state_online": "daring",
        "state_offline": "luring",
        "state_lost": "hilang",
        "state_never": "belum pernah terlihat",
        "counter_serving": "melayani {number}",
        "counter_idle": "buka, kosong",
        "counter_paused": "jeda",
        "counter_unknown": "belum ada data",
        "printer_ok": "baik",
        "printer_paper_low": "kertas menipis",
        "printer_no_paper": "kertas habis",
        "printer_cover_open": "tutup terbuka",
        "printer_offline": "mati",
        "printer_unknown": "tidak diketahui",
        "audio_ok": "baik",
        "audio_failing": "gagal",
        "audio_silent": "tanpa suara",
        "audio_unknown": "tidak diketahui",
        "alert_printer_no_paper": "Printer {subject}: kertas habis",
        "alert_printer_offline": "Printer {subject} mati atau tidak terhubung",
        "alert_offline": "{subject} luring lebih dari satu menit",
        "alert_offline_never": "{subject} belum pernah terlihat sejak halaman ini berjalan",
        "alert_audio": "Suara {subject} gagal",
        "alert_wait_warning": "{subject}: tiket tertua menunggu {minutes} menit (standar "
                              "{standard} menit)",
        "alert_wait_critical": "{subject}: tiket tertua menunggu {minutes} menit, melewati "
                               "standar {standard} menit",
        "alert_crowd_warning": "{subject}: {waiting} orang menunggu untuk {counters} loket buka",
        "alert_crowd_critical": "{subject}: {waiting} orang menunggu, tidak ada loket buka",
        "level_warning": "peringatan",
        "level_critical": "penting",
        "dur_s": "{n} detik",
        "dur_min": "{n} menit",
        "dur_h": "{h} jam {m} menit",
        "dur_days": "{n} hari",
        "not_found": "Halaman tidak ditemukan.",
    },
    "en": {
        "lang_name": "English",
        "other_lang": "Bahasa Indonesia",
        "title_public": "Service queues",
        "title_staff": "Hall monitor",
        "service": "Service",
        "waiting": "Waiting",
        "last_called": "Last called",
        "estimate": "Estimated wait",
        "minutes": "{n} min",
        "none": "-",
        "closed": "Closed",
        "opens_at": "opens {time}",
        "quota_gone": "Quota used up",
        "not_known": "no data yet",
        "link_up": "Live from the hub",
        "link_down": "Cut off from the hub: reconnecting...",
        "page_down": "Page cut off: reconnecting...",
        "updated": "Updated {time}",
        "staff_link": "Staff",
        "public_link": "Public queues",
        "login_title": "Staff login",
        "username": "User name",
        "password": "Password",
        "login": "Log in",
        "logout": "Log out",
        "wrong_password": "Wrong user name or password.",
        "too_many": "Too many wrong attempts. Try again in {n} seconds.",
        "bad_form": "The form expired. Reload the page and try again.",
        "alerts": "Alerts",
        "no_alerts": "No alerts.",
        "since": "since {time}",
        "devices": "Devices",
        "device": "Device",
        "role": "Role",
        "state": "State",
        "last_seen": "Last seen",
        "version": "Version",
        "uptime": "Up",
        "printer": "Printer",
        "audio": "Audio",
        "outbox": "Offline tickets",
        "counters": "Counters",
        "counter": "Counter",
        "serving": "Serving",
        "ago": "{d} ago",
        "state_online": "online",
        "state_offline": "offline",
        "state_lost": "lost",
        "state_never": "never seen",
        "counter_serving": "serving {number}",
        "counter_idle": "open, free",
        "counter_paused": "paused",
        "counter_unknown": "no data yet",
        "printer_ok": "ok",
        "printer_paper_low": "paper low",
        "printer_no_paper": "out of paper",
        "printer_cover_open": "cover open",
        "printer_offline": "offline",
        "printer_unknown": "unknown",
        "audio_ok": "ok",
        "audio_failing": "failing",
        "audio_silent": "silent",
        "audio_unknown": "unknown",
        "alert_printer_no_paper": "Printer of {subject}: out of paper",
        "alert_printer_offline": "Printer of {subject} is offline",
        "alert_offline": "{subject} offline for more than a minute",
        "alert_offline_never": "{subject} never seen since this page started",
        "alert_audio": "Voice of {subject} is failing",
        "alert_wait_warning": "{subject}: oldest ticket waiting {minutes} min (standard "
                              "{standard} min)",
        "alert_wait_critical": "{subject}: oldest ticket waiting {minutes} min, past the "
                               "{standard} min standard",
        "alert_crowd_warning": "{subject}: {waiting} waiting for {counters} open counters",
        "alert_crowd_critical": "{subject}: {waiting} waiting, no counter open",
        "level_warning": "warning",
        "level_critical": "critical",
        "dur_s": "{n} s",
        "dur_min": "{n} min",
        "dur_h": "{h} h {m} min",
        "dur_days": "{n} days",
        "not_found": "Page not found.",
    },
}


def language(asked: str | None) -> str:
    return asked if asked in LANGUAGES else DEFAULT


def text(lang: str) -> dict[str, str]:
    return STRINGS[language(lang)]


def duration(ms: int, lang: str) -> str:
    """A duration as people say it: 40 detik, 5 menit, 3 jam 12 menit, 4 hari."""
    t = text(lang)
    seconds = max(0, ms) // 1000
    if seconds < 60:
        return t["dur_s"].format(n=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return t["dur_min"].format(n=minutes)
    hours, minutes = divmod(minutes, 60)
    return t["dur_h"].format(h=hours, m=minutes) if hours < 48 else \
        t["dur_days"].format(n=hours // 24)


def alert_words(kind: str, level: str, subject: str, detail: dict, lang: str) -> str:
    t = text(lang)
    if kind == "printer":
        key = f"alert_printer_{detail.get('status')}"
    elif kind == "offline" and detail.get("state") == "never":
        key = "alert_offline_never"
    elif kind in ("wait", "crowd"):
        key = f"alert_{kind}_{level}"
    else:
        key = f"alert_{kind}"
    return t[key].format(subject=subject, **detail)
