"""Progress on a task or programme item, as the monthly prompt asks: a percent, a note, and optionally a
photo or a document (`/progress CODE`)."""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice, InboundKind
from bot.domain.authz import Refused
from handlers.base import Turn
from handlers.leaders.common import typed
from handlers.officials.common import done, say_refusal

CODE = "code"
MEDIA_KINDS = (InboundKind.PHOTO, InboundKind.DOCUMENT)


class ProgressFlow:
    name: ClassVar[str] = "task_progress"
    states: ClassVar[tuple[str, ...]] = ("percent", "note", "media")

    async def begin(self, turn: Turn) -> None:
        code = (turn.inbound.argument or "").strip()
        if not code or len(code) > 32:
            turn.say(turn.t("work.progress.usage"))
            return
        try:
            item = await turn.services.work.tracked(turn.actor.official_id, code)
        except Refused as refusal:
            say_refusal(turn, refusal)
            return
        done(turn)
        turn.goto(self.name, "percent")
        turn.state.data[CODE] = item.code
        turn.say(turn.t("work.progress.ask_percent", code=item.code or "", title=item.title, percent=item.percent))

    async def handle(self, turn: Turn) -> None:
        if turn.state.step == "percent":
            text = (turn.text or "").rstrip("%").strip()
            if not text.isdigit() or not 0 <= int(text) <= 100:
                turn.say(turn.t("work.progress.bad_percent"))
                return
            turn.state.data["percent"] = int(text)
            turn.state.step = "note"
            turn.say(turn.t("work.progress.ask_note"))
        elif turn.state.step == "note":
            note = typed(turn)
            if note is None:
                return
            turn.state.data["note"] = note
            turn.state.step = "media"
            turn.say(turn.t("work.progress.ask_media"), [Choice("skip", turn.t("work.progress.no_media"))])
        else:
            media = None
            if turn.inbound.kind in MEDIA_KINDS and turn.inbound.media:
                media = (turn.inbound.channel, turn.inbound.media[0])
            elif turn.choice != "skip":
                turn.say(turn.t("work.progress.ask_media"), [Choice("skip", turn.t("work.progress.no_media"))])
                return
            await self._save(turn, media)

    async def _save(self, turn: Turn, media) -> None:
        data = turn.state.data
        try:
            item = await turn.services.work.report(turn.actor.official_id, str(data.get(CODE, "")),
                                                   int(data.get("percent", 0)), str(data.get("note", "")), media)
        except Refused as refusal:
            say_refusal(turn, refusal)
            if refusal.key != "work.refused.media":
                done(turn)
            return
        done(turn)
        turn.say(turn.t("work.progress.saved", code=item.code or "", percent=item.percent))
