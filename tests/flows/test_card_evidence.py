"""The officers' card for a new case carries the citizen's photos: the evidence is on the case before the
unit is told."""

from __future__ import annotations

from sqlalchemy import select

from bot.channels.model import Outbound
from bot.channels.registry import ChannelRegistry
from bot.jobs.media import MediaFetcher
from storage.models import Attachment, Case, ChannelIdentity, Official, OutboxItem
from storage.uow import Database
from tests.flows.chat_driver import CHANNEL, START, VN, make_bot
from tests.services.test_intake_media import jpeg_with_gps

OFFICER_CHAT = "officer-saodo-1"


async def _link_officer(db: Database, seat: str) -> None:
    async with db.unit_of_work() as uow:
        official = (await uow.session.execute(select(Official).where(Official.seat == seat))).scalar_one()
        uow.session.add(ChannelIdentity(channel=CHANNEL, external_id=OFFICER_CHAT, chat_id=OFFICER_CHAT,
                                        official_id=official.id, created_at=START, last_inbound_at=START))
        await uow.commit()


async def test_the_card_carries_the_photo_the_citizen_sent_first(database: Database) -> None:
    await _link_officer(database, "SAODO_OFF1")
    bot = make_bot(database)
    bot.channel.files["litter"] = jpeg_with_gps()
    chat = bot.chat(41)
    await chat.consents()
    await chat.sends_photo("litter", caption="Rác đổ trộm ở khu dân cư Tiền Định")
    registry = ChannelRegistry()
    registry.add(bot.channel)
    assert await MediaFetcher(database, registry, bot.clock, VN).fetch_due() == 1
    await chat.presses("report")
    await chat.presses("rac_thai")
    await chat.presses("send")

    async with database.unit_of_work(readonly=True) as uow:
        s = uow.session
        case = (await s.execute(select(Case))).scalar_one()
        photo = (await s.execute(select(Attachment))).scalar_one()
        cards = (await s.execute(select(OutboxItem.payload).where(OutboxItem.chat_id == OFFICER_CHAT))).scalars()
        cards = [Outbound.from_json(p) for p in cards]
    assert (photo.case_id, photo.kind, photo.status) == (case.id, "photo", "stored")
    assert len(cards) == 1
    assert cards[0].attachment_ids == (photo.id,)
    assert case.code in cards[0].text
