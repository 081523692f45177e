"""The kiosk's printer: backends chosen by configuration, one ticket per open.

``open_printer(cfg)`` is the one place a backend is resolved from ``Kiosk.printer``::

    {"backend": "file", "path": "/dev/usb/lp0"}                 # usblp; preferred on a Pi
    {"backend": "usb", "vendor": 0x0416, "product": 0x5011}     # libusb via pyusb
    {"backend": "serial", "device": "/dev/ttyUSB0", "baudrate": 9600}
    {"backend": "network", "host": "192.168.1.50", "port": 9100}
    {"backend": "dummy"}                                        # keeps tickets in memory

Every backend also takes ``paper`` ("58mm"/"80mm"), ``cutter`` (bool), ``timeout`` (seconds
for one ticket) and ``status_timeout`` (seconds to wait for a status byte).

The device is opened, used and closed for each ticket and each status check, because
python-escpos never reopens a device that failed once (python-escpos#720) and a printer may be
power-cycled between two visitors.
"""
from __future__ import annotations

import importlib.util
import os
import select
import socket
import time
from typing import Callable, Mapping

from antrean.errors import ConfigError, HardwareError

from .printer_status import (REFUSE, PrinterOffline, PrinterStatus, PrinterTimeout,
                             error_for, interpret, query, valid)
from .ticket import DEFAULT_CUTTER, PAPERS

__all__ = ["open_printer", "Printer", "PrinterStatus", "REFUSE"]

# backend -> (required keys, optional keys)
COMMON = {"backend", "paper", "cutter", "timeout", "status_timeout"}
BACKENDS = {
    "file": ({"path"}, set()),
    "usb": ({"vendor", "product"}, {"in_ep", "out_ep"}),
    "serial": ({"device"}, {"baudrate"}),
    "network": ({"host"}, {"port"}),
    "dummy": (set(), set()),
}


def open_printer(cfg: Mapping) -> "Printer":
    """The printer described by ``cfg`` (a kiosk's ``printer`` table); nothing is opened yet."""
    cfg = dict(cfg or {"backend": "dummy"})
    backend = cfg.get("backend")
    if backend not in BACKENDS:
        raise ConfigError(f"unknown printer backend {backend!r}; use one of "
                          f"{', '.join(BACKENDS)}", key="printer.backend")
    required, optional = BACKENDS[backend]
    for key in sorted(required - cfg.keys()):
        raise ConfigError(f"the {backend} printer needs {key!r}", key=f"printer.{key}")
    for key in sorted(cfg.keys() - required - optional - COMMON):
        raise ConfigError(f"unknown key for a {backend} printer", key=f"printer.{key}")
    paper = cfg.get("paper", "80mm")
    if paper not in PAPERS:
        raise ConfigError(f"unknown paper {paper!r}; use 58mm or 80mm", key="printer.paper")
    connect, where = _CONNECTORS[backend](cfg)
    return Printer(backend, connect, where, paper=paper,
                   cutter=bool(cfg.get("cutter", DEFAULT_CUTTER[paper])),
                   timeout=float(cfg.get("timeout", 20.0)),
                   status_timeout=float(cfg.get("status_timeout", 2.0)))


def load_escpos() -> None:
    """python-escpos reads its printer database on first import: 8 s on an emulated Pi, at
    every start when its pickle cannot be kept. Done before a deadline starts, so the
    loading is never taken for a printer that does not answer (the qemu kiosk boot showed
    'Printer tidak terhubung' for a printer that was there)."""
    import escpos.printer  # noqa: F401


class Printer:
    """One configured printer. Thread-compatible: call from one worker thread."""

    def __init__(self, backend: str, connect: Callable[[float], "_Link"], where: str, *,
                 paper: str = "80mm", cutter: bool = True, timeout: float = 20.0,
                 status_timeout: float = 2.0):
        self.backend, self.where = backend, where
        self.paper, self.cutter = paper, cutter
        self.timeout, self.status_timeout = timeout, status_timeout
        self._connect = connect
        self.answers_status = False     # learnt: it has answered DLE EOT at least once

    def __repr__(self) -> str:
        return f"<Printer {self.backend} {self.where}>"

    def status(self, timeout: float | None = None) -> PrinterStatus:
        """Ask the printer how it is; never raises for a printer problem."""
        load_escpos()
        deadline = time.monotonic() + (self.status_timeout if timeout is None else timeout)
        try:
            link = self._connect(deadline)
        except PrinterOffline as e:
            return PrinterStatus("offline", str(e))
        try:
            return self._check(link, deadline)
        except PrinterOffline as e:
            return PrinterStatus("offline", str(e))
        finally:
            link.close()

    def print_ticket(self, data: bytes, timeout: float | None = None) -> PrinterStatus:
        """Send one ticket; the status seen afterwards is returned.

        Refuses (raises) when the printer says no paper, cover open or offline; raises when the
        printer is gone, a write stalls past ``timeout``, or the printer reports a problem or
        stops answering after the ticket (paper ran out mid-ticket).
        """
        timeout = self.timeout if timeout is None else timeout
        load_escpos()
        deadline = time.monotonic() + timeout
        link = self._connect(deadline)
        try:
            before = self._check(link, min(deadline, time.monotonic() + self.status_timeout))
            if before.state in REFUSE:
                raise error_for(before, "before printing")
            if before.state == "unknown" and self.answers_status:
                raise PrinterTimeout(f"printer {self.where} stopped answering status; "
                                     "ticket not sent")
            link.write(data, deadline)
            if before.state == "unknown":
                return before       # it cannot tell us (file backend, no status support)
            # Status is real-time but arrives behind the ticket: allow the whole budget.
            after = self._check(link, deadline)
            if after.state == "unknown":
                raise PrinterTimeout(f"printer {self.where} stopped answering after the ticket "
                                     f"(waited {timeout:g} s)")
            if after.state in REFUSE:
                raise error_for(after, "after printing (the ticket may be incomplete)")
            return after
        finally:
            link.close()

    def _check(self, link: "_Link", deadline: float) -> PrinterStatus:
        if not link.readable:
            return PrinterStatus("unknown", f"the {self.backend} backend cannot read status")
        replies = {1: link.ask(query(1), deadline)}
        if valid(replies[1]):
            if replies[1] & 0x08:       # offline: ask why
                replies[2] = link.ask(query(2), deadline)
            replies[4] = link.ask(query(4), deadline)
        self.answers_status = self.answers_status or valid(replies[1])
        return interpret(replies)


