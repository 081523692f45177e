"""Fixtures for the display's voice: real espeak-ng clip sets, generated once per session."""

import pytest

from display import clips
from tests.fixtures.needs import need_programs

needs_espeak = pytest.mark.needs("espeak-ng")


@pytest.fixture(scope="session")
def voice_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("voice-cache")


@pytest.fixture(scope="session")
def clipset_id(voice_cache):
    need_programs("espeak-ng")
    return clips.load_clip_set("id", voice_cache)


@pytest.fixture(scope="session")
def clipset_en(voice_cache):
    need_programs("espeak-ng")
    return clips.load_clip_set("en", voice_cache)
