"""The box's lines on stdout (LED changes, panel state, console replies).

They come from several threads (the box's loop, Kivy's, the console reader); ``print``
writes the text and the newline separately, so two threads could splice their lines. Each
line goes out in one ``write(2)`` instead: the kernel keeps a write of up to PIPE_BUF bytes
whole, and no lock is held that a signal (SIGTERM -> KeyboardInterrupt) could strand.
"""
from __future__ import annotations

import os
import sys


class Console:
    def __init__(self, fd: int | None = None):
        self._fd = sys.stdout.fileno() if fd is None else fd

    def say(self, line: str) -> None:
        data = (line + "\n").encode()
        while data:
            data = data[os.write(self._fd, data):]
