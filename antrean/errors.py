"""The one exception tree of Antrean, and the exit codes the CLI and systemd see.

Every error we raise derives from :class:`AntreanError`; subclasses also inherit the
matching builtin so callers that know only Python's exceptions still catch them.

Exit codes (also documented in ``antrean --help``):

====  ==========================================================
code  meaning
====  ==========================================================
0     success
1     unexpected error (a bug: please report the log)
2     usage error (bad command line)
3     configuration error (file, line/key and reason are printed)
4     protocol error (a payload that does not follow docs/protocol.md)
5     hardware error (printer, GPIO, audio device)
6     storage error (the SQLite database cannot be used)
7     the broker cannot be reached or set up
8     ``antrean status``: something needs a technician
====  ==========================================================
"""

EXIT_ATTENTION = 8      # no error of ours: what a device reports needs someone (status)


class AntreanError(Exception):
    """Base class of every error Antrean raises on purpose."""

    exit_code = 1


class UsageError(AntreanError, ValueError):
    exit_code = 2


class ConfigError(AntreanError, ValueError):
    """A configuration file is broken. Carries where and what."""

    exit_code = 3

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 key: str | None = None):
        self.message = message
        self.path = path
        self.line = line
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or "<config>"
        if self.line is not None:
            where += f":{self.line}"
        if self.key:
            where += f": {self.key}"
        return f"{where}: {self.message}"


class ProtocolError(AntreanError, ValueError):
    """A payload does not follow the protocol. ``code`` is the machine-readable reason
    sent back in error replies (see docs/protocol.md, "Error codes")."""

    exit_code = 4

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class HardwareError(AntreanError, OSError):
    exit_code = 5


class StorageError(AntreanError, OSError):
    exit_code = 6


class BrokerError(AntreanError, ConnectionError):
    exit_code = 7
