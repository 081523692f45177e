"""The window of a Kivy role (kiosk, display, the virtual button panel): full screen on the
Pi, or a window of a given size on a desktop and in the tests.

Kivy is imported only inside ``configure_window``: the shared package never needs it.
"""
from __future__ import annotations

from .errors import UsageError


def window_size(spec: str) -> tuple[int, int]:
    """``"800x480"`` -> ``(800, 480)``; a clear usage error for anything else."""
    try:
        w, h = (int(v) for v in spec.lower().split("x"))
    except ValueError:
        raise UsageError(f"--windowed wants WIDTHxHEIGHT like 800x480, not {spec!r}") from None
    if w < 100 or h < 100:
        raise UsageError(f"window {spec} is too small")
    return w, h


def configure_window(size: tuple[int, int] | None, *, max_fps: int,
                     touchscreen: bool = False) -> None:
    """Kivy reads these when the window opens: call before App.run()."""
    from kivy.config import Config
    Config.set("graphics", "maxfps", str(max_fps))
    Config.set("kivy", "exit_on_escape", "0")
    if touchscreen:
        # No virtual keyboard and no red multitouch dots on long presses.
        Config.set("input", "mouse", "mouse,disable_multitouch")
    if size:
        w, h = size
        Config.set("graphics", "fullscreen", "0")
        Config.set("graphics", "width", str(w))
        Config.set("graphics", "height", str(h))
        Config.set("graphics", "resizable", "0")
    else:
        # On a Pi without X, SDL2 opens the screen through KMS/DRM (FIELD-NOTES, Kivy).
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "show_cursor", "0")


def after_first_frame(callback) -> None:
    """Call ``callback()`` once the window has put its first frame on the screen (Kivy's
    ``on_flip``). ``App.on_start`` runs before that: READY=1 sent there told systemd the
    screen was up while it still showed the boot console (seen in the qemu boot test)."""
    from kivy.core.window import Window

    def once(*_args):
        Window.unbind(on_flip=once)
        callback()

    Window.bind(on_flip=once)
