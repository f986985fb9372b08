"""A notice written for later (held to office hours, or by a what-if sweep) never holds back the messages a
chat gets meanwhile: it takes its place in the chat's line at the moment it is due. A row already tried and
waiting out a back-off still keeps its place (order is kept on retry)."""

from __future__ import annotations

from datetime import timedelta

from bot.channels.model import Outbound
from storage.repositories import outbox
from tests.channels.test_sender import START, rig

CHAT = 600100


async def test_a_notice_for_tomorrow_does_not_hold_back_a_reply_now(db_url: str) -> None:
    async with rig(db_url) as r:
        async with r.db.unit_of_work() as uow:
            await outbox.add(uow.session, channel="telegram", chat_id=str(CHAT), now=START, purpose="deadline",
                             payload=Outbound("Nhắc hạn: hồ sơ PA-2026-000001").to_json(),
                             not_before=START + timedelta(days=1))
            await uow.commit()
        r.clock.advance(seconds=30)
        await r.queue(CHAT, "Danh sách hồ sơ chờ xử lý: 1")
        await r.sender.drain()
        assert r.tg.texts_to(CHAT) == ["Danh sách hồ sơ chờ xử lý: 1"]  # the head's /queue answer went at once
        assert [row.status for row in await r.rows()] == ["pending", "sent"]

        r.clock.advance(seconds=86_400)
        await r.sender.drain()
        assert r.tg.texts_to(CHAT) == ["Danh sách hồ sơ chờ xử lý: 1", "Nhắc hạn: hồ sơ PA-2026-000001"]


async def test_a_message_in_back_off_still_goes_before_later_ones(db_url: str) -> None:
    from tests.support.fake_telegram import Fault

    async with rig(db_url) as r:
        r.tg.faults.append(Fault("sendMessage", 500, remaining=1))
        await r.queue(CHAT, "Tin 1")
        await r.sender.drain()  # fails: backs off about a second
        await r.queue(CHAT, "Tin 2")
        await r.settle(step=5)
        assert "\n\n".join(r.tg.texts_to(CHAT)) == "Tin 1\n\nTin 2"
