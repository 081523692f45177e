"""display/player.py: audio sinks and the announcement queue (no overlap, stale calls)."""
import io
import logging
import shutil
import subprocess
import threading
import time
import wave

import pytest

from antrean.errors import ConfigError, HardwareError, ProtocolError, UsageError
from display import announcer, clips
from display.player import (AnnouncementQueue, AplaySink, FileSink, RecordSink, VoiceConfig,
                            make_sink, open_voice)
from tests.fixtures.needs import lacking, need_programs


def call(call_id, number="A-012", counter=3, at=None):
    return {"call_id": call_id, "number": number, "counter": counter,
            "at": int(time.time() * 1000) if at is None else at}


def need_alsa_null():
    need_programs("aplay")
    names = subprocess.run(["aplay", "-L"], capture_output=True, text=True).stdout.split()
    if "null" not in names:
        lacking("ALSA has no null device (package alsa-utils, libasound2's default config)")


class GateSink:
    """Plays until the test opens the gate; records start and end times under a lock."""

    def __init__(self):
        self.started = threading.Event()
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.intervals = []

    def play(self, wav, label):
        start = time.monotonic()
        self.started.set()
        self.gate.wait(10)
        with self.lock:
            self.intervals.append((label, start, time.monotonic()))

    def interrupt(self):
        self.gate.set()


class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


@pytest.fixture
def paced(clipset_id):
    # pace 40: a ~6.5 s call "plays" for ~0.16 s, long enough for overlaps to show.
    sink = RecordSink(pace=40)
    q = AnnouncementQueue({"id": clipset_id}, sink)
    yield q, sink
    q.close()


