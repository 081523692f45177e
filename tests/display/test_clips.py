"""display/clips.py: the espeak-ng clip set, recorded clip folders and composing a call."""
import array
import shutil
import subprocess
import time

import pytest

from antrean.errors import ConfigError, HardwareError
from display import announcer, clips
from display.clips import AudioFormat, ClipSet, compose, wav_bytes

from .conftest import needs_espeak

ESPEAK = AudioFormat(22050, 1, 2)


def frames_of(wav: bytes) -> int:
    import io
    import wave
    with wave.open(io.BytesIO(wav)) as w:
        return w.getnframes()


def test_generated_set_has_every_clip_in_one_format(clipset_id, clipset_en):
    for lang, cs in (("id", clipset_id), ("en", clipset_en)):
        assert cs.names == announcer.VOCABULARY[lang]
        assert cs.format == ESPEAK
        for clip in cs.names:
            # Trimmed words are short; untrimmed espeak output carries ~0.3 s of silence.
            assert 0.1 < cs.duration(clip) < 1.6, (lang, clip, cs.duration(clip))


def test_generated_words_are_trimmed_and_levelled(clipset_id):
    for clip in ("satu", "belas", "letter_a", "silakan_menuju"):
        s = array.array("h", clipset_id.frames(clip))
        peak = max(abs(v) for v in s)
        assert abs(peak - clips.PEAK * 32767) <= 1
        # Sound starts within the 10 ms lead (+5 ms fade) and ends within the 30 ms tail.
        loud = [i for i, v in enumerate(s) if abs(v) > peak * 0.05]
        assert loud[0] < 0.02 * 22050
        assert len(s) - loud[-1] < 0.04 * 22050


@needs_espeak
def test_generation_is_quick_and_happens_once(tmp_path):
    started = time.monotonic()
    folder = clips.generate_default_clips(tmp_path, "en")
    assert time.monotonic() - started < 30
    assert folder.parent == tmp_path
    assert folder.name.startswith(f"espeak-ng-{clips.espeak_version()}-en-")
    stamp = (folder / "twelve.wav").stat().st_mtime_ns
    assert clips.generate_default_clips(tmp_path, "en") == folder
    assert (folder / "twelve.wav").stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]   # no work folders left


def test_missing_espeak_fails_clearly(tmp_path):
    with pytest.raises(HardwareError, match="apt-get install espeak-ng"):
        clips.generate_default_clips(tmp_path, "id", espeak="no-such-espeak-ng")


