"""`antrean status`: what a technician reads about every device, from the real broker."""
import datetime as dt
import socket

import pytest

from antrean.errors import EXIT_ATTENTION, BrokerError
from antrean.messages import Health, Presence, PrinterHealth
from antrean.status import collect, describe, report, status_login, trouble

JAKARTA = dt.timezone(dt.timedelta(hours=7))
NOW = int(dt.datetime(2026, 11, 27, 12, 8, tzinfo=JAKARTA).timestamp() * 1000)
MINUTE = 60_000


def presence(state: str, at: int) -> Presence:
    return Presence(v=1, device="kiosk-1", role="kiosk", state=state, session="s", bdseq=1,
                    at=at)


def health(at: int, **fields) -> Health:
    return Health(v=1, device="kiosk-1", role="kiosk", at=at, version="1.0", uptime_s=1800,
                  **fields)


def test_status_names_offline_devices_and_a_printer_out_of_paper(broker, hall_site, client_for):
    # Given a kiosk whose printer ran out of paper, and a display that went away cleanly.
    kiosk = client_for("kiosk-1")
    kiosk.set_health({"printer": {"status": "no_paper", "detail": "paper end"}, "outbox": 3})
    display = client_for("display-hall")
    display.stop()
    assert kiosk.wait_connected(10)
    # When the technician asks (the retained presence and health).
    login = status_login(hall_site, None).id
    seen = collect(hall_site, broker.host, broker.port, wait_s=1.0,
                   password=broker.passwords[login])
    now = seen["kiosk-1"]["health"].at
    lines = {d: describe(d, seen.get(d, {}), now) for d in ("kiosk-1", "display-hall", "box-1")}
    # Then each device says what matters.
    assert "ONLINE" in lines["kiosk-1"] and "NO PAPER" in lines["kiosk-1"]
    assert "3 offline tickets not yet at the hub" in lines["kiosk-1"]
    assert "OFFLINE" in lines["display-hall"] and "was: v" in lines["display-hall"]
    assert "NEVER SEEN" in lines["box-1"]
    assert "hub-status" not in seen          # the tool itself leaves no trace
    # And the exit code says a technician is needed (paper, the display, the box).
    assert report(hall_site, seen, now) == EXIT_ATTENTION


def test_an_offline_device_says_for_how_long_and_what_it_was():
    # Given a kiosk that said goodbye at 12:03 after a health report of a ready printer.
    info = {"presence": presence("offline", NOW - 5 * MINUTE),
            "health": health(NOW - 6 * MINUTE, printer=PrinterHealth(status="ok"))}
    # When it is described, then the time offline comes first and the rest is "was".
    line = describe("kiosk-1", info, NOW, "Asia/Jakarta")
    assert "OFFLINE" in line and "offline 5 min (last seen 12:03)" in line
    assert "was: v1.0 up 30 min, printer ok" in line and "report" not in line
    assert trouble(info, NOW) == "offline 5 min"


def test_a_lost_device_counts_from_its_last_health_and_old_state_is_no_problem():
    # Given a kiosk whose link died (the will: "lost", stamped when it connected) after a
    # last health report, 7 minutes ago, of a printer out of paper.
    info = {"presence": presence("lost", NOW - 90 * MINUTE),
            "health": health(NOW - 7 * MINUTE, printer=PrinterHealth(status="no_paper"))}
    line = describe("kiosk-1", info, NOW, "Asia/Jakarta")
    # Then: lost 7 min, the paper only as what it was; the trouble is the lost link.
    assert "lost 7 min (last seen 12:01)" in line and "was: v1.0 up 30 min, NO PAPER" in line
    assert trouble(info, NOW) == "lost 7 min"
    # Yesterday's last sight names the day.
    info = {"presence": presence("lost", NOW - 27 * 60 * MINUTE),
            "health": health(NOW - 26 * 60 * MINUTE)}
    assert "lost 26 h 0 min (last seen 2026-11-26 10:08)" in describe("kiosk-1", info, NOW)


@pytest.mark.parametrize("fields, problem", [
    ({}, None),
    ({"printer": {"status": "unknown"}}, None),       # a printer that cannot tell
    ({"printer": {"status": "paper_low"}}, "PAPER LOW"),
    ({"printer": {"status": "cover_open"}}, "COVER OPEN"),
    ({"errors": ["voice failing: aplay exited 1"]}, "errors: voice failing: aplay exited 1"),
])
def test_what_of_an_online_device_needs_a_technician(fields, problem):
    if "printer" in fields:
        fields = {**fields, "printer": PrinterHealth(**fields["printer"])}
    info = {"presence": presence("online", NOW - MINUTE), "health": health(NOW, **fields)}
    assert trouble(info, NOW) == problem
    assert trouble({}, NOW) == "never seen"


def test_all_well_exits_zero(hall_site, capsys):
    # Given every device of the hall online and well.
    seen = {d: {"presence": presence("online", NOW), "health": health(NOW)}
            for d in ["hub", *(d.id for d in hall_site.devices())]}
    assert report(hall_site, seen, NOW) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("all ")
    # One display whose voice fails: exit code 8, and the last line names it.
    seen["display-hall"]["health"] = health(NOW, errors=["announcer stopped"])
    assert report(hall_site, seen, NOW) == EXIT_ATTENTION
    assert "display-hall (errors: announcer stopped)" in capsys.readouterr().out


def test_a_broker_that_is_not_there_is_not_never_seen_devices(hall_site):
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(BrokerError) as err:
        collect(hall_site, "127.0.0.1", port, wait_s=0.5, password="ops-watch-pw")
    assert f"broker 127.0.0.1:{port} unreachable: no connection" in str(err.value)
    assert err.value.exit_code == 7


def test_a_refused_login_is_said_as_such(broker, hall_site):
    with pytest.raises(BrokerError) as err:
        collect(hall_site, broker.host, broker.port, wait_s=1.0, password="not-its-password")
    assert f"broker {broker.host}:{broker.port} refused the login: " in str(err.value)
    assert "unreachable" not in str(err.value)
