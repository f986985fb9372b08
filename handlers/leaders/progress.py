"""Progress on a task or programme item, as the monthly prompt asks: a percent, a note, and optionally a
photo or a document (`/progress CODE`)."""

from __future__ import annotations

from bot.channels.model import Choice, InboundKind, MediaRef
from bot.domain.authz import Refused
from bot.i18n import N_
from handlers.base import DeclaredFlow, Turn
from handlers.leaders.common import CODE, open_tracked, typed
from handlers.officials.common import done, say_refusal

MEDIA_KINDS = (InboundKind.PHOTO, InboundKind.DOCUMENT)


class ProgressFlow(DeclaredFlow, name="task_progress", states=("percent", "note", "media")):
    async def begin(self, turn: Turn) -> None:
        item = await open_tracked(turn, self.name, "percent", N_("work.progress.usage"))
        if item is None:
            return
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

    async def _save(self, turn: Turn, media: tuple[str, MediaRef] | None) -> None:
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
