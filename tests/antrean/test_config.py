"""antrean/config.py: TOML hall files -> Site, with every problem placed on its file, line
and key. Broken files are made from examples/mini-hall.toml by editing one line; the line a
problem must point at is found in the edited text by what is on it, never by the locator."""
from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

from antrean import config
from antrean.config import check_site, device_of, load_site
from antrean.errors import ConfigError
from antrean.site import END_OF_DAY, WEEKDAYS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MINI = (EXAMPLES / "mini-hall.toml").read_text(encoding="utf-8")


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def edit(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise ValueError(f"{old!r} occurs {text.count(old)} times")
    return text.replace(old, new)


def write(tmp_path: Path, text: str, name: str = "hall.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problem(problems: list[ConfigError], key: str) -> ConfigError:
    found = [p for p in problems if p.key == key]
    if len(found) != 1:
        raise AssertionError(f"expected one problem at {key}, got: "
                             + "\n".join(map(str, problems)))
    return found[0]


# ---- the examples ----------------------------------------------------------------------

def test_mini_hall_loads_with_every_section():
    site = load_site(EXAMPLES / "mini-hall.toml")
    assert (len(site.agencies), len(site.services), len(site.counters)) == (2, 4, 3)
    assert list(site.kiosks) == ["kiosk-1"]
    assert site.kiosks["kiosk-1"].printer == {"backend": "network", "host": "127.0.0.1",
                                             "port": 9100, "paper": "80mm"}
    assert {d.layout for d in site.displays.values()} == {"hall", "counter"}
    assert site.button_boxes["box-1"].pins["2"]["next"] == 5
    assert site.counters[2].policy == "oldest"
    assert site.services["AKTA"].priority_allowed is False
    assert site.rules.daily_reset == dt.time(0, 30)
    assert site.source.endswith("mini-hall.toml")


def test_mini_hall_is_open_every_moment_of_every_day():
    site = load_site(EXAMPLES / "mini-hall.toml")
    for service in site.services.values():
        for day in WEEKDAYS:
            (period,) = service.hours.week[day]
            assert (period.start, period.end) == (dt.time(0, 0), END_OF_DAY)
            assert period.contains(dt.time(23, 59, 59, 999999))


def test_madiun_example_is_a_realistic_hall():
    site = load_site(EXAMPLES / "mpp-madiun.toml")
    assert len(site.agencies) >= 15 and len(site.services) >= 40 and len(site.counters) >= 20
    assert {"imigrasi", "beacukai", "dukcapil", "bapenda", "samsat", "disnaker", "pdam",
            "bankjatim", "bpjskes", "bpjstk", "dpmptsp", "polres", "kpp", "bpn",
            "kemenag"} <= set(site.agencies)
    # Friday prayer break: nobody is served between 11:30 and 13:30 on a Friday.
    friday = dt.date(2026, 1, 9)
    for period in site.services["KTP-EL"].hours.periods(friday):
        assert not period.contains(dt.time(12, 0))
    assert dt.date(2026, 8, 17) in site.holidays and dt.date(2026, 3, 23) in site.holidays
    assert sum(c.policy == "oldest" for c in site.counters.values()) >= 3
    papers = {k.printer.get("paper") for k in site.kiosks.values()}
    assert papers == {"80mm", "58mm"}
    assert site.kiosks["kiosk-1"].printer["host"] == "127.0.0.1"
    assert len(site.button_boxes) >= 3
    assert [d.layout for d in site.displays.values()].count("counter") == 2
    # Samsat opens Saturday morning; a service's own hours replace the site's week.
    assert site.services["PKB-TAHUNAN"].hours.week["sat"]
    assert "sat" not in site.services["SKCK"].hours.week


def test_the_big_city_example_is_a_big_hall_and_what_its_generator_writes():
    site = load_site(EXAMPLES / "mpp-kota-besar.toml")
    assert len(site.agencies) >= 35 and len(site.services) >= 300 and len(site.counters) == 60
    lengths = {len(s.prefix) for s in site.services.values()}
    assert lengths == {2, 3}
    assert max(len(a.name) for a in site.agencies.values()) > 60       # real long names
    spec = importlib.util.spec_from_file_location("make_kota_besar",
                                                  EXAMPLES / "make_kota_besar.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.toml() == (EXAMPLES / "mpp-kota-besar.toml").read_text()


EXAMPLE_HALLS = ["mini-hall.toml", "mpp-madiun.toml", "mpp-kota-besar.toml"]


@pytest.mark.parametrize("name", EXAMPLE_HALLS)
def test_examples_pass_the_check_and_hold_no_password(name):
    path = EXAMPLES / name
    assert check_site(path) == []
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    tables = [t for name in ("kiosks", "displays", "button_boxes", "operators")
              for t in raw.get(name, [])]
    assert "hub" not in raw and tables and all("password" not in t for t in tables)


@pytest.mark.parametrize("name", EXAMPLE_HALLS)
def test_example_printers_are_accepted_by_the_kiosk(name):
    from kiosk.printer import open_printer     # resolves the backend; opens nothing
    for kiosk in load_site(EXAMPLES / name).kiosks.values():
        assert open_printer(kiosk.printer).paper == kiosk.printer["paper"]


# ---- file-level problems ---------------------------------------------------------------

def test_bom_and_crlf_from_windows_notepad_load_the_same_site(tmp_path):
    path = tmp_path / "windows.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINI.replace("\n", "\r\n").encode("utf-8"))
    original = load_site(EXAMPLES / "mini-hall.toml")
    assert load_site(path) == dataclasses.replace(original, source=str(path))


def test_bom_and_crlf_file_reports_the_right_line(tmp_path):
    text = edit(MINI, 'prefix = "C"', 'prefix = "c"')
    path = tmp_path / "windows.toml"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    p = problem(check_site(path), "services[2].prefix")
    assert p.line == line_of(text, 'prefix = "c"')


def test_toml_syntax_error_reports_its_line(tmp_path):
    text = edit(MINI, 'mon = ["00:00-24:00"]', "mon = [00:00-24:00]")
    path = write(tmp_path, text)
    (p,) = check_site(path)
    assert (p.path, p.line) == (str(path), line_of(text, "mon = [00:00"))
    assert "not valid TOML" in p.message and "double quotes" in p.message


def test_unterminated_string_at_end_of_file_points_at_the_last_line(tmp_path):
    path = write(tmp_path, 'version = 1\n[site]\nname = "MPP\n')
    (p,) = check_site(path)
    assert p.line in (3, 4) and "not valid TOML" in p.message


def test_file_in_windows_1252_says_to_save_as_utf8(tmp_path):
    path = tmp_path / "ansi.toml"
    path.write_bytes(edit(MINI, "MPP Mini (Demo)", "MPP Mini \u2013 Demo").encode("cp1252"))
    (p,) = check_site(path)
    assert p.line == line_of(MINI, "MPP Mini (Demo)") and "UTF-8" in p.message


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_site(tmp_path / "nope.toml")
    assert err.value.path == str(tmp_path / "nope.toml") and err.value.exit_code == 3


def test_missing_version_points_at_line_1_and_the_rest_is_still_checked(tmp_path):
    text = edit(MINI, "version = 1\n", "").replace('prefix = "D"', 'prefix = "A"')
    problems = check_site(write(tmp_path, text))
    assert problem(problems, "version").line == 1
    assert problem(problems, "services[3].prefix").line == line_of(text, 'prefix = "A"', 2)


def test_unknown_version_stops_with_one_clear_problem(tmp_path):
    text = edit(MINI, "version = 1", "version = 7")
    (p,) = check_site(write(tmp_path, text))
    assert (p.key, p.line) == ("version", line_of(text, "version = 7"))
    assert "unknown version 7" in p.message


def test_migration_hook_upgrades_an_older_file(tmp_path, monkeypatch):
    def from_v0(raw):           # pretend v0 called the rules table "aturan"
        raw["rules"] = raw.pop("aturan")
        return raw

    monkeypatch.setitem(config.MIGRATIONS, 0, from_v0)
    text = edit(edit(MINI, "version = 1", "version = 0"), "[rules]", "[aturan]")
    assert load_site(write(tmp_path, text)).rules == load_site(EXAMPLES / "mini-hall.toml").rules


def test_an_old_file_too_broken_to_upgrade_is_reported(tmp_path, monkeypatch):
    monkeypatch.setitem(config.MIGRATIONS, 0, lambda raw: {**raw, "hub": raw.pop("broker")})
    text = edit(MINI, "version = 1", "version = 0")      # but it has no [broker] table
    (p,) = check_site(write(tmp_path, text))
    assert (p.key, p.line) == ("version", line_of(text, "version = 0"))
    assert "cannot upgrade" in p.message


def test_a_version_without_a_full_migration_path_is_unknown(tmp_path, monkeypatch):
    monkeypatch.setitem(config.MIGRATIONS, 0, lambda raw: raw)     # 0 -> 1, but no -1 -> 0
    (p,) = check_site(write(tmp_path, edit(MINI, "version = 1", "version = -1")))
    assert "unknown version -1" in p.message


# ---- one class of mistake at a time ----------------------------------------------------
# (edit old -> new, key of the problem, text on the line it must point at, message part)
MISTAKES = {
    "typo in a key": ('standard_minutes = 10\npriority_allowed = true',
                      'standard_minute = 10\npriority_allowed = true',
                      "services[0].standard_minute", "standard_minute = 10",
                      "did you mean 'standard_minutes'"),
    "Indonesian day name": ('tue = ["00:00-24:00"]', 'selasa = ["00:00-24:00"]',
                            "site.hours.selasa", "selasa =", "did you mean 'tue'"),
    "unknown key without a close match": ('speak = false', 'speak = false\nvolume = 3',
                                          "displays[1].volume", "volume = 3", "known keys"),
    "missing required key": ('name_en = "Family card"\n', '', "services[1].name_en",
                             '[[services]]#2', "required"),
    "a password left in the hall's TOML": ('id = "kiosk-1"\n', 'id = "kiosk-1"\npassword = "x"\n',
                                           "kiosks[0].password", 'password = "x"',
                                           "every card carries"),
    "the old [hub] table": ('[rules]', '[hub]\npassword = "hub-password"\n\n[rules]', "hub",
                            "[hub]", "[hub] table is gone"),
    "wrong type": ('daily_quota = 0', 'daily_quota = "0"', "services[0].daily_quota",
                   'daily_quota = "0"', 'whole number, not the text "0"'),
    "true is no number": ('id = 3\n', 'id = true\n', "counters[2].id", "id = true",
                          "whole number"),
    "negative quota": ('daily_quota = 0', 'daily_quota = -5', "services[0].daily_quota",
                       "daily_quota = -5", "0 or more"),
    "zero standard time": ('standard_minutes = 5', 'standard_minutes = 0',
                           "services[3].standard_minutes", "standard_minutes = 0", "1 or more"),
    "id not topic-safe": ('id = "mpp-mini"', 'id = "mpp mini/1"', "site.id", 'id = "mpp mini',
                          "letters, digits"),
    "empty name": ('name = "Kartu Keluarga"', 'name = ""', "services[1].name", 'name = ""',
                   "empty"),
    "duplicate service id": ('id = "AKTA"', 'id = "KK"', "services[2].id", 'id = "KK"#2',
                             "used twice"),
    "duplicate device id across kinds": ('id = "display-3"', 'id = "kiosk-1"', "displays[1].id",
                                         'id = "kiosk-1"#2', "used twice"),
    "device called hub": ('id = "box-1"', 'id = "hub"', "button_boxes[0].id", 'id = "hub"',
                          "reserved"),
    "device id of an operator": ('id = "box-1"', 'id = "ops-box"', "button_boxes[0].id",
                                 'id = "ops-box"', "for [[operators]] only"),
    "operator without ops- id": ('id = "ops-laptop"', 'id = "laptop"', "operators[1].id",
                                 'id = "laptop"', "starts with 'ops-'"),
    "operator commands not a boolean": ('commands = true\n', 'commands = "ya"\n',
                                        "operators[1].commands", 'commands = "ya"', "true or"),
    "lowercase prefix": ('prefix = "C"', 'prefix = "c"', "services[2].prefix", 'prefix = "c"',
                         'write "C"'),
    "prefix too long": ('prefix = "C"', 'prefix = "ABCD"', "services[2].prefix",
                        'prefix = "ABCD"', "1 to 3 capital letters"),
    "duplicate prefix": ('prefix = "D"', 'prefix = "B"', "services[3].prefix",
                         'prefix = "B"#2', "used twice"),
    "service of unknown agency": ('agency = "pdam"\nprefix', 'agency = "pam"\nprefix',
                                  "services[3].agency", 'agency = "pam"', "no agency"),
    "counter lists unknown service": ('services = ["PAM-BAYAR"]', 'services = ["PAM-BAYR"]',
                                      "counters[2].services[0]", '"PAM-BAYR"', "no service"),
    "counter serves another agency's service": (
        'services = ["KTP", "KK"]', 'services = ["KTP", "PAM-BAYAR"]',
        "counters[0].services[1]", 'services = ["KTP", "PAM-BAYAR"]', "belongs to agency"),
    "counter id zero": ('id = 3\n', 'id = 0\n', "counters[2].id", "id = 0", "1 or more"),
    "duplicate counter id": ('id = 3\n', 'id = 2\n', "counters[2].id", "id = 2#2", "used twice"),
    "bad counter policy": ('policy = "oldest"', 'policy = "fifo"', "counters[1].policy",
                           'policy = "fifo"', "strict, oldest"),
    "service nobody serves": ('services = ["PAM-BAYAR"]', 'services = []', "services[3].id",
                              'id = "PAM-BAYAR"', "no counter serves"),
    "button box with unknown counter": ('counters = [1, 2, 3]', 'counters = [1, 2, 3, 9]',
                                        "button_boxes[0].counters[3]", "counters = [1, 2, 3, 9]",
                                        "no counter"),
    "pins for a counter the box lacks": ('[button_boxes.pins.3]', '[button_boxes.pins.4]',
                                         "button_boxes[0].pins.4", "[button_boxes.pins.4]",
                                         "does not list"),
    "display with unknown counter": ('counters = [3]', 'counters = [7]',
                                     "displays[1].counters[0]", "counters = [7]", "no counter"),
    "counter display with two counters": ('counters = [3]', 'counters = [2, 3]',
                                          "displays[1].counters", "counters = [2, 3]",
                                          "exactly one"),
    "bad layout": ('layout = "hall"', 'layout = "tv"', "displays[0].layout", 'layout = "tv"',
                   "hall, counter"),
    "bad language": ('language = "id"', 'language = "jv"', "displays[0].language",
                     'language = "jv"', "id, en"),
    "speak as text": ('speak = true', 'speak = "ya"', "displays[0].speak", 'speak = "ya"',
                      "true or false"),
    "bad timezone": ('timezone = "Asia/Jakarta"', 'timezone = "Asia/Jakrta"', "site.timezone",
                     "Asia/Jakrta", "did you mean 'Asia/Jakarta'"),
    "holiday in quotes": ('holidays = []', 'holidays = ["2026-12-25"]', "site.holidays[0]",
                          "holidays =", "without quotes"),
    "hour 25": ('wed = ["00:00-24:00"]', 'wed = ["08:00-25:00"]', "site.hours.wed[0]",
                "wed =", "does not exist"),
    "past midnight": ('wed = ["00:00-24:00"]', 'wed = ["08:00-24:30"]', "site.hours.wed[0]",
                      "wed =", "does not exist"),
    "24:00 as a start": ('wed = ["00:00-24:00"]', 'wed = ["24:00-24:00"]', "site.hours.wed[0]",
                         "wed =", "does not exist"),
    "period ends before it starts": ('thu = ["00:00-24:00"]', 'thu = ["12:00-08:00"]',
                                     "site.hours.thu[0]", "thu =", "ends before it starts"),
    "overlapping periods": ('fri = ["00:00-24:00"]', 'fri = ["08:00-12:00", "11:00-15:00"]',
                            "site.hours.fri[1]", "fri =", "overlaps"),
    "not a period": ('sat = ["00:00-24:00"]', 'sat = ["8 sampai 12"]', "site.hours.sat[0]",
                     "sat =", "like \"08:00-12:00\""),
    "rules: zero priority ratio": ('priority_every = 3', 'priority_every = 0',
                                   "rules.priority_every", "priority_every = 0", "1 or more"),
    "rules: bad reset time": ('daily_reset = "00:30"', 'daily_reset = "24:30"',
                              "rules.daily_reset", "daily_reset", "time of day"),
    "short name too long for a tile": (
        'name = "Kartu Keluarga"', 'name = "Kartu Keluarga"\nshort_name = "Penerbitan dan '
        'Perubahan Kartu Keluarga"', "services[1].short_name", "short_name =",
        "39 characters; a tile name may have at most 28"),
    "two tiles of one agency read the same": (
        'name = "Akta Kelahiran"', 'name = "Akta Kelahiran"\nshort_name = "kartu keluarga"',
        "services[2].short_name", 'short_name = "kartu', "could not tell them apart"),
    "group name too long for a tile": (
        'name = "Akta Kelahiran"', 'name = "Akta Kelahiran"\ngroup = "Akta dan Surat Keterangan '
        'Kependudukan"', "services[2].group", "group =", "a tile name may have at most 28"),
    "English group without the Indonesian one": (
        'name = "Akta Kelahiran"', 'name = "Akta Kelahiran"\ngroup_en = "Certificates"',
        "services[2].group_en", "group_en =", "needs a group"),
    "empty short name": ('initials = "PAM"', 'initials = "PAM"\nshort_name_en = " "',
                         "agencies[1].short_name_en", "short_name_en =", "must not be empty"),
    "short name not text": ('initials = "PAM"', 'initials = "PAM"\nshort_name = 3',
                            "agencies[1].short_name", "short_name = 3", "text in double quotes"),
    "missing logo file": ('initials = "PAM"', 'initials = "PAM"\nlogo = "logo/pdam.png"',
                          "agencies[1].logo", "logo =", "file not found"),
    # Pins: the check antrean counter makes before it claims them (antrean/pins.py).
    "pin not on the header": ("led = 26", "led = 99", "button_boxes[0].pins.3.led", "led = 99",
                              "GPIO 99 does not exist on the Raspberry Pi's 40-pin header"),
    "header position for a GPIO": ("next = 16", "next = 40", "button_boxes[0].pins.3.next",
                                   "next = 40", "header pin 40 is GPIO21: write 21"),
    "ID EEPROM pin": ("skip = 21", "skip = 0", "button_boxes[0].pins.3.skip", "skip = 0",
                      "reserved for the HAT ID EEPROM"),
    "pin twice in one counter": ("skip = 13", "skip = 5", "button_boxes[0].pins.2.skip",
                                 "skip = 5", "GPIO 5 is used twice in this box: counter 2 next "
                                 "and counter 2 skip"),
    "pin twice across counters": ("led = 26", "led = 23", "button_boxes[0].pins.3.led",
                                  "led = 23#2", "counter 1 led and counter 3 led"),
    "pin as text": ("next = 17", 'next = "17"', "button_boxes[0].pins.1.next", 'next = "17"',
                    'BCM GPIO number 2-27, not the text "17"'),
    "required pin missing": ("recall = 6\n", "", "button_boxes[0].pins.2.recall",
                             "[button_boxes.pins.2]", "recall pin is missing"),
    "misspelt pin": ("recall = 27", "recal = 27", "button_boxes[0].pins.1.recal", "recal = 27",
                     "did you mean 'recall'?"),
    "counter without pins": ("[button_boxes.pins.3]\nnext = 16\nrecall = 20\nskip = 21\n"
                             "led = 26\n", "", "button_boxes[0].pins", "[button_boxes.pins.1]",
                             "no pins for counter 3"),
}


@pytest.mark.parametrize("old,new,key,on_line,says", MISTAKES.values(), ids=list(MISTAKES))
def test_each_mistake_names_file_line_and_key(tmp_path, old, new, key, on_line, says):
    text = edit(MINI, old, new)
    path = write(tmp_path, text)
    found = problem(check_site(path), key)
    needle, _, nth = on_line.partition("#")
    assert found.path == str(path)
    assert found.line == line_of(text, needle, int(nth or 1)), str(found)
    assert says in found.message
    assert str(found).startswith(f"{path}:{found.line}: {key}: ")


def test_inline_tables_are_located_key_by_key(tmp_path):
    text = edit(MINI, 'standard_minutes = 5', 'standard_minutes = 5\nhours = { mon = '
                '["08:00-12:00"], tue = ["08:00-10:00",\n  "13:00-12:00"], wed = [] }')
    (p,) = check_site(write(tmp_path, text))
    assert (p.key, p.line) == ("services[3].hours.tue[1]", line_of(text, '"13:00-12:00"'))


def test_a_counter_served_by_two_button_boxes(tmp_path):
    text = MINI + '\n[[button_boxes]]\nid = "box-2"\ncounters = [4, 2]\n'
    problems = check_site(write(tmp_path, text))
    assert problem(problems, "button_boxes[1].counters[1]").line == line_of(text, "[4, 2]")
    assert "already has a button box" in problem(problems, "button_boxes[1].counters[1]").message
    assert "no counter" in problem(problems, "button_boxes[1].counters[0]").message


def test_a_section_of_the_wrong_shape(tmp_path):
    text = MINI.replace("[[agencies]]", "[[agency]]").replace(
        "version = 1\n", 'version = 1\nagencies = "dukcapil, pdam"\n')
    problems = check_site(write(tmp_path, text))
    assert problem(problems, "agencies").line == line_of(text, "agencies = ")
    assert "list of tables" in problem(problems, "agencies").message
    assert problem(problems, "agency").line == line_of(text, "[[agency]]")


def test_misspelt_key_is_not_also_reported_missing(tmp_path):
    text = edit(MINI, 'name_en = "Family card"', 'name_enn = "Family card"')
    problems = check_site(write(tmp_path, text))
    assert [(p.key, p.line) for p in problems] == \
        [("services[1].name_enn", line_of(text, "name_enn"))]


# ---- all at once -----------------------------------------------------------------------

def test_all_problems_are_reported_at_once_in_line_order(tmp_path):
    text = MINI
    for old, new in [('timezone = "Asia/Jakarta"', 'timezone = "Jakarta"'),
                     ('prefix = "B"', 'prefix = "b"'),
                     ('policy = "oldest"', 'policy = "fifo"'),
                     ('counters = [3]', 'counters = [3, 9]')]:
        text = edit(text, old, new)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_site(path)
    problems = err.value.problems
    assert [p.key for p in problems] == ["site.timezone", "services[1].prefix",
                                         "counters[1].policy", "displays[1].counters",
                                         "displays[1].counters[1]"]
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    listed = str(err.value).splitlines()[1:]
    assert listed == [str(p) for p in problems]
    assert all(re.match(rf"{re.escape(str(path))}:\d+: \S+: ", line) for line in listed)


def test_one_problem_is_raised_as_itself(tmp_path):
    path = write(tmp_path, edit(MINI, 'prefix = "B"', 'prefix = "b"'))
    with pytest.raises(ConfigError) as err:
        load_site(path)
    assert (err.value.key, err.value.problems) == ("services[1].prefix", [err.value])


# ---- nothing crashes the checker -------------------------------------------------------
ODD_VALUES = ["true", "-1", '"x"', "[]", "{}", "1.5", "2026-01-01", '[1, "a"]', "{ a = 1 }"]
VALUE_LINES = [i for i, line in enumerate(MINI.splitlines())
               if re.match(r"^[A-Za-z0-9_]+ = ", line)]


@pytest.mark.parametrize("index", VALUE_LINES)
def test_any_odd_value_anywhere_gives_problems_not_a_crash(tmp_path, index):
    lines = MINI.splitlines()
    key = lines[index].split(" = ")[0]
    flagged = 0
    for odd in ODD_VALUES:
        lines[index] = f"{key} = {odd}"
        path = write(tmp_path, "\n".join(lines) + "\n")
        problems = check_site(path)
        for p in problems:
            assert isinstance(p, ConfigError) and p.path == str(path)
            assert p.line is not None and p.key, str(p)
        flagged += bool(problems)
    assert flagged > 0, key       # pins too: config check makes antrean counter's check


# ---- the document ----------------------------------------------------------------------
DOC = (EXAMPLES.parent / "docs" / "config.md").read_text(encoding="utf-8")


def doc_section(table: str) -> str:
    """The text under the heading of one table of the format."""
    title = {"": "Top level", "site": "`[site]`", "site.hours": "`[site.hours]`",
             "rules": "`[rules]`", "hub": "`[hub]`"}.get(table, f"`[[{table}]]`")
    parts = re.split(r"^## ", DOC, flags=re.M)
    (found,) = [p for p in parts if p.startswith(title)]
    return found


@pytest.mark.parametrize("table", list(config.KEYS))
def test_every_key_is_documented_in_its_table(table):
    section = doc_section(table)
    missing = [k for k in config.KEYS[table] if f"| `{k}` |" not in section]
    assert missing == [], f"docs/config.md does not describe {table or 'top-level'} keys {missing}"


def test_device_of_names_the_devices_the_file_has():
    site = load_site(EXAMPLES / "mini-hall.toml")
    assert device_of(site, "kiosk", "kiosk-1").id == "kiosk-1"
    with pytest.raises(ConfigError) as e:
        device_of(site, "button box", "box-9", "hall.toml")
    assert str(e.value) == "hall.toml: no button box 'box-9' (boxes: box-1)"


def test_short_names_are_the_tiles_and_the_full_names_stay():
    site = load_site(EXAMPLES / "mpp-madiun.toml")
    ptsp, bpjskes = site.agencies["dpmptsp"], site.agencies["bpjskes"]
    assert ptsp.tile_name("id") == "DPMPTSP (Perizinan)"
    assert ptsp.tile_name("en") == "One-Stop Permits (DPMPTSP)"
    assert ptsp.name.startswith("Dinas Penanaman Modal")
    # no English short name given: the English tile is the English name
    assert bpjskes.tile_name("en") == bpjskes.name_en == "BPJS Health Insurance"
    # a service without a short name shows its name
    assert site.services["KK"].tile_name("id") == site.services["KK"].name
