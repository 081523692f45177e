"""Build of the Antrean SD card image (run by images/build.sh; not part of the wheel)."""
