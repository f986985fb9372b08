"""The dashboard in a real browser (the system's Chromium through Selenium; nothing downloaded): signing in
with the link (a reused or expired link is refused), scope by URL, filters, the chart, the export buttons;
screenshots at 360 px and 1280 px in test-artifacts/.

The app runs in this test's event loop; the browser is driven from a thread so the server keeps answering.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.dashboard.support import City, answer, city

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT = 60

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                       reason="needs Debian's chromium and chromium-driver (`make test` installs them)"),
]

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: 'same-origin'})
  .then(r => r.arrayBuffer().then(b => done([r.status, r.headers.get('content-type'), b.byteLength])))
  .catch(e => done([0, String(e), 0]));
"""


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1280,900", "--lang=vi"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_script_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def viewport(driver: WebDriver, width: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 800 if width < 600 else 900, "deviceScaleFactor": 1,
                            "mobile": width < 600})


def shot(driver: WebDriver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    assert driver.save_screenshot(str(ARTIFACTS / name))


def fits(driver: WebDriver, width: int) -> bool:
    return int(driver.execute_script("return document.documentElement.scrollWidth")) <= width


def text(driver: WebDriver) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def wait_text(driver: WebDriver, words: str) -> None:
    """Until the page shows `words` (a page being replaced makes its elements stale: try again)."""
    WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: words in text(d))


def sign_in(driver: WebDriver, base: str, token: str) -> None:
    driver.get(f"{base}/dashboard/login?token={token}")
    driver.find_element(By.ID, "sign-in").click()


def drive(driver: WebDriver, c: City, tokens: dict[str, str], late: str, loop: asyncio.AbstractEventLoop) -> None:
    base = c.base
    saodo, phalai = c.codes["SAODO"], c.codes["PHALAI"]

    # Signing in: the link works once; a second use and an expired link are refused.
    sign_in(driver, base, tokens["head"])
    wait_text(driver, "Nguyễn Văn Hùng")
    driver.delete_all_cookies()
    sign_in(driver, base, tokens["head"])
    wait_text(driver, "đã được dùng hoặc đã hết hạn")
    loop.call_soon_threadsafe(lambda: c.clock.advance(minutes=11))
    sign_in(driver, base, late)
    wait_text(driver, "đã được dùng hoặc đã hết hạn")

    # An officer: another unit's case by its URL is not found.
    sign_in(driver, base, tokens["officer"])
    wait_text(driver, "Trần Thị Mai")
    driver.get(f"{base}/dashboard/cases/{phalai[0]}")
    wait_text(driver, "Không tìm thấy hồ sơ")
    assert phalai[0] not in driver.page_source
    driver.get(f"{base}/dashboard/cases/{saodo[0]}")
    wait_text(driver, saodo[0])

    # The head: the overview with its figures, chart and export buttons, at both widths.
    driver.delete_all_cookies()
    sign_in(driver, base, tokens["head2"])
    wait_text(driver, "Số liệu kỳ")
    driver.get(f"{base}/dashboard?from=2026-03-01&to=2026-03-31")
    wait_text(driver, "Tổng cộng")
    total = driver.find_elements(By.CSS_SELECTOR, "#figures tr.total td")
    assert [cell.text for cell in total[:3]] == ["Tổng cộng", "24", "1"]
    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script("const i = document.getElementById('chart'); return i.complete && i.naturalWidth > 0"))
    for button in ("export-figures-csv", "export-figures-xlsx"):
        href = driver.find_element(By.ID, button).get_attribute("href")
        status, kind, size = driver.execute_async_script(FETCH, href)
        assert status == 200 and size > 0, (button, kind)
    for width, name in ((1280, "dashboard-overview-1280.png"), (360, "dashboard-overview-360.png")):
        viewport(driver, width)
        driver.refresh()
        wait_text(driver, "Tổng cộng")
        assert fits(driver, width), f"the overview overflows {width} px"
        shot(driver, name)

    # The cases list: filters, paging, the export buttons carry the filters.
    viewport(driver, 1280)
    driver.get(f"{base}/dashboard/cases")
    wait_text(driver, "24 hồ sơ")
    Select(driver.find_element(By.NAME, "status")).select_by_value("resolved")
    driver.find_element(By.ID, "apply").click()
    wait_text(driver, "1 hồ sơ")
    assert [r.text.split()[0] for r in driver.find_elements(By.CSS_SELECTOR, "#cases tbody tr")] == [saodo[0]]
    href = driver.find_element(By.ID, "export-cases-csv").get_attribute("href")
    assert "status=resolved" in href
    status, kind, size = driver.execute_async_script(FETCH, href)
    assert status == 200 and kind.startswith("text/csv") and size > 0
    status, kind, _ = driver.execute_async_script(
        FETCH, driver.find_element(By.ID, "export-cases-xlsx").get_attribute("href"))
    assert status == 200 and "spreadsheetml" in kind
    driver.get(f"{base}/dashboard/cases")
    wait_text(driver, "Trang 1/2")
    driver.find_element(By.ID, "next").click()
    wait_text(driver, "Trang 2/2")
    for width, name in ((1280, "dashboard-cases-1280.png"), (360, "dashboard-cases-360.png")):
        viewport(driver, width)
        driver.refresh()
        wait_text(driver, "Trang 2/2")
        assert fits(driver, width), f"the cases list overflows {width} px"
        shot(driver, name)
    driver.get(f"{base}/dashboard/cases/{saodo[0]}")
    wait_text(driver, "Quá trình xử lý")
    shot(driver, "dashboard-case-360.png")

    # The map: Leaflet from this server, one marker per open report of the scope.
    for width, name in ((1280, "dashboard-map-1280.png"), (360, "dashboard-map-360.png")):
        viewport(driver, width)
        driver.get(f"{base}/dashboard/map")
        WebDriverWait(driver, WAIT).until(
            lambda d: d.find_element(By.ID, "map").get_attribute("data-loaded") == "22")
        assert len(driver.find_elements(By.CSS_SELECTOR, "path.case-marker")) == 22
        assert fits(driver, width)
        shot(driver, name)


async def test_the_dashboard_in_chromium(db_url: str, browser: WebDriver, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("one backend is enough for the browser; the HTTP tests cover both")
    async with city(db_url) as c:
        await answer(c.world, "SAODO_OFF1", c.codes["SAODO"][0])
        after = timedelta(minutes=11)  # issued after the clock moves past the first links' expiry
        tokens = {"head": await c.link("SAODO_HEAD"), "officer": await c.link("SAODO_OFF1", after),
                  "head2": await c.link("SAODO_HEAD", after)}
        late = await c.link("SAODO_HEAD")
        loop = asyncio.get_running_loop()
        await asyncio.to_thread(drive, browser, c, tokens, late, loop)
