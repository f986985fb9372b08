"""A real browser (the system's Chromium, driven by Selenium) clicks through /chat to a case, then opens /track.

Nothing is downloaded: Debian's `chromium` and `chromium-driver` are used by explicit path (`make test` installs
them when missing). Screenshots at 360 px and 1280 px go to test-artifacts/.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from bot.conversation import FLOOD_LIMIT, FLOOD_WINDOW
from bot.i18n import translator
from tests.support.live_app import LiveApp, tiepdan_run
from tests.support.web_client import PIN, PREFERRED_KEYS, TRACKING_CODE, TYPED_ANSWERS

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = Path(__file__).resolve().parents[2] / "var" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WAIT = 60  # seconds; generous, the machine is shared
ENGLISH = translator("en")

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
                 f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1280,900", "--lang=vi",
                 # A microphone that plays a tone, allowed without asking: the page's voice button records it.
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def viewport(driver: WebDriver, width: int) -> None:
    """An exact CSS viewport (a window's size includes its frame): a 360x740 phone or a 1280x900 desktop."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 740 if width < 600 else 900, "deviceScaleFactor": 1,
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

    wait.until(quiet, message=f"the bot did not answer: {log_text(driver)[-600:]}")


def click_through_a_report(driver: WebDriver, step: Callable[[str], None] = lambda name: None,
                           known: frozenset[str] = frozenset()) -> tuple[str, str]:
    """Answer what the page offers (buttons first, typing otherwise) until a new tracking code and PIN appear;
    `step` is told the confirm screen before it is sent."""
    typed = iter(TYPED_ANSWERS)
    for _ in range(20):
        settle(driver)
        text = log_text(driver)
        codes = [c for c in TRACKING_CODE.findall(text) if c not in known]
        pins = PIN.findall(text)
        if codes and pins:
            return codes[-1], pins[-1]
        buttons = dict(offered(driver))
        if "send" in buttons:
            step("confirm")
        key = next((k for k in PREFERRED_KEYS if k in buttons), None)
        if key is not None:
            buttons[key].click()  # type: ignore[attr-defined]
        else:
            box = driver.find_element(By.ID, "composer-text")
            box.send_keys(next(typed, "menu"))
            driver.find_element(By.ID, "send-button").click()
    raise AssertionError(f"no tracking code on the page: {log_text(driver)[-500:]}")


GEOMETRY = """
const rect = (sel) => document.querySelector(sel).getBoundingClientRect();
const header = rect('header.bar'), input = rect('#composer-text'), send = rect('#send-button');
return {scrollHeight: document.scrollingElement.scrollHeight, innerHeight: window.innerHeight,
        headerTop: header.top, headerBottom: header.bottom, inputTop: input.top, inputBottom: input.bottom,
        sendBottom: send.bottom, listHeight: rect('#main').height};
"""

SMALLEST = """
const seen = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
  return r.width > 2 && r.height > 2 && r.right > 0 && r.left < innerWidth && s.visibility !== 'hidden'; };
let font = 99, fontAt = '';
for (const el of document.querySelectorAll('body *')) {
  const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
  const size = parseFloat(getComputedStyle(el).fontSize);
  if (own && seen(el) && size < font) { font = size; fontAt = el.tagName + '.' + el.className; }
}
let tap = 99, tapAt = '';
for (const el of document.querySelectorAll('a[href], button, input, textarea, select, summary')) {
  // The hidden file input is opened by its big button; radio buttons sit inside 48 px tall labels.
  if (!seen(el) || el.closest('[aria-hidden="true"]') || el.type === 'radio' || el.type === 'checkbox') { continue; }
  const r = el.getBoundingClientRect(), side = Math.min(r.width, r.height);
  if (side < tap) { tap = side; tapAt = el.tagName + '#' + el.id + '.' + el.className; }
}
return [font, fontAt, tap, tapAt];
"""


AUDIT = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
  (r) => done(r.violations.map((v) => [v.id, v.impact, v.nodes.length, v.nodes[0].target.join(' ')])),
  (e) => done([['axe-error', 'critical', 0, String(e)]]));
"""


def accessibility_problems(driver: WebDriver) -> list[list[object]]:
    """axe-core's serious and critical violations on the current page (axe from var/axe, `make browser`)."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make browser` installs it into var/axe")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    found = driver.execute_async_script(AUDIT)
    return [v for v in found if v[1] in ("serious", "critical")]