def test_composed_call_has_every_clip_and_a_plausible_duration(clipset_id):
    names = announcer.call_clips("A-012", 3, "id")
    wav = compose(names, clipset_id)
    words = sum(len(clipset_id.frames(c)) // 2 for c in names)
    gaps = round(clips.CHIME_PAUSE_S * 22050) + (len(names) - 2) * round(clips.GAP_S * 22050)
    assert frames_of(wav) == words + gaps
    assert 2.0 < frames_of(wav) / 22050 < 8.0


def test_each_extra_word_adds_time(clipset_id):
    short = frames_of(compose(announcer.call_clips("A-001", 1, "id"), clipset_id))
    longer = frames_of(compose(announcer.call_clips("A-021", 1, "id"), clipset_id))
    longest = frames_of(compose(announcer.call_clips("A-999", 999, "id"), clipset_id))
    assert short < longer < longest
    assert (longest - short) / 22050 > 2.0     # eight more words


@pytest.mark.needs("soxi")
def test_real_announcement_file_reads_back_with_sox(clipset_en, tmp_path):
    path = tmp_path / "A-012-loket3.wav"
    path.write_bytes(compose(announcer.call_clips("A-012", 3, "en"), clipset_en))
    duration = float(subprocess.run(["soxi", "-D", str(path)], capture_output=True,
                                    text=True, check=True).stdout)
    rate = subprocess.run(["soxi", "-r", str(path)], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert rate == "22050"
    assert 2.0 < duration < 8.0


@pytest.fixture
def recorded(clipset_id, tmp_path):
    """A hall's folder of "recorded" clips: a copy of the generated set."""
    folder = tmp_path / "recorded"
    shutil.copytree(clipset_id.folder, folder)
    return folder


def test_recorded_clips_load(recorded):
    cs = clips.load_clip_set("id", "/nonexistent-cache", recorded_dir=recorded)
    assert cs.folder == recorded and cs.format == ESPEAK


def test_recorded_clip_in_another_format_is_refused_by_name(recorded):
    stereo = AudioFormat(44100, 2, 2)
    (recorded / "tiga.wav").write_bytes(wav_bytes(stereo, stereo.silence(0.5)))
    with pytest.raises(ConfigError) as e:
        ClipSet.load(recorded, announcer.VOCABULARY["id"])
    assert "tiga.wav" in str(e.value)
    assert "44100 Hz stereo 16-bit" in str(e.value) and "22050 Hz mono 16-bit" in str(e.value)


def test_missing_recorded_clips_are_listed(recorded):
    (recorded / "sebelas.wav").unlink()
    (recorded / "letter_q.wav").unlink()
    with pytest.raises(ConfigError, match="missing clips: letter_q.wav, sebelas.wav"):
        ClipSet.load(recorded, announcer.VOCABULARY["id"])


def test_missing_letters_are_fine_when_the_hall_does_not_use_them(recorded):
    (recorded / "letter_q.wav").unlink()
    cs = clips.load_clip_set("id", "/nonexistent-cache", recorded_dir=recorded, letters="ABC")
    assert "letter_q" not in cs.names and "letter_c" in cs.names


def test_a_file_that_is_not_wav_is_named(recorded):
    (recorded / "loket.wav").write_bytes(b"ID3\x03 this is an mp3, renamed")
    with pytest.raises(ConfigError, match=r"loket\.wav: not a readable PCM WAV"):
        ClipSet.load(recorded, announcer.VOCABULARY["id"])


def test_missing_chime_in_recordings_is_synthesized_in_their_format(recorded):
    (recorded / "chime.wav").unlink()
    cs = clips.load_clip_set("id", "/nonexistent-cache", recorded_dir=recorded)
    assert 1.0 < cs.duration("chime") < 1.6


def test_chime_is_a_ding_dong_without_clicks():
    s = array.array("h", clips.chime_frames(22050))
    assert len(s) == round(1.25 * 22050)
    assert max(abs(v) for v in s) == round(0.5 * 32767)
    assert max(abs(v) for v in s[-50:]) < 100      # faded out, no click at the end
    stereo = clips.chime_frames(22050, channels=2)
    assert len(stereo) == 2 * len(s) * 2


def test_trim_cuts_silence_around_a_word():
    word = array.array("h", [0] * 2205 + [8000, -8000] * 2205 + [0] * 4410)
    trimmed = array.array("h", clips.trim_and_level(word.tobytes(), 22050))
    # 4410 loud samples plus the 10 ms lead and 30 ms tail kept.
    assert len(trimmed) == 4410 + 220 + 661
    assert max(abs(v) for v in trimmed) == round(clips.PEAK * 32767)
    assert trimmed[0] == 0 and trimmed[-1] == 0


def test_an_8_bit_gap_is_unsigned_silence():
    assert AudioFormat(8000, 1, 1).silence(0.001) == b"\x80" * 8
    assert AudioFormat(8000, 2, 2).silence(0.001) == b"\x00" * 32


def test_cache_goes_where_systemd_says_before_the_home_folder():
    """The unit runs with ProtectHome= and CacheDirectory=: the home folder is read-only
    there (found by booting the image), $CACHE_DIRECTORY is the place."""
    env = {"CACHE_DIRECTORY": "/var/cache/antrean-display", "HOME": "/home/antrean"}
    assert str(clips.default_cache_dir(env)) == "/var/cache/antrean-display/voice"
    env = {"HOME": "/home/antrean"}
    assert str(clips.default_cache_dir(env)) == "/home/antrean/.cache/antrean/voice"
