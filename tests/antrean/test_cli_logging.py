"""antrean.cli's logging: one line per message, without python-escpos's per-check chatter."""
import logging

import escpos.printer

import kiosk.printer
from antrean.cli import quiet_escpos


def record(level: int, path: str) -> logging.LogRecord:
    return logging.LogRecord("root", level, path, 1, "Closing Network connection to printer %s",
                             ("10.0.2.2",), None)


def test_escpos_info_is_dropped_but_its_warnings_and_ours_are_kept():
    assert not quiet_escpos(record(logging.INFO, escpos.printer.__file__))
    assert quiet_escpos(record(logging.WARNING, escpos.printer.__file__))
    assert quiet_escpos(record(logging.INFO, kiosk.printer.__file__))