def test_calls_from_many_threads_never_overlap(paced):
    q, sink = paced
    threads = [threading.Thread(target=lambda k=k: [q.announce(call(10 * k + i))
                                                     for i in range(3)]) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert q.wait_idle(30)
    assert len(sink.played) == 12 and sorted(q.spoken) == sorted(
        10 * k + i for k in range(4) for i in range(3))
    spans = sorted((p.started, p.ended) for p in sink.played)
    assert all(end - start > 0.1 for start, end in spans)      # playback took time
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end, "two announcements overlapped"


def test_announce_returns_at_once_while_another_call_plays(clipset_id):
    sink = GateSink()
    q = AnnouncementQueue({"id": clipset_id}, sink)
    try:
        q.announce(call(1))
        assert sink.started.wait(5)
        t = time.monotonic()
        q.announce(call(2))
        assert time.monotonic() - t < 2.0     # the sink is blocked: a blocking call never returns
        assert not q.wait_idle(0.05)
        sink.gate.set()
        assert q.wait_idle(10)
        assert [i[0] for i in sink.intervals] == ["call1-A-012-loket3", "call2-A-012-loket3"]
    finally:
        q.close()


def test_a_call_that_went_stale_while_waiting_is_skipped(clipset_id, caplog):
    # given call 2 queued fresh behind call 1, which plays for a long time
    caplog.set_level(logging.INFO, logger="display.player")
    sink, clock = GateSink(), Clock()
    q = AnnouncementQueue({"id": clipset_id}, sink, max_age_s=60, clock=clock)
    try:
        q.announce(call(1, at=int(clock.now * 1000)))
        assert sink.started.wait(5)
        q.announce(call(2, "B-007", 5, at=int(clock.now * 1000)))
        # when its turn comes 61 s later
        clock.now += 61
        sink.gate.set()
        assert q.wait_idle(10)
        # then it is logged, not spoken
        assert list(q.spoken) == [1] and list(q.skipped) == [2]
        assert "not announcing call 2 (B-007 at loket 5): 61 s old" in caplog.text
    finally:
        q.close()


def test_a_call_just_inside_max_age_is_spoken(clipset_id):
    clock, sink = Clock(), RecordSink()
    q = AnnouncementQueue({"id": clipset_id}, sink, max_age_s=60, clock=clock)
    try:
        q.announce(call(1, at=int((clock.now - 59) * 1000)))
        q.announce(call(2, at=int((clock.now - 61) * 1000)))
        assert q.wait_idle(10)
        assert list(q.spoken) == [1] and list(q.skipped) == [2]
    finally:
        q.close()


@pytest.mark.parametrize("bad", [
    {"call_id": 1, "number": "A-012", "counter": 3},
    {"call_id": "1", "number": "A-012", "counter": 3, "at": 0},
    {"call_id": 1, "number": "A-0123456", "counter": 3, "at": 0},
    {"call_id": 1, "number": "A-012", "counter": 10000, "at": 0},
    {"call_id": 1, "number": "A-012", "counter": True, "at": 0},
    "A-012",
])
def test_unspeakable_calls_are_refused_at_once(paced, bad):
    q, sink = paced
    with pytest.raises(ProtocolError):
        q.announce(bad)
    assert q.wait_idle(1) and sink.played == []


def test_close_cuts_playback_and_stops_the_worker(clipset_id):
    sink = RecordSink(pace=0.5)     # a call would take ~13 s
    q = AnnouncementQueue({"id": clipset_id}, sink)
    q.announce(call(1))
    q.announce(call(2))
    t = time.monotonic()
    q.close()
    assert time.monotonic() - t < 3 and not q.running
    assert len(sink.played) <= 1
    with pytest.raises(UsageError):
        q.announce(call(3))


def test_a_failing_sink_does_not_stop_later_calls(clipset_id):
    class Flaky(RecordSink):
        def play(self, wav, label):
            if not self.played and not getattr(self, "failed", False):
                self.failed = True
                raise HardwareError("speaker unplugged")
            super().play(wav, label)

    sink = Flaky()
    q = AnnouncementQueue({"id": clipset_id}, sink)
    try:
        q.announce(call(1))
        assert q.wait_idle(10)
        assert "speaker unplugged" in q.last_error          # what health reports
        q.announce(call(2))
        assert q.wait_idle(10)
        assert list(q.spoken) == [2] and q.last_error is None   # heard again: healthy
    finally:
        q.close()


def test_both_languages_share_one_chime(clipset_id, clipset_en):
    q = AnnouncementQueue({"id": clipset_id, "en": clipset_en}, RecordSink())
    try:
        both = q.compose(call(1))
    finally:
        q.close()
    with wave.open(io.BytesIO(both)) as w:
        n = w.getnframes()
    id_only = clips.join_frames(announcer.call_clips("A-012", 3, "id"), clipset_id)
    en_words = clips.join_frames(announcer.call_clips("A-012", 3, "en")[1:], clipset_en)
    assert n == (len(id_only) + len(en_words)) // 2 + round(0.6 * 22050)


def test_file_sink_writes_numbered_wavs(clipset_id, tmp_path):
    q = AnnouncementQueue({"id": clipset_id}, FileSink(tmp_path / "out"))
    try:
        q.announce(call(7, "C-101", 12))
        q.announce(call(8, "C-102", 12))
        assert q.wait_idle(10)
    finally:
        q.close()
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["0001-call7-C-101-loket12.wav", "0002-call8-C-102-loket12.wav"]
    with wave.open(str(tmp_path / "out" / files[0])) as w:
        assert w.getframerate() == 22050 and 2 < w.getnframes() / 22050 < 9


@pytest.mark.needs("aplay")
def test_aplay_command_line():
    sink = AplaySink("plughw:CARD=Headphones")
    assert sink.command("/tmp/x.wav") == [shutil.which("aplay"), "-q", "-D",
                                          "plughw:CARD=Headphones", "/tmp/x.wav"]


def test_aplay_plays_for_real_on_the_null_device(clipset_id, tmp_path):
    need_alsa_null()
    sink = AplaySink("null", tmp_dir=str(tmp_path))
    q = AnnouncementQueue({"id": clipset_id}, sink)
    try:
        q.announce(call(1))
        assert q.wait_idle(30)
        assert list(q.spoken) == [1] and q.last_error is None
    finally:
        q.close()
    assert list(tmp_path.iterdir()) == []       # the temporary WAV is removed


@pytest.mark.needs("aplay")
def test_aplay_on_a_missing_device_reports_aplay_error(clipset_id, tmp_path):
    sink = AplaySink("no_such_alsa_device", tmp_dir=str(tmp_path))
    wav = clips.compose(["chime"], clipset_id)
    with pytest.raises(HardwareError, match="aplay -D no_such_alsa_device failed"):
        sink.play(wav, "chime")
    assert list(tmp_path.iterdir()) == []


def test_missing_aplay_fails_clearly():
    with pytest.raises(HardwareError, match="alsa-utils"):
        AplaySink(aplay="no-such-aplay")


def test_backends_are_resolved_in_one_place(tmp_path):
    assert isinstance(make_sink("record"), RecordSink)
    assert isinstance(make_sink("file", folder=tmp_path), FileSink)
    with pytest.raises(ConfigError, match="audio_folder"):
        make_sink("file")
    with pytest.raises(ConfigError, match="unknown audio backend 'pulse'"):
        make_sink("pulse")


@pytest.mark.parametrize("kwargs, key", [
    ({"languages": ("jv",)}, "language"),
    ({"languages": ()}, "language"),
    ({"backend": "sdl"}, "audio_backend"),
    ({"max_age_s": 0}, "max_age_s"),
])
def test_voice_config_is_validated(kwargs, key):
    with pytest.raises(ConfigError) as e:
        VoiceConfig(**kwargs)
    assert e.value.key == key


def test_open_voice_builds_a_working_queue(voice_cache, clipset_id):
    q = open_voice(VoiceConfig(languages=("id",), backend="record", cache_dir=str(voice_cache)))
    try:
        q.announce(call(1))
        assert q.wait_idle(10) and q.sink.wait_for(1, 1)
        assert q.sink.played[0].label == "call1-A-012-loket3"
    finally:
        q.close()
