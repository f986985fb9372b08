"""The tracking page: code + PIN -> the case as its citizen may see it; wrong PINs are counted and locked out."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.container import Container
from bot.domain.cases import CaseKind
from bot.services import Services
from bot.services.intake import Draft, Receipt
from storage.models import Case, CaseEvent, Official, PinAttempt
from tests.support.harness import settings_for
from tests.support.web_client import serving

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FRIDAY = datetime(2026, 2, 13, 16, 0, tzinfo=VN).astimezone(UTC)
TEXT = "Nước ngập sâu 40cm trước số nhà 12 đường Nguyễn Trãi từ sáng nay."
ANSWER = "Đã nạo vét cống thoát nước trên đường Nguyễn Trãi ngày 16/02/2026."
INTERNAL = "Ghi chú nội bộ: tổ trưởng Nguyễn Văn A, 0912 345 678"
WRONG = "Mã theo dõi hoặc mã PIN không đúng. Xin kiểm tra lại."


def visible_text(page: str) -> str:
    """The page as read: tags dropped, character references turned back (as a browser shows them)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def submit(container: Container) -> Receipt:
    async with container.db.unit_of_work() as uow:
        org = await container.org.get(uow.session, FRIDAY.astimezone(VN).date())
        receipt = await Services(uow, container.app, org).intake.submit(
            Draft(kind=CaseKind.REPORT, text=TEXT, category="ngap_nuoc", area="SAODO"),
            citizen_id=None, identity_id=None,
        )
        await uow.commit()
    return receipt


async def answer(container: Container, receipt: Receipt) -> None:
    """An officer of the ward takes the case and answers it (the officials' own actions); a private note too."""
    async with container.db.unit_of_work() as uow:
        org = await container.org.get(uow.session, FRIDAY.astimezone(VN).date())
        officer = (await uow.session.execute(select(Official.id).where(Official.seat == "SAODO_OFF1"))).scalar_one()
        actions = Services(uow, container.app, org).case_actions
        await actions.accept(officer, receipt.case_id)
        case = await uow.cases.by_code(receipt.code)
        await uow.cases.add_event(case, at=FRIDAY, action="note", actor_kind="official",
                                  actor_id=officer, note=INTERNAL, public=False)
        await actions.answer(officer, receipt.case_id, ANSWER)
        await uow.commit()


async def answered_case(db_url: str) -> tuple[Container, Receipt]:
    """A bot on FRIDAY holding one report, answered by the ward."""
    container = Container(settings_for(db_url), clock=FakeClock(FRIDAY))
    receipt = await submit(container)
    await answer(container, receipt)
    return container, receipt


async def look_up(session: aiohttp.ClientSession, base: str, code: str, pin: str,
                  lang: str | None = None) -> tuple[int, str]:
    query = f"?lang={lang}" if lang else ""
    async with session.post(f"{base}/track{query}", data={"code": code, "pin": pin}) as response:
        return response.status, await response.text()


async def rating_token(session: aiohttp.ClientSession, base: str, receipt: Receipt) -> str:
    """The rating form's token, from a look-up with the right PIN."""
    _, page = await look_up(session, base, receipt.code, receipt.pin)
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def rate(session: aiohttp.ClientSession, base: str, token: str, verdict: str) -> tuple[int, str]:
    async with session.post(f"{base}/track/rate", data={"token": token, "verdict": verdict}) as response:
        return response.status, visible_text(await response.text())


async def test_the_right_pin_shows_the_case_and_a_wrong_one_does_not(db_url: str) -> None:
    container = Container(settings_for(db_url), clock=FakeClock(FRIDAY))
    receipt = await submit(container)
    wrong_pin = "000000" if receipt.pin != "000000" else "111111"
    async with serving(container) as base, aiohttp.ClientSession() as session:
        async with session.get(f"{base}/track?code=pa-2026-000001") as form:
            assert form.status == 200
            page = await form.text()
            assert 'value="PA-2026-000001"' in page
            assert "Nhập mã theo dõi và mã PIN" in visible_text(page)

        status, page = await look_up(session, base, " pa-2026-000001 ", receipt.pin)
        shown = visible_text(page)
        assert status == 200
        assert "Hồ sơ PA-2026-000001" in shown
        assert "Loại Phản ánh" in shown
        assert "Tình trạng Đã tiếp nhận, chờ phân công" in shown
        assert "Lĩnh vực Ngập úng, thoát nước" in shown
        assert "Đơn vị xử lý UBND phường Sao Đỏ" in shown
        assert "Tiếp nhận lúc 16:00 13/02/2026" in shown
        assert "Hạn trả lời trước 17:00 thứ Sáu, 27/02/2026" in shown
        assert TEXT in shown
        assert "Quá trình xử lý 16:00 13/02/2026 Tiếp nhận" in shown
        assert "Bạn có hài lòng" not in shown  # nothing to rate before an answer

        status, page = await look_up(session, base, "PA-2026-000001", wrong_pin)
        assert status == 200
        assert WRONG in visible_text(page)
        assert "Hồ sơ PA-2026-000001" not in visible_text(page)
        status, page = await look_up(session, base, "PA-2026-999999", receipt.pin)  # no such code: same answer
        assert WRONG in visible_text(page)
        assert TEXT not in visible_text(page)

    async with container.db.unit_of_work(readonly=True) as uow:
        attempts = (await uow.session.execute(select(PinAttempt.code).order_by(PinAttempt.id))).scalars().all()
    assert attempts == ["PA-2026-000001", "PA-2026-999999"]


