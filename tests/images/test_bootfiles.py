"""images/bootfiles.py: cmdline.txt and config.txt for Debian's kernel on a Pi."""
import pytest

from antrean.errors import ConfigError
from images import bootfiles


def test_cmdline_is_one_line_read_only_root_with_overlay():
    line = bootfiles.cmdline(["console=tty1", "console=ttyS1,115200"], overlay=True)
    assert line.endswith("\n") and line.count("\n") == 1
    words = line.split()
    assert "root=LABEL=antrean-root" in words
    assert "ro" in words and "rw" not in words
    assert "antrean.overlay=1" in words
    assert words[:2] == ["console=tty1", "console=ttyS1,115200"]


def test_overlay_can_be_switched_off_and_on_keeping_other_words():
    line = bootfiles.cmdline(["console=tty1"], overlay=True) .strip() + " cfg80211.ieee80211_regdom=ID"
    off = bootfiles.set_overlay(line, False)
    assert "antrean.overlay=0" in off.split() and "antrean.overlay=1" not in off.split()
    assert "cfg80211.ieee80211_regdom=ID" in off.split()
    assert bootfiles.set_overlay(off, True).split().count("antrean.overlay=1") == 1


def test_bad_root_label_is_refused():
    with pytest.raises(ConfigError):
        bootfiles.cmdline([], True, root_label="two words")


def test_config_txt_names_kernel_and_initramfs():
    text = bootfiles.config_txt("vmlinuz-6.12.1-arm64", "initrd.img-6.12.1-arm64")
    lines = text.splitlines()
    assert "arm_64bit=1" in lines
    assert "upstream_kernel=1" in lines
    assert "kernel=vmlinuz-6.12.1-arm64" in lines
    assert "initramfs initrd.img-6.12.1-arm64 followkernel" in lines
    assert lines[-1] == "[all]"     # later additions apply to every board


@pytest.mark.parametrize("name", ["", "a b", "../vmlinuz"])
def test_config_txt_refuses_odd_names(name):
    with pytest.raises(ConfigError):
        bootfiles.config_txt(name, "initrd.img")


def test_kernel_files_finds_the_one_kernel(tmp_path):
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot/vmlinuz-6.12.48+deb13-arm64").write_bytes(b"k")
    assert bootfiles.kernel_files(tmp_path) == (
        "6.12.48+deb13-arm64", "vmlinuz-6.12.48+deb13-arm64", "initrd.img-6.12.48+deb13-arm64")
    (tmp_path / "boot/vmlinuz-6.13-arm64").write_bytes(b"k")
    with pytest.raises(ConfigError, match="one kernel"):
        bootfiles.kernel_files(tmp_path)


def test_fat_label_fits_fat():
    assert len(bootfiles.BOOT_LABEL) <= 11
    assert len(bootfiles.ROOT_LABEL) <= 16 and len(bootfiles.DATA_LABEL) <= 16