def one_screen(driver: WebDriver) -> dict[str, float]:
    """The page is one screen tall and the header and the input stay in view, the list scrolled up and down."""
    found: dict[str, float] = {}
    for where in ("0", "document.getElementById('main').scrollHeight", "0", "1e9"):
        driver.execute_script(f"document.getElementById('main').scrollTop = {where};"
                              "window.scrollBy(0, 400); document.scrollingElement.scrollTop = 1e9;")
        found = driver.execute_script(GEOMETRY)
        assert found["scrollHeight"] == found["innerHeight"], found
        assert found["headerTop"] == 0 and found["headerBottom"] > 0, found
        assert 0 < found["inputTop"] and found["sendBottom"] <= found["innerHeight"], found
    return found


FILLED = """
const probe = document.body.appendChild(document.createElement('div'));
probe.style.background = 'var(--brand)';
const fill = getComputedStyle(probe).backgroundColor;
probe.remove();
return Array.from(document.querySelectorAll('button')).filter((b) => b.offsetParent !== null
  && getComputedStyle(b).backgroundColor === fill).map((b) => b.dataset.key || b.id);
"""

KEYBOARD = """
const box = (sel) => document.querySelector(sel).getBoundingClientRect();
const vv = window.visualViewport;
return {visible: vv.height, top: vv.offsetTop, body: box('body').height, headerTop: box('header.bar').top,
        inputBottom: box('#composer-text').bottom, sendBottom: box('#send-button').bottom};
"""

NEAR_INPUT = """
const box = (sel) => document.querySelector(sel).getBoundingClientRect();
const status = box('#status'), input = box('#composer-text');
return {statusTop: status.top, statusBottom: status.bottom, inputTop: input.top, innerHeight: innerHeight};
"""


def with_keyboard_open(driver: WebDriver) -> dict[str, float]:
    """The visual viewport shrunk as an on-screen keyboard shrinks it (emulated by zooming in: Chromium has no
    on-screen keyboard to open headless); the page follows visualViewport, so the header and input stay in it."""
    driver.execute_cdp_cmd("Emulation.setPageScaleFactor", {"pageScaleFactor": 1.6})
    try:
        WebDriverWait(driver, WAIT, poll_frequency=0.2).until(
            lambda d: d.execute_script(KEYBOARD)["visible"] < 500, message="the visual viewport did not shrink")
        WebDriverWait(driver, WAIT, poll_frequency=0.2).until(
            lambda d: abs(d.execute_script(KEYBOARD)["body"] - d.execute_script(KEYBOARD)["visible"]) <= 1,
            message=f"the page did not follow the visual viewport: {driver.execute_script(KEYBOARD)}")
        found = driver.execute_script(KEYBOARD)
        assert found["headerTop"] >= found["top"], found
        assert found["sendBottom"] <= found["top"] + found["visible"], found
        return found
    finally:
        driver.execute_cdp_cmd("Emulation.setPageScaleFactor", {"pageScaleFactor": 1})


def shots(driver: WebDriver, name: str) -> None:
    """A screenshot of this step at 360 px and at 1280 px; the page is left at 360 px."""
    screenshot(driver, f"{name}-360.png")
    viewport(driver, 1280)
    screenshot(driver, f"{name}-1280.png")
    viewport(driver, 360)


def end_the_flood_minute(database: Path) -> None:
    """As if the chat's minute had passed (the test's clock moved, not waited out): the bot, now quiet, reads the
    window's start from the conversation, so it is moved a window back."""
    with sqlite3.connect(database) as db:
        db.execute("UPDATE conversations SET data = json_set(data, '$._flood[0]', "
                   "json_extract(data, '$._flood[0]') - ?) WHERE channel = 'web' "
                   "AND json_extract(data, '$._flood') IS NOT NULL", (FLOOD_WINDOW,))


def room_for_a_case(database: Path, messages: int = 14) -> bool:
    """The bot asks a chat sending over 20 messages a minute to pause (bot/conversation.py): a test filing
    several cases waits until the chat's minute has room for one more case."""
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT json_extract(data, '$._flood') FROM conversations WHERE channel = 'web'").fetchone()
    if row is None or row[0] is None:
        return True
    start, count, _until = json.loads(row[0])
    return bool(count + messages <= FLOOD_LIMIT or time.time() - start >= FLOOD_WINDOW)


