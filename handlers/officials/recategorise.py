"""File a case under another category (`/category CODE`): the matcher learns from it, and when the category is
another unit's the case goes there, with "not ours" as the reason."""

from __future__ import annotations

from typing import Any

from bot.channels.model import Choice
from bot.domain.action_keys import Verb
from bot.domain.authz import Refused
from handlers.base import Turn
from handlers.officials.case_action import CaseActionFlow
from handlers.officials.common import case_in_hand, done, say_refusal


# a new category may move the case: who may transfer may recategorise
class RecategoriseFlow(CaseActionFlow, name="official_category", verb=Verb.TRANSFER, states=("category",)):
    async def start(self, turn: Turn, code: str) -> bool:  # type: ignore[override]
        """Open on the case with this code (`/category PA-...`) if allowed now."""
        checked = turn.services.case_actions.by_code(turn.actor.official_id, code, self.verb)
        return await self.open(turn, checked)

    async def opened(self, turn: Turn, case: Any) -> None:
        self._ask(turn)

    def _choices(self, turn: Turn) -> list[Choice]:
        lang = turn.state.language
        return [Choice(c.code, c.name(lang)) for c in turn.services.org.active_categories()]

    def _ask(self, turn: Turn) -> None:
        turn.say(turn.t("officials.category.ask", code=turn.state.data.get("code", "")), self._choices(turn))

    async def _on_category(self, turn: Turn) -> None:
        org = turn.services.org
        if not turn.choice or turn.choice not in {c.key for c in self._choices(turn)}:
            turn.say(turn.t("common.choose_from_list"))
            self._ask(turn)
            return
        category = org.categories[turn.choice]
        reason = turn.t("officials.category.transfer_reason", category=category.name("vi"))
        try:
            result = await turn.services.case_actions.recategorise(
                turn.actor.official_id, case_in_hand(turn), category.code, transfer_reason=reason)
        except Refused as refusal:
            say_refusal(turn, refusal)
            done(turn)
            return
        done(turn)
        name = category.name(turn.state.language)
        if result.transferred is not None:
            turn.say(turn.t("officials.category.moved", code=result.code, category=name,
                            unit=result.transferred.unit.name(turn.state.language)))
        else:
            turn.say(turn.t("officials.category.done", code=result.code, category=name))
