"""Every text the button box shows or prints: Bahasa Indonesia first, English second."""
from __future__ import annotations

TEXTS = {
    "id": {
        "title": "Tombol Loket",
        "counter": "Loket {counter}",
        "next": "BERIKUTNYA",
        "recall": "PANGGIL ULANG",
        "skip": "LEWATI",
        "pause": "JEDA / LANJUT",
        "led.on": "menyala: sedang melayani",
        "led.off": "padam: jeda atau tidak ada yang dilayani",
        "led.slow": "berkedip lambat: menunggu jawaban hub",
        "led.fast": "berkedip cepat: ada gangguan atau hub tidak terjangkau",
        "led.refused": "kedip ganda: perintah ditolak (antrean kosong / tidak ada yang dipanggil ulang)",
        "keys": "Tombol: 1-9 pilih loket, n berikutnya, r panggil ulang, "
                "s lewati (tahan panggil ulang), p jeda/lanjut",
        "console.help": "Ketik misalnya '1n' (loket 1 berikutnya), '2r', '3s', '1p', lalu Enter. "
                        "Ctrl-C untuk berhenti.",
        "console.eof": "stdin ditutup; kotak tombol tetap berjalan (Ctrl-C untuk berhenti)",
        "console.bad": "tidak dimengerti: {line!r} (contoh: 1n, 2r, 3s, 1p)",
        "console.led": "loket {counter}: LED {text}",
        "selected": "Loket terpilih: {counter}",
    },
    "en": {
        "title": "Counter Buttons",
        "counter": "Counter {counter}",
        "next": "NEXT",
        "recall": "RECALL",
        "skip": "SKIP",
        "pause": "PAUSE / RESUME",
        "led.on": "steady on: serving a ticket",
        "led.off": "off: paused or nobody being served",
        "led.slow": "slow blink: waiting for the hub's answer",
        "led.fast": "fast blink: error or hub unreachable",
        "led.refused": "double flash: command refused (queue empty / nothing to recall)",
        "keys": "Keys: 1-9 select counter, n next, r recall, s skip (hold recall), "
                "p pause/resume",
        "console.help": "Type e.g. '1n' (counter 1 next), '2r', '3s', '1p', then Enter. "
                        "Ctrl-C to quit.",
        "console.eof": "stdin closed; the button box keeps running (Ctrl-C to quit)",
        "console.bad": "not understood: {line!r} (e.g. 1n, 2r, 3s, 1p)",
        "console.led": "counter {counter}: LED {text}",
        "selected": "Selected counter: {counter}",
    },
}


def text(lang: str, key: str, **fields) -> str:
    table = TEXTS.get(lang, TEXTS["id"])
    return table.get(key, TEXTS["id"][key]).format(**fields)
