"""The real kiosk app under Xvfb, tapped like a visitor, with a real broker, the real hub and
the virtual printer on TCP. Screenshots of every screen go to /tmp/antrean-shots/."""
from __future__ import annotations

import re
import socket
import time

import pytest

from antrean.errors import ConfigError
from antrean.deploy.provision import provision
from kiosk.app import device_printer, printer_config
from kiosk.printer import open_printer
from tests.fixtures.waiting import wait_until
from tests.antrean.test_provision import KIOSK, device_file
from tests.antrean.test_provision import root as card  # noqa: F401 (fixture)
from tests.kiosk.kiosk_hall import SHOTS, decoded, hall, xvfb  # noqa: F401 (fixtures)

from antrean.errors import UsageError


def shot(name: str) -> dict:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return {"shot": str(SHOTS / f"{name}.png")}


def test_visitor_taps_agency_service_and_takes_a_ticket(hall, xvfb):
    # given a hall with an open KTP service and a kiosk on a 7" screen
    h = hall()
    k = h.kiosk([{"wait": "online"}, {"wait": "known"}, shot("kiosk-800x480-home"),
                 {"tap": "agency", "id": "dukcapil"}, {"wait": "screen", "is": "services"},
                 shot("kiosk-800x480-services"),
                 {"tap": "service", "id": "KTP"}, {"wait": "screen", "is": "service"},
                 shot("kiosk-800x480-service"),
                 {"tap": "text", "text": "Ambil antrean"},
                 {"wait": "screen", "is": "done"}, shot("kiosk-800x480-done"),
                 {"tap": "text", "text": "Selesai"}, {"wait": "screen", "is": "home"},
                 {"quit": True}], xvfb)
    reports = k.steps_until(15)
    home, services, done = reports[1], reports[5], reports[11]
    assert [a["agency_id"] for a in home["agencies"]] == ["dukcapil", "pdam"]
    assert "0 menunggu" in home["agencies"][0]["subtitle"]
    assert [s["service_id"] for s in services["services"]] == ["KTP", "KK", "AKTA"]
    # then the screen shows the number, the printer printed it, the hub has it waiting
    job = h.printer.wait_for_job(10)
    assert job is not None and job.complete
    paper = decoded(job)
    number = done["number"]
    assert number.startswith("A-") and number in paper
    assert "KTP Elektronik" in paper and "Tidak ada antrean di depan Anda" in paper
    assert "Tidak ada antrean di depan Anda" in done["lines"] and done["priority"] == ""
    [ticket] = h.tickets("service = 'KTP'")
    assert (ticket["number"], ticket["status"], ticket["priority"]) == (number, "waiting", None)
    assert k.wait() == 0


def test_kiosk_tells_systemd_it_is_up_and_keeps_feeding_the_watchdog(hall, xvfb, tmp_path):
    # systemd's side of Type=notify: a datagram socket the kiosk reports to. WatchdogSec=11:
    # the kiosk pings at most every 5.5 s, from Kivy's clock, and never lets 11 s pass.
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    systemd.bind(str(tmp_path / "notify.sock"))
    systemd.settimeout(30)
    h = hall()
    k = h.kiosk([{"wait": "online"}], xvfb, env={"NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
                                               "WATCHDOG_USEC": "11000000"})
    try:
        said = []
        while sum(m == "WATCHDOG=1" for _, m in said) < 3:
            said.append((time.monotonic(), systemd.recv(4096).decode()))
    finally:
        k.kill()
        systemd.close()
    assert said[0][1].startswith("READY=1\nSTATUS=kiosk kiosk-1 up")
    pings = [t for t, m in said if m == "WATCHDOG=1"]
    assert all(later - earlier < 11 for earlier, later in zip(pings, pings[1:])), pings


