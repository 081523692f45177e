"""images/base.py: the cached Debian base is keyed on everything that decides its content."""
from pathlib import Path

from images import base, config


def cfg_with(**overrides):
    env = {f"ANTREAN_IMG_{k}": v for k, v in overrides.items()}
    return config.load(environ=env)


def test_key_is_stable_and_order_of_packages_does_not_matter():
    one = cfg_with(PACKAGES="a b c")
    two = cfg_with(PACKAGES="c a  b")
    assert base.cache_key(one) == base.cache_key(two)
    assert base.cache_key(one) == base.cache_key(cfg_with(PACKAGES="a b c"))


def test_key_changes_with_each_input():
    plain = base.cache_key(cfg_with())
    for key, value in [("PACKAGES", "a b"), ("SUITE", "forky"), ("MIRROR", "http://x/debian"),
                       ("COMPONENTS", "main"), ("VARIANT", "apt"), ("ARCH", "armhf")]:
        assert base.cache_key(cfg_with(**{key: value})) != plain, key


def test_key_ignores_settings_of_later_stages():
    plain = base.cache_key(cfg_with())
    assert base.cache_key(cfg_with(ROOT_MB="4096", COMPRESS="zstd", NAME="x")) == plain


def test_tarball_lives_in_the_cache_outside_the_repo(tmp_path):
    cfg = cfg_with(CACHE=str(tmp_path))
    path = base.base_tarball(cfg)
    assert path.parent == tmp_path
    assert base.cache_key(cfg) in path.name
    assert not str(path).startswith(str(Path(config.REPO)))


def test_mmdebstrap_command_line():
    cfg = cfg_with(PACKAGES="python3 chrony")
    argv = base.mmdebstrap_argv(cfg, Path("/tmp/out.tar.zst"))
    assert argv[0] == "mmdebstrap"
    assert "--arch=arm64" in argv
    assert "--include=chrony,python3" in argv
    assert "--components=main,contrib,non-free-firmware" in argv
    assert argv[-3:] == ["trixie", "/tmp/out.tar.zst", "http://deb.debian.org/debian"]


def test_key_follows_the_content_of_the_initramfs_files_put_in_before_packages(tmp_path, monkeypatch):
    overlay = tmp_path / "initramfs-tools"
    (overlay / "hooks").mkdir(parents=True)
    script = overlay / "hooks/antrean-overlay"
    script.write_text("#!/bin/sh\n")
    monkeypatch.setattr(base, "BASE_OVERLAY", overlay)
    cfg = cfg_with()
    first = base.cache_key(cfg)
    script.write_text("#!/bin/sh\nmanual_add_modules overlay\n")
    second = base.cache_key(cfg)
    script.chmod(0o755)
    assert len({first, second, base.cache_key(cfg)}) == 3


def test_key_does_not_depend_on_where_the_checkout_is(monkeypatch, tmp_path):
    cfg = cfg_with()
    before = base.cache_key(cfg)
    moved = tmp_path / "elsewhere/initramfs-tools"
    import shutil
    shutil.copytree(base.BASE_OVERLAY, moved)
    monkeypatch.setattr(base, "BASE_OVERLAY", moved)
    assert base.cache_key(cfg) == before
