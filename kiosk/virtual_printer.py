"""A virtual ESC/POS printer: a real backend for the demo and the tests.

It listens on TCP like a port-9100 network printer (one connection = one job) and on a
pseudo-terminal like a serial printer (a job ends at a cut or after ``idle`` seconds without
data). It records what it prints, answers ``DLE EOT 1..4`` with the ESC/POS bit patterns, and
can be told to run out of paper (now, or after N bytes of the next job), open its cover, stall
(stop reading), drop the connection mid-ticket, go offline, or answer status wrongly.

    vp = VirtualPrinter(out_dir="tickets").start()
    ... print to 127.0.0.1:vp.port or to vp.serial_path ...
    job = vp.wait_for_job(timeout=5)
"""
from __future__ import annotations

import argparse
import logging
import os
import select
import signal
import socket
import threading
import tty
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from .escpos_decode import command_length, decode, render_png

log = logging.getLogger(__name__)
BASE = 0x12       # fixed bits of every DLE EOT answer


@dataclass(frozen=True)
class Job:
    data: bytes          # what reached the paper (real-time queries removed)
    source: str          # "tcp" or "pty"
    complete: bool       # nothing was lost
    problem: str = ""    # "paper_out", "cover_open", "offline", "dropped" or ""
    received: int = 0    # bytes received for this job, queries included


class _Session:
    """Bytes of one job as they arrive; the printer's lock is held by the caller."""

    def __init__(self, source: str):
        self.source, self.budget, self.drop_at, self.claimed = source, None, None, False
        self.stall_at: int | None = None
        self.pending, self.printed = bytearray(), bytearray()
        self.received, self.problem, self.cut = 0, "", False

    @property
    def worth_keeping(self) -> bool:
        return bool(self.printed or self.problem)


