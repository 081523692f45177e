"""Fixtures for the kiosk's printing tests: a running virtual printer and a ticket."""
import datetime as dt
import subprocess
from zoneinfo import ZoneInfo

import pytest

from kiosk.ticket import TicketView
from kiosk.virtual_printer import VirtualPrinter
from tests.fixtures.needs import need_programs


@pytest.fixture
def vprinter(tmp_path):
    vp = VirtualPrinter(out_dir=tmp_path / "tickets", idle=0.2).start()
    yield vp
    vp.stop()


def make_view(**changes) -> TicketView:
    fields = dict(site_name="MPP Kota Madiun",
                  agency_name="Dinas Kependudukan dan Pencatatan Sipil",
                  service_name="Perekaman KTP-el", number="A-012",
                  issued_at=dt.datetime(2026, 11, 23, 9, 41, tzinfo=ZoneInfo("Asia/Jakarta")),
                  people_ahead=4, estimated_wait_min=18, priority=None,
                  ticket_id="tkt-20261123-KTP-012", footer="Layanan gratis, tanpa calo.")
    fields.update(changes)
    return TicketView(**fields)


@pytest.fixture
def view():
    return make_view()


def read_qr(png_path) -> str:
    """The QR payload in a PNG, via zbarimg (apt zbar-tools)."""
    need_programs("zbarimg")
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png_path)], capture_output=True,
                         text=True, timeout=30)
    return out.stdout.strip()
