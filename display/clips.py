"""The clip set: one WAV file per spoken word or phrase, and how clips become one call.

A clip set is a folder of ``<clip>.wav`` files named after :data:`display.announcer.VOCABULARY`.
Either the default set, synthesized once with espeak-ng and cached in a folder keyed by the
espeak-ng version and the language, or a hall's own recordings (same names, one format).

All clips of a set share one PCM format, so joining them is plain byte concatenation with the
stdlib ``wave`` module; nothing is resampled (``audioop`` is gone in Python 3.13). A recorded
clip in another format is refused with an error that names the file and says how to convert.
"""
from __future__ import annotations

import array
import concurrent.futures
import hashlib
import io
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from antrean.errors import ConfigError, HardwareError, UsageError

from display import announcer

# What espeak-ng writes with -w; the chime is synthesized in the same format.
ESPEAK_RATE = 22050
# Bump when the way clips are made changes, so old caches are not reused.
GENERATOR_VERSION = 1
ESPEAK_VOICES = {"id": "id", "en": "en"}
ESPEAK_SPEED_WPM = 150      # a little slower than espeak's 175: halls echo
PEAK = 0.7                  # every spoken clip is scaled to this share of full scale
SILENCE_SHARE = 0.03        # samples quieter than this share of the peak count as silence
FADE_S = 0.005              # fade-in/out at the trimmed edges of a spoken clip
GAP_S = 0.12                # between words
CHIME_PAUSE_S = 0.35        # between the chime and the first word


@dataclass(frozen=True)
class AudioFormat:
    rate: int
    channels: int
    width: int              # bytes per sample

    def describe(self) -> str:
        layout = {1: "mono", 2: "stereo"}.get(self.channels, f"{self.channels}-channel")
        return f"{self.rate} Hz {layout} {8 * self.width}-bit"

    def silence(self, seconds: float) -> bytes:
        # 8-bit WAV is unsigned: its zero level is 0x80.
        zero = b"\x80" if self.width == 1 else b"\x00"
        return zero * (round(seconds * self.rate) * self.channels * self.width)


class ClipSet:
    """Loaded clips of one folder: name -> PCM frames, all in :attr:`format`."""

    def __init__(self, folder: Path, fmt: AudioFormat, frames: Mapping[str, bytes]):
        self.folder = folder
        self.format = fmt
        self._frames = dict(frames)

    @classmethod
    def load(cls, folder: str | os.PathLike, required: Iterable[str]) -> ClipSet:
        """Read every ``required`` clip from ``folder``. Raises :class:`ConfigError` naming
        the missing clips, or the file that is unreadable or in a different format."""
        folder = Path(folder)
        required = list(dict.fromkeys(required))
        missing = [c for c in required if not (folder / f"{c}.wav").is_file()]
        if missing:
            raise ConfigError(f"missing clips: {', '.join(f'{c}.wav' for c in missing)}",
                              path=str(folder))
        fmt, frames, first = None, {}, None
        for clip in required:
            path = folder / f"{clip}.wav"
            clip_fmt, frames[clip] = read_wav(path)
            if fmt is None:
                fmt, first = clip_fmt, path.name
            elif clip_fmt != fmt:
                raise ConfigError(
                    f"is {clip_fmt.describe()} but {first} is {fmt.describe()}; every clip "
                    f"must have one format (e.g. sox in.wav -r {fmt.rate} -c {fmt.channels} "
                    f"-b {8 * fmt.width} {path.name})", path=str(path))
        return cls(folder, fmt, frames)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._frames)

    def frames(self, clip: str) -> bytes:
        try:
            return self._frames[clip]
        except KeyError:
            raise UsageError(f"clip {clip!r} is not in the clip set {self.folder}") from None

    def duration(self, clip: str) -> float:
        f = self.format
        return len(self.frames(clip)) / (f.rate * f.channels * f.width)


def read_wav(path: Path) -> tuple[AudioFormat, bytes]:
    """One PCM WAV file as (format, frames); :class:`ConfigError` naming it otherwise."""
    try:
        with wave.open(str(path), "rb") as w:
            fmt = AudioFormat(w.getframerate(), w.getnchannels(), w.getsampwidth())
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError, OSError) as e:
        raise ConfigError(f"not a readable PCM WAV file ({e})", path=str(path)) from None
    if not frames:
        raise ConfigError("holds no sound (0 frames)", path=str(path))
    return fmt, frames