def inbox_kinds(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT json_extract(payload, '$.kind'), count(*) FROM inbox WHERE channel = 'web' "
                          "GROUP BY 1").fetchall()
    return {kind: count for kind, count in rows}


def voice_notes(database: Path) -> list[tuple[str, bool]]:
    """The voice messages kept as evidence: their type, and whether they start as WebM does."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT mime, content FROM attachments WHERE kind = 'voice'").fetchall()
    return [(mime, bytes(content[:4]) == b"\x1aE\xdf\xa3") for mime, content in rows]


def texts_stored(database: Path, text: str) -> tuple[int, int]:
    with sqlite3.connect(database) as db:
        inbox = db.execute("SELECT count(*) FROM inbox WHERE json_extract(payload, '$.text') = ?", (text,))
        shown = db.execute("SELECT count(*) FROM web_messages WHERE json_extract(payload, '$.text') = ?", (text,))
        return int(inbox.fetchone()[0]), int(shown.fetchone()[0])


def test_a_citizen_reports_in_the_browser_and_tracks_the_case(app: LiveApp, browser: WebDriver,
                                                               tmp_path: Path) -> None:
    viewport(browser, 360)
    browser.get(f"{app.base_url}/chat")
    WebDriverWait(browser, WAIT).until(lambda d: len(offered(d)) >= 2)  # the greeting and the consent buttons
    assert browser.find_element(By.TAG_NAME, "h1").text == "Tiếp Dân - hỏi đáp, phản ánh"
    assert [k for k, _ in offered(browser)] == ["agree", "decline"]
    assert [b.text for _, b in offered(browser)][0].startswith("1.")  # numbered: "gõ số thứ tự"
    assert browser.find_element(By.ID, "log").get_attribute("aria-live") == "polite"
    assert not browser.find_elements(By.CSS_SELECTOR, "#log button.notify")  # asked only once a case is filed
    shots(browser, "step1-greeting")

    confirm_seen: list[int] = []

    def step(name: str) -> None:
        if not confirm_seen:  # the confirm screen has one filled submit action: the choice, not the composer's
            confirm_seen.append(browser.execute_script(FILLED))
            shots(browser, "step2-confirm")

    code, pin = click_through_a_report(browser, step)
    assert code == "PA-2026-000001"
    assert confirm_seen == [["send"]]
    assert "send-button" in browser.execute_script(FILLED)  # past the confirm step the composer's is filled again
    assert fits(browser, 360)
    assert browser.find_element(By.CSS_SELECTOR, "#log button.notify").is_displayed()  # the call-back offer
    shots(browser, "step3-receipt")
    codes = {code}
    for _ in range(2):  # three cases in one conversation: the page must not grow
        if not room_for_a_case(tmp_path / "tiepdan.db"):
            end_the_flood_minute(tmp_path / "tiepdan.db")
        assert room_for_a_case(tmp_path / "tiepdan.db")
        codes.add(click_through_a_report(browser, known=frozenset(codes))[0])
    assert len(codes) == 3
    phone = one_screen(browser)
    assert phone["innerHeight"] == 740
    keyboard = with_keyboard_open(browser)
    viewport(browser, 1280)
    desktop = one_screen(browser)
    assert desktop["innerHeight"] == 900
    viewport(browser, 360)
    font, font_at, tap, tap_at = browser.execute_script(SMALLEST)
    assert font >= 16, (font, font_at)
    assert tap >= 44, (tap, tap_at)
    assert accessibility_problems(browser) == []
    shots(browser, "step4-three-cases")

    # --- offline: the server stops; what the citizen sends meanwhile arrives once after the restart ---------
    database = tmp_path / "tiepdan.db"
    before = inbox_kinds(database)
    app.process.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    app.process.wait(timeout=30)
    exited = time.monotonic()
    WebDriverWait(browser, 3, poll_frequency=0.1).until(
        lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "offline")
    noticed, after_exit = time.monotonic() - stopped, time.monotonic() - exited
    assert browser.find_element(By.ID, "status").is_displayed()
    near = browser.execute_script(NEAR_INPUT)  # right above the input, on the screen
    assert 0 <= near["statusTop"] and near["statusBottom"] <= near["inputTop"] <= near["statusBottom"] + 60, near
    offline_text = "Tin gửi khi mất mạng, số 7"
    browser.find_element(By.ID, "composer-text").send_keys(offline_text)
    browser.find_element(By.ID, "send-button").click()
    photo = tmp_path / "offline.jpg"
    Image.new("RGB", (320, 240), (200, 120, 40)).save(photo, "JPEG")
    browser.find_element(By.ID, "photo-input").send_keys(str(photo))
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": app.base_url, "permissions": ["geolocation"]})
    browser.execute_cdp_cmd("Emulation.setGeolocationOverride",
                            {"latitude": 21.0811, "longitude": 106.3925, "accuracy": 10})
    browser.find_element(By.ID, "location-button").click()
    WebDriverWait(browser, WAIT).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".msg.pending")) == 3)
    shots(browser, "step5-offline")
    # A reload with the server still down: the installed page opens from its offline copy, the queue intact.
    assert browser.execute_script("return !!navigator.serviceWorker.controller")
    browser.refresh()
    WebDriverWait(browser, WAIT).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".msg.pending")) == 3)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Tiếp Dân - hỏi đáp, phản ánh"
    assert browser.find_element(By.ID, "status").get_attribute("data-state") == "offline"
    with tiepdan_run(tmp_path, port=app.port):
        WebDriverWait(browser, WAIT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".msg.pending"))
        settle(browser)
        after = inbox_kinds(database)
        assert {k: after.get(k, 0) - before.get(k, 0) for k in ("text", "photo", "location")} == {
            "text": 1, "photo": 1, "location": 1}, (before, after)
        assert texts_stored(database, offline_text) == (1, 1)
        assert not browser.find_element(By.ID, "composer-error").is_displayed()
        shots(browser, "step6-back-online")

        voice = browser.find_element(By.ID, "voice-button")  # a voice message: recorded, stopped, sent once
        label = voice.text
        voice.click()
        # Recording: the button shows its clock; stopped once a second of sound is in.
        WebDriverWait(browser, WAIT, poll_frequency=0.2).until(
            lambda _d: voice.text != label and not voice.text.endswith("0:00"))
        voice.click()
        WebDriverWait(browser, WAIT, poll_frequency=0.5).until(
            lambda _d: inbox_kinds(database).get("voice", 0) == before.get("voice", 0) + 1)
        WebDriverWait(browser, WAIT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".msg.pending"))
        notes = voice_notes(database)  # the upload (and the copy the bot keeps as evidence, once fetched)
        assert notes and set(notes) == {("audio/webm", True)}, notes
        shots(browser, "step6b-voice")
        print(f"\nlayout 360: {phone}\nlayout 1280: {desktop}\nkeyboard open: {keyboard}\nsmallest text {font}px ({font_at}), "
              f"smallest tap target {tap}px ({tap_at}); offline shown {after_exit:.2f}s after the "
              f"server's exit ({noticed:.2f}s after SIGTERM)")

        browser.get(f"{app.base_url}/chat")  # a reload shows the same conversation
        WebDriverWait(browser, WAIT).until(lambda d: code in log_text(d))

        link = browser.find_element(By.CSS_SELECTOR, "#log a.link[href*='/track?t=']").get_attribute("href")
        assert link is not None
        browser.get(app.base_url + link[link.index("/track"):])  # the receipt's link: no code, no PIN typed
        WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.ID, "case-title"))
        assert browser.find_element(By.ID, "case-title").text.startswith("Hồ sơ PA-2026-")

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
        track_font, _, track_tap, _ = browser.execute_script(SMALLEST)
        assert track_font >= 16 and track_tap >= 44, (track_font, track_tap)
        assert accessibility_problems(browser) == []
        shots(browser, "step7-track")

        # The language switch on /chat: the page and the conversation turn English, the buttons too.
        browser.get(f"{app.base_url}/chat")
        WebDriverWait(browser, WAIT).until(lambda d: code in log_text(d))
        before = [(k, b.text) for k, b in offered(browser)]  # whatever the bot last asked, in Vietnamese
        browser.find_element(By.CSS_SELECTOR, "nav.langs a[hreflang='en']").click()
        WebDriverWait(browser, WAIT).until(lambda d: ENGLISH("language.changed") in log_text(d))
        settle(browser)
        after = [(k, b.text) for k, b in offered(browser)]  # asked again, in English
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        assert [k for k, _ in after] == [k for k, _ in before] and after != before, (before, after)
        shots(browser, "step8-english")
    for path in ARTIFACTS.glob("step*.png"):
        assert path.stat().st_size > 5_000
