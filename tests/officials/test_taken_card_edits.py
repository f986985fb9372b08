"""When one officer takes a case, the other officers' cards change where they are: on Telegram the card they
were sent is edited (a first line saying who took it, its buttons gone) - editMessageCaption for a card that is
its photo's caption, editMessageText for a card in words only - and no new message arrives; on Zalo a one-line
notice (tests/officials/test_desk_and_walk_in.py, test_official_journeys.py)."""

from __future__ import annotations

import asyncio
import io

from PIL import Image
from sqlalchemy import func, select

from bot.channels.model import Choice, Rendered, SendOutcome, SendResult
from bot.channels.telegram import TelegramChannel
from bot.clock import FakeClock
from bot.domain.action_keys import Verb, key
from bot.domain.cases import CaseKind
from bot.services.intake import Draft
from bot.services.media import new_attachment
from storage.models import OutboxItem
from tests.officials.drivers import TelegramDriver
from tests.officials.world import MONDAY_9, World
from tests.support.fake_telegram import Fault
from tests.support.harness import fake_telegram, running_bot
from tests.support.soak import until

USERS = {"mai": 6001, "tu": 6002, "hung": 6003}
SEATS = {"mai": "SAODO_OFF1", "tu": "SAODO_OFF2", "hung": "SAODO_HEAD"}
NO_BUTTONS = None  # an edit without a keyboard: Telegram takes the buttons away


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


async def link_officers(d: TelegramDriver, world: World) -> None:
    """Mai and Tú (officers) and Hùng (the head) of the ward link their Telegram accounts with invite codes."""
    for user, seat in SEATS.items():
        async with world.services() as s:
            code = (await s.officials.invite(seat=seat)).code
        d.says(user, f"/start {code}")
        await d.next(user, 2)


async def test_other_officers_cards_are_edited_on_telegram(db_url: str) -> None:
    clock = FakeClock(MONDAY_9)
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        d, world = TelegramDriver(tg, USERS), World(bot.db, clock)
        await link_officers(d, world)
        citizen = await world.account("5001")

        async def submit(text: str, photo: bool) -> None:
            async def attach(case_id: int) -> None:
                s.session.add(new_attachment("photo", "image/jpeg", jpeg(), clock.now(), case_id=case_id))

            async with world.services() as s:
                await s.intake.submit(Draft(kind=CaseKind.REPORT, text=text, category="ngap_nuoc", area="SAODO"),
                                      citizen_id=citizen.citizen_id, identity_id=citizen.identity_id,
                                      on_created=attach if photo else None)
            bot.sender.wake()

        await submit("Nước ngập sâu 40cm trước số nhà 12 đường Nguyễn Trãi.", photo=True)
        await submit("Cống thoát nước bị tắc trước chợ Sao Đỏ.", photo=False)
        cards = {}
        for user in SEATS:
            first, second = await d.next(user, 2)
            chat = USERS[user]
            sent = [m for m in tg.sent if m["chat_id"] == chat and m.get("reply_markup")][-2:]
            assert [m["method"] for m in sent] == ["sendPhoto", "sendMessage"]
            assert (sent[0]["caption"], sent[1]["text"]) == (first, second)
            cards[user] = (sent[0]["message_id"], first, sent[1]["message_id"], second)

        # Mai takes the case with the photo: Tú's and the head's photo cards get a new caption, no buttons.
        def take(user: str, message_id: int) -> None:
            [card] = [m for m in tg.sent if m["message_id"] == message_id]
            buttons = {b["text"]: b["callback_data"] for row in card["reply_markup"]["inline_keyboard"] for b in row}
            tg.presses(USERS[user], buttons["Nhận xử lý"])

        take("mai", cards["mai"][0])
        assert (await d.one("mai")).startswith("Bạn đã nhận xử lý hồ sơ PA-2026-000001.")
        for user in ("tu", "hung"):
            photo_id, photo_card, _, _ = cards[user]
            [edit] = await tg.wait_for_edits(USERS[user], 1)
            assert edit == {
                "method": "editMessageCaption", "chat_id": USERS[user], "message_id": photo_id,
                "caption": f"Hồ sơ PA-2026-000001 đã được Trần Thị Mai nhận xử lý.\n\n{photo_card}",
                "reply_markup": NO_BUTTONS,
            }

        # Tú takes the one in words: Mai's and the head's text cards are edited.
        take("tu", cards["tu"][2])
        assert (await d.one("tu")).startswith("Bạn đã nhận xử lý hồ sơ PA-2026-000002.")
        for user, count in (("mai", 1), ("hung", 2)):
            _, _, text_id, text_card = cards[user]
            edit = (await tg.wait_for_edits(USERS[user], count))[-1]
            assert edit == {
                "method": "editMessageText", "chat_id": USERS[user], "message_id": text_id,
                "text": f"Hồ sơ PA-2026-000002 đã được Phạm Văn Tú nhận xử lý.\n\n{text_card}",
                "reply_markup": NO_BUTTONS,
            }
        # No one-line notice went out beside the edits: the cards were the last messages the others got.
        for user in SEATS:
            assert len(d.texts_to(user)) == 2 + 2 + (1 if user in ("mai", "tu") else 0)


