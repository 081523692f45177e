"""The hall at the hours that once broke the suite, on a hub clock the test sets: the last
half minute of the day, the seconds before the 00:30 daily reset, and the Friday prayer
break. The example halls' own config files, a real Mosquitto, the real hub, devices speaking
the protocol (the wall clock plays no part, so these pass at any hour)."""
from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from antrean.deploy.broker import run_broker
from antrean.config import load_site
from hub.service import HubService
from tests.fixtures.hallclock import WIB, hall_clock, ms
from tests.fixtures.waiting import wait_until
from tests.hub.test_service import Device

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TUESDAY = dt.date(2026, 11, 24)


def moment(day: dt.date, hour: int, minute: int, second: float = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), WIB) + dt.timedelta(seconds=second)


class HallAt:
    """An example hall whose hub runs on ``clock``; devices from ``device()``."""

    def __init__(self, tmp_path: Path, config: str, start: dt.datetime):
        self.site = load_site(EXAMPLES / config)
        self.broker = run_broker(self.site, tmp_path / "broker")
        self.clock = hall_clock(start)
        self.hub = HubService(self.site, str(tmp_path / "hub.sqlite"), self.broker.host,
                              self.broker.port, password=self.broker.passwords["hub"],
                              now_ms=self.clock)
        self._thread = threading.Thread(target=self.hub.run, daemon=True, name="hub")
        self._thread.start()
        assert self.hub.client.wait_connected(10)
        self._devices: list[Device] = []

    def device(self, device_id: str) -> Device:
        self._devices.append(Device(self.site, self.broker, device_id))
        return self._devices[-1]

    def set(self, when: dt.datetime) -> None:
        """Move the hub's clock; devices take the new time from its next heartbeat, as in a
        hall (until then their commands would be stale)."""
        self.clock.set(ms(when))
        for d in self._devices:
            wait_until(lambda: d.clock.now_ms() >= ms(when), 10, f"{d.id} on the new time")
        # Waiting for the heartbeat took up to a second of hub time: start again from
        # ``when`` (devices are then that much ahead, well inside the 5 s the hub allows).
        self.clock.set(ms(when))

    def ticket(self, kiosk: Device, service: str) -> dict:
        """A ticket taken and printed, as the kiosk does it; the hub's reply when refused."""
        reply = kiosk.ask("ticket.request", service=service)
        if not reply["ok"]:
            return reply
        printed = kiosk.ask("ticket.printed", ticket=reply["result"]["ticket"]["id"])
        assert printed["ok"], printed
        return printed["result"]["ticket"]

    def close(self) -> None:
        for d in self._devices:
            d.close()
        self.hub.stop()
        self._thread.join(10)
        self.broker.stop()


@pytest.fixture
def hall_at(tmp_path):
    halls: list[HallAt] = []

    def start(config: str, when: dt.datetime) -> HallAt:
        halls.append(HallAt(tmp_path, config, when))
        return halls[-1]
    yield start
    for hall in halls:
        hall.close()


def test_the_mini_hall_issues_through_midnight_and_numbers_the_new_day_from_001(hall_at):
    """Given the mini hall ("00:00-24:00") with its hub at 23:59:30, when visitors take
    tickets in the day's last half minute and just after midnight, then every one is issued:
    the last moment of the day is open, and the new day starts at 001."""
    hall = hall_at("mini-hall.toml", moment(TUESDAY, 23, 59, 30))
    kiosk = hall.device("kiosk-1")
    first = hall.ticket(kiosk, "KTP")
    hall.set(moment(TUESDAY, 23, 59, 59.5))
    last = hall.ticket(kiosk, "KTP")
    hall.set(moment(TUESDAY + dt.timedelta(days=1), 0, 0, 0.5))
    new_day = hall.ticket(kiosk, "KTP")
    assert [t.get("number") for t in (first, last, new_day)] == ["A-001", "A-002", "A-001"]
    assert [t["status"] for t in (first, last, new_day)] == ["waiting"] * 3


def test_the_daily_reset_closes_yesterday_and_keeps_the_ticket_taken_at_00_29_50(hall_at):
    """Given a ticket left from the evening and one taken at 00:29:50, when the 00:30 reset
    runs, then yesterday's is closed and never called, and the visitor who came at 00:29:50
    is called first."""
    hall = hall_at("mini-hall.toml", moment(TUESDAY, 23, 50))
    kiosk, box = hall.device("kiosk-1"), hall.device("box-1")
    evening = hall.ticket(kiosk, "KTP")
    hall.set(moment(TUESDAY + dt.timedelta(days=1), 0, 29, 50))
    night = hall.ticket(kiosk, "KTP")
    assert (evening["number"], night["number"]) == ("A-001", "A-001")   # two queue days
    kiosk.latest("service", where=lambda s: s["service"] == "KTP" and s["waiting"] == 2)
    hall.set(moment(TUESDAY + dt.timedelta(days=1), 0, 30, 5))
    # Snapshots arrive in order: one counting 1 after the one counting 2 is the reset's.
    kiosk.latest("service", timeout=15,
                 where=lambda s: s["service"] == "KTP" and s["waiting"] == 1)
    call = box.ask("counter.next", counter=1)["result"]["call"]
    assert call["ticket"] == night["id"]
    assert box.ask("counter.next", counter=1)["result"]["call"] is None   # evening's never


def test_the_friday_prayer_break_refuses_with_when_it_reopens_then_issues(hall_at):
    """Given Madiun on a Friday at 11:50 (the hall's break is 11:30-13:30, the bank's
    11:00-13:00), when a visitor asks for a ticket, then the kiosk hears when the service
    reopens; at 13:00 the bank issues and the hall's services still wait until 13:30."""
    friday = dt.date(2026, 11, 27)
    hall = hall_at("mpp-madiun.toml", moment(friday, 11, 50))
    kiosk = hall.device(next(iter(hall.site.kiosks)))
    hall_service = service_with_break(hall.site, "13:30")
    bank = service_with_break(hall.site, "13:00")
    refused = hall.ticket(kiosk, hall_service)
    assert refused["error"]["code"] == "on_break" and "13.30" in refused["error"]["message"]
    assert hall.ticket(kiosk, bank)["error"]["code"] == "on_break"
    hall.set(moment(friday, 13, 0, 1))
    assert hall.ticket(kiosk, bank)["status"] == "waiting"
    assert hall.ticket(kiosk, hall_service)["error"]["code"] == "on_break"
    hall.set(moment(friday, 13, 30, 1))
    assert hall.ticket(kiosk, hall_service)["status"] == "waiting"


def service_with_break(site, reopens: str) -> str:
    """A service the first kiosk offers whose Friday break ends at ``reopens``."""
    kiosk = next(iter(site.kiosks.values()))
    fri = dt.date(2026, 11, 27)
    for sid in kiosk.services or site.services:
        periods = site.services[sid].hours.periods(fri)
        if len(periods) == 2 and periods[1].start.strftime("%H:%M") == reopens:
            return sid
    raise AssertionError(f"no service of {kiosk.id} reopens at {reopens} on Fridays")
