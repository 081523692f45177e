"""Find the line of a key in a TOML text, so config errors can say "file:line".

tomllib returns plain dicts without positions. This is a small scanner over text that
tomllib has already accepted (so it need not diagnose syntax): it records the line of every
key, table header and array element under a key path such as ``("services", 3, "prefix")``.
Both ``[[services]]`` arrays of tables and inline forms (``services = [{...}]``,
``hours = { mon = [...] }``) are covered.
"""
from __future__ import annotations

import tomllib
from typing import Sequence

KeyPath = tuple[str | int, ...]

_BARE_KEY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SCALAR_END = frozenset(",]}\n#")


def format_key(path: Sequence[str | int]) -> str:
    """``("services", 3, "prefix")`` -> ``services[3].prefix``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if part and set(part) <= _BARE_KEY else f'"{part}"'
            out += f".{text}" if out else text
    return out


class KeyLocator:
    """Maps key paths to 1-based line numbers of one TOML text."""

    def __init__(self, text: str):
        self._lines: dict[KeyPath, int] = {}
        _Scanner(text, self._lines).run()

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, else of its nearest enclosing key or table that is in
        the file (a missing key points at its table header), else None."""
        key = tuple(path)
        while key:
            if key in self._lines:
                return self._lines[key]
            key = key[:-1]
        return None


class _Scanner:
    def __init__(self, text: str, lines: dict[KeyPath, int]):
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines = lines
        self.aot_count: dict[KeyPath, int] = {}   # array-of-tables path -> elements so far

    # -- low level ---------------------------------------------------------------------
    def peek(self, n: int = 1) -> str:
        return self.text[self.pos:self.pos + n]

    def advance(self, n: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + n)
        self.pos += n

    def skip_space(self, newlines: bool) -> None:
        """Skip blanks (and, if asked, newlines and comments)."""
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c in " \t\r" or (newlines and c == "\n"):
                self.advance()
            elif newlines and c == "#":
                end = self.text.find("\n", self.pos)
                self.advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    def record(self, path: KeyPath) -> None:
        self.lines.setdefault(path, self.line)

    # -- statements --------------------------------------------------------------------
    def run(self) -> None:
        table: KeyPath = ()
        while True:
            self.skip_space(newlines=True)
            if self.pos >= len(self.text):
                return
            if self.peek() == "[":
                table = self.header()
            else:
                self.key_value(table)

    def header(self) -> KeyPath:
        is_array = self.peek(2) == "[["
        self.advance(2 if is_array else 1)
        self.skip_space(newlines=False)
        parts = self.key()
        self.advance(2 if is_array else 1)
        path = self.resolve(parts, is_array)
        for i in range(1, len(path) + 1):
            self.record(path[:i])
        return path

    def resolve(self, parts: list[str], is_array: bool) -> KeyPath:
        """Header key -> concrete path: a name of an array of tables means its last element."""
        out: KeyPath = ()
        for i, part in enumerate(parts):
            out += (part,)
            if is_array and i == len(parts) - 1:
                n = self.aot_count.get(out, 0)
                self.aot_count[out] = n + 1
                out += (n,)
            elif out in self.aot_count:
                out += (self.aot_count[out] - 1,)
        return out

    def key_value(self, table: KeyPath) -> None:
        parts = self.key()
        path = table + tuple(parts)
        for i in range(len(table) + 1, len(path) + 1):
            self.record(path[:i])
        self.skip_space(newlines=False)
        self.advance()                  # "="
        self.skip_space(newlines=False)
        self.value(path)

    def key(self) -> list[str]:
        parts = []
        while True:
            self.skip_space(newlines=False)
            c = self.peek()
            if c in "\"'":
                start = self.pos
                self.string()
                parts.append(tomllib.loads("k = " + self.text[start:self.pos])["k"])
            else:
                start = self.pos
                while self.pos < len(self.text) and self.text[self.pos] in _BARE_KEY:
                    self.pos += 1
                parts.append(self.text[start:self.pos])
            self.skip_space(newlines=False)
            if self.peek() != ".":
                return parts
            self.advance()

    # -- values ------------------------------------------------------------------------
    def value(self, path: KeyPath) -> None:
        c = self.peek()
        if c in "\"'":
            self.string()
        elif c == "[":
            self.array(path)
        elif c == "{":
            self.inline_table(path)
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in _SCALAR_END:
                self.pos += 1

    def array(self, path: KeyPath) -> None:
        self.advance()
        index = 0
        while True:
            self.skip_space(newlines=True)
            if self.pos >= len(self.text) or self.peek() == "]":
                self.advance()
                return
            self.record(path + (index,))
            self.value(path + (index,))
            self.skip_space(newlines=True)
            if self.peek() == ",":
                self.advance()
            index += 1

    def inline_table(self, path: KeyPath) -> None:
        self.advance()
        while True:
            self.skip_space(newlines=True)
            if self.pos >= len(self.text) or self.peek() == "}":
                self.advance()
                return
            self.key_value(path)
            self.skip_space(newlines=True)
            if self.peek() == ",":
                self.advance()

    def string(self) -> None:
        quote = self.peek()
        if self.peek(3) == quote * 3:
            end = self._find_close(quote * 3, self.pos + 3)
            # A multi-line string may end in up to two extra quotes: """a""""".
            while self.text.startswith(quote, end + 3):
                end += 1
            self.advance(end + 3 - self.pos)
            return
        self.advance((self._find_close(quote, self.pos + 1) + 1) - self.pos)

    def _find_close(self, quote: str, start: int) -> int:
        i = start
        while i < len(self.text):
            if quote[0] == '"' and self.text[i] == "\\":
                i += 2
                continue
            if self.text.startswith(quote, i):
                return i
            i += 1
        return len(self.text)
