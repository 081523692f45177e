"""Where announcements are heard: audio sinks, and the queue that plays calls one at a time.

Sinks are backends chosen by configuration, resolved in one place (:func:`make_sink`):

- ``aplay``  -- ``aplay -q -D <device> file.wav`` in a subprocess. Avoids SDL audio, which fails
  on some Debian systems and under systemd (see FIELD-NOTES, Kivy).
- ``file``   -- writes each announcement as a numbered WAV into a folder (the headless demo).
- ``null``   -- plays nothing (a display with ``speak = false``).
- ``record`` -- keeps what was played, with start/end times, in memory; optionally takes the
  clip's real duration (scaled by ``pace``) so overlap can be observed.

A sink's ``play`` blocks until the sound is over. Only the :class:`AnnouncementQueue` worker
thread calls it, so the UI thread never waits on audio and two calls never overlap.
"""
from __future__ import annotations

import io
import logging
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Protocol

from antrean.errors import AntreanError, ConfigError, HardwareError, ProtocolError, UsageError

from display import announcer, clips

log = logging.getLogger(__name__)

BACKENDS = ("aplay", "file", "null", "record")


def wav_duration(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav), "rb") as w:
        return w.getnframes() / w.getframerate()


class Sink(Protocol):
    def play(self, wav: bytes, label: str) -> None:
        """Play one WAV file; return when it has been heard (or raise HardwareError)."""

    def interrupt(self) -> None:
        """Cut the sound that is playing now, from another thread (used at shutdown)."""


