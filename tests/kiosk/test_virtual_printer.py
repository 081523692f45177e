import os
import signal
import socket
import subprocess
import sys
import threading

import pytest
from escpos.printer import Dummy, Network, Serial

from kiosk.escpos_decode import decode

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ask(vp, n: int) -> int:
    with socket.create_connection(("127.0.0.1", vp.port), timeout=5) as s:
        s.sendall(b"\x10\x04" + bytes((n,)))
        return s.recv(1)[0]


def test_escpos_network_prints_one_job_per_connection(vprinter):
    p = Network("127.0.0.1", vprinter.port, timeout=5)
    p.open()
    p.textln("Nomor A-001")
    p.cut()
    assert p.is_online() and p.paper_status() == 2
    p.close()
    job = vprinter.wait_for_job(timeout=5)
    assert job.source == "tcp" and job.complete
    receipt = decode(job.data)
    assert receipt.lines[0].text == "Nomor A-001" and receipt.cut
    assert receipt.queries == []            # status queries are answered, not printed


def test_escpos_serial_job_ends_at_the_cut(vprinter):
    vprinter.idle = 60                       # only the cut can end this job in time
    p = Serial(vprinter.serial_path, timeout=5, dsrdtr=False)
    p.open()
    p.textln("Nomor B-002")
    p.cut()
    job = vprinter.wait_for_job(timeout=5)
    assert job.source == "pty" and decode(job.data).lines[0].text == "Nomor B-002"
    p._raw(b"\x10\x04\x01")
    assert p.device.read(1) == b"\x12"      # escpos's _read would wait for 16 bytes
    p.close()


def test_serial_job_without_cut_ends_when_idle(vprinter):
    p = Serial(vprinter.serial_path, timeout=5, dsrdtr=False)
    p.open()
    p.textln("sobek di sini")
    job = vprinter.wait_for_job(timeout=5)
    assert job is not None and not decode(job.data).cut
    p.close()


@pytest.mark.parametrize("fault, expected", [
    (lambda vp: None, {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}),
    (lambda vp: vp.paper_low(), {1: 0x12, 2: 0x12, 4: 0x1E}),
    (lambda vp: vp.paper_out(), {1: 0x1A, 2: 0x32, 4: 0x7E}),
    (lambda vp: vp.open_cover(), {1: 0x1A, 2: 0x16, 4: 0x12}),
    (lambda vp: vp.go_offline(), {1: 0x1A, 2: 0x52, 3: 0x52}),
])
def test_status_bit_patterns(vprinter, fault, expected):
    fault(vprinter)
    assert {n: ask(vprinter, n) for n in expected} == expected


def test_escpos_paper_status_sees_paper_out(vprinter):
    vprinter.paper_out()
    p = Network("127.0.0.1", vprinter.port, timeout=5)
    p.open()
    assert p.paper_status() == 0 and not p.is_online()
    p.close()
    vprinter.refill()
    assert ask(vprinter, 4) == 0x12


def test_query_bytes_inside_an_image_are_not_answered(vprinter):
    from PIL import Image
    d = Dummy(profile="TM-T20II")
    raster = b"\x10\x04\x01" * 6
    d.image(Image.frombytes("1", (16, 9), bytes(255 - b for b in raster)))
    with socket.create_connection(("127.0.0.1", vprinter.port), timeout=5) as s:
        s.sendall(d.output + b"\x10\x04\x02")
        s.shutdown(socket.SHUT_WR)
        assert s.recv(16) == b"\x12"
        assert s.recv(16) == b""             # exactly one reply, then end of job
    assert len(decode(vprinter.wait_for_job(timeout=5).data).images) == 1


def test_stalled_printer_stops_answering_until_resumed(vprinter):
    vprinter.stall()
    with socket.create_connection(("127.0.0.1", vprinter.port), timeout=5) as s:
        s.sendall(b"\x10\x04\x01")
        s.settimeout(0.3)
        with pytest.raises(TimeoutError):
            s.recv(1)
        vprinter.stall(False)
        s.settimeout(5)
        assert s.recv(1) == b"\x12"


def test_concurrent_jobs_are_all_recorded(vprinter):
    def send(i):
        with socket.create_connection(("127.0.0.1", vprinter.port), timeout=5) as s:
            s.sendall(f"tiket {i}\n".encode() * 50)
    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    jobs = [vprinter.wait_for_job(timeout=5) for _ in range(8)]
    assert sorted(decode(j.data).lines[0].text for j in jobs) == sorted(
        f"tiket {i}" for i in range(8))
    assert all(len(decode(j.data).lines) == 50 for j in jobs)


def test_completed_tickets_are_saved(vprinter, tmp_path):
    with socket.create_connection(("127.0.0.1", vprinter.port), timeout=5) as s:
        s.sendall(b"Nomor C-003\n\x1dV\x00")
    vprinter.wait_for_job(timeout=5)
    out = tmp_path / "tickets"
    assert sorted(p.name for p in out.iterdir()) == ["job-0001.bin", "job-0001.png",
                                                     "job-0001.txt"]
    assert (out / "job-0001.txt").read_text() == "Nomor C-003\n[CUT]\n"


def test_cli_runs_until_terminated(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from kiosk.virtual_printer import main; "
         "sys.exit(main(sys.argv[1:]))", "--port", "0", "--out", str(tmp_path), "--no-pty"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("virtual printer on 127.0.0.1:") and str(tmp_path) in first
        port = int(first.split(":")[1].split(",")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"Nomor D-004\n")
            s.shutdown(socket.SHUT_WR)
            assert s.recv(1) == b""          # the printer hangs up once the job is saved
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    assert (tmp_path / "job-0001.txt").read_text() == "Nomor D-004\n"
