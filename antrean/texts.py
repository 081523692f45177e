"""What every app's strings module shares: one table of texts per language, looked up by key.

Each app keeps all its visitor-facing words in its own ``strings.py`` (a ``TEXT`` dict of
language -> key -> template); this class only picks the language and fills the templates.
"""
from __future__ import annotations

from .errors import ConfigError


class Texts:
    def __init__(self, text: dict[str, dict[str, str]], language: str = "id"):
        if language not in text:
            raise ConfigError(f"unknown language {language!r} (one of {', '.join(text)})",
                              key="language")
        self.language = language
        self.table = text[language]

    def get(self, key: str, **fields: object) -> str:
        """The text for ``key``; with ``n=1`` its singular ``<key>_one`` where there is one
        (English "1 service", where Bahasa Indonesia says "1 layanan" as for any number)."""
        if fields.get("n") == 1 and f"{key}_one" in self.table:
            key = f"{key}_one"
        template = self.table[key]
        return template.format(**fields) if fields else template
