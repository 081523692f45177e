"""The box's lines on stdout (LED changes, panel state, console replies).

They come from several threads (the box's loop, Kivy's, the console reader); ``print``
writes the text and the newline separately, so two threads could splice their lines.
One write of the whole line under a lock keeps every line whole for whoever reads it.
"""
from __future__ import annotations

import sys
import threading


class Console:
    def __init__(self, stream=None):
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()

    def say(self, line: str) -> None:
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()
