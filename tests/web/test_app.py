"""web/app.py through Starlette's test client: the public page with no login, the staff page
behind one, CSRF on the forms, the brake on wrong passwords. Real accounts file (argon2)."""
from __future__ import annotations

import re
import stat

import pytest
from starlette.testclient import TestClient

from antrean.protocol import Topics
from tests.fixtures.sites import small_site
from web import app as webapp
from web.accounts import Accounts, Brake
from web.core import HallModel

from .test_core import NOW, health, presence, service

T = Topics("mpp-test")


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def web(tmp_path):
    model = HallModel(small_site(), now_ms=lambda: NOW)
    model.apply(T.service("KTP"), service(waiting=4, last_called="A-008", wait_min=18))
    accounts = Accounts(tmp_path / "users.toml")
    accounts.add("budi", "rahasia-sekali")
    clock = Clock()
    page = webapp.WebPage(model, accounts=accounts, link=lambda: True,
                          brake=Brake(allowed=3, lock_s=60, clock=clock))
    page.clock = clock
    return page


@pytest.fixture
def client(web, tmp_path):
    with TestClient(webapp.build(web, webapp.session_secret(tmp_path / "state"))) as c:
        yield c


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def log_in(client, password="rahasia-sekali", user="budi"):
    token = csrf(client.get("/login").text)
    return client.post("/login", data={"csrf": token, "username": user, "password": password},
                       follow_redirects=False)


def test_the_public_page_shows_every_service_with_no_login_in_indonesian_first(client):
    html = client.get("/").text
    assert 'lang="id"' in html and "Menunggu" in html and "Perkiraan tunggu" in html
    row = re.search(r'id="svc-KTP".*?</div>', html, re.S).group(0)
    assert "KTP Elektronik" in row and ">4<" in row and "A-008" in row and "18 menit" in row
    assert 'id="svc-AKTA"' in html and "belum ada data" in html     # no snapshot yet


def test_english_is_one_tap_away_and_stays_chosen(client):
    html = client.get("/").text
    assert 'href="?lang=en"' in html
    english = client.get("/?lang=en")
    assert "Electronic ID card" in english.text and "Estimated wait" in english.text
    assert "Waiting" in client.get("/").text                       # the cookie keeps it


def test_the_staff_page_needs_a_login(client):
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/staff/events").status_code == 401


def test_a_right_password_opens_the_staff_page_with_devices_counters_and_alerts(client, web):
    web.model.apply(T.presence("kiosk-1"), presence("kiosk-1"))
    web.model.apply(T.health("kiosk-1"), health("kiosk-1", printer={"status": "no_paper"},
                                                outbox=2, version="0.1.0", uptime_s=3600))
    answer = log_in(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/staff"
    html = client.get("/staff").text
    assert 'id="dev-kiosk-1"' in html and "kertas habis" in html
    assert 'id="alert-printer-kiosk-1"' in html and 'id="counter-3"' in html


def test_a_wrong_password_is_refused_and_repeated_ones_are_braked(client, web):
    assert log_in(client, "salah").status_code == 401
    assert log_in(client, "salah", user="nobody").status_code == 401
    assert log_in(client, "salah").status_code == 401
    braked = log_in(client)                      # even the right one waits now
    assert braked.status_code == 429 and "Coba lagi dalam 60 detik" in braked.text
    web.clock.now += 61
    assert log_in(client).status_code == 303


def test_a_form_without_its_csrf_token_is_refused(client):
    client.get("/login")
    answer = client.post("/login", data={"csrf": "forged", "username": "budi",
                                         "password": "rahasia-sekali"})
    assert answer.status_code == 403
    log_in(client)
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert client.get("/staff", follow_redirects=False).status_code == 200
    token = csrf(client.get("/staff").text)
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.get("/staff", follow_redirects=False).status_code == 303


def test_an_unknown_page_is_a_clear_page_not_a_traceback(client):
    answer = client.get("/tiket/12345")
    assert answer.status_code == 404 and "Halaman tidak ditemukan." in answer.text


def test_the_accounts_file_holds_argon2_hashes_only_with_mode_600(tmp_path):
    accounts = Accounts(tmp_path / "users.toml")
    accounts.add("sari", "kata-sandi-panjang")
    text = (tmp_path / "users.toml").read_text()
    assert "$argon2id$" in text and "kata-sandi-panjang" not in text
    assert stat.S_IMODE((tmp_path / "users.toml").stat().st_mode) == 0o600
    assert accounts.check("sari", "kata-sandi-panjang")
    assert not accounts.check("sari", "kata-sandi-salah") and not accounts.check("x", "y")


def test_the_session_key_is_made_once_and_kept_private(tmp_path):
    first = webapp.session_secret(tmp_path)
    assert webapp.session_secret(tmp_path) == first and len(first) == 64
    assert stat.S_IMODE((tmp_path / webapp.SECRET_FILE).stat().st_mode) == 0o600
