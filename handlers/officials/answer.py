"""Answer the citizen and resolve the case: the written answer (and photos of the result), checked once before
it goes."""

from __future__ import annotations

from typing import Any

from bot.channels.model import Choice, InboundKind
from bot.domain.action_keys import Verb
from bot.domain.authz import Refused
from bot.i18n import N_
from handlers.base import Turn
from handlers.officials.case_action import CaseActionFlow
from handlers.officials.common import case_in_hand, done, say_refusal

PHOTOS = "photos"


class AnswerFlow(CaseActionFlow, name="official_answer", verb=Verb.ANSWER, states=("text", "confirm")):
    async def opened(self, turn: Turn, case: Any) -> None:
        turn.say(turn.t("officials.answer.prompt", code=case.code))

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
            await self._photo(turn)  # a photo of the result, at any step
            return
        await super().handle(turn)

    async def _on_text(self, turn: Turn) -> None:
        if self.kept(turn, "answer", then="confirm"):
            self._confirm(turn)

    async def _on_confirm(self, turn: Turn) -> None:
        if turn.choice == "edit":
            turn.goto(self.name, "text")
            turn.say(turn.t("officials.answer.prompt", code=self.code(turn)))
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
            if refusal.key == "officials.answer.photos_loading":
                say_refusal(turn, refusal)
                self._confirm(turn)  # a few seconds more, then Send again
            else:
                self.refused(turn, refusal, retype="text")
            return
        self.told(turn, result, N_("officials.answer.sent"), N_("officials.answer.no_account"))
