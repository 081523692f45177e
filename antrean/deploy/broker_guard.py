"""Guard Mosquitto's persistence file before the broker starts (``antrean broker-guard``).

A power cut on a Pi can leave ``mosquitto.db`` all NUL or cut short, and Mosquitto then
refuses to start (mosquitto#2639, #3159) — the whole hall stops. Broker state is rebuildable
from the hub's SQLite (retained snapshots are republished), so a file that does not read as
a Mosquitto database is moved aside and the broker starts empty. Run as ``ExecStartPre=``
of antrean-broker.service.

File format (Mosquitto 2.0, src/persist.h): 15 magic bytes, uint32 CRC, uint32 version,
then chunks of ``uint32 type, uint32 length, body`` in network byte order up to the end.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import struct
import sys
from pathlib import Path

from antrean.deploy.broker import DB_MAGIC as MAGIC
from antrean.errors import BrokerError

HEADER = len(MAGIC) + 8
CHUNK_TYPES = range(1, 7)       # CFG, MSG_STORE, CLIENT_MSG, RETAIN, SUB, CLIENT
WALKED_VERSION = 6              # the chunk layout we know; newer ones get the magic check only
KEEP_ASIDE = 3                  # corrupt copies kept for a bug report; the SD card is small


def problem(db: Path) -> str | None:
    """Why ``db`` would stop Mosquitto from starting, or None if it looks sound or is absent."""
    try:
        data = db.read_bytes()
    except FileNotFoundError:
        return None
    if not data:
        return "empty file"
    if data.count(0) == len(data):
        return "all NUL bytes (power cut while saving)"
    if len(data) < HEADER or not data.startswith(MAGIC):
        return "not a Mosquitto database (bad magic)"
    (version,) = struct.unpack_from("!I", data, len(MAGIC) + 4)
    if version != WALKED_VERSION:
        return None
    offset = HEADER
    while offset < len(data):
        if offset + 8 > len(data):
            return f"truncated chunk header at byte {offset}"
        kind, length = struct.unpack_from("!II", data, offset)
        if kind not in CHUNK_TYPES:
            return f"unknown chunk type {kind} at byte {offset}"
        offset += 8 + length
    if offset != len(data):
        return f"last chunk cut short ({offset - len(data)} bytes missing)"
    return None


def guard(db: Path, now: dt.datetime | None = None) -> Path | None:
    """Move a corrupt ``db`` aside; return where it went, or None if nothing was done."""
    why = problem(db)
    return None if why is None else move_aside(db, why, now)


def move_aside(db: Path, why: str, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%S")
    aside = db.with_name(f"{db.name}.corrupt-{stamp}")
    os.replace(db, aside)
    print(f"antrean broker-guard: {db}: {why}; moved to {aside.name}, the broker starts "
          "empty and the hub republishes its state", file=sys.stderr)
    for old in sorted(db.parent.glob(f"{db.name}.corrupt-*"))[:-KEEP_ASIDE]:
        old.unlink()
    return aside


def main_broker_guard(argv: list[str] | None = None) -> int:
    """``antrean broker-guard``: exit 0 when the broker may start, 7 when it cannot."""
    parser = argparse.ArgumentParser(
        prog="antrean broker-guard",
        description="Before Mosquitto starts: move a corrupt or all-NUL persistence file "
                    "aside, and check that the broker config exists.")
    parser.add_argument("--db", default="/var/lib/antrean/broker/mosquitto.db",
                        help="Mosquitto's persistence file")
    parser.add_argument("--config", default="/var/lib/antrean/broker/mosquitto.conf",
                        help="the broker config the broker will be started with")
    args = parser.parse_args(argv)
    try:
        guard(Path(args.db))
        if not Path(args.config).is_file():
            raise BrokerError(f"{args.config} does not exist: `antrean broker-config` writes "
                              "it from the hall's TOML file (the unit's first ExecStartPre)")
    except (BrokerError, OSError) as exc:
        print(f"antrean broker-guard: {exc}", file=sys.stderr)
        return BrokerError.exit_code
    return 0


main = main_broker_guard     # the name antrean.cli dispatches to
