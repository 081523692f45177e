"""A label for names on tiles: at most ``lines`` lines, the beginning kept (kiosk/fit_text.py).

Kivy's own ``max_lines`` with a bottom-aligned box drops the first lines when a name is long
("Kelas II Non TPI Madiun" for Kantor Imigrasi Kelas II Non TPI Madiun); this label wraps the
name itself, measured with its own font, and ends the last line in an ellipsis instead.
"""
from __future__ import annotations

from kivy.core.text import Label as CoreLabel
from kivy.factory import Factory
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.label import Label

from kiosk.fit_text import fit_lines


class NameLabel(Label):
    full_text = StringProperty("")      # the whole name; ``text`` is what fits
    lines = NumericProperty(2)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(full_text=self._fit, width=self._fit, font_size=self._fit, bold=self._fit,
                  lines=self._fit)
        self._fit()

    def _fit(self, *_) -> None:
        if self.width <= 1:
            self.text = self.full_text
            return
        probe = CoreLabel(font_size=self.font_size, bold=self.bold, font_name=self.font_name)
        self.text = "\n".join(fit_lines(self.full_text, self.width - 2,
                                        lambda t: probe.get_extents(t)[0], int(self.lines)))


Factory.register("NameLabel", cls=NameLabel)
