"""Personal data kept only where it belongs and only as long as needed (issue 11).

Raw Telegram updates used to keep names, usernames and shared phone numbers for ever; after a web visitor's
/privacy deletion, the final reply (holding the pseudonym) stayed in the transcript and the visitor id in
inbox.platform_id.
"""

from __future__ import annotations

import json

from sqlalchemy import MetaData, select

from bot.clock import FakeClock
from bot.services.retention import run_retention
from storage.models import ChannelIdentity, InboxItem
from storage.repositories.inbox import split_profile, with_profile
from storage.uow import Database
from tests.flows.test_privacy_rights import _citizen, _erase_when_sent
from tests.support.harness import fake_telegram, running_bot
from tests.support.web_client import WebVisitor, serving
from tests.web.test_webchat import FRIDAY, web_container

NAME = "Nguyễn Văn An"  # the fake Telegram user's name
CHAT = 616161


async def _columns_holding(db: Database, needle: str) -> set[str]:
    """Every table.column whose stored value contains `needle`."""
    meta = MetaData()
    found: set[str] = set()
    async with db.engine.connect() as conn:
        await conn.run_sync(meta.reflect)
        for table in meta.sorted_tables:
            for row in (await conn.execute(table.select())).mappings():
                for column, value in row.items():
                    text = json.dumps(value, ensure_ascii=False, default=str) if value is not None else ""
                    if needle in text:
                        found.add(f"{table.name}.{column}")
    return found


def test_profile_fields_are_set_apart_and_put_back_exactly() -> None:
    update = {"update_id": 1, "message": {
        "message_id": 5, "text": "Tôi tên là gì không quan trọng",
        "chat": {"id": 7, "type": "private", "first_name": "An", "username": "an_sd"},
        "from": {"id": 7, "is_bot": False, "first_name": "An", "last_name": "Nguyễn", "language_code": "vi"},
        "contact": {"phone_number": "+84912345678", "first_name": "An", "user_id": 7}}}
    stripped, profile = split_profile(update)
    assert "An" not in json.dumps(stripped, ensure_ascii=False).replace("Tôi tên là", "")
    assert "+84912345678" not in json.dumps(stripped)
    assert profile == {"message/chat/first_name": "An", "message/chat/username": "an_sd",
                       "message/from/first_name": "An", "message/from/last_name": "Nguyễn",
                       "message/contact/phone_number": "+84912345678", "message/contact/first_name": "An"}
    assert with_profile(stripped, profile) == update
    assert split_profile({"kind": "text", "text": "x"}) == ({"kind": "text", "text": "x"}, None)


async def test_raw_updates_keep_no_names_or_phones_once_handled(db_url: str) -> None:
    clock = FakeClock(FRIDAY)
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        tg.says(CHAT, "/start")
        await tg.wait_for(CHAT, 2, within=30)
        tg.shares_contact(CHAT, "+84912000111")  # out of place, but stored as sent
        await tg.wait_for(CHAT, 3, within=30)
        async with bot.db.unit_of_work(readonly=True) as uow:
            rows = (await uow.session.execute(select(InboxItem).order_by(InboxItem.id))).scalars().all()
        assert rows and all(NAME not in json.dumps(r.payload, ensure_ascii=False) for r in rows)
        assert all("+84912000111" not in json.dumps(r.payload) for r in rows)
        purged = await run_retention(bot.db, clock)
        assert purged.profiles == len(rows)
        assert await _columns_holding(bot.db, NAME) <= {"citizens.display_name"}
        assert await _columns_holding(bot.db, "84912000111") == set()

        clock.advance(days=31)  # past RETENTION_DAYS: the handled raw updates go
        purged = await run_retention(bot.db, clock)
        assert purged.inbox == len(rows)


async def test_after_a_web_visitors_deletion_nothing_of_them_is_left(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            await visitor.start()
            await visitor.wait_for(2)
            await visitor.press("agree")
            await visitor.settle()
            async with container.db.unit_of_work(readonly=True) as uow:
                account = (await uow.session.execute(
                    select(ChannelIdentity.external_id).where(ChannelIdentity.channel == "web"))).scalar_one()
            await visitor.say("/privacy")
            await visitor.settle()
            await visitor.press("delete")
            await visitor.settle()
            await visitor.press("erase")
            await visitor.settle()
            goodbye = visitor.bot_texts()[-1]
            assert goodbye.startswith("Đã xóa tài khoản của bạn.")
            pseudonym = goodbye.split("bí danh ")[1].split(".")[0]
            assert await _erase_when_sent(container.db, container.clock) == 1
        finally:
            await visitor.close()
        assert await _columns_holding(container.db, account) <= {"leases.name"}
        assert await _columns_holding(container.db, pseudonym) == {"citizens.pseudonym"}


async def test_after_a_telegram_journey_the_pin_is_nowhere_at_rest(db_url: str) -> None:
    clock = FakeClock(FRIDAY)
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        me = await _citizen(tg, CHAT)
        code = await me.report("Đèn đường hỏng cả dãy khu dân cư Mật Sơn từ tuần trước", "chieu_sang")
        receipt = next(m["text"] for m in tg.sent if code in m.get("text", "") and "PIN" in m["text"])
        pin = receipt.split("Mã PIN tra cứu: ")[1][:6]
        link_token = receipt.split("/track?t=")[1].split()[0]
        assert pin.isdigit()
        await run_retention(bot.db, clock)
        assert await _columns_holding(bot.db, f"PIN tra cứu: {pin}") == set()
        assert await _columns_holding(bot.db, link_token) == set()
        assert await _columns_holding(bot.db, "PIN tra cứu: \u2022\u2022\u2022\u2022\u2022\u2022") == {"outbox.payload"}
