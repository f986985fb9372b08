"""/privacy choices on a real database: correct the phone (typed or shared), withdraw consent for optional data,
think better of deleting; a deletion's last traces go once the farewell has been sent."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.privacy import complete_erasures
from storage.models import Citizen, Consent, Conversation, OutboxItem
from storage.repositories import outbox
from storage.uow import Database
from tests.flows.chat_driver import make_bot, texts

MENU = "Quyền của bạn đối với dữ liệu cá nhân. Bạn muốn:"


async def _me(db: Database) -> tuple[str | None, list[tuple[str, bool]]]:
    async with db.unit_of_work(readonly=True) as uow:
        citizen = (await uow.session.execute(select(Citizen))).scalar_one()
        consents = (await uow.session.execute(select(Consent).order_by(Consent.id))).scalars().all()
    return citizen.phone, [(c.purpose, c.withdrawn_at is not None) for c in consents]


async def test_the_phone_is_corrected_withdrawn_and_deleting_can_be_called_off(database: Database) -> None:
    chat = make_bot(database).chat(41)
    await chat.consents()
    assert texts(await chat.says("/privacy")) == [MENU]
    await chat.presses("phone")
    replies = await chat.says("091234")
    assert texts(replies)[0] == ("Số đó không giống số điện thoại Việt Nam (10 chữ số, ví dụ 0912345678). "
                                 "Xin gõ lại.")
    replies = await chat.sends_contact("+84 912 345 678")  # the share-my-number button
    assert texts(replies) == ["Đã lưu số điện thoại 0912345678.", MENU]
    assert await _me(database) == ("0912345678", [("processing", False), ("optional_data", False)])

    replies = await chat.presses("withdraw")
    assert texts(replies) == ["Đã rút đồng ý với dữ liệu không bắt buộc; số điện thoại của bạn đã được xóa. Các hồ sơ "
                              "đã gửi vẫn được xử lý bình thường.", MENU]
    assert await _me(database) == (None, [("processing", False), ("optional_data", True)])
    replies = await chat.presses("withdraw")
    assert texts(replies)[0] == ("Bạn chưa đồng ý cho lưu dữ liệu không bắt buộc nào (như số điện thoại), nên không "
                                 "có gì để rút.")

    await chat.presses("delete")
    replies = await chat.says("không")
    assert texts(replies) == ["Tài khoản của bạn được giữ nguyên.", MENU]
    assert await _me(database) == (None, [("processing", False), ("optional_data", True)])
    replies = await chat.presses("back")
    assert texts(replies) == ["Bạn muốn làm gì? Chọn một mục:"]


async def test_a_deletion_is_finished_only_once_the_farewell_has_gone(database: Database) -> None:
    bot = make_bot(database)
    chat = bot.chat(42)
    await chat.consents()
    await chat.says("/privacy")
    await chat.presses("delete")
    replies = await chat.presses("erase")
    assert texts(replies)[0].startswith("Đã xóa tài khoản của bạn. Các hồ sơ đã gửi được giữ dưới bí danh CD-")

    async def traces() -> tuple[int, int]:
        async with database.unit_of_work(readonly=True) as uow:
            rows = (await uow.session.execute(select(OutboxItem.id).where(OutboxItem.chat_id == "42"))).all()
            kept = (await uow.session.execute(select(Conversation.chat_id))).all()
        return len(rows), len(kept)

    assert await complete_erasures(database, bot.clock) == 0  # the farewell is still to be sent
    assert (await traces())[0] > 0
    async with database.unit_of_work() as uow:  # the dispatcher sends it
        pending = (await uow.session.execute(select(OutboxItem.id).where(OutboxItem.status == "pending"))).scalars()
        await outbox.mark_sent(uow.session, list(pending), bot.clock.now(), "1")
        await uow.commit()
    assert await complete_erasures(database, bot.clock) == 1
    assert await traces() == (0, 0)
    assert await complete_erasures(database, bot.clock) == 0  # nothing left to do


async def test_an_undeliverable_farewell_delays_the_wipe_by_a_day_at_most(database: Database) -> None:
    bot = make_bot(database)
    chat = bot.chat(43)
    await chat.consents()
    await chat.says("/privacy")
    await chat.presses("delete")
    await chat.presses("erase")
    bot.clock.advance(hours=23)
    assert await complete_erasures(database, bot.clock) == 0
    bot.clock.advance(hours=1)
    assert await complete_erasures(database, bot.clock) == 1