async def test_wrong_pins_make_the_code_wait_a_little_then_the_right_pin_gets_in(db_url: str) -> None:
    """No hard lock: past the free tries the code waits (1 minute, then longer), with a warning first."""
    container = Container(settings_for(db_url), clock=FakeClock(FRIDAY))
    receipt = await submit(container)
    wrong_pin = "000000" if receipt.pin != "000000" else "111111"
    async with serving(container) as base, aiohttp.ClientSession() as session:
        warned = []
        for _ in range(5):
            status, page = await look_up(session, base, "PA-2026-000001", wrong_pin)
            assert (status, WRONG in visible_text(page)) == (200, True)
            warned.append("nếu sai thêm một lần nữa" in visible_text(page))
        assert warned == [False, False, False, True, False]  # the warning comes before the last free try
        status, page = await look_up(session, base, "PA-2026-000001", receipt.pin)
        assert status == 429
        assert "Xin thử lại sau 16:01 13/02/2026" in visible_text(page)
        assert TEXT not in visible_text(page)

        container.clock.advance(minutes=1)  # the wait ends; the right PIN gets in and the count starts again
        status, page = await look_up(session, base, "PA-2026-000001", receipt.pin)
        assert (status, "Hồ sơ PA-2026-000001" in visible_text(page)) == (200, True)


async def test_an_answered_case_shows_the_answer_and_can_be_rated_once(db_url: str) -> None:
    container, receipt = await answered_case(db_url)
    async with serving(container) as base, aiohttp.ClientSession() as session:
        status, page = await look_up(session, base, receipt.code, receipt.pin)
        shown = visible_text(page)
        assert status == 200
        assert "Tình trạng Đã trả lời" in shown
        assert f"Trả lời của cơ quan {ANSWER} 16:00 13/02/2026" in shown
        assert INTERNAL not in page  # an official's note is not for the citizen
        assert "Bạn có hài lòng với câu trả lời không?" in shown
        token = re.search(r'name="token" value="([^"]+)"', page).group(1)

        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        async with session.post(f"{base}/track/rate", data={"token": forged, "verdict": "satisfied"}) as response:
            assert response.status == 403
            assert "Phiên tra cứu đã hết hạn." in visible_text(await response.text())

        rating = {"token": token, "verdict": "satisfied", "comment": "Cảm ơn phường."}
        async with session.post(f"{base}/track/rate", data=rating) as response:
            shown = visible_text(await response.text())
            assert response.status == 200
        assert "Cảm ơn bạn đã đánh giá. Hồ sơ đã được đóng." in shown
        assert "Bạn đã đánh giá: hài lòng." in shown
        assert "Tình trạng Đã đóng" in shown
        assert "Bạn có hài lòng với câu trả lời không?" not in shown

        async with session.post(f"{base}/track/rate", data={**rating, "verdict": "unsatisfied"}) as response:
            assert "Hồ sơ này hiện không thể đánh giá." in visible_text(await response.text())

    async with container.db.unit_of_work(readonly=True) as uow:
        case = (await uow.session.execute(select(Case))).scalar_one()
        events = (await uow.session.execute(
            select(CaseEvent.action, CaseEvent.actor_kind, CaseEvent.note).order_by(CaseEvent.id))).all()
    assert (case.rating, case.status, case.closed_at) == ("satisfied", "closed", FRIDAY)
    assert events[-1] == ("rated_satisfied", "citizen", "Cảm ơn phường.")
    assert [e[0] for e in events].count("rated_satisfied") == 1


async def test_the_rating_form_expires_half_an_hour_after_the_look_up_by_the_clock(db_url: str) -> None:
    """The token's age is judged by the application's clock, however long the browser keeps the form."""
    container, receipt = await answered_case(db_url)
    async with serving(container) as base, aiohttp.ClientSession() as session:
        token = await rating_token(session, base, receipt)
        container.clock.advance(minutes=30, seconds=1)
        status, shown = await rate(session, base, token, "satisfied")
        assert (status, "Phiên tra cứu đã hết hạn." in shown) == (403, True)
        container.clock.advance(minutes=-1)  # a form filled within the half hour still counts
        assert (await rate(session, base, token, "satisfied"))[0] == 200
    async with container.db.unit_of_work(readonly=True) as uow:
        assert (await uow.session.execute(select(Case.rating))).scalar_one() == "satisfied"


async def test_the_page_speaks_english_when_asked(db_url: str) -> None:
    container = Container(settings_for(db_url), clock=FakeClock(FRIDAY))
    receipt = await submit(container)
    async with serving(container) as base, aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        status, page = await look_up(session, base, receipt.code, receipt.pin, lang="en")
        shown = visible_text(page)
        assert '<html lang="en">' in page
        assert "Status Received, awaiting assignment" in shown
        assert "Handled by Sao Do Ward People's Committee" in shown
        async with session.get(f"{base}/track") as again:  # the choice is remembered
            assert "Enter the tracking code and the PIN" in visible_text(await again.text())
    async with container.db.unit_of_work(readonly=True) as uow:
        assert (await uow.session.execute(select(func.count(PinAttempt.id)))).scalar_one() == 0


async def test_not_satisfied_reopens_the_case_through_the_same_action_as_the_chat(db_url: str) -> None:
    container, receipt = await answered_case(db_url)
    async with serving(container) as base, aiohttp.ClientSession() as session:
        token = await rating_token(session, base, receipt)
        _, shown = await rate(session, base, token, "unsatisfied")
        assert "Cảm ơn bạn. Hồ sơ được mở lại để xử lý tiếp; hạn trả lời mới: trước " in shown
        assert "Tình trạng Đã mở lại" in shown
        assert "Bạn có hài lòng với câu trả lời không?" not in shown
    async with container.db.unit_of_work(readonly=True) as uow:
        case = (await uow.session.execute(select(Case))).scalar_one()
    assert (case.status, case.reopen_count, case.rating) == ("reopened", 1, None)
