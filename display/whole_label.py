"""A label for numbers: the whole number, always, at the largest size that fits its box.

A ticket number is what a visitor looks for; "PAS-1…" is useless. The font is the smaller of
``share`` x the box height and what lets the whole text fit the box's width (measured with
the label's own font), so "A-7" and "PAS-1234" both fill their tile without being cut.
"""
from __future__ import annotations

from kivy.core.text import Label as CoreLabel
from kivy.factory import Factory
from kivy.properties import NumericProperty
from kivy.uix.label import Label

PROBE_PT = 100          # measure at this size, scale linearly
WIDTH_USED = 0.94       # of the box: a margin for rounding and side bearings


class WholeLabel(Label):
    share = NumericProperty(0.7)        # the largest font: this share of the box height

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
        """True when the rendered text is wider than the box (it must never be)."""
        return bool(self.text) and self.texture_size[0] > self.width + 1


Factory.register("WholeLabel", cls=WholeLabel)
