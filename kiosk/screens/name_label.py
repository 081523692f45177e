"""A label for names on tiles: at most ``lines`` lines, the beginning kept (kiosk/fit_text.py).

Kivy's own ``max_lines`` with a bottom-aligned box drops the first lines when a name is long
("Kelas II Non TPI Madiun" for Kantor Imigrasi Kelas II Non TPI Madiun); this label wraps the
name itself, measured with its own font, and ends the last line in an ellipsis instead.

The font is ``base_size``; a first word too wide for the line at that size ("Ketenagakerjaan"
on a narrow tile) shrinks the font, down to ``SMALLEST`` of it, so the first word stays whole.
"""
from __future__ import annotations

from kivy.core.text import Label as CoreLabel
from kivy.factory import Factory
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.label import Label

from kiosk.fit_text import fit_lines

SMALLEST = 0.7
STEPS = (1.0, 0.9, 0.8, SMALLEST)


class NameLabel(Label):
    full_text = StringProperty("")      # the whole name; ``text`` is what fits
    lines = NumericProperty(2)
    base_size = NumericProperty(0)      # the font size wanted; 0: Label's font_size

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(full_text=self._fit, width=self._fit, height=self._fit,
                  base_size=self._fit, bold=self._fit, lines=self._fit)
        self._fit()

    def _fit(self, *_) -> None:
        if self.base_size:
            self.font_size = self.base_size
        if self.width <= 1:
            self.text = self.full_text
            return
        base = self.base_size or self.font_size
        first = self.full_text.split()[:1]
        for step in STEPS:
            probe = CoreLabel(font_size=base * step, bold=self.bold, font_name=self.font_name)
            # No more lines than the box is tall: a bottom-aligned label taller than its box
            # shows its last line only ("Kefarmasian" for a long permit's name).
            line_h = probe.get_extents("Ag")[1] * self.line_height
            room = max(1, int(self.height // line_h)) if self.height > 1 else self.lines
            lines = fit_lines(self.full_text, self.width - 2,
                              lambda t: probe.get_extents(t)[0], min(int(self.lines), room))
            if not first or lines[0].split()[:1] == first:
                break
        self.font_size = base * step
        self.text = "\n".join(lines)


Factory.register("NameLabel", cls=NameLabel)
