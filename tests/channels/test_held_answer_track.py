"""An official answers three days after the citizen last wrote on Zalo OA: the answer is held (the reply window
is closed, the OA has no proactive quota), /track shows it at once, and it is delivered when the citizen writes."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import aiohttp
from aiohttp import web
from sqlalchemy import select

from bot.clock import FakeClock
from bot.domain.cases import CaseKind
from bot.services import Services
from bot.services.intake import Draft
from storage.models import ChannelIdentity, Official, OutboxItem
from tests.channels.test_zalo_oa import USER, VN, _onboard, _row, fake_oa
from tests.support.harness import running_bot
from tests.web.test_track import visible_text

ANSWER = "Đã nạo vét cống thoát nước trên đường Nguyễn Trãi ngày 05/03/2026."


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def test_a_held_answer_is_on_the_tracking_page_at_once(db_url: str) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=VN).astimezone(UTC))  # Monday 09:00 in Hanoi
    async with fake_oa(clock=clock) as oa, running_bot(db_url, None, polling=False, clock=clock,
                                                         **oa.settings()) as bot:
        await oa.connect(bot.web_app())
        await _onboard(bot, oa)
        async with bot.db.unit_of_work() as uow:
            org = await bot.org.get(uow.session, clock.now().astimezone(VN).date())
            identity = (await uow.session.execute(
                select(ChannelIdentity).where(ChannelIdentity.external_id == USER))).scalar_one()
            receipt = await Services(uow, bot.app, org).intake.submit(
                Draft(kind=CaseKind.REPORT, text="Nước ngập sâu trước số 12 Nguyễn Trãi.", category="ngap_nuoc",
                      area="SAODO"),
                citizen_id=identity.citizen_id, identity_id=identity.id,
            )
            await uow.commit()

        clock.advance(days=3)  # Thursday: the 48-hour window closed a day ago
        async with bot.db.unit_of_work() as uow:
            org = await bot.org.get(uow.session, clock.now().astimezone(VN).date())
            officer = (await uow.session.execute(
                select(Official.id).where(Official.seat == "SAODO_OFF1"))).scalar_one()
            actions = Services(uow, bot.app, org).case_actions
            await actions.accept(officer, receipt.case_id)
            await actions.answer(officer, receipt.case_id, ANSWER)
            uow.after_commit(bot.sender.wake)
            await uow.commit()
        async with bot.db.unit_of_work(readonly=True) as uow:
            row_id = (await uow.session.execute(select(OutboxItem.id).where(
                OutboxItem.case_id == receipt.case_id, OutboxItem.purpose == "answer"))).scalar_one()
        held = await _row(bot, row_id, until="held")
        assert (held.status, held.attempts) == ("held", 1)
        assert not any(ANSWER in text for text in oa.texts_to(USER))

        runner, base = await _serve(bot.web_app())
        try:
            async with aiohttp.ClientSession() as http, http.post(
                f"{base}/track", data={"code": receipt.code, "pin": receipt.pin}
            ) as response:
                page = visible_text(await response.text())
                status = response.status
        finally:
            await runner.cleanup()
        assert status == 200
        assert receipt.code in page and ANSWER in page

        clock.advance(hours=2)
        oa.says(USER, "/my")
        for _ in range(150):
            if any(ANSWER in text for text in oa.texts_to(USER)):
                break
            await asyncio.sleep(0.2)
        delivered = await _row(bot, row_id, until="sent")
    assert re.search(re.escape(ANSWER), "\n".join(oa.texts_to(USER)))
    assert (delivered.status, delivered.sent_as) == ("sent", "reply")
