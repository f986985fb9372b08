"""Transfer a case to another unit, with a reason the receiving unit and the citizen are told."""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice
from bot.services.action_keys import Verb
from bot.services.authz import Refused
from handlers.base import Turn
from handlers.officials.common import CASE, case_in_hand, done, free_text, say_refusal


class TransferFlow:
    name: ClassVar[str] = "official_transfer"
    states: ClassVar[tuple[str, ...]] = ("unit", "reason")

    async def start(self, turn: Turn, case_id: int) -> bool:
        """Begin on this case if allowed now; False (and the reason said) when not."""
        try:
            case = await turn.services.case_actions.check(turn.actor.official_id, case_id, Verb.TRANSFER)
        except Refused as refusal:
            say_refusal(turn, refusal)
            return False
        done(turn)  # allowed: whatever was open before gives way to this case
        turn.goto(self.name, "unit")
        turn.state.data[CASE] = case.id
        turn.state.data.update(code=case.code, unit_id=case.unit.id, sealed=case.sealed)
        self._ask_unit(turn)
        return True

    async def begin(self, turn: Turn) -> None:
        await self.start(turn, case_in_hand(turn))

    def _targets(self, turn: Turn) -> list[Choice]:
        data, lang = turn.state.data, turn.state.language
        units = turn.services.case_actions.transfer_targets(int(data.get("unit_id", 0)), bool(data.get("sealed")))
        return [Choice(u.code, u.name(lang)) for u in units]

    def _ask_unit(self, turn: Turn) -> None:
        turn.say(turn.t("officials.transfer.ask_unit", code=turn.state.data.get("code", "")), self._targets(turn))

    async def handle(self, turn: Turn) -> None:
        if turn.state.step == "unit":
            if turn.choice and turn.choice in {c.key for c in self._targets(turn)}:
                turn.state.data["unit"] = turn.choice
                turn.goto(self.name, "reason")
                unit = turn.services.org.units[turn.choice].name(turn.state.language)
                turn.say(turn.t("officials.transfer.ask_reason", unit=unit))
            else:
                turn.say(turn.t("common.choose_from_list"))
                self._ask_unit(turn)
            return
        reason = free_text(turn)
        if reason is None:
            turn.say(turn.t("officials.transfer.reason_required"))
            return
        try:
            result = await turn.services.case_actions.transfer(
                turn.actor.official_id, case_in_hand(turn), str(turn.state.data.get("unit")), reason)
        except Refused as refusal:
            say_refusal(turn, refusal)
            if not refusal.key.startswith("officials.refused.too_"):
                done(turn)
            return
        done(turn)
        lang = turn.state.language
        if result.to_coordinator and result.proposed is not None:
            turn.say(turn.t("officials.transfer.to_coordinator", code=result.code, unit=result.unit.name(lang),
                            proposed=result.proposed.name(lang)))
        else:
            turn.say(turn.t("officials.transfer.done", code=result.code, unit=result.unit.name(lang)))