def test_portrait_english_priority_ticket(hall, xvfb):
    # given a 1080x1920 portrait kiosk and a visitor who switches to English
    h = hall()
    k = h.kiosk([{"wait": "online"}, {"wait": "known"}, {"tap": "text", "text": "English"},
                 shot("kiosk-1080x1920-home-en"),
                 {"tap": "agency", "id": "dukcapil"}, {"wait": "screen", "is": "services"},
                 shot("kiosk-1080x1920-services-en"),
                 {"tap": "service", "id": "KK"}, {"wait": "screen", "is": "service"},
                 {"tap": "text", "text": "Priority (elderly, disabled, pregnant)"},
                 {"wait": "screen", "is": "priority"}, shot("kiosk-1080x1920-priority-en"),
                 {"tap": "text", "text": "Pregnant"}, {"wait": "screen", "is": "done"},
                 shot("kiosk-1080x1920-done-en"), {"quit": True}], xvfb, size="1080x1920")
    reports = k.steps_until(16)
    assert reports[2]["lang"] == "en" and reports[2]["size"] == [1080, 1920]
    assert reports[3]["agencies"][0]["title"] == "Population and Civil Registry Office"
    done = reports[14]
    assert done["priority"] == "PRIORITY \u00b7 Pregnant"
    # then the ticket is printed in English with the priority mark, and waits at the hub
    paper = decoded(h.printer.wait_for_job(10))
    assert "QUEUE NUMBER" in paper and "PRIORITY - PREGNANT" in paper
    assert done["number"] in paper and "Family card" in paper
    [ticket] = h.tickets("service = 'KK'")
    assert (ticket["number"], ticket["status"], ticket["priority"]) == \
        (done["number"], "waiting", "pregnant")
    assert k.wait() == 0


def test_out_of_paper_is_said_before_printing_and_reaches_the_hub(hall, xvfb):
    # given a printer out of paper
    h = hall()
    h.printer.paper_out()
    h.watch_health("kiosk-1")
    k = h.kiosk([{"wait": "online"}, {"wait": "notice"}, shot("kiosk-800x480-no-paper-home"),
                 {"tap": "agency", "id": "dukcapil"}, {"wait": "screen", "is": "services"},
                 {"tap": "service", "id": "AKTA"}, {"wait": "screen", "is": "service"},
                 {"tap": "text", "text": "Ambil antrean"}, {"wait": "screen", "is": "error"},
                 shot("kiosk-800x480-no-paper-error"), {"quit": True}], xvfb)
    reports = k.steps_until(11)
    # then the home screen warns, the tap ends on an error naming the paper
    assert reports[1]["notice"] == "Kertas tiket habis \u2014 mohon hubungi petugas"
    assert reports[8]["error_text"] == "Kertas printer habis. Mohon hubungi petugas."
    # the technician sees it in the kiosk's health
    health = h.wait_health(lambda m: m.get("printer", {}).get("status") == "no_paper", 15)
    assert health is not None and health["errors"]
    # and nothing was printed nor queued
    assert h.printer.wait_for_job(1.0) is None
    assert h.tickets() == []
    assert k.wait() == 0


def test_a_closed_service_says_why_before_anything_prints(hall, xvfb):
    # given today is a national holiday
    h = hall(holiday_today=True)
    k = h.kiosk([{"wait": "online"}, {"wait": "known"},
                 {"tap": "agency", "id": "dukcapil"}, {"wait": "screen", "is": "services"},
                 shot("kiosk-800x480-holiday-services"),
                 {"tap": "service", "id": "KTP"}, {"wait": "screen", "is": "error"},
                 shot("kiosk-800x480-holiday-error"), {"quit": True}], xvfb)
    reports = k.steps_until(9)
    assert all(s["closed"] and "libur nasional" in s["detail"] for s in reports[3]["services"])
    error = reports[6]
    assert error["error_title"] == "Maaf, layanan ini tidak menerima antrean"
    assert "libur nasional" in error["error_text"]
    assert h.printer.wait_for_job(1.0) is None
    assert h.tickets() == []
    assert k.wait() == 0


@pytest.mark.parametrize("spec, expected", [
    ("network:10.0.0.5:9100", {"backend": "network", "host": "10.0.0.5", "port": 9100}),
    ("network:printer.local", {"backend": "network", "host": "printer.local", "port": 9100}),
    ("serial:/dev/ttyUSB0:19200", {"backend": "serial", "device": "/dev/ttyUSB0",
                                   "baudrate": 19200}),
    ("file:/dev/usb/lp0", {"backend": "file", "path": "/dev/usb/lp0"}),
    ("usb:0416:5011", {"backend": "usb", "vendor": 0x0416, "product": 0x5011}),
    ("dummy", {"backend": "dummy"}),
])
def test_printer_spec_replaces_backend_and_keeps_paper(spec, expected):
    configured = {"backend": "network", "host": "1.2.3.4", "port": 9100, "paper": "58mm"}
    assert printer_config(spec, configured) == {**expected, "paper": "58mm"}