class AplaySink:
    """Plays through ALSA's ``aplay``; the device is an ALSA name (``default``,
    ``plughw:CARD=Headphones``, ``null``)."""

    def __init__(self, device: str = "default", aplay: str = "aplay",
                 tmp_dir: str | None = None, margin_s: float = 10.0):
        exe = shutil.which(aplay)
        if exe is None:
            raise HardwareError(f"{aplay} is not installed: apt-get install alsa-utils, "
                                "or choose the 'file' or 'null' audio backend")
        self.exe, self.device, self.tmp_dir, self.margin_s = exe, device, tmp_dir, margin_s
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def command(self, path: str) -> list[str]:
        return [self.exe, "-q", "-D", self.device, path]

    def play(self, wav: bytes, label: str) -> None:
        fd, path = tempfile.mkstemp(prefix="antrean-", suffix=".wav", dir=self.tmp_dir)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(wav)
            with self._lock:
                self._proc = subprocess.Popen(self.command(path), stdin=subprocess.DEVNULL,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                # A stuck device must not hold the queue forever.
                _, err = self._proc.communicate(timeout=wav_duration(wav) + self.margin_s)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.communicate()
                raise HardwareError(f"aplay on {self.device!r} did not finish {label}") from None
            rc = self._proc.returncode
            if rc > 0:      # < 0: cut by interrupt()
                raise HardwareError(f"aplay -D {self.device} failed (exit {rc}): "
                                    f"{err.decode(errors='replace').strip()}")
        finally:
            with self._lock:
                self._proc = None
            os.unlink(path)

    def interrupt(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.terminate()


class FileSink:
    """Writes ``NNNN-<label>.wav`` files into ``folder`` so a person can listen later."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.written: list[Path] = []

    def play(self, wav: bytes, label: str) -> None:
        path = self.folder / f"{len(self.written) + 1:04d}-{label}.wav"
        tmp = path.with_suffix(".part")
        tmp.write_bytes(wav)
        tmp.replace(path)       # a listener never finds half a file
        self.written.append(path)

    def interrupt(self) -> None:
        pass


class NullSink:
    def play(self, wav: bytes, label: str) -> None:
        pass

    def interrupt(self) -> None:
        pass


@dataclass
class Played:
    label: str
    wav: bytes
    started: float          # time.monotonic()
    ended: float


class RecordSink:
    """Keeps every announcement in :attr:`played`. With ``pace`` set, ``play`` lasts the
    sound's duration divided by ``pace`` (pace=10: a 6 s call takes 0.6 s), like a speaker."""

    def __init__(self, pace: float | None = None):
        self.pace = pace
        self.played: list[Played] = []
        self._changed = threading.Condition()
        self._cut = threading.Event()

    def play(self, wav: bytes, label: str) -> None:
        started = time.monotonic()
        if self.pace:
            self._cut.wait(wav_duration(wav) / self.pace)   # playing, interruptibly
        with self._changed:
            self.played.append(Played(label, wav, started, time.monotonic()))
            self._changed.notify_all()

    def interrupt(self) -> None:
        self._cut.set()

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until at least ``count`` announcements were played."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.played) >= count, timeout)


def make_sink(backend: str, device: str = "default", folder: str | os.PathLike | None = None,
              pace: float | None = None) -> Sink:
    """The one place an audio backend name becomes a sink."""
    if backend == "aplay":
        return AplaySink(device)
    if backend == "file":
        if folder is None:
            raise ConfigError("the 'file' audio backend needs a folder", key="audio_folder")
        return FileSink(folder)
    if backend == "null":
        return NullSink()
    if backend == "record":
        return RecordSink(pace)
    raise ConfigError(f"unknown audio backend {backend!r} (one of {', '.join(BACKENDS)})",
                      key="audio_backend")


@dataclass(frozen=True)
class VoiceConfig:
    """How a display speaks. ``languages`` are spoken in order (("id", "en") = both, one
    chime); ``recorded_dirs`` maps a language to a hall's folder of recorded clips."""

    languages: tuple[str, ...] = ("id",)
    backend: str = "aplay"
    device: str = "default"
    folder: str | None = None               # for the 'file' backend
    cache_dir: str | None = None            # generated clips; default ~/.cache/antrean/voice
    recorded_dirs: Mapping[str, str] = field(default_factory=dict)
    letters: str | None = None              # prefix letters in use; None = all 26
    max_age_s: float = 60.0

    def __post_init__(self):
        for lang in (*self.languages, *self.recorded_dirs):
            if lang not in announcer.LANGUAGES:
                raise ConfigError(f"unknown language {lang!r} (one of id, en)", key="language")
        if not self.languages:
            raise ConfigError("at least one language is needed", key="language")
        if self.backend not in BACKENDS:
            raise ConfigError(f"unknown audio backend {self.backend!r}", key="audio_backend")
        if not self.max_age_s > 0:
            raise ConfigError("must be a positive number of seconds", key="max_age_s")


def open_voice(config: VoiceConfig, clock: Callable[[], float] = time.time) -> AnnouncementQueue:
    """Build clip sets and sink from ``config`` and start the announcement queue."""
    cache = config.cache_dir or clips.default_cache_dir()
    voices = {lang: clips.load_clip_set(lang, cache, config.recorded_dirs.get(lang),
                                        config.letters)
              for lang in config.languages}
    sink = make_sink(config.backend, config.device, config.folder)
    return AnnouncementQueue(voices, sink, max_age_s=config.max_age_s, clock=clock)


class AnnouncementQueue:
    """Plays calls one after another on a worker thread; skips calls that waited too long.

    ``voices`` maps language -> clip set, spoken in that order with one chime. ``clock``
    returns epoch seconds on the hub's time base (the ``at`` of a call is hub epoch ms)."""

    def __init__(self, voices: Mapping[str, clips.ClipSet], sink: Sink,
                 max_age_s: float = 60.0, clock: Callable[[], float] = time.time,
                 language_pause_s: float = 0.6):
        formats = {cs.format for cs in voices.values()}
        if len(formats) != 1:
            raise ConfigError("the clip sets of all spoken languages must share one format: "
                              + ", ".join(f"{lang}: {cs.format.describe()} ({cs.folder})"
                                          for lang, cs in voices.items()))
        self.voices, self.sink = dict(voices), sink
        self.max_age_s, self.clock, self.language_pause_s = max_age_s, clock, language_pause_s
        self.spoken: deque[int] = deque(maxlen=1000)     # call ids, for health and tests
        self.skipped: deque[int] = deque(maxlen=1000)
        self.last_error: str | None = None
        self._calls: queue.Queue[dict | None] = queue.Queue()
        self._idle = threading.Condition()
        self._busy = 0
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._worker.start()

    def announce(self, call: dict) -> None:
        """Queue a call ``{"call_id", "number", "counter", "at"}``; returns at once. Raises
        :class:`ProtocolError` for a call that cannot be spoken."""
        _check_call(call)
        for lang in self.voices:
            announcer.call_clips(call["number"], call["counter"], lang)  # speakable?
        with self._idle:
            if self._closed:
                raise UsageError("the announcement queue is closed")
            self._busy += 1
            self._calls.put(dict(call))     # under the lock: never behind close()'s end mark

    @property
    def running(self) -> bool:
        return self._worker.is_alive()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued call was spoken or skipped."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop: drop waiting calls, cut the one playing, end the worker."""
        with self._idle:
            self._closed = True
        while True:
            try:
                if self._calls.get_nowait() is not None:
                    self._done()
            except queue.Empty:
                break
        self._calls.put(None)
        self.sink.interrupt()
        self._worker.join(timeout)

    def compose(self, call: dict) -> bytes:
        """The WAV for one call in every configured language, one chime at the start."""
        parts: list[bytes] = []
        for lang, clipset in self.voices.items():
            names = announcer.call_clips(call["number"], call["counter"], lang)
            if parts:       # the chime once, then a pause between languages
                names = names[1:]
                parts.append(clipset.format.silence(self.language_pause_s))
            parts.append(clips.join_frames(names, clipset))
        return clips.wav_bytes(next(iter(self.voices.values())).format, b"".join(parts))

    def _run(self) -> None:
        while (call := self._calls.get()) is not None:
            try:
                self._speak(call)
            except Exception as e:      # a failed announcement must not stop the next ones
                self.last_error = f"{type(e).__name__}: {e}"
                log.error("announcement of call %s failed: %s", call["call_id"], e,
                          exc_info=not isinstance(e, AntreanError))
            finally:
                self._done()

    def _speak(self, call: dict) -> None:
        age_s = self.clock() - call["at"] / 1000
        if age_s > self.max_age_s:
            log.info("not announcing call %s (%s at loket %s): %.0f s old, limit %.0f s",
                     call["call_id"], call["number"], call["counter"], age_s, self.max_age_s)
            self.skipped.append(call["call_id"])
            return
        first = next(iter(self.voices))
        log.info("announcing: %s", announcer.call_text(call["number"], call["counter"], first))
        label = f"call{call['call_id']}-{call['number']}-loket{call['counter']}"
        self.sink.play(self.compose(call), label)
        self.spoken.append(call["call_id"])
        self.last_error = None          # heard again: the fault is over

    def _done(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()


def _check_call(call: dict) -> None:
    if not isinstance(call, dict):
        raise ProtocolError("bad_payload", "a call must be an object")
    for key, kind in (("call_id", int), ("number", str), ("counter", int), ("at", int)):
        value = call.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ProtocolError("bad_payload", f"call field {key!r} must be {kind.__name__}, "
                                f"not {value!r}")
    if not 0 <= call["counter"] <= announcer.MAX_NUMBER:
        raise ProtocolError("bad_payload", f"counter {call['counter']} cannot be spoken")
