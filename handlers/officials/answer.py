"""Answer the citizen and resolve the case: the written answer (and photos of the result), checked once before
it goes."""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice, InboundKind
from bot.services.action_keys import Verb
from bot.services.authz import Refused
from handlers.base import Turn
from handlers.officials.common import CASE, case_in_hand, done, free_text, say_refusal

PHOTOS = "photos"


class AnswerFlow:
    name: ClassVar[str] = "official_answer"
    states: ClassVar[tuple[str, ...]] = ("text", "confirm")

    async def start(self, turn: Turn, case_id: int) -> bool:
        """Begin on this case if allowed now; False (and the reason said) when not."""
        try:
            case = await turn.services.case_actions.check(turn.actor.official_id, case_id, Verb.ANSWER)
        except Refused as refusal:
            say_refusal(turn, refusal)
            return False
        done(turn)  # allowed: whatever was open before gives way to this case
        turn.goto(self.name, "text")
        turn.state.data[CASE] = case.id
        turn.state.data["code"] = case.code
        turn.say(turn.t("officials.answer.prompt", code=case.code))
        return True

    async def begin(self, turn: Turn) -> None:
        await self.start(turn, case_in_hand(turn))

    def _confirm(self, turn: Turn) -> None:
        text = turn.t("officials.answer.preview", code=turn.state.data.get("code", ""),
                      answer=turn.state.data.get("answer", ""))
        photos = int(turn.state.data.get(PHOTOS, 0))
        if photos:
            text += "\n" + turn.t("officials.answer.preview_photos", count=photos)
        turn.say(text, [Choice("send", turn.t("officials.answer.send")),
                        Choice("edit", turn.t("officials.answer.edit")),
                        Choice("cancel", turn.t("officials.answer.cancel"))])

    async def _photo(self, turn: Turn) -> None:
        """A photo of the result: kept for the answer (a caption typed with it may be the answer itself)."""
        ref = turn.inbound.media[0]
        try:
            count = await turn.services.case_actions.add_answer_photo(
                turn.actor.official_id, case_in_hand(turn), turn.inbound.channel, ref)
        except Refused as refusal:
            say_refusal(turn, refusal)
            return
        turn.state.data[PHOTOS] = count
        caption = turn.inbound.text.strip()
        if turn.state.step == "text" and caption:
            turn.state.data["answer"] = caption
            turn.goto(self.name, "confirm")
        if turn.state.step == "confirm":
            self._confirm(turn)
        else:
            turn.say(turn.t("officials.answer.photo_added", count=count))

    async def handle(self, turn: Turn) -> None:
        if turn.inbound.kind is InboundKind.PHOTO and turn.inbound.media:
            await self._photo(turn)
            return
        if turn.state.step == "text":
            answer = free_text(turn)
            if answer is None:
                turn.say(turn.t("officials.text_please"))
                return
            turn.state.data["answer"] = answer
            turn.goto(self.name, "confirm")
            self._confirm(turn)
            return
        if turn.choice == "edit":
            turn.goto(self.name, "text")
            turn.say(turn.t("officials.answer.prompt", code=turn.state.data.get("code", "")))
        elif turn.choice == "cancel":
            await turn.services.case_actions.drop_answer_photos(turn.actor.official_id, case_in_hand(turn))
            done(turn)
            turn.say(turn.t("officials.answer.cancelled"))
        elif turn.choice == "send":
            await self._send(turn)
        else:
            turn.say(turn.t("common.choose_from_list"))
            self._confirm(turn)

    async def _send(self, turn: Turn) -> None:
        try:
            result = await turn.services.case_actions.answer(
                turn.actor.official_id, case_in_hand(turn), str(turn.state.data.get("answer", "")))
        except Refused as refusal:
            say_refusal(turn, refusal)
            if refusal.key == "officials.answer.photos_loading":
                self._confirm(turn)  # a few seconds more, then Send again
            elif refusal.key.startswith("officials.refused.too_"):
                turn.goto(self.name, "text")
            else:
                done(turn)
            return
        done(turn)
        if result.to_citizen:
            turn.say(turn.t("officials.answer.sent", code=result.code))
        else:
            turn.say(turn.t("officials.answer.no_account", code=result.code, contact=result.contact or "-"))
