"""A citizen's reply to an announcement: a question to the unit that sent it (a case with a tracking code),
never lost in the menu. Only words written outside any question, right after the announcement, count."""

from __future__ import annotations

from bot.channels.model import InboundKind
from handlers.base import Turn
from handlers.common import MENU, show_menu

MIN_WORDS = 2  # "ok", "cảm ơn" alone is not a question


class AnnouncementReply:
    async def claims(self, turn: Turn) -> bool:
        actor = turn.actor
        if actor.citizen_id is None or actor.official_id is not None or not actor.consented:
            return False
        if turn.inbound.kind is not InboundKind.TEXT or turn.inbound.command is not None or turn.choice is not None:
            return False
        if turn.state.flow not in (None, MENU) or len(turn.text.split()) < MIN_WORDS:
            return False
        return await turn.services.announcements.replied_to(turn.inbound.channel, turn.inbound.chat_id) is not None

    async def handle(self, turn: Turn) -> None:
        announcements = turn.services.announcements
        announcement = await announcements.replied_to(turn.inbound.channel, turn.inbound.chat_id)
        assert announcement is not None and turn.actor.citizen_id is not None  # claimed above
        receipt = await announcements.reply(announcement, citizen_id=turn.actor.citizen_id,
                                            identity_id=turn.actor.identity_id, text=turn.text,
                                            language=turn.state.language)
        turn.say(turn.t("announce.reply_received", code=receipt.code, pin=receipt.pin,
                        unit=receipt.unit.name(turn.state.language),
                        due=turn.t.due(receipt.due_at, turn.services.app.tz)))
        await show_menu(turn)
