"""The officers' card shows the field the matcher suggested and the citizen's words that decided it; the
digest counts how often that first suggestion stood."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.digest import iso_week
from bot.services.digest import Digests
from bot.services.org_view import OrgCache
from storage.models import Case, ChannelIdentity, Official, OutboxItem
from storage.uow import Database
from tests.flows.chat_driver import CHANNEL, START, VN, make_bot

OFFICER_CHAT = "8801"


async def _link_officer(db: Database, seat: str) -> int:
    async with db.unit_of_work() as uow:
        official = (await uow.session.execute(select(Official).where(Official.seat == seat))).scalar_one()
        uow.session.add(ChannelIdentity(channel=CHANNEL, external_id=OFFICER_CHAT, chat_id=OFFICER_CHAT,
                                        official_id=official.id, created_at=START, last_inbound_at=START))
        await uow.commit()
        return official.id


async def _report(bot, chat_id: int, text: str, category: str) -> None:
    chat = bot.chat(chat_id)
    await chat.consents()
    await chat.says(text)
    await chat.presses("report")
    await chat.presses(category)
    await chat.presses("done")
    await chat.presses("send")


async def test_the_card_says_why_and_the_digest_counts_what_stood(database: Database) -> None:
    await _link_officer(database, "SAODO_HEAD")
    bot = make_bot(database)
    await _report(bot, 51, "Đèn đường hỏng cả tuần, tối om, khu dân cư Tiền Định", "chieu_sang")
    await _report(bot, 52, "Rác đổ trộm đầy ở khu dân cư Mật Sơn", "rac_thai")
    await _report(bot, 53, "Cống tắc, nước tràn vào nhà ở khu dân cư Tiền Định", "ngap_nuoc")

    async with database.unit_of_work(readonly=True) as uow:
        cards = list((await uow.session.execute(
            select(OutboxItem.payload).where(OutboxItem.chat_id == OFFICER_CHAT).order_by(OutboxItem.id)
        )).scalars())
        codes = list((await uow.session.execute(select(Case.code).order_by(Case.id))).scalars())
    first = next(c["text"] for c in cards if codes[0] in c["text"])
    assert "Lĩnh vực máy gợi ý: Đèn chiếu sáng công cộng, vì các từ “đèn đường”" in first

    # the head files the third under another field: two of three suggestions stood
    officer = bot.chat(int(OFFICER_CHAT))
    await officer.says(f"/category {codes[2]}")
    await officer.presses("duong_sa")
    week = iso_week(2026, 7, VN)  # 13/02/2026, the chat driver's day
    async with database.unit_of_work(readonly=True) as uow:
        org = await OrgCache().get(uow.session, START.date())
        message = await Digests(uow.session, org).message(org.units["UBND"].id, week, "vi")
    assert "Lĩnh vực máy gợi ý đầu tiên được giữ nguyên: 2/3, tỷ lệ 66,7% (chưa có)" in message.text.split("\n")