@pytest.mark.parametrize("spec", ["network:", "usb:0416", "serial:/dev/x:fast", "lp0", "bt:1"])
def test_bad_printer_spec_is_a_usage_error(spec):
    with pytest.raises(UsageError, match="--printer"):
        printer_config(spec, {})


def test_offline_the_kiosk_prints_from_its_lease_and_the_hub_gets_the_ticket(hall, xvfb):
    # given a kiosk that leased numbers while online
    h = hall()
    k = h.kiosk([{"wait": "online"}, {"wait": "leased", "service": "AKTA"},
                 {"wait": "offline"},
                 {"tap": "agency", "id": "dukcapil"}, {"wait": "screen", "is": "services"},
                 shot("kiosk-800x480-offline-services"),
                 {"tap": "service", "id": "AKTA"}, {"wait": "screen", "is": "service"},
                 {"tap": "text", "text": "Ambil antrean"}, {"wait": "screen", "is": "done"},
                 shot("kiosk-800x480-offline-done"), {"wait": "online"}, {"quit": True}],
                xvfb)
    k.steps_until(2)
    # when the broker goes away
    h.broker.stop()
    reports = k.steps_until(9)
    # then the discreet mark shows, and a ticket still comes out, marked offline
    assert reports[0]["offline"]
    done = reports[7]
    assert done["note"] == "Kios sedang tanpa jaringan. Nomor Anda tetap berlaku."
    paper = decoded(h.printer.wait_for_job(10))
    assert done["number"] in paper and "Nomor cadangan" in paper
    assert int(done["number"].split("-")[1]) >= 5001       # the offline range, on paper too
    # and once the broker is back the hub has it, waiting
    h.broker.start()
    k.steps_until(2)
    assert k.wait() == 0
    # The kiosk hands it over as its link comes up; the hub may still be taking it.
    [ticket] = wait_until(lambda: h.tickets("service = 'AKTA' AND status = 'waiting'"), 10,
                          "the hub to take the offline ticket")
    assert ticket["number"] == done["number"] and ticket["offline"] == 1


def test_offline_without_leased_numbers_says_it_cannot_print_and_why(hall, xvfb):
    # given a kiosk that never reached the hub, so it holds no numbers
    h = hall()
    h.broker.stop()
    k = h.kiosk([{"wait": "offline"}, {"tap": "agency", "id": "dukcapil"},
                 {"wait": "screen", "is": "services"}, shot("kiosk-800x480-no-lease-services"),
                 {"tap": "service", "id": "AKTA"}, {"wait": "screen", "is": "error"},
                 shot("kiosk-800x480-no-lease-error"), {"quit": True}], xvfb)
    reports = k.steps_until(8)
    assert all(s["closed"] and s["detail"].startswith("Tidak dapat mencetak")
               for s in reports[2]["services"])
    assert reports[5]["error_text"].startswith("Kios tidak terhubung ke server antrean")
    assert h.printer.wait_for_job(1.0) is None
    assert k.wait() == 0


def test_the_cards_printer_from_its_device_file_replaces_the_site_configs(card):
    # What `antrean provision` wrote from PRINTER=network:192.168.1.50:9100 on the card.
    assert provision(device_file(card, KIOSK), card).exit_code == 0
    site_printer = {"backend": "network", "host": "127.0.0.1", "port": 9100, "paper": "58mm",
                    "timeout": 5.0}
    got = device_printer(card / "etc/antrean/device.toml", site_printer)
    assert got == {"backend": "network", "host": "192.168.1.50", "port": 9100,
                   "paper": "58mm", "timeout": 5.0}
    # and open_printer takes it as it is
    assert open_printer(got).where == "192.168.1.50:9100"


def test_without_printer_line_the_site_configs_printer_stands(card):
    assert provision(device_file(card, KIOSK.replace("PRINTER=", "#PRINTER=")), card).exit_code == 0
    site_printer = {"backend": "usb", "vendor": 0x0416, "product": 0x5011}
    assert device_printer(card / "etc/antrean/device.toml", site_printer) == site_printer


@pytest.mark.parametrize("text, words", [
    ("role = 'kiosk'\n[printer\n", "not valid TOML"),
    ("[printer]\nhost = 'x'\n", "[printer] needs a backend"),
])
def test_a_broken_device_config_names_the_file(tmp_path, text, words):
    path = tmp_path / "device.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(words)) as err:
        device_printer(path, {})
    assert str(path) in str(err.value)
    with pytest.raises(ConfigError, match="cannot read"):
        device_printer(tmp_path / "missing.toml", {})
