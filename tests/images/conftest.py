"""Fixtures of the image tests: one image built per session (cached base reused), when run
as root (as CI does); the build tools are installed first. The tests are marked slow:
`make test-fast` skips them, and ANTREAN_IMAGE_TESTS=0 turns them off."""
import os
import subprocess
from pathlib import Path

import pytest

from tests.images import machine
from tests.fixtures.needs import lacking, need_programs, need_root

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def built_image(tmp_path_factory) -> Path:
    if os.environ.get("ANTREAN_IMAGE_TESTS") == "0":
        lacking("image build and qemu boots turned off (ANTREAN_IMAGE_TESTS=0)")
    need_root("building the image (mmdebstrap, chroot, file owners); CI runs it as root: "
              "~9 min without the cached base, ~2 min with it")
    subprocess.run([str(REPO / "scripts/install-system-deps"), "--image"], check=False)
    need_programs(*machine.BUILD_TOOLS)
    out = tmp_path_factory.mktemp("image-out")
    env = dict(os.environ, ANTREAN_IMG_OUT=str(out))     # compressed as shipped (xz)
    done = subprocess.run([str(REPO / "images/build.sh")], env=env, capture_output=True,
                          text=True, timeout=1800)
    if not machine.binfmt_ready():
        lacking("binfmt_misc has no qemu-aarch64 (container without binfmt?)")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (out / "build.log").write_text(done.stdout + done.stderr)
    return next(out.glob("*.img"))


@pytest.fixture(scope="session")
def kernel(built_image, tmp_path_factory) -> tuple[Path, Path]:
    return machine.extract_kernel(built_image, tmp_path_factory.mktemp("kernel"))


@pytest.fixture
def fresh_image(built_image, tmp_path):
    """A sparse copy of the built image, as flashed; removed afterwards (2 GB each), the
    console log stays in tmp_path."""
    copy = machine.copy_image(built_image, tmp_path / "sd.img")
    yield copy
    copy.unlink(missing_ok=True)
