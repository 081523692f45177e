"""The hall's web page in a real browser: Debian's chromium, headless, driven by Selenium with
Debian's chromium-driver, against a real Mosquitto, a real hub and the page composed as
`antrean web` composes it, for the Madiun hall. Every wait is on a DOM condition.

Screenshots (phone 360x740, desktop 1920x1080) go to $ANTREAN_SHOTS, or the test's tmp dir.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from antrean.config import load_site
from antrean.deploy.broker import free_port, run_broker
from antrean.mqtt import HallClient
from hub.service import HubService
from tests.fixtures.hallclock import hall_clock
from tests.fixtures.needs import need_programs
from tests.fixtures.sites import with_tool_logins
from tests.fixtures.waiting import wait_until
from tests.hub.test_service import Device
from web.accounts import Accounts
from web.service import Composed

pytestmark = pytest.mark.needs("mosquitto")
ROOT = Path(__file__).resolve().parents[2]
MADIUN = ROOT / "examples/mpp-madiun.toml"
KOTA_BESAR = ROOT / "examples/mpp-kota-besar.toml"
PASSWORD = "kata-sandi-panjang"
PHONE, DESKTOP = (360, 740), (1920, 1080)
DOM_TIMEOUT_S = 10      # REFRESH_S (5 s) plus slack on a busy 2-core machine


class Hall:
    """Broker, hub and web page of one hall, and an operator tool that issues and calls."""

    def __init__(self, tmp_path: Path, config: Path):
        import uvicorn
        self.site = load_site(with_tool_logins(config, tmp_path))
        self.broker = run_broker(self.site, tmp_path / "broker")
        self.clock = hall_clock()
        self._db = str(tmp_path / "hub.sqlite")
        self.start_hub()
        users = tmp_path / "state" / "web-users.toml"
        Accounts(users).add("teknisi", PASSWORD)
        self.web = Composed(self.site, login="ops-web",
                            password=self.broker.passwords["ops-web"], host=self.broker.host,
                            port=self.broker.port, tls_ca=None, users=users,
                            state_dir=tmp_path / "state", now_ms=self.clock)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(self.web.app, host="127.0.0.1", port=port,
                                                    log_level="warning"))
        self._web_thread = threading.Thread(target=self.server.run, daemon=True)
        self._web_thread.start()
        wait_until(lambda: self.server.started, 10, "the web page to serve")
        wait_until(lambda: self.web.follower.connected, 10, "the page's broker login")
        self.tool = Device(self.site, self.broker, "ops-tool")
        self.devices: list[HallClient] = []

    def start_hub(self) -> None:
        self.hub = HubService(self.site, self._db, self.broker.host, self.broker.port,
                              password=self.broker.passwords["hub"], now_ms=self.clock)
        self._hub_thread = threading.Thread(target=self.hub.run, daemon=True)
        self._hub_thread.start()
        assert self.hub.client.wait_connected(10)

    def stop_hub(self) -> None:
        self.hub.stop()
        self._hub_thread.join(10)

    def ticket(self, service: str) -> dict:
        now = self.clock.now_ms()
        issued = self.tool.ask("ticket.request", service=service, sent_at=now)
        assert issued["ok"], issued
        ticket = issued["result"]["ticket"]
        assert self.tool.ask("ticket.printed", ticket=ticket["id"], sent_at=now)["ok"]
        return ticket

    def call(self, counter: int) -> dict:
        reply = self.tool.ask("counter.next", counter=counter, sent_at=self.clock.now_ms())
        assert reply["ok"], reply
        return reply["result"]["call"]

    def device(self, device: str, role: str) -> HallClient:
        client = HallClient(site=self.site.id, device=device, role=role,
                            password=self.broker.passwords[device], host=self.broker.host,
                            port=self.broker.port, now_ms=self.clock)
        self.devices.append(client)
        client.start()
        assert client.wait_connected(10)
        return client

    def close(self) -> None:
        for client in self.devices:
            client.stop(timeout=2)
        self.tool.close()
        self.server.should_exit = True
        self._web_thread.join(10)
        self.stop_hub()
        self.broker.stop()


@pytest.fixture
def hall(tmp_path):
    h = Hall(tmp_path, MADIUN)
    yield h
    h.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    out = Path(os.environ.get("ANTREAN_SHOTS", tmp_path / "shots"))
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def browser():
    need_programs("chromium", "chromedriver")
    from selenium import webdriver
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--lang=id"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(
        executable_path=shutil.which("chromedriver")))
    yield driver
    driver.quit()


def size(driver, wh: tuple[int, int], mobile: bool) -> None:
    """The viewport exactly as a phone or a desktop screen has it."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": wh[0], "height": wh[1], "deviceScaleFactor": 1, "mobile": mobile})


def until(driver, condition, what: str, timeout: float = DOM_TIMEOUT_S):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)
    except TimeoutException:
        pytest.fail(f"the page never showed {what} within {timeout} s")


def text_of(driver, css: str) -> str | None:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    try:
        return driver.find_element("css selector", css).text
    except (NoSuchElementException, StaleElementReferenceException):
        return None


def present(driver, css: str) -> bool:
    return bool(driver.find_elements("css selector", css))


def log_in(driver, url: str, password: str) -> None:
    driver.get(url + "/login")
    driver.find_element("id", "username").send_keys("teknisi")
    driver.find_element("id", "password").send_keys(password)
    driver.find_element("id", "submit").click()


