"""A citizen's answer to an official's question may be a photo, a voice note or a location: while the question
is open, the next messages are the answer - relayed to the official, files added to the case's evidence -
never the start of a new report."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.channels.model import Outbound
from bot.channels.registry import ChannelRegistry
from bot.jobs.media import MediaFetcher
from bot.services import Services
from storage.models import Attachment, Case, CaseDraft, CaseEvent, ChannelIdentity, Official, OutboxItem
from storage.uow import Database
from tests.flows.chat_driver import CHANNEL, START, VN, Bot, make_bot
from tests.services.test_intake_media import jpeg_with_gps

OFFICER_CHAT = "officer-saodo-1"


async def _officer(db: Database) -> int:
    async with db.unit_of_work() as uow:
        official = (await uow.session.execute(select(Official).where(Official.seat == "SAODO_OFF1"))).scalar_one()
        uow.session.add(ChannelIdentity(channel=CHANNEL, external_id=OFFICER_CHAT, chat_id=OFFICER_CHAT,
                                        official_id=official.id, created_at=START, last_inbound_at=START))
        await uow.commit()
        return official.id


async def _case_with_a_question(bot: Bot, officer: int) -> Case:
    bot.channel.files["litter"] = jpeg_with_gps()
    chat = bot.chat(41)
    await chat.consents()
    await chat.sends_photo("litter", caption="Rác đổ trộm ở khu dân cư Tiền Định")
    registry = ChannelRegistry()
    registry.add(bot.channel)
    assert await MediaFetcher(bot.db, registry, bot.clock, VN).fetch_due() == 1
    await chat.presses("report")
    await chat.presses("rac_thai")
    await chat.presses("send")
    async with bot.db.unit_of_work() as uow:
        org = await bot.app.org.get(uow.session, bot.clock.now().astimezone(VN).date())
        case = (await uow.session.execute(select(Case))).scalar_one()
        actions = Services(uow, bot.app, org).case_actions
        await actions.accept(officer, case.id)
        await actions.ask(officer, case.id, "Xin chụp thêm ảnh đống rác từ phía đường lớn.")
        await uow.commit()
    return case


async def _to_officer(db: Database, after: int = 0) -> list[tuple[int, Outbound]]:
    async with db.unit_of_work(readonly=True) as uow:
        rows = (await uow.session.execute(
            select(OutboxItem.id, OutboxItem.payload).where(OutboxItem.chat_id == OFFICER_CHAT, OutboxItem.id > after)
            .order_by(OutboxItem.id))).all()
    return [(i, Outbound.from_json(p)) for i, p in rows]


async def _drafts(db: Database) -> int:
    async with db.unit_of_work(readonly=True) as uow:
        return int((await uow.session.execute(select(func.count(CaseDraft.id)))).scalar_one())


async def test_a_photo_with_a_caption_is_the_answer_and_reaches_the_official(database: Database) -> None:
    officer = await _officer(database)
    bot = make_bot(database)
    case = await _case_with_a_question(bot, officer)
    seen = (await _to_officer(database))[-1][0]
    bot.channel.files["more"] = jpeg_with_gps()
    chat = bot.chat(41)

    replies = await chat.sends_photo("more", caption="Ảnh chụp từ đường Nguyễn Trãi sáng nay")
    assert [r.text for r in replies] == [
        f"Đã chuyển câu trả lời của bạn đến cán bộ xử lý hồ sơ {case.code}.\n"
        "Nếu còn ảnh hoặc thông tin bổ sung, bạn cứ gửi tiếp trong 30 phút tới; cán bộ sẽ nhận được."]
    assert await _drafts(database) == 0  # no new report was started
    notice = [m for _, m in await _to_officer(database, seen)]
    assert [m.text for m in notice] == [
        f"Người dân đã trả lời câu hỏi về hồ sơ {case.code}:\nẢnh chụp từ đường Nguyễn Trãi sáng nay\n"
        "Kèm theo 1 tệp (ảnh, ghi âm) đang được tải về, sẽ gửi đồng chí ngay sau."]
    assert [c.key for c in notice[0].choices] == [f"ans:{case.id}", f"ask:{case.id}", f"cv:{case.id}"]

    registry = ChannelRegistry()
    registry.add(bot.channel)
    assert await MediaFetcher(database, registry, bot.clock, VN).fetch_due() == 1
    async with database.unit_of_work(readonly=True) as uow:
        photos = (await uow.session.execute(
            select(Attachment.id, Attachment.status, Attachment.owner_key).where(Attachment.case_id == case.id)
            .order_by(Attachment.id))).all()
        status = (await uow.session.get(Case, case.id)).status
    assert [(s, o) for _, s, o in photos] == [("stored", None), ("stored", None)]  # the report's and the answer's
    assert status == "in_progress"
    latest = await _to_officer(database, seen)
    assert [(m.text, m.attachment_ids) for _, m in latest[1:]] == [
        (f"Tệp (ảnh) người dân gửi kèm câu trả lời về hồ sơ {case.code}.", (photos[1][0],))]

    # A voice note a minute later joins the answer; half an hour after the last message, a photo is a new report.
    await chat.sends_voice("voice-1", after=60)
    async with database.unit_of_work(readonly=True) as uow:
        actions = (await uow.session.execute(
            select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))).scalars().all()
    assert actions[-2:] == ["citizen_replied", "citizen_added"]
    replies = await chat.sends_photo("more", after=timedelta(minutes=31).total_seconds())
    assert await _drafts(database) == 1
    assert "Đã nhận ảnh" in replies[0].text


async def test_after_pressing_reply_a_location_is_an_answer(database: Database) -> None:
    officer = await _officer(database)
    bot = make_bot(database)
    case = await _case_with_a_question(bot, officer)
    chat = bot.chat(41)
    await chat.presses(f"rpl:{case.id}")
    replies = await chat.sends_location(21.11, 106.39)
    assert [r.text for r in replies] == [f"Đã chuyển câu trả lời của bạn đến cán bộ xử lý hồ sơ {case.code}."]
    notice = (await _to_officer(database))[-1][1]
    assert notice.text.startswith(f"Người dân đã trả lời câu hỏi về hồ sơ {case.code}:\n(không kèm lời nhắn)\n")
    assert "21.110000" in notice.text and await _drafts(database) == 0
