"""scripts/system-packages, scripts/install-system-deps and scripts/fresh-machine: a brand-new
machine gets every package the demo, the tests and the image build run, by name."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.needs import need_programs, need_root, packages
from tests.images.machine import BUILD_TOOLS

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
OLD_LIST = Path(__file__).with_name("install-system-deps.f4e0bf2")   # main when CI went red
NAMED = re.compile(r"(?:mark\.needs|need_programs)\(([^)]*)\)")


def catalogue() -> list[tuple[str, str, list[str]]]:
    rows = []
    for line in (SCRIPTS / "system-packages").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pkg, group, *things = line.split()
            rows.append((pkg, group, things))
    return rows


def programs_the_tests_name() -> set[str]:
    named = set(BUILD_TOOLS)
    for path in (REPO / "tests").rglob("*.py"):
        for args in NAMED.findall(path.read_text()):
            named |= set(re.findall(r'"([^"]+)"', args))
    return named


def test_every_program_a_test_needs_is_in_the_catalogue_with_its_package():
    named = programs_the_tests_name()
    assert {"Xvfb", "mosquitto", "espeak-ng", "arch-test", "kill", "man"} <= named
    assert named - set(packages()) == set()


def test_each_package_is_listed_once_in_a_known_set():
    rows = catalogue()
    assert len({pkg for pkg, _, _ in rows}) == len(rows)
    assert {group for _, group, _ in rows} == {"run", "image"}
    assert all(things for _, _, things in rows)


@pytest.mark.parametrize("flag, groups", [([], {"run"}), (["--image"], {"run", "image"})])
def test_install_system_deps_asks_apt_for_the_catalogues_packages_by_name(tmp_path, flag, groups):
    """Given a machine with nothing installed (dpkg-query knows no package), when the script
    runs, then apt-get installs exactly the catalogue's packages, without Recommends."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    stubs = {"dpkg-query": "exit 1", "apt-get": f'echo "$@" >> {log}', "sudo": '"$@"',
             "systemctl": "exit 0"}
    for name, body in stubs.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}
    done = subprocess.run([str(SCRIPTS / "install-system-deps"), *flag], env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    update, install = log.read_text().splitlines()
    assert update.split() == ["update", "-qq"]
    args = install.split()
    assert args[:4] == ["install", "-y", "-qq", "--no-install-recommends"]
    assert set(args[4:]) == {pkg for pkg, group, _ in catalogue() if group in groups}


@pytest.mark.slow
def test_a_brand_new_debian_root_gets_everything_and_the_old_list_is_caught():
    """Given a minimal Debian root, when f4e0bf2's install list runs in it, then the check
    names what it lacked (arch-test among them); and after scripts/install-system-deps
    --image everything the catalogue names is there and arm64 roots can be built."""
    need_root("mmdebstrap, chroot and mounts build the brand-new root")
    need_programs("mmdebstrap")
    done = subprocess.run([str(SCRIPTS / "fresh-machine"), "--check", "--first", str(OLD_LIST)],
                          capture_output=True, text=True, timeout=1800)
    said = done.stderr
    assert done.returncode == 0, said[-3000:]
    caught = said[said.index("missing after"):said.index("as expected")]
    for missing in ("arch-test (package arch-test)", "man (package man-db)",
                    "ps (package procps)", "install arch-test for foreign architecture"):
        assert missing in caught
    assert "arm64 roots can be built" in said[said.index("as expected"):]
