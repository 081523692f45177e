"""images/build.py steps that need no emulation, on a small fake root filesystem."""
from pathlib import Path

from images import build, config


def fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    for d in ("boot/firmware", "etc/ssh", "usr", "var/lib/dbus", "var/cache/apt", "var/lib/apt/lists"):
        (root / d).mkdir(parents=True)
    (root / "boot/vmlinuz-6.12.1-arm64").write_bytes(b"kernel")
    (root / "boot/initrd.img-6.12.1-arm64").write_bytes(b"initrd")
    (root / "boot/firmware/start4.elf").write_bytes(b"fw")
    (root / "boot/firmware/config.txt").write_text("# raspi-firmware's own\n")
    (root / "etc/machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    (root / "var/lib/dbus/machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    (root / "etc/ssh/ssh_host_ed25519_key").write_text("secret")
    (root / "etc/ssh/sshd_config").write_text("# kept\n")
    (root / "var/cache/apt/pkgcache.bin").write_bytes(b"x")
    (root / "var/lib/apt/lists/deb.debian.org_debian_dists_trixie_InRelease").write_text("x")
    (root / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\nantrean:x:999:999::/home/antrean:/bin/bash\n")
    (root / "etc/group").write_text("root:x:0:\nsystemd-journal:x:101:\nantrean:x:999:\n")
    return root


def test_overlay_folder_is_copied_with_modes(tmp_path):
    root = fake_root(tmp_path)
    build.copy_overlay(root)
    script = root / "usr/local/sbin/antrean-image-provision"
    assert script.read_text().startswith("#!/bin/sh")
    assert script.stat().st_mode & 0o111
    assert (root / "etc/sudoers.d/antrean").stat().st_mode & 0o777 == 0o440
    assert not list(root.rglob(".keep"))
    assert (root / "media/root-ro").is_dir() and (root / "data").is_dir()


def test_identity_is_forgotten(tmp_path):
    root = fake_root(tmp_path)
    build.forget_identity(root)
    assert (root / "etc/machine-id").read_text() == ""
    assert (root / "var/lib/dbus/machine-id").readlink() == Path("/etc/machine-id")
    assert not list((root / "etc/ssh").glob("ssh_host_*"))
    assert (root / "etc/ssh/sshd_config").exists()
    assert not list((root / "var/lib/apt/lists").iterdir())
    assert (root / "var/lib/antrean").is_dir() and (root / "var/log/journal").is_dir()


def test_split_makes_the_boot_folder_and_empties_the_mount_point(tmp_path):
    root = fake_root(tmp_path)
    cfg = config.load(environ={})
    folders = build.split(root, cfg, tmp_path / "work")
    boot = folders["boot"]
    assert sorted(p.name for p in boot.iterdir()) == [
        "antrean.txt", "cmdline.txt", "config.txt", "initrd.img-6.12.1-arm64", "start4.elf",
        "vmlinuz-6.12.1-arm64"]
    assert "kernel=vmlinuz-6.12.1-arm64" in (boot / "config.txt").read_text()
    assert "antrean.overlay=1" in (boot / "cmdline.txt").read_text()
    device = (boot / "antrean.txt").read_bytes()
    assert b"ROLE=kiosk\r\n" in device and b"\n" not in device.replace(b"\r\n", b"")
    assert list((root / "boot/firmware").iterdir()) == []
    data = folders["data"]
    assert (data / "antrean").is_dir() and (data / "journal").stat().st_mode & 0o7777 == 0o2755


def test_compress_refuses_unknown_methods(tmp_path):
    import pytest
    from antrean.errors import AntreanError
    with pytest.raises(AntreanError, match="xz, zstd or none"):
        build.compress(tmp_path / "x.img", "gzip")
    assert build.compress(tmp_path / "x.img", "none") == tmp_path / "x.img"


def test_update_stamps_keep_needs_update_units_from_running_at_every_boot(tmp_path):
    root = fake_root(tmp_path)
    build.forget_identity(root)
    usr = (root / "usr").stat().st_mtime_ns
    for d in ("etc", "var"):
        stamp = root / d / ".updated"
        assert stamp.stat().st_mtime_ns == usr
        assert stamp.read_text() == f"TIMESTAMP_NSEC={usr}\n"
