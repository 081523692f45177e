"""antrean/config_locator.py: key paths -> line numbers of a TOML text tomllib accepted."""
from __future__ import annotations

import tomllib

import pytest

from antrean.config_locator import KeyLocator, format_key

TEXT = '''\
version = 1            # line 1
[site]
id = "x"   # a comment with [brackets] and "quotes"
holidays = [
  2026-01-01,  # new year
  2026-12-25,
]
[site.hours]
mon = ["08:00-12:00", "13:00-15:00"]
[[services]]
id = 'a'
note = """multi
line = "not a key"
"""
[[services]]
id = "b"
hours = { mon = ["08:00-10:00",
  "13:00-14:00"], tue = [] }
"q.k".x = 3
[services.extra]
z = 1
[[services.sub]]
w = 2
[[services.sub]]
w = 3
list = [ {id = 1, n = 2},
 {id = 3} ]
'''


@pytest.fixture(scope="module")
def locator():
    tomllib.loads(TEXT)        # the locator's contract: text tomllib accepts
    return KeyLocator(TEXT)


@pytest.mark.parametrize("path,line", [
    (("version",), 1),
    (("site",), 2),
    (("site", "id"), 3),
    (("site", "holidays", 1), 6),
    (("site", "hours", "mon", 1), 9),
    (("services", 0), 10),
    (("services", 0, "note"), 12),
    (("services", 1, "id"), 16),                # after a multi-line string
    (("services", 1, "hours", "mon", 1), 18),   # array element on its own line
    (("services", 1, "hours", "tue"), 18),
    (("services", 1, "q.k", "x"), 19),           # quoted dotted key
    (("services", 1, "extra", "z"), 21),
    (("services", 1, "sub", 1, "w"), 25),        # nested array of tables
    (("services", 1, "sub", 1, "list", 1, "id"), 27),
])
def test_keys_tables_and_elements_are_found(locator, path, line):
    assert locator.line_of(path) == line


def test_a_missing_key_falls_back_to_its_table_header(locator):
    assert locator.line_of(("services", 0, "prefix")) == 10
    assert locator.line_of(("services", 1, "sub", 0, "nope")) == 22


def test_text_inside_strings_is_not_taken_for_keys(locator):
    assert locator.line_of(("services", 0, "line")) == 10     # "line = ..." is string content


def test_an_absent_top_level_key_has_no_line(locator):
    assert locator.line_of(("kiosks",)) is None


def test_crlf_lines_count_the_same():
    crlf = KeyLocator(TEXT.replace("\n", "\r\n"))
    assert crlf.line_of(("services", 1, "sub", 1, "list", 1, "id")) == 27


@pytest.mark.parametrize("path,text", [
    (("services", 3, "prefix"), "services[3].prefix"),
    (("site", "hours", "mon", 0), "site.hours.mon[0]"),
    (("button_boxes", 0, "pins", "1"), "button_boxes[0].pins.1"),
    (("x", "a b"), 'x."a b"'),
])
def test_format_key(path, text):
    assert format_key(path) == text
