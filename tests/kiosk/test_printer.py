import importlib.util
import os
import socket
import time

import pytest

from antrean.errors import ConfigError, HardwareError
from kiosk.escpos_decode import decode
from kiosk.printer import dummy_jobs, open_printer
from kiosk.printer_status import (CoverOpen, PaperOut, PrinterOffline, PrinterTimeout,
                                  interpret)
from kiosk.ticket import render_ticket


def network(vp, **extra):
    return open_printer({"backend": "network", "host": "127.0.0.1", "port": vp.port,
                         "paper": "58mm", "status_timeout": 0.5, **extra})


def serial(vp, **extra):
    return open_printer({"backend": "serial", "device": vp.serial_path, "paper": "58mm",
                         "status_timeout": 0.5, **extra})


BACKENDS = [network, serial]


@pytest.mark.parametrize("connect", BACKENDS)
def test_ticket_reaches_the_printer(vprinter, view, connect):
    printer = connect(vprinter)
    assert printer.status().state == "ok"
    after = printer.print_ticket(render_ticket(view, "58mm"), timeout=5)
    assert after.state == "ok"
    job = vprinter.wait_for_job(timeout=5)
    assert job.complete and job.data == render_ticket(view, "58mm")
    assert "A-012" in [ln.text for ln in decode(job.data).lines]


@pytest.mark.parametrize("connect", BACKENDS)
def test_paper_out_before_ticket_is_refused(vprinter, view, connect):
    vprinter.paper_out()
    printer = connect(vprinter)
    assert printer.status().state == "no_paper"
    with pytest.raises(PaperOut) as e:
        printer.print_ticket(render_ticket(view, "58mm"), timeout=5)
    assert e.value.state == "no_paper"
    assert vprinter.jobs == []          # nothing was sent


@pytest.mark.parametrize("connect", BACKENDS)
def test_paper_out_mid_ticket_raises(vprinter, view, connect):
    vprinter.paper_out(after_bytes=600)
    with pytest.raises(PaperOut, match="incomplete"):
        connect(vprinter).print_ticket(render_ticket(view, "58mm"), timeout=5)
    job = vprinter.wait_for_job(timeout=5)
    assert not job.complete and job.problem == "paper_out" and len(job.data) == 600


@pytest.mark.parametrize("connect", BACKENDS)
def test_cover_open(vprinter, view, connect):
    vprinter.open_cover()
    printer = connect(vprinter)
    assert printer.status().state == "cover_open"
    with pytest.raises(CoverOpen):
        printer.print_ticket(render_ticket(view, "58mm"), timeout=5)
    vprinter.open_cover(False)
    assert printer.status().state == "ok"


@pytest.mark.parametrize("connect", BACKENDS)
def test_paper_low_still_prints(vprinter, view, connect):
    vprinter.paper_low()
    assert connect(vprinter).print_ticket(render_ticket(view, "58mm"), 5).state == "paper_low"
    assert vprinter.wait_for_job(timeout=5).complete


@pytest.mark.parametrize("connect", BACKENDS)
def test_offline_printer_is_refused(vprinter, view, connect):
    vprinter.go_offline()
    printer = connect(vprinter)
    assert printer.status().state == "offline"
    with pytest.raises(PrinterOffline):
        printer.print_ticket(render_ticket(view, "58mm"), timeout=5)


@pytest.mark.parametrize("connect", BACKENDS)
@pytest.mark.parametrize("mode", ["silent", "garbage"])
def test_unanswered_status_is_unknown_not_no_paper(vprinter, connect, mode):
    vprinter.status_replies(mode)
    status = connect(vprinter).status()
    assert status.state == "unknown" and status.printable


@pytest.mark.parametrize("connect", BACKENDS)
def test_printer_stalling_mid_ticket_times_out(vprinter, view, connect):
    vprinter.stall(after_bytes=600)
    started = time.monotonic()
    with pytest.raises(PrinterTimeout, match="stopped answering after the ticket"):
        connect(vprinter).print_ticket(render_ticket(view, "58mm"), timeout=1.0)
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("connect, size", [(network, 64_000_000), (serial, 1_000_000)])
def test_write_blocked_by_stalled_printer_times_out(vprinter, connect, size):
    vprinter.stall(after_bytes=100)     # more than the socket or pty buffers hold
    started = time.monotonic()
    with pytest.raises(PrinterTimeout, match="stopped taking data"):
        connect(vprinter).print_ticket(b"A" * size, timeout=1.0)
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("connect", BACKENDS)
def test_stalled_printer_that_answered_before_gets_no_ticket(vprinter, view, connect):
    printer = connect(vprinter)
    assert printer.status().state == "ok"
    vprinter.stall()
    assert printer.status().state == "unknown"
    with pytest.raises(PrinterTimeout, match="ticket not sent"):
        printer.print_ticket(render_ticket(view, "58mm"), timeout=1.0)
    vprinter.stall(False)
    assert vprinter.wait_for_job(timeout=0.3) is None


