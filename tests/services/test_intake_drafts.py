"""Idle drafts: kept for seven days, the citizen reminded once; a catch-up job driven by a clock."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.channels.model import Outbound
from bot.services.drafts import IdleSweep, remind_idle_drafts
from storage.models import Attachment, CaseDraft, OutboxItem
from storage.uow import Database
from tests.flows.chat_driver import VN, make_bot, texts


async def _reminders(db: Database) -> list[tuple[str, str]]:
    async with db.unit_of_work(readonly=True) as uow:
        rows = (await uow.session.execute(
            select(OutboxItem.chat_id, OutboxItem.payload).where(OutboxItem.purpose == "reminder")
            .order_by(OutboxItem.id))).all()
    return [(chat, Outbound.from_json(payload).text) for chat, payload in rows]


async def test_an_idle_draft_is_reminded_once_then_dropped_after_a_week(database: Database) -> None:
    bot = make_bot(database)
    idle, busy = bot.chat(31), bot.chat(32)
    for chat in (idle, busy):
        await chat.consents()
    await idle.says("Đèn đường hỏng ở khu dân cư Tiền Định, tối om cả tuần nay không ai sửa giúp dân, các cụ "
                    "đi lại rất khó")
    await idle.sends_photo("lamp")  # 09:00:25, the last thing the citizen did
    clock = bot.clock

    clock.advance(hours=23)
    assert await remind_idle_drafts(database, clock, VN) == IdleSweep(reminded=0, dropped=0)
    await busy.says("Rác ở chợ Sao Đỏ")  # a draft touched just now is not idle
    clock.advance(hours=1)
    assert await remind_idle_drafts(database, clock, VN) == IdleSweep(reminded=1, dropped=0)
    assert await _reminders(database) == [("31", (
        "Bạn còn một nội dung soạn dở chưa gửi (từ 09:00 13/02/2026): «Đèn đường hỏng ở khu dân cư Tiền Định, tối om "
        "cả tuần nay không ai sửa giúp dân…». Nội dung này được giữ đến ngày 20/02/2026. Gõ /report để tiếp tục và gửi, "
        "hoặc /cancel để bỏ."))]
    clock.advance(days=1)
    assert await remind_idle_drafts(database, clock, VN) == IdleSweep(reminded=1, dropped=0)  # the other one
    assert await remind_idle_drafts(database, clock, VN) == IdleSweep(reminded=0, dropped=0)  # once only
    assert [chat for chat, _ in await _reminders(database)] == ["31", "32"]

    clock.advance(days=5)  # seven days since the idle draft was last touched
    assert await remind_idle_drafts(database, clock, VN) == IdleSweep(reminded=0, dropped=1)
    async with database.unit_of_work(readonly=True) as uow:
        left = (await uow.session.execute(select(CaseDraft.chat_id))).scalars().all()
        photos = (await uow.session.execute(select(func.count(Attachment.id)))).scalar_one()
    assert (left, photos) == (["32"], 0)

    replies = await idle.presses("report")  # an answer to a question asked a week ago
    assert texts(replies) == [
        "Nội dung bạn soạn dở trước đây đã quá 7 ngày không được gửi nên đã được xóa.\n\nXin kể sự việc bạn muốn báo: "
        "gõ chữ (có dấu hay không dấu đều được), gửi ảnh, tin nhắn thoại hoặc vị trí. Có thể gửi nhiều tin liền nhau."]
    replies = await idle.says("Đèn đường vẫn hỏng ở khu dân cư Tiền Định")
    assert texts(replies)[0].startswith("Việc bạn báo thuộc loại nào?")
