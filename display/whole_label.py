"""Labels that fit their box whole: numbers on one line, names on a few wrapped lines.

A ticket number is what a visitor looks for; "PAS-1…" is useless. :class:`WholeLabel`'s font
is the smaller of ``share`` x the box height and what lets the whole text fit the box's width
(measured with the label's own font), so "A-7" and "PAS-1234" both fill their tile without
being cut. :class:`FitText` does the same for a service name of up to ``lines`` wrapped lines.

Both carry a ``role`` (what the text is: "latest_number", "tile", ...) so the app can report
how tall each kind of text is drawn (:func:`cap_height`): the legibility goals in
docs/display.md are character heights.
"""
from __future__ import annotations

from functools import lru_cache

from kivy.core.text import Label as CoreLabel
from kivy.factory import Factory
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.label import Label

PROBE_PT = 100          # measure at this size, scale linearly
WIDTH_USED = 0.94       # of the box: a margin for rounding and side bearings


@lru_cache(maxsize=16)
def cap_ratio(font_name: str, bold: bool) -> float:
    """A capital's drawn height over the font size, measured on the font itself: "H"
    rendered at :data:`PROBE_PT` and its rows of ink counted (Roboto: ~0.71)."""
    probe = CoreLabel(text="H", font_size=PROBE_PT, bold=bold, font_name=font_name)
    probe.refresh()
    texture = probe.texture
    width, height = texture.size
    pixels = texture.pixels                         # RGBA rows
    rows = sum(1 for y in range(height)
               if any(pixels[(y * width + x) * 4 + 3] > 127 for x in range(width)))
    return rows / PROBE_PT


def cap_height(label: Label) -> float:
    """How tall a capital letter or a digit of ``label`` is drawn, in pixels."""
    return label.font_size * cap_ratio(label.font_name, bool(label.bold))


class WholeLabel(Label):
    share = NumericProperty(0.7)        # the largest font: this share of the box height
    role = StringProperty("")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shorten = False
        self.bind(text=self._fit, size=self._fit, share=self._fit, bold=self._fit,
                  font_name=self._fit)
        self._fit()

    def _fit(self, *_) -> None:
        self.text_size = self.size
        if not self.text or self.width <= 1 or self.height <= 1:
            return
        width, _ = CoreLabel(font_size=PROBE_PT, bold=self.bold,
                             font_name=self.font_name).get_extents(self.text)
        fits = PROBE_PT * self.width * WIDTH_USED / max(1, width)
        self.font_size = max(1.0, min(self.height * self.share, fits))

    @property
    def cut(self) -> bool:
        """True when the rendered text is larger than the box (it must never be)."""
        return bool(self.text) and (self.texture_size[0] > self.width + 1
                                    or self.texture_size[1] > self.height + 1)


class FitText(Label):
    """Up to ``lines`` lines, wrapped at spaces, at the largest font that fits the box whole
    (never shortened); one line is at most ``share`` x the box height."""

    share = NumericProperty(0.6)
    lines = NumericProperty(2)
    role = StringProperty("")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shorten = False
        self.bind(text=self._fit, size=self._fit, share=self._fit, lines=self._fit,
                  bold=self._fit, font_name=self._fit)
        self._fit()

    def _fits(self, size: float) -> bool:
        probe = CoreLabel(text=self.text, font_size=size, bold=self.bold,
                          font_name=self.font_name, text_size=(self.width * WIDTH_USED, None),
                          halign=self.halign)
        probe.refresh()
        w, h = probe.texture.size
        one = CoreLabel(font_size=size, bold=self.bold, font_name=self.font_name)
        line_h = one.get_extents("Hg")[1]
        longest = max(one.get_extents(word)[0] for word in self.text.split())
        return (h <= self.height and w <= self.width and longest <= self.width * WIDTH_USED
                and h <= line_h * (self.lines + 0.5))

    def _fit(self, *_) -> None:
        self.text_size = self.size
        self.max_lines = int(self.lines)
        if not self.text.strip() or self.width <= 1 or self.height <= 1:
            return
        low, high = 1.0, max(1.0, self.height * self.share)
        if self._fits(high):
            self.font_size = high
            return
        for _ in range(12):                         # to within 0.03 % of the best size
            middle = (low + high) / 2
            low, high = (middle, high) if self._fits(middle) else (low, middle)
        self.font_size = low

    @property
    def cut(self) -> bool:
        return bool(self.text) and (self.texture_size[0] > self.width + 1
                                    or self.texture_size[1] > self.height + 1)


Factory.register("WholeLabel", cls=WholeLabel)
Factory.register("FitText", cls=FitText)