# ---- links: one open device for one ticket or one status check ---------------------------
class _Link:
    readable = True

    def write(self, data: bytes, deadline: float) -> None:
        raise NotImplementedError

    def read_byte(self, deadline: float) -> int | None:
        return None

    def drain(self) -> None:
        """Drop bytes nobody asked for (late replies, automatic status)."""

    def close(self) -> None:
        pass

    def ask(self, request: bytes, deadline: float) -> int | None:
        self.drain()
        self.write(request, deadline)
        return self.read_byte(deadline)


def _left(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())


class _NetworkLink(_Link):
    def __init__(self, cfg: dict, deadline: float):
        from escpos.printer import Network
        self.where = f"{cfg['host']}:{cfg.get('port', 9100)}"
        self.p = Network(cfg["host"], int(cfg.get("port", 9100)), timeout=_left(deadline))
        # Connect ourselves: Network.open() leaks the socket when the connect fails.
        try:
            self.p.device = socket.create_connection((self.p.host, self.p.port),
                                                     timeout=_left(deadline))
        except OSError as e:
            raise PrinterOffline(f"printer {self.where} unreachable: {e}") from e

    def write(self, data: bytes, deadline: float) -> None:
        self.p.device.settimeout(_left(deadline))
        try:
            self.p._raw(data)
        except TimeoutError as e:
            raise PrinterTimeout(f"printer {self.where} stopped taking data") from e
        except OSError as e:
            raise PrinterOffline(f"connection to printer {self.where} lost: {e}") from e

    def read_byte(self, deadline: float) -> int | None:
        self.p.device.settimeout(_left(deadline))
        try:
            reply = self.p._read()
        except TimeoutError:
            return None
        except OSError as e:
            raise PrinterOffline(f"connection to printer {self.where} lost: {e}") from e
        return reply[0] if reply else None

    def drain(self) -> None:
        sock = self.p.device
        sock.setblocking(False)
        try:
            while sock.recv(64):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as e:
            raise PrinterOffline(f"connection to printer {self.where} lost: {e}") from e
        finally:
            sock.setblocking(True)

    def close(self) -> None:
        self.p.close()


class _SerialLink(_Link):
    def __init__(self, cfg: dict, deadline: float):
        import serial
        from escpos.exceptions import DeviceNotFoundError
        from escpos.printer import Serial
        self.serial_errors = (serial.SerialException, OSError)
        self.where = cfg["device"]
        # dsrdtr off: USB adapters and ptys often lack DSR; the printer's own status tells us
        self.p = Serial(cfg["device"], int(cfg.get("baudrate", 9600)),
                        timeout=_left(deadline), dsrdtr=False)
        try:
            self.p.open()
        except DeviceNotFoundError as e:
            raise PrinterOffline(f"serial printer {self.where} missing: {e}") from e

    def write(self, data: bytes, deadline: float) -> None:
        import serial
        try:
            self.p.device.write_timeout = _left(deadline)
            self.p._raw(data)
        except serial.SerialTimeoutException as e:
            raise PrinterTimeout(f"serial printer {self.where} stopped taking data") from e
        except self.serial_errors as e:
            raise PrinterOffline(f"serial printer {self.where} failed: {e}") from e

    def read_byte(self, deadline: float) -> int | None:
        try:
            self.p.device.timeout = _left(deadline)
            reply = self.p.device.read(1)   # escpos's _read waits for 16 bytes
        except self.serial_errors as e:
            raise PrinterOffline(f"serial printer {self.where} failed: {e}") from e
        return reply[0] if reply else None

    def drain(self) -> None:
        try:
            self.p.device.reset_input_buffer()
        except self.serial_errors as e:
            raise PrinterOffline(f"serial printer {self.where} failed: {e}") from e

    def close(self) -> None:
        try:
            self.p.close()
        except self.serial_errors:
            pass    # closing flushes; a vanished adapter must not mask the real error