def wav_bytes(fmt: AudioFormat, frames: bytes) -> bytes:
    """PCM frames wrapped as a WAV file."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(fmt.channels)
        w.setsampwidth(fmt.width)
        w.setframerate(fmt.rate)
        w.writeframes(frames)
    return buf.getvalue()


def compose(clip_names: Iterable[str], clipset: ClipSet, gap_s: float = GAP_S,
            chime_pause_s: float = CHIME_PAUSE_S) -> bytes:
    """Join clips into one WAV file, a short silence between words and a longer one after
    the chime."""
    return wav_bytes(clipset.format, join_frames(clip_names, clipset, gap_s, chime_pause_s))


def join_frames(clip_names: Iterable[str], clipset: ClipSet, gap_s: float = GAP_S,
                chime_pause_s: float = CHIME_PAUSE_S) -> bytes:
    """The PCM frames of :func:`compose`, without the WAV header."""
    fmt = clipset.format
    parts: list[bytes] = []
    last = ""
    for clip in clip_names:
        if parts:
            parts.append(fmt.silence(chime_pause_s if last == announcer.CHIME else gap_s))
        parts.append(clipset.frames(clip))
        last = clip
    if not parts:
        raise UsageError("nothing to compose: no clips given")
    return b"".join(parts)


def required_clips(language: str, letters: str | None = None) -> tuple[str, ...]:
    """The clips a hall needs: the whole vocabulary, or only the prefix ``letters`` it uses."""
    vocab = announcer.VOCABULARY[announcer.check_language(language)]
    if letters is None:
        return vocab
    keep = {f"letter_{c.lower()}" for c in letters}
    return tuple(c for c in vocab if not c.startswith("letter_") or c in keep)


def load_clip_set(language: str, cache_dir: str | os.PathLike,
                  recorded_dir: str | os.PathLike | None = None,
                  letters: str | None = None) -> ClipSet:
    """The clip set a display uses: the hall's recordings when ``recorded_dir`` is set (a
    missing ``chime.wav`` there is synthesized in the recordings' format), else the
    espeak-ng set generated once under ``cache_dir``."""
    needed = required_clips(language, letters)
    if recorded_dir is None:
        return ClipSet.load(generate_default_clips(cache_dir, language), needed)
    folder = Path(recorded_dir)
    if (folder / f"{announcer.CHIME}.wav").is_file():
        return ClipSet.load(folder, needed)
    spoken = ClipSet.load(folder, [c for c in needed if c != announcer.CHIME])
    fmt = spoken.format
    if fmt.width != 2:
        raise ConfigError("missing chime.wav (it can only be synthesized for 16-bit clips)",
                          path=str(folder))
    frames = {c: spoken.frames(c) for c in spoken.names}
    frames[announcer.CHIME] = chime_frames(fmt.rate, fmt.channels)
    return ClipSet(folder, fmt, frames)


def default_cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where generated clips are cached when the configuration names no folder: the
    service's own cache (systemd's CacheDirectory= sets $CACHE_DIRECTORY; the unit has
    ProtectHome=, so a home folder is not writable), else the user's XDG cache."""
    if env.get("CACHE_DIRECTORY"):
        return Path(env["CACHE_DIRECTORY"].split(":")[0]) / "voice"
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME", "/tmp"), ".cache")
    return Path(base) / "antrean" / "voice"


def espeak_version(espeak: str = "espeak-ng") -> str:
    """The installed espeak-ng version, e.g. "1.51"; :class:`HardwareError` if absent."""
    exe = shutil.which(espeak)
    if exe is None:
        raise HardwareError(f"{espeak} is not installed: apt-get install espeak-ng, or "
                            "configure a folder of recorded clips")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
    m = re.search(r"text-to-speech:\s*(\S+)", out.stdout)
    return m.group(1) if m else "unknown"