def test_connection_dropped_mid_ticket(vprinter, view):
    vprinter.drop_after(400)
    with pytest.raises(PrinterOffline):
        network(vprinter).print_ticket(render_ticket(view, "58mm"), timeout=5)
    job = vprinter.wait_for_job(timeout=5)
    assert job.problem == "dropped" and not job.complete


def test_printer_gone_is_offline(view):
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    printer = open_printer({"backend": "network", "host": "127.0.0.1", "port": port})
    assert printer.status().state == "offline"
    with pytest.raises(PrinterOffline, match="unreachable"):
        printer.print_ticket(render_ticket(view, "80mm"), timeout=2)


def test_serial_device_missing(tmp_path, view):
    printer = open_printer({"backend": "serial", "device": str(tmp_path / "ttyUSB9")})
    assert printer.status().state == "offline"
    with pytest.raises(PrinterOffline):
        printer.print_ticket(render_ticket(view, "80mm"), timeout=2)


def test_file_backend_writes_and_cannot_read_status(tmp_path, view):
    path = tmp_path / "lp0"
    path.write_bytes(b"")
    printer = open_printer({"backend": "file", "path": str(path), "paper": "80mm"})
    assert printer.status().state == "unknown"
    assert printer.print_ticket(render_ticket(view, "80mm")).state == "unknown"
    printer.print_ticket(render_ticket(view, "80mm"))
    assert path.read_bytes() == render_ticket(view, "80mm") * 2


def test_file_backend_missing_device_is_offline(tmp_path, view):
    printer = open_printer({"backend": "file", "path": str(tmp_path / "lp0")})
    with pytest.raises(PrinterOffline, match="No such file"):
        printer.print_ticket(render_ticket(view, "80mm"))


def test_file_backend_stall_times_out(tmp_path):
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)   # a printer that never reads
    try:
        printer = open_printer({"backend": "file", "path": str(fifo)})
        started = time.monotonic()
        with pytest.raises(PrinterTimeout):
            printer.print_ticket(b"x" * 1_000_000, timeout=0.5)
        assert time.monotonic() - started < 2
    finally:
        os.close(reader)


def test_dummy_backend_records(view):
    printer = open_printer({"backend": "dummy"})
    assert printer.status().state == "ok"
    printer.print_ticket(render_ticket(view, "80mm"))
    assert dummy_jobs(printer) == [render_ticket(view, "80mm")]


@pytest.mark.parametrize("cfg, key", [
    ({"backend": "laser"}, "printer.backend"),
    ({"backend": "network"}, "printer.host"),
    ({"backend": "serial", "device": "/dev/ttyUSB0", "baud": 9600}, "printer.baud"),
    ({"backend": "dummy", "paper": "57mm"}, "printer.paper"),
])
def test_bad_config_names_the_key(cfg, key):
    with pytest.raises(ConfigError) as e:
        open_printer(cfg)
    assert e.value.key == key


def test_defaults_follow_the_paper():
    assert open_printer({"backend": "dummy", "paper": "58mm"}).cutter is False
    assert open_printer({"backend": "dummy"}).cutter is True
    assert open_printer({"backend": "dummy", "paper": "58mm", "cutter": True}).cutter is True


@pytest.mark.skipif(importlib.util.find_spec("usb") is not None, reason="pyusb is installed")
def test_usb_without_pyusb_says_what_to_install():
    with pytest.raises(HardwareError, match="pyusb.*usblp"):
        open_printer({"backend": "usb", "vendor": 0x0416, "product": 0x5011})


@pytest.mark.parametrize("replies, state", [
    ({1: 0x12, 4: 0x12}, "ok"),
    ({1: 0x12, 4: 0x1E}, "paper_low"),
    ({1: 0x12, 4: 0x7E}, "no_paper"),
    ({1: 0x1A, 2: 0x32, 4: 0x7E}, "no_paper"),
    ({1: 0x1A, 2: 0x16, 4: 0x12}, "cover_open"),
    ({1: 0x1A, 2: 0x52, 4: 0x12}, "offline"),
    ({1: None}, "unknown"),
    ({1: 0x00}, "unknown"),               # python-escpos would call this "no paper"
    ({1: 0xFF}, "unknown"),
    ({1: 0x12, 4: None}, "unknown"),
])
def test_status_bytes_per_escpos(replies, state):
    assert interpret(replies).state == state
