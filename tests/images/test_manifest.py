"""images/manifest.py: the versions an image was built with."""
from images import manifest


def test_dpkg_versions_lists_only_installed_packages(tmp_path):
    status = tmp_path / "var/lib/dpkg/status"
    status.parent.mkdir(parents=True)
    status.write_text(
        "Package: zsh\nStatus: install ok installed\nVersion: 5.9-8\nDescription: x\n more\n\n"
        "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n"
        "Package: chrony\nStatus: install ok installed\nVersion: 4.6.1-3\n")
    assert manifest.dpkg_versions(tmp_path) == [("chrony", "4.6.1-3"), ("zsh", "5.9-8")]


def test_python_versions_from_dist_info(tmp_path):
    (tmp_path / "paho_mqtt-2.2.0.dist-info").mkdir()
    (tmp_path / "Kivy-2.3.1.dist-info").mkdir()
    (tmp_path / "kivy").mkdir()
    assert manifest.python_versions(tmp_path) == [("Kivy", "2.3.1"), ("paho_mqtt", "2.2.0")]