def test_a_call_appears_live_on_the_public_page_at_phone_and_desktop_size(hall, browser, shots):
    for _ in range(3):
        hall.ticket("PASPOR-BARU")
    size(browser, PHONE, mobile=True)
    browser.get(hall.url + "/")
    row = "#svc-PASPOR-BARU"
    until(browser, lambda d: text_of(d, f"{row} .waiting") == "3", "3 waiting for PA")
    assert "Menunggu" in browser.page_source and text_of(browser, f"{row} .last") == "-"
    until(browser, lambda d: "Langsung dari hub" in (text_of(d, ".banner") or ""), "link up")

    call = hall.call(1)                                  # Loket 1 serves PASPOR-BARU first
    assert call["number"] == "PA-001"
    until(browser, lambda d: text_of(d, f"{row} .last") == "PA-001", "the call of PA-001")
    assert text_of(browser, f"{row} .waiting") == "2"
    browser.save_screenshot(str(shots / "public-phone-id.png"))
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"the phone page scrolls sideways: {width} px wide"

    browser.find_element("id", "lang").click()           # English, one tap away
    until(browser, lambda d: "Estimated wait" in d.page_source, "the English page")
    hall.call(1)
    until(browser, lambda d: text_of(d, f"{row} .last") == "PA-002", "the call of PA-002")
    size(browser, DESKTOP, mobile=False)
    browser.save_screenshot(str(shots / "public-desktop-en.png"))


def test_login_refuses_a_wrong_password_and_lets_the_right_one_in(hall, browser, shots):
    size(browser, PHONE, mobile=True)
    browser.get(hall.url + "/staff")
    until(browser, lambda d: d.current_url.endswith("/login"), "the login page")
    log_in(browser, hall.url, "salah-sekali")
    until(browser, lambda d: present(d, "#error"), "the refusal")
    assert "salah" in text_of(browser, "#error") and "/login" in browser.current_url
    log_in(browser, hall.url, PASSWORD)
    until(browser, lambda d: d.current_url.endswith("/staff") and present(d, "#devices"),
          "the staff page")
    assert present(browser, "#dev-hub") and present(browser, "#counter-24")


def test_an_alert_appears_and_clears_on_the_staff_page(hall, browser, shots):
    kiosk = hall.device("kiosk-1", "kiosk")
    kiosk.set_health({"printer": {"status": "ok"}, "outbox": 0})
    size(browser, DESKTOP, mobile=False)
    log_in(browser, hall.url, PASSWORD)
    until(browser, lambda d: present(d, "#dev-kiosk-1"), "the staff page")
    until(browser, lambda d: "daring" in (text_of(d, "#dev-kiosk-1") or ""), "kiosk-1 online")
    assert not present(browser, "#alert-printer-kiosk-1")

    kiosk.set_health({"printer": {"status": "no_paper"}, "outbox": 0})
    until(browser, lambda d: present(d, "#alert-printer-kiosk-1"), "the paper-out alert")
    assert "kertas habis" in text_of(browser, "#alert-printer-kiosk-1")
    assert "kertas habis" in text_of(browser, "#dev-kiosk-1")

    hall.ticket("PASPOR-BARU")                           # PASPOR-BARU: standard 15 minutes
    hall.clock.set(hall.clock.now_ms() + 16 * 60_000)
    until(browser, lambda d: present(d, "#alert-wait-PASPOR-BARU.critical"),
          "the ticket past its standard time")
    browser.save_screenshot(str(shots / "staff-desktop-alerts.png"))
    size(browser, PHONE, mobile=True)
    browser.save_screenshot(str(shots / "staff-phone-alerts.png"))
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"the staff page scrolls sideways on a phone: {width} px"

    kiosk.set_health({"printer": {"status": "ok"}, "outbox": 0})   # paper refilled
    until(browser, lambda d: not present(d, "#alert-printer-kiosk-1"), "the alert to clear")
    hall.call(1)                                         # the late ticket is called
    until(browser, lambda d: not present(d, "#alert-wait-PASPOR-BARU"), "the wait to clear")


def test_the_page_says_when_the_hub_is_gone_and_goes_on_when_it_is_back(hall, browser):
    size(browser, PHONE, mobile=True)
    browser.get(hall.url + "/")
    until(browser, lambda d: present(d, ".banner.up"), "the link up")
    hall.stop_hub()                                      # it says offline as it goes
    until(browser, lambda d: present(d, ".banner.down") and "Terputus dari hub" in
          (text_of(d, ".banner") or ""), "that the hub is gone")
    hall.start_hub()
    until(browser, lambda d: present(d, ".banner.up"), "the hub back")
    hall.ticket("PASPOR-BARU")
    hall.call(1)
    until(browser, lambda d: text_of(d, "#svc-PASPOR-BARU .last") == "PA-001",
          "a call after the hub's restart")


def test_the_big_city_hall_fits_a_tv(tmp_path, browser, shots):
    hall = Hall(tmp_path, KOTA_BESAR)
    try:
        size(browser, DESKTOP, mobile=False)
        browser.get(hall.url + "/")
        until(browser, lambda d: len(d.find_elements("css selector", ".svc:not(.head)"))
              == len(hall.site.services), "every service of the hall")
        until(browser, lambda d: "belum ada data" not in d.page_source,
              "every service's figures from the hub")
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= DESKTOP[0]
        browser.save_screenshot(str(shots / "public-tv-kota-besar.png"))
    finally:
        hall.close()
