"""Printer states, the errors printing raises, and the ESC/POS status bytes behind them.

Real-time status (``DLE EOT n``) answers one byte per query. Per the ESC/POS reference every
answer has bits 0 and 7 at 0 and bits 1 and 4 at 1 (``byte & 0x93 == 0x12``); anything else
(including no answer) is not a status. Unlike python-escpos's ``paper_status()``, which reads
an empty reply as "no paper", a missing or invalid reply here is "unknown".
"""
from __future__ import annotations

from dataclasses import dataclass

from antrean.errors import HardwareError

STATES = ("ok", "paper_low", "no_paper", "cover_open", "offline", "unknown")
REFUSE = ("no_paper", "cover_open", "offline")   # states in which we do not send a ticket

DLE_EOT = b"\x10\x04"
FIXED_MASK, FIXED_BITS = 0x93, 0x12
# n=1 printer status
OFFLINE = 0x08
# n=2 offline cause
COVER_OPEN, FEED_BUTTON, PAPER_STOP, ERROR = 0x04, 0x08, 0x20, 0x40
# n=3 error cause
CUTTER_ERROR, UNRECOVERABLE, AUTO_RECOVERABLE = 0x08, 0x20, 0x40
# n=4 roll paper sensors: both bits of a pair are set together
NEAR_END, PAPER_END = 0x0C, 0x60


def query(n: int) -> bytes:
    """The real-time status request ``DLE EOT n`` (n = 1, 2, 3 or 4)."""
    return DLE_EOT + bytes((n,))


def valid(reply: int | None) -> bool:
    return reply is not None and reply & FIXED_MASK == FIXED_BITS


@dataclass(frozen=True)
class PrinterStatus:
    state: str                    # one of STATES
    detail: str = ""              # for logs and the status view, English
    replies: tuple = ()           # (n, byte or None) pairs as read, for diagnosis

    @property
    def printable(self) -> bool:
        """Worth sending a ticket: ok, paper low, or a printer that cannot tell."""
        return self.state not in REFUSE


def interpret(replies: dict[int, int | None]) -> PrinterStatus:
    """A state from the answers to DLE EOT 1, 2 and 4 (missing keys were not asked)."""
    pairs = tuple(sorted(replies.items()))
    printer = replies.get(1)
    if not valid(printer):
        return PrinterStatus("unknown", "no valid answer to DLE EOT 1", pairs)
    cause, paper = replies.get(2), replies.get(4)
    if printer & OFFLINE:
        if valid(cause) and cause & COVER_OPEN:
            return PrinterStatus("cover_open", "cover open", pairs)
        if (valid(cause) and cause & PAPER_STOP) or \
                (valid(paper) and paper & PAPER_END == PAPER_END):
            return PrinterStatus("no_paper", "paper end", pairs)
        return PrinterStatus("offline", "printer reports offline"
                             + (" (error)" if valid(cause) and cause & ERROR else ""), pairs)
    if not valid(paper):
        return PrinterStatus("unknown", "online, paper sensor not answering", pairs)
    if paper & PAPER_END == PAPER_END:
        return PrinterStatus("no_paper", "paper end", pairs)
    if paper & NEAR_END == NEAR_END:
        return PrinterStatus("paper_low", "paper near end", pairs)
    return PrinterStatus("ok", "online, paper adequate", pairs)


class PrinterError(HardwareError):
    """Printing failed; ``state`` names the printer state for the kiosk and the hub."""

    state = "offline"


class PrinterOffline(PrinterError):
    """The printer cannot be reached, went away mid-ticket or says it is offline."""


class PrinterTimeout(PrinterOffline):
    """The printer stopped taking data or answering within the time allowed."""


class PaperOut(PrinterError):
    state = "no_paper"


class CoverOpen(PrinterError):
    state = "cover_open"


def error_for(status: PrinterStatus, when: str) -> PrinterError:
    """The exception for a refusing state; ``when`` says at which step it was seen."""
    kinds = {"no_paper": PaperOut, "cover_open": CoverOpen}
    return kinds.get(status.state, PrinterOffline)(f"printer {status.state} {when}: "
                                                   f"{status.detail}")