class _FileLink(_Link):
    """A character device such as usblp's /dev/usb/lp0: write only, non-blocking so that a
    stalled printer times out instead of hanging the kiosk (escpos's File would block)."""

    readable = False

    def __init__(self, cfg: dict, deadline: float):
        self.where = cfg["path"]
        try:
            self.fd = os.open(self.where, os.O_WRONLY | os.O_NONBLOCK | os.O_APPEND)
        except OSError as e:
            raise PrinterOffline(f"printer device {self.where}: {e.strerror}") from e

    def write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            if not select.select([], [self.fd], [], _left(deadline))[1]:
                if time.monotonic() >= deadline:
                    raise PrinterTimeout(f"printer device {self.where} stopped taking data")
                continue
            try:
                view = view[os.write(self.fd, view):]
            except BlockingIOError:
                continue
            except OSError as e:
                raise PrinterOffline(f"printer device {self.where}: {e.strerror}") from e

    def close(self) -> None:
        os.close(self.fd)


class _UsbLink(_Link):
    def __init__(self, cfg: dict, deadline: float):
        from escpos.exceptions import DeviceNotFoundError
        from escpos.printer import Usb
        self.where = f"usb {cfg['vendor']:04x}:{cfg['product']:04x}"
        extra = {k: cfg[k] for k in ("in_ep", "out_ep") if k in cfg}
        self.p = Usb(cfg["vendor"], cfg["product"], timeout=int(_left(deadline) * 1000), **extra)
        try:
            self.p.open()
        except (DeviceNotFoundError, OSError) as e:
            raise PrinterOffline(f"{self.where} not found: {e}") from e

    def write(self, data: bytes, deadline: float) -> None:
        import usb.core
        try:
            self.p.device.write(self.p.out_ep, data, int(_left(deadline) * 1000))
        except usb.core.USBTimeoutError as e:
            raise PrinterTimeout(f"{self.where} stopped taking data") from e
        except usb.core.USBError as e:
            raise PrinterOffline(f"{self.where} failed: {e}") from e

    def read_byte(self, deadline: float) -> int | None:
        import usb.core
        try:
            reply = self.p.device.read(self.p.in_ep, 16, int(_left(deadline) * 1000))
        except usb.core.USBTimeoutError:
            return None
        except usb.core.USBError as e:
            raise PrinterOffline(f"{self.where} failed: {e}") from e
        return reply[0] if len(reply) else None

    def close(self) -> None:
        self.p.close()


class _DummyLink(_Link):
    """Development printer: tickets go to ``jobs``; it always has paper."""

    def __init__(self, jobs: list[bytes]):
        self.jobs = jobs

    def write(self, data: bytes, deadline: float) -> None:
        if not data.startswith(b"\x10\x04"):
            self.jobs.append(bytes(data))

    def read_byte(self, deadline: float) -> int | None:
        return 0x12                      # online, paper adequate, cover closed


def _needs(module: str, what: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise HardwareError(f"{what} needs the Python package {module!r}, which is missing: "
                            + _INSTALL[module])


_INSTALL = {
    "escpos": "pip install 'python-escpos>=3.1' (or pip install 'antrean[kiosk]')",
    "serial": "pip install pyserial (or apt install python3-serial)",
    "usb": "pip install pyusb (or apt install python3-usb); or keep the kernel's usblp "
           "driver and use {backend = \"file\", path = \"/dev/usb/lp0\"}",
}


def _network(cfg):
    _needs("escpos", "a network printer")
    return (lambda deadline: _NetworkLink(cfg, deadline)), f"{cfg['host']}:{cfg.get('port', 9100)}"


def _serial(cfg):
    _needs("escpos", "a serial printer")
    _needs("serial", "a serial printer")
    return (lambda deadline: _SerialLink(cfg, deadline)), cfg["device"]


def _usb(cfg):
    _needs("escpos", "a USB printer")
    _needs("usb", "a USB printer (libusb backend)")
    return (lambda deadline: _UsbLink(cfg, deadline)), f"{cfg['vendor']:04x}:{cfg['product']:04x}"


def _file(cfg):
    return (lambda deadline: _FileLink(cfg, deadline)), cfg["path"]


def _dummy(cfg):
    jobs: list[bytes] = []
    connect = lambda deadline: _DummyLink(jobs)   # noqa: E731 - shared jobs list
    connect.jobs = jobs
    return connect, "memory"


_CONNECTORS = {"file": _file, "usb": _usb, "serial": _serial, "network": _network,
               "dummy": _dummy}


def dummy_jobs(printer: Printer) -> list[bytes]:
    """Tickets a dummy printer has received, oldest first."""
    if printer.backend != "dummy":
        raise HardwareError(f"{printer!r} is not a dummy printer")
    return printer._connect.jobs