def generate_default_clips(folder: str | os.PathLike, language: str,
                           espeak: str = "espeak-ng") -> Path:
    """Synthesize every clip of ``language`` with espeak-ng into a subfolder of ``folder``
    keyed by espeak-ng version, language and clip texts; return that subfolder. Done once:
    a complete subfolder is reused. Safe against a concurrent run (built aside, renamed)."""
    vocab = announcer.VOCABULARY[announcer.check_language(language)]
    texts = {c: announcer.clip_text(c, language) for c in vocab if c != announcer.CHIME}
    key = hashlib.sha256(repr((GENERATOR_VERSION, ESPEAK_SPEED_WPM, sorted(texts.items())))
                         .encode()).hexdigest()[:10]
    final = Path(folder) / f"espeak-ng-{espeak_version(espeak)}-{language}-{key}"
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        _synthesize_all(work, texts, ESPEAK_VOICES[language], shutil.which(espeak))
        fmt = AudioFormat(ESPEAK_RATE, 1, 2)
        (work / f"{announcer.CHIME}.wav").write_bytes(
            wav_bytes(fmt, chime_frames(fmt.rate, fmt.channels)))
        try:
            work.rename(final)
        except OSError:
            if not final.is_dir():      # not a concurrent run that finished first
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _synthesize_all(work: Path, texts: Mapping[str, str], voice: str, exe: str) -> None:
    # espeak-ng starts in ~10 ms; running a few at once makes ~60 clips take about a second.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 1)) as pool:
        jobs = [pool.submit(_synthesize, work, clip, text, voice, exe)
                for clip, text in texts.items()]
        for job in jobs:
            job.result()


def _synthesize(work: Path, clip: str, text: str, voice: str, exe: str) -> None:
    raw = work / f".{clip}.raw.wav"
    cmd = [exe, "-v", voice, "-s", str(ESPEAK_SPEED_WPM), "-w", str(raw), text]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if done.returncode != 0 or not raw.is_file():
        raise HardwareError(f"espeak-ng failed for clip {clip!r}: {done.stderr.strip()}")
    fmt, frames = read_wav(raw)
    if fmt != AudioFormat(ESPEAK_RATE, 1, 2):
        raise HardwareError(f"espeak-ng wrote {fmt.describe()}, expected 22050 Hz mono 16-bit")
    (work / f"{clip}.wav").write_bytes(wav_bytes(fmt, trim_and_level(frames, fmt.rate)))
    raw.unlink()


def _samples(frames: bytes) -> array.array:
    s = array.array("h", frames)
    if sys.byteorder == "big":      # WAV is little-endian
        s.byteswap()
    return s


def _frames(samples: array.array) -> bytes:
    if sys.byteorder == "big":
        samples = array.array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def trim_and_level(frames: bytes, rate: int, lead_s: float = 0.01,
                   tail_s: float = 0.03) -> bytes:
    """16-bit mono: cut leading/trailing silence (keeping a few ms so consonants are not
    clipped) and scale the peak to :data:`PEAK`, so all words sound equally loud."""
    s = _samples(frames)
    peak = max((abs(v) for v in s), default=0)
    if peak == 0:
        raise HardwareError("the synthesizer produced only silence")
    floor = peak * SILENCE_SHARE
    first = next(i for i, v in enumerate(s) if abs(v) > floor)
    last = next(i for i in range(len(s) - 1, -1, -1) if abs(s[i]) > floor)
    start, end = max(0, first - int(lead_s * rate)), min(len(s), last + 1 + int(tail_s * rate))
    gain = PEAK * 32767 / peak
    kept = s[start:end]
    fade = min(int(FADE_S * rate), len(kept) // 2)

    def ramp(i: int) -> float:     # short fades: a cut mid-waveform would click
        edge = min(i, len(kept) - 1 - i)
        return 1.0 if edge >= fade else edge / fade
    return _frames(array.array("h", (max(-32768, min(32767, round(v * gain * ramp(i))))
                                     for i, v in enumerate(kept))))


def chime_frames(rate: int, channels: int = 1, level: float = 0.5) -> bytes:
    """A two-tone "ding-dong" (E5 then C5, bell-like decay), 16-bit PCM, ~1.3 s."""
    note_s, overlap_s = 0.8, 0.35
    total = int((2 * note_s - overlap_s) * rate)
    mix = [0.0] * total
    for start_s, freq in ((0.0, 659.25), (note_s - overlap_s, 523.25)):
        offset = int(start_s * rate)
        for i in range(int(note_s * rate)):
            t = i / rate
            # 5 ms attack, bell decay, and a cosine release so the cut-off does not click.
            release = min(1.0, (note_s - t) / 0.2)
            envelope = (min(1.0, t / 0.005) * math.exp(-t / 0.25)
                        * (0.5 - 0.5 * math.cos(math.pi * release)))
            tone = (math.sin(2 * math.pi * freq * t)
                    + 0.35 * math.sin(4 * math.pi * freq * t)
                    + 0.1 * math.sin(6 * math.pi * freq * t))
            mix[offset + i] += envelope * tone
    peak = max(abs(v) for v in mix)
    mono = array.array("h", (round(v / peak * level * 32767) for v in mix))
    if channels > 1:
        mono = array.array("h", (v for v in mono for _ in range(channels)))
    return _frames(mono)
