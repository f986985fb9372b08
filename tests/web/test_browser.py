"""A real browser (the system's Chromium, driven by Selenium) clicks through /chat to a case, then opens /track.

Nothing is downloaded: Debian's `chromium` and `chromium-driver` are used by explicit path (`make test` installs
them when missing). Screenshots at 360 px and 1280 px go to test-artifacts/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_app import LiveApp, tiepdan_run
from tests.support.web_client import PIN, PREFERRED_KEYS, TRACKING_CODE, TYPED_ANSWERS

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT = 60  # seconds; generous, the machine is shared

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                       reason="needs Debian's chromium and chromium-driver (`make test` installs them)"),
]

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LiveApp]:
    with tiepdan_run(tmp_path) as running:
        yield running


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1280,900", "--lang=vi"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def viewport(driver: WebDriver, width: int) -> None:
    """An exact CSS viewport width (a window's size includes its frame)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 800 if width < 600 else 900, "deviceScaleFactor": 1,
                            "mobile": width < 600})


def screenshot(driver: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert driver.save_screenshot(str(path))
    return path


def fits(driver: WebDriver, width: int) -> bool:
    return int(driver.execute_script("return document.documentElement.scrollWidth")) <= width


def log_text(driver: WebDriver) -> str:
    return str(driver.execute_script("return document.getElementById('log').innerText"))


def offered(driver: WebDriver) -> list[tuple[str, object]]:
    return [(b.get_attribute("data-key") or "", b) for b in driver.find_elements(By.CSS_SELECTOR, ".choices button")]


LAST_MESSAGE = """
const all = document.querySelectorAll('#log > .msg');
return [all.length, all.length ? all[all.length - 1].className : ''];
"""


def settle(driver: WebDriver) -> None:
    """Until the bot has answered the visitor's last message (nothing pending) and then stayed quiet a moment."""
    previous = None
    wait = WebDriverWait(driver, WAIT, poll_frequency=1.0)

    def quiet(d: WebDriver) -> bool:
        nonlocal previous
        count, last = d.execute_script(LAST_MESSAGE)
        now = (count, last)
        stable = now == previous and last.split() == ["msg", "out"]
        previous = now
        return stable

    wait.until(quiet)


def click_through_a_report(driver: WebDriver) -> tuple[str, str]:
    """Answer what the page offers (buttons first, typing otherwise) until a tracking code and PIN appear."""
    typed = iter(TYPED_ANSWERS)
    for _ in range(16):
        settle(driver)
        text = log_text(driver)
        code, pin = TRACKING_CODE.search(text), PIN.search(text)
        if code and pin:
            return code.group(1), pin.group(1)
        buttons = dict(offered(driver))
        key = next((k for k in PREFERRED_KEYS if k in buttons), None)
        if key is not None:
            buttons[key].click()  # type: ignore[attr-defined]
        else:
            box = driver.find_element(By.ID, "composer-text")
            box.send_keys(next(typed))
            driver.find_element(By.ID, "send-button").click()
    raise AssertionError(f"no tracking code on the page: {log_text(driver)[-500:]}")


def test_a_citizen_reports_in_the_browser_and_tracks_the_case(app: LiveApp, browser: WebDriver) -> None:
    viewport(browser, 360)
    browser.get(f"{app.base_url}/chat")
    WebDriverWait(browser, WAIT).until(lambda d: len(offered(d)) >= 2)  # the greeting and the consent buttons
    assert browser.find_element(By.TAG_NAME, "h1").text == "Tiếp Dân - hỏi đáp, phản ánh"
    assert [k for k, _ in offered(browser)] == ["agree", "decline"]
    assert browser.find_element(By.ID, "log").get_attribute("aria-live") == "polite"

    code, pin = click_through_a_report(browser)
    assert code == "PA-2026-000001"
    assert fits(browser, 360)
    screenshot(browser, "chat-360.png")
    viewport(browser, 1280)
    screenshot(browser, "chat-1280.png")

    browser.get(f"{app.base_url}/chat")  # a reload shows the same conversation
    WebDriverWait(browser, WAIT).until(lambda d: code in log_text(d))

    viewport(browser, 360)
    browser.get(f"{app.base_url}/track")
    browser.find_element(By.ID, "code").send_keys(code)
    browser.find_element(By.ID, "pin").send_keys(pin)
    browser.find_element(By.CSS_SELECTOR, "form.lookup button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.ID, "case-title"))
    assert browser.find_element(By.ID, "case-title").text == f"Hồ sơ {code}"
    facts = browser.find_element(By.CSS_SELECTOR, ".facts").text
    assert re.search(r"Tình trạng\s+Đã tiếp nhận, chờ phân công", facts)
    assert re.search(r"Đơn vị xử lý\s+UBND phường Sao Đỏ", facts)
    assert fits(browser, 360)
    screenshot(browser, "track-360.png")
    viewport(browser, 1280)
    screenshot(browser, "track-1280.png")
    for name in ("chat-360.png", "chat-1280.png", "track-360.png", "track-1280.png"):
        assert (ARTIFACTS / name).stat().st_size > 5_000
