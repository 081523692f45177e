"""The durable "last announced call" survives restarts and a kill at any instant."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from antrean.errors import StorageError
from display.memory import AnnounceMemory, default_path

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import sys
from display.memory import AnnounceMemory
memory = AnnounceMemory(sys.argv[1])
call_id = 0
while True:
    call_id += 1
    memory.remember(call_id)
    print(call_id, flush=True)
"""


def test_a_new_memory_knows_nothing_and_remembers_across_instances(tmp_path):
    path = tmp_path / "state" / "display-hall-announced.json"
    memory = AnnounceMemory(path)
    assert memory.last() is None
    memory.remember(41)
    assert AnnounceMemory(path).last() == 41


def test_the_memory_never_goes_down(tmp_path):
    memory = AnnounceMemory(tmp_path / "m.json")
    memory.remember(41)
    memory.remember(12)
    assert memory.last() == 41 and AnnounceMemory(tmp_path / "m.json").last() == 41


@pytest.mark.parametrize("bad", [-1, "41", 4.5, True, None])
def test_only_call_ids_are_remembered(tmp_path, bad):
    with pytest.raises(StorageError):
        AnnounceMemory(tmp_path / "m.json").remember(bad)


@pytest.mark.parametrize("content", [b"", b"\0" * 64, b"{", b'{"v":1,"last_call_id":-3}',
                                     b'{"v":9,"last_call_id":3}', b"[1]"])
def test_a_damaged_file_is_forgotten_not_fatal(tmp_path, content):
    path = tmp_path / "m.json"
    path.write_bytes(content)
    memory = AnnounceMemory(path)
    assert memory.last() is None
    memory.remember(7)
    assert AnnounceMemory(path).last() == 7


def test_the_memory_survives_a_kill_at_any_moment(tmp_path):
    path = tmp_path / "m.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE,
                            text=True, env=env)
    try:
        for _ in range(200):        # let it write a while, then kill it mid-stream
            confirmed = int(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
    last = AnnounceMemory(path).last()
    # The file is whole (a torn one would read as None) and holds every confirmed value.
    assert last is not None and last >= confirmed


def test_an_unwritable_folder_is_a_storage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StorageError):
        AnnounceMemory(blocker / "m.json")


def test_the_default_place_follows_systemd_then_xdg():
    assert default_path("d1", {"STATE_DIRECTORY": "/var/lib/antrean"}) == \
        Path("/var/lib/antrean/d1-announced.json")
    assert default_path("d1", {"XDG_STATE_HOME": "/x"}) == Path("/x/antrean/d1-announced.json")
    assert default_path("d1", {"HOME": "/h"}) == Path("/h/.local/state/antrean/d1-announced.json")


def test_another_database_starts_afresh_and_the_first_one_keeps_an_old_memory(tmp_path):
    path = tmp_path / "m.json"
    old = AnnounceMemory(path)
    old.remember(41)                       # written before databases had an identity
    memory = AnnounceMemory(path)
    memory.switch(7001)
    assert (memory.last(), memory.db()) == (41, 7001)
    memory.switch(9002)                    # a swapped database: its ids say nothing of 41
    assert (memory.last(), memory.db()) == (None, 9002)
    memory.remember(3)
    again = AnnounceMemory(path)
    assert (again.last(), again.db()) == (3, 9002)
