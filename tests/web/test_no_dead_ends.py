"""No dead ends on the web chat: every bot message that ends a step offers the next useful choices.

A case rated on /track whose old rating buttons are then tapped in the chat gets the refusal with the menu on it;
"Chưa hài lòng" and a reason end in the reopening message, with the menu on it too."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from bot.container import Container
from bot.domain.cases import CaseKind
from bot.services.intake import Draft, Receipt
from tests.officials.world import Account, World
from tests.support.web_client import WebVisitor, serving
from tests.web.test_track import look_up
from tests.web.test_webchat import web_container

MENU_KEYS = ["report", "my", "lang", "help"]
RATING = ["Hài lòng", "Chưa hài lòng"]


async def answered_case(container: Container, citizen: Account, answer: str) -> Receipt:
    """The citizen's report, taken and answered by the ward's officer: the chat gets the answer with the
    rating buttons."""
    world = World(container.db, container.clock)  # type: ignore[arg-type]
    async with world.services() as s:
        receipt = await s.intake.submit(Draft(kind=CaseKind.REPORT, text="Nước ngập trước số nhà 12 Nguyễn Trãi.",
                                              category="ngap_nuoc", area="SAODO"),
                                        citizen_id=citizen.citizen_id, identity_id=citizen.identity_id)
    officer = await world.official("SAODO_OFF1", chat=f"officer-{receipt.case_id}")
    async with world.services() as s:
        await s.case_actions.accept(officer.official_id, receipt.case_id)
        await s.case_actions.answer(officer.official_id, receipt.case_id, answer)
    container.sender.wake()
    return receipt


async def message_with(visitor: WebVisitor, words: str, after: int) -> tuple[int, dict[str, Any]]:
    """The bot's first message past the first `after` that says `words`, waited for; its number and itself."""
    count = after
    while True:
        count += 1
        message = (await visitor.wait_for(count), visitor.bot_messages()[count - 1])[1]
        if words in "\n".join(message["texts"]):
            return count, message


async def test_rated_on_track_then_tapped_in_the_chat_and_unsatisfied_with_a_reason(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base, aiohttp.ClientSession() as track:
        visitor = await WebVisitor(base).open()
        try:
            await visitor.start()
            await visitor.wait_for(2)
            await visitor.press("agree")
            seen, _ = await message_with(visitor, "", 2)
            world = World(container.db, container.clock)  # type: ignore[arg-type]
            citizen = await world.account(container.web_chat.channel.open_chats()[0], "web")

            # 1. Answered; rated on /track; the chat's old buttons tapped afterwards.
            first = await answered_case(container, citizen, "Đã nạo vét cống.")
            seen, rating = await message_with(visitor, first.code, seen)
            assert [label for _, label in rating["buttons"]] == RATING
            _, page = await look_up(track, base, first.code, first.pin)
            token = re.search(r'name="token" value="([^"]+)"', page)
            assert token is not None
            async with track.post(f"{base}/track/rate", data={"token": token.group(1), "verdict": "satisfied"}) as rated:
                assert "Hồ sơ đã được đóng" in await rated.text()
            await visitor.press(rating["buttons"][0][0])  # "Hài lòng", tapped in the chat as well
            seen, refused = await message_with(visitor, first.code, seen)
            assert [k for k, _ in refused["buttons"]] == MENU_KEYS  # not a dead end: the menu

            # 2. Answered; "Chưa hài lòng" and a reason: the reopening message offers the menu.
            second = await answered_case(container, citizen, "Đã xử lý xong.")
            seen, rating = await message_with(visitor, second.code, seen)
            assert [label for _, label in rating["buttons"]] == RATING
            await visitor.press(rating["buttons"][1][0])  # "Chưa hài lòng"
            seen, _ = await message_with(visitor, "lý do", seen)
            await visitor.say("Mưa to chiều nay lại ngập.")
            seen, reopened = await message_with(visitor, second.code, seen)
            assert reopened["texts"][0].startswith(f"Hồ sơ {second.code} đã được mở lại")
            assert [k for k, _ in reopened["buttons"]] == MENU_KEYS
        finally:
            await visitor.close()
