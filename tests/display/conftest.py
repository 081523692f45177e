"""Fixtures for the display's voice: real espeak-ng clip sets, generated once per session."""
import shutil

import pytest

from display import clips

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (scripts/install-system-deps)")


@pytest.fixture(scope="session")
def voice_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("voice-cache")


@pytest.fixture(scope="session")
def clipset_id(voice_cache):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    return clips.load_clip_set("id", voice_cache)


@pytest.fixture(scope="session")
def clipset_en(voice_cache):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    return clips.load_clip_set("en", voice_cache)
