"""images/lock.py and its use by the base and the build: exact Debian versions."""
from pathlib import Path

import pytest

from antrean.errors import AntreanError, ConfigError
from images import base, build, config, lock


def cfg_with(tmp_path, **overrides):
    env = {f"ANTREAN_IMG_{k}": v for k, v in overrides.items()}
    env.setdefault("ANTREAN_IMG_CACHE", str(tmp_path / "cache"))
    return config.load(environ=env)


def fake_status(root: Path, versions: dict[str, str]) -> None:
    status = root / "var/lib/dpkg/status"
    status.parent.mkdir(parents=True)
    status.write_text("".join(f"Package: {p}\nStatus: install ok installed\nVersion: {v}\n\n"
                              for p, v in versions.items()))


def test_the_repo_lock_reads_and_holds_the_image_packages():
    locked = lock.read(config.IMAGES / "debian.lock")
    wanted = config.load(environ={}).words("PACKAGES")
    assert set(wanted) <= set(locked), set(wanted) - set(locked)
    assert all(v[0].isdigit() for v in locked.values())


def test_render_and_read_round_trip(tmp_path):
    versions = {"chrony": "4.6.1-3", "adduser": "3.152", "systemd": "257.13-1~deb13u1",
                "python3": "1:3.13.5-1"}
    path = tmp_path / "debian.lock"
    path.write_text(lock.render(versions))
    assert lock.read(path) == versions
    assert path.read_text().splitlines()[2] == "adduser 3.152"


@pytest.mark.parametrize("line", ["chrony", "chrony 4.6 extra", "Chrony 4.6", "chrony 4.6/1"])
def test_a_bad_line_names_file_and_line(tmp_path, line):
    path = tmp_path / "debian.lock"
    path.write_text(f"# comment\nadduser 3.152\n{line}\n")
    with pytest.raises(ConfigError) as err:
        lock.read(path)
    assert (err.value.path, err.value.line) == (str(path), 3)


def test_a_package_locked_twice_is_refused(tmp_path):
    path = tmp_path / "debian.lock"
    path.write_text("adduser 3.152\nadduser 3.153\n")
    with pytest.raises(ConfigError, match="locked twice"):
        lock.read(path)


def test_apt_preferences_pin_every_version_above_the_archive():
    text = lock.apt_preferences({"chrony": "4.6.1-3", "adduser": "3.152"})
    stanzas = [s.splitlines() for s in text.strip().split("\n\n")]
    assert stanzas == [["Package: adduser", "Pin: version 3.152", "Pin-Priority: 1001"],
                       ["Package: chrony", "Pin: version 4.6.1-3", "Pin-Priority: 1001"]]


def test_drift_names_each_difference():
    locked = {"a": "1", "b": "2", "c": "3"}
    installed = {"a": "1", "b": "2+deb13u1", "d": "4"}
    assert lock.drift(locked, installed) == ["b: locked 2, installed 2+deb13u1",
                                             "c: locked 3, not installed",
                                             "d: not in the lock, installed 4"]
    assert lock.drift(locked, locked) == []


def test_base_installs_with_the_pins_and_leaves_them_out_of_the_image(tmp_path):
    path = tmp_path / "debian.lock"
    path.write_text(lock.render({"chrony": "4.6.1-3"}))
    argv = base.mmdebstrap_argv(cfg_with(tmp_path, LOCK=str(path)), Path("/tmp/out.tar.zst"))
    pins = base.pins_file(cfg_with(tmp_path))
    assert f"--setup-hook=upload {pins} {base.PINS_IN_ROOT}" in argv
    assert f'--customize-hook=rm -f "$1{base.PINS_IN_ROOT}"' in argv
    no_lock = base.mmdebstrap_argv(cfg_with(tmp_path, LOCK=str(tmp_path / "none")), Path("/x"))
    assert not any(base.PINS_IN_ROOT in a for a in no_lock)


def test_base_key_follows_the_lock_but_not_where_the_cache_is(tmp_path):
    path = tmp_path / "debian.lock"
    path.write_text(lock.render({"chrony": "4.6.1-3"}))
    first = base.cache_key(cfg_with(tmp_path, LOCK=str(path)))
    assert base.cache_key(cfg_with(tmp_path, LOCK=str(path), CACHE=str(tmp_path / "c2"))) == first
    path.write_text(lock.render({"chrony": "4.6.1-3+deb13u1"}))
    assert base.cache_key(cfg_with(tmp_path, LOCK=str(path))) != first


def test_build_logs_drift_and_strict_builds_fail_on_it(tmp_path):
    path = tmp_path / "debian.lock"
    path.write_text(lock.render({"chrony": "4.6.1-3", "adduser": "3.152"}))
    root = tmp_path / "root"
    fake_status(root, {"chrony": "4.6.1-3+deb13u1", "adduser": "3.152"})
    logged = []
    found = build.check_lock(cfg_with(tmp_path, LOCK=str(path)), root, False, logged.append)
    assert found == ["chrony: locked 4.6.1-3, installed 4.6.1-3+deb13u1"]
    assert "lock: 1 of 2 packages as locked, 1 drifted (the archive moved on)" in logged
    with pytest.raises(AntreanError, match="chrony: locked 4.6.1-3"):
        build.check_lock(cfg_with(tmp_path, LOCK=str(path), LOCK_STRICT="1"), root, False,
                         logged.append)


def test_update_lock_writes_what_the_base_installed(tmp_path):
    path = tmp_path / "debian.lock"
    root = tmp_path / "root"
    fake_status(root, {"chrony": "4.6.1-3+deb13u1", "adduser": "3.152"})
    cfg = cfg_with(tmp_path, LOCK=str(path), LOCK_STRICT="1")
    assert build.check_lock(cfg, root, True, print) == []
    assert lock.read(path) == {"chrony": "4.6.1-3+deb13u1", "adduser": "3.152"}
    assert build.check_lock(cfg, root, False, print) == []