class VirtualPrinter:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, tcp: bool = True,
                 pty: bool = True, out_dir: str | os.PathLike | None = None,
                 paper: str = "80mm", idle: float = 1.0):
        self.host, self.port, self.paper, self.idle = host, port, paper, idle
        self.out_dir = Path(out_dir) if out_dir else None
        self._want_tcp, self._want_pty = tcp, pty
        self.serial_path: str | None = None
        self.jobs: list[Job] = []
        self._cond = threading.Condition()
        self._done: deque[Job] = deque()
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()
        self._stopping = False
        # the printer's condition, all guarded by _cond
        self._paper, self._paper_out_after = "ok", None
        self._cover_open = self._stalled = self._offline = False
        self._drop_after: int | None = None
        self._stall_after: int | None = None
        self._status_mode = "normal"

    # ---- life -----------------------------------------------------------------------------
    def start(self) -> "VirtualPrinter":
        self._wake_r, self._wake_w = os.pipe()
        if self._want_tcp:
            self._listener = socket.create_server((self.host, self.port), reuse_port=False)
            self.port = self._listener.getsockname()[1]
            self._spawn(self._accept_loop, "vprinter-accept")
        if self._want_pty:
            self._master, self._slave = os.openpty()
            tty.setraw(self._slave)        # no echo, no newline translation
            self.serial_path = os.ttyname(self._slave)
            self._spawn(self._pty_loop, "vprinter-pty")
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            conns = list(self._conns)
        os.write(self._wake_w, b"x")
        for c in conns:
            _shutdown(c)
        for t in self._threads:
            t.join(timeout=5)
        if self._want_tcp:
            self._listener.close()
        if self._want_pty:
            os.close(self._master)
            os.close(self._slave)
        os.close(self._wake_r)
        os.close(self._wake_w)

    def __enter__(self) -> "VirtualPrinter":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_for_job(self, timeout: float) -> Job | None:
        """The next completed job, or None when none completes within ``timeout`` seconds."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._done, timeout):
                return None
            return self._done.popleft()

    # ---- faults ---------------------------------------------------------------------------
    def paper_out(self, after_bytes: int | None = None) -> None:
        """Run out of paper now, or after ``after_bytes`` printed bytes of the next job."""
        self._set(_paper_out_after=after_bytes, **({"_paper": "out"} if after_bytes is None
                                                   else {}))

    def paper_low(self) -> None:
        self._set(_paper="low")

    def refill(self) -> None:
        self._set(_paper="ok", _paper_out_after=None)

    def open_cover(self, is_open: bool = True) -> None:
        self._set(_cover_open=is_open)

    def stall(self, stalled: bool = True, after_bytes: int | None = None) -> None:
        """Stop (or resume) reading: the sender's buffers fill and its writes block.
        With ``after_bytes``, stop after that many printed bytes of the next job."""
        if after_bytes is None:
            self._set(_stalled=stalled, _stall_after=None)
        else:
            self._set(_stall_after=after_bytes)

    def drop_after(self, n_bytes: int | None) -> None:
        """Close the connection after ``n_bytes`` of the next TCP job."""
        self._set(_drop_after=n_bytes)

    def go_offline(self, offline: bool = True) -> None:
        self._set(_offline=offline)

    def status_replies(self, mode: str) -> None:
        """"normal", "silent" (never answer) or "garbage" (answer 0xFF)."""
        if mode not in ("normal", "silent", "garbage"):
            raise ValueError(mode)
        self._set(_status_mode=mode)

    def _set(self, **values) -> None:
        with self._cond:
            for k, v in values.items():
                setattr(self, k, v)
            self._cond.notify_all()

    # ---- status bytes ---------------------------------------------------------------------
    def status_byte(self, n: int) -> int:
        with self._cond:
            return self._status_byte(n)

    def _status_byte(self, n: int) -> int:
        out = self._paper == "out"
        if n == 1:
            return BASE | (0x08 if out or self._cover_open or self._offline else 0)
        if n == 2:
            return BASE | (0x04 if self._cover_open else 0) | (0x20 if out else 0) \
                | (0x40 if self._offline else 0)
        if n == 3:
            return BASE | (0x40 if self._offline else 0)
        if n == 4:
            return BASE | (0x0C if self._paper in ("low", "out") else 0) | (0x60 if out else 0)
        return BASE

    # ---- the byte stream ------------------------------------------------------------------
    def _feed(self, s: _Session, chunk: bytes) -> tuple[bytes, bool]:
        """Take received bytes; returns (status replies to send, whether to hang up)."""
        replies = bytearray()
        with self._cond:
            s.received += len(chunk)
            s.pending += chunk
            i = 0
            while i < len(s.pending):
                n = command_length(s.pending, i)
                if n is None:
                    break
                self._take(s, bytes(s.pending[i:i + n]), replies)
                i += n
            del s.pending[:i]
            hang_up = s.drop_at is not None and s.received >= s.drop_at
            if hang_up:
                s.problem = s.problem or "dropped"
        return bytes(replies), hang_up

    def _take(self, s: _Session, cmd: bytes, replies: bytearray) -> None:
        if cmd[:2] == b"\x10\x04":
            if self._status_mode == "normal":
                replies.append(self._status_byte(cmd[2]))
            elif self._status_mode == "garbage":
                replies.append(0xFF)
            return
        if cmd[:2] in (b"\x10\x05", b"\x10\x14"):
            return                                        # other real-time commands
        if not s.claimed:       # faults armed "for the next job" hit the first one that prints
            s.claimed, s.budget, self._paper_out_after = True, self._paper_out_after, None
            s.stall_at, self._stall_after = self._stall_after, None
            if s.source == "tcp":
                s.drop_at, self._drop_after = self._drop_after, None
        blocked = ("paper_out" if self._paper == "out" else
                   "cover_open" if self._cover_open else "offline" if self._offline else "")
        if blocked:
            s.problem = s.problem or blocked
            return
        if s.budget is not None and len(s.printed) + len(cmd) > s.budget:
            s.printed += cmd[:s.budget - len(s.printed)]
            self._paper, s.problem = "out", "paper_out"   # ran out mid-ticket
            return
        s.printed += cmd
        s.cut = s.cut or cmd[:2] == b"\x1dV"
        if s.stall_at is not None and len(s.printed) >= s.stall_at:
            self._stalled, s.stall_at = True, None       # buffer full, mechanism stuck

    def _finish(self, s: _Session) -> None:
        if not s.worth_keeping:
            return
        job = Job(bytes(s.printed), s.source, not s.problem, s.problem, s.received)
        with self._cond:
            self.jobs.append(job)
            number = len(self.jobs)
        if self.out_dir:
            self._save(job, number)
        log.info("job %d from %s: %d bytes%s", number, s.source, len(job.data),
                 f" ({job.problem})" if job.problem else "")
        with self._cond:
            self._done.append(job)
            self._cond.notify_all()

    def _save(self, job: Job, number: int) -> None:
        stem = self.out_dir / f"job-{number:04d}"
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            stem.with_suffix(".bin").write_bytes(job.data)
            note = "" if job.complete else f"\n[INCOMPLETE: {job.problem}]"
            stem.with_suffix(".txt").write_text(decode(job.data).text() + note + "\n")
            render_png(job.data, stem.with_suffix(".png"), self.paper)
        except (OSError, ValueError) as e:     # a full disk must not stop the printer
            log.error("cannot save %s: %s", stem, e)

    def _wait_unstalled(self) -> bool:
        """Block while stalled; False once stopping."""
        with self._cond:
            self._cond.wait_for(lambda: not self._stalled or self._stopping)
            return not self._stopping

    # ---- TCP ------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while True:
            ready = select.select([self._listener, self._wake_r], [], [])[0]
            if self._wake_r in ready:
                return
            conn, _ = self._listener.accept()
            with self._cond:
                if self._stopping:
                    conn.close()
                    return
                self._conns.add(conn)
            self._spawn(lambda c=conn: self._serve(c), "vprinter-conn")

    def _serve(self, conn: socket.socket) -> None:
        s = _Session("tcp")
        try:
            while self._wait_unstalled():
                ready = select.select([conn, self._wake_r], [], [])[0]
                if self._wake_r in ready:
                    break
                chunk = conn.recv(4096)
                if not chunk:
                    break
                replies, hang_up = self._feed(s, chunk)
                if replies:
                    conn.sendall(replies)
                if hang_up:
                    break
        except OSError as e:
            log.info("connection ended: %s", e)
        finally:
            self._finish(s)          # saved before the sender sees the connection end
            with self._cond:
                self._conns.discard(conn)
            _shutdown(conn)

    # ---- pseudo-terminal ------------------------------------------------------------------
    def _pty_loop(self) -> None:
        s = _Session("pty")
        while self._wait_unstalled():
            busy = bool(s.printed or s.pending or s.problem)
            ready = select.select([self._master, self._wake_r], [], [],
                                  self.idle if busy else None)[0]
            if self._wake_r in ready:
                break
            if not ready:                      # idle: the job is over
                self._finish(s)
                s = _Session("pty")
                continue
            replies, _ = self._feed(s, os.read(self._master, 4096))
            if replies:
                os.write(self._master, replies)
            if s.cut and not s.pending:
                self._finish(s)
                s = _Session("pty")
        self._finish(s)

    def _spawn(self, target, name: str) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(t)
        t.start()


def _shutdown(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()


def main(argv: list[str] | None = None) -> int:
    """``antrean virtual-printer``: run until interrupted, saving every ticket."""
    ap = argparse.ArgumentParser(prog="antrean virtual-printer",
                                 description="A virtual ESC/POS printer on TCP and a "
                                             "pseudo-terminal that saves tickets as images.")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on")
    ap.add_argument("--port", type=int, default=9100, help="TCP port (0 = any free port)")
    ap.add_argument("--out", help="directory for job-NNNN.bin/.txt/.png of every ticket")
    ap.add_argument("--paper", choices=("58mm", "80mm"), default="80mm")
    ap.add_argument("--no-pty", action="store_true", help="do not open a pseudo-terminal")
    args = ap.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    vp = VirtualPrinter(args.host, args.port, pty=not args.no_pty, out_dir=args.out,
                        paper=args.paper).start()
    try:
        print(f"virtual printer on {vp.host}:{vp.port}"
              + (f", serial {vp.serial_path}" if vp.serial_path else "")
              + (f", tickets in {args.out}" if args.out else ""), flush=True)
        stop.wait()
    finally:
        vp.stop()
    return 0