async def test_an_edit_finds_whether_the_card_was_words_or_a_caption() -> None:
    """The card's words went as a text when its caption would have been too long: the edit meant for a caption
    is told apart by the Bot API's answer and made as a text edit; an unknown message is a final refusal."""
    async with fake_telegram() as tg:
        channel = TelegramChannel(tg.token, tg.base_url)
        await channel.start()
        try:
            sent = await channel.send("6001", Rendered(texts=["Hồ sơ PA-2026-000001"], buttons=[Choice("acc:1", "Nhận")]))
            assert sent.outcome is SendOutcome.SENT and sent.message_id is not None
            edited = await channel.send("6001", Rendered(texts=["Đã nhận.\n\nHồ sơ PA-2026-000001"],
                                                         caption="Đã nhận.\n\nHồ sơ PA-2026-000001",
                                                         edit=sent.message_id))
            assert edited == SendResult.sent(sent.message_id)
            assert [(c[0], c[1].get("message_id")) for c in tg.calls if c[0].startswith("edit")] == [
                ("editMessageCaption", sent.message_id), ("editMessageText", sent.message_id)]
            assert tg.edits == [{"method": "editMessageText", "chat_id": 6001, "message_id": int(sent.message_id),
                                 "text": "Đã nhận.\n\nHồ sơ PA-2026-000001", "reply_markup": None}]
            lost = await channel.send("6001", Rendered(texts=["x"], edit="999"))
            assert (lost.outcome, lost.reason) == (SendOutcome.FINAL, "BadRequest: Message to edit not found")
        finally:
            await channel.stop()


async def test_a_card_still_waiting_when_the_case_is_taken_is_edited_once_it_goes_out(db_url: str) -> None:
    """Telegram answered 429 to the cards, so they wait; meanwhile Mai takes the case. The others' cards then go
    out and are edited right after (the edit names the waiting outbox row and follows it in the chat's order),
    instead of a one-line notice beside cards that still offer «Nhận xử lý»."""
    clock = FakeClock(MONDAY_9)
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        d, world = TelegramDriver(tg, USERS), World(bot.db, clock)
        await link_officers(d, world)
        citizen = await world.account("5001")
        held = Fault("sendMessage", 429, retry_after=2, remaining=3)  # the three cards' first attempts
        tg.faults.append(held)
        async with world.services() as s:
            receipt = await s.intake.submit(
                Draft(kind=CaseKind.REPORT, text="Cống thoát nước bị tắc trước chợ Sao Đỏ.", category="ngap_nuoc",
                      area="SAODO"), citizen_id=citizen.citizen_id, identity_id=citizen.identity_id)
        bot.sender.wake()
        await until(lambda: held.remaining == 0, 30, "the cards' first attempts")
        tg.presses(USERS["mai"], key(Verb.ACCEPT, receipt.case_id))

        async def taken() -> None:  # the take is handled: each officer has the card and, behind it, what follows
            while True:
                async with bot.db.unit_of_work(readonly=True) as uow:
                    if await uow.session.scalar(select(func.count(OutboxItem.id))) == 12:
                        return
                await asyncio.sleep(0.05)

        await asyncio.wait_for(taken(), 30)
        clock.advance(seconds=3)  # Telegram's retry_after has passed
        bot.sender.wake()
        for user in ("tu", "hung"):
            [card] = await d.next(user, 1)
            assert card.startswith(f"Hồ sơ {receipt.code}")
            [sent] = [m for m in tg.sent if m["chat_id"] == USERS[user] and m.get("reply_markup")][-1:]
            [edit] = await tg.wait_for_edits(USERS[user], 1)
            assert edit == {
                "method": "editMessageText", "chat_id": USERS[user], "message_id": sent["message_id"],
                "text": f"Hồ sơ {receipt.code} đã được Trần Thị Mai nhận xử lý.\n\n{card}", "reply_markup": NO_BUTTONS,
            }
            assert len(d.texts_to(user)) == 2 + 1  # linked, then the card: no one-line notice beside it
