"""Reject a case with a reason from the list - never silently: the citizen is told why and where to go."""

from __future__ import annotations

from typing import Any

from bot.channels.model import Choice
from bot.domain.action_keys import Verb
from bot.domain.authz import Refused
from bot.i18n import N_
from bot.services.case_actions import REJECT_REASONS
from handlers.base import Turn
from handlers.officials.case_action import CaseActionFlow
from handlers.officials.common import case_in_hand, done, say_refusal


class RejectFlow(CaseActionFlow, name="official_reject", verb=Verb.REJECT,
                 states=("reason", "detail", "confirm")):
    async def opened(self, turn: Turn, case: Any) -> None:
        self._ask_reason(turn)

    def _ask_reason(self, turn: Turn) -> None:
        turn.say(turn.t("officials.reject.ask_reason", code=turn.state.data.get("code", "")),
                 [Choice(r, turn.t(f"officials.reject.reason.{r}")) for r in REJECT_REASONS])

    def _confirm(self, turn: Turn) -> None:
        reason = str(turn.state.data.get("reason"))
        turn.say(turn.t("officials.reject.confirm", code=turn.state.data.get("code", ""),
                        reason=turn.t(f"officials.reject.reason.{reason}"),
                        detail=turn.state.data.get("detail") or "-"),
                 [Choice("confirm", turn.t("officials.reject.yes")), Choice("cancel", turn.t("officials.reject.no"))])

    async def _on_detail(self, turn: Turn) -> None:
        if self.kept(turn, "detail", then="confirm"):
            self._confirm(turn)

    async def _on_confirm(self, turn: Turn) -> None:
        if turn.choice == "confirm":
            await self._reject(turn)
        elif turn.choice == "cancel":
            done(turn)
            turn.say(turn.t("officials.reject.cancelled"))
        else:
            turn.say(turn.t("common.choose_from_list"))
            self._confirm(turn)

    async def _on_reason(self, turn: Turn) -> None:
        if turn.choice not in REJECT_REASONS:
            turn.say(turn.t("common.choose_from_list"))
            self._ask_reason(turn)
            return
        turn.state.data["reason"] = turn.choice
        if turn.choice == "not_enough_info":
            try:
                await turn.services.case_actions.check_reason(turn.actor.official_id, case_in_hand(turn), turn.choice)
            except Refused as refusal:
                say_refusal(turn, refusal)
                self._ask_reason(turn)
                return
            turn.goto(self.name, "confirm")
            self._confirm(turn)
            return
        turn.goto(self.name, "detail")
        if turn.choice == "duplicate":
            turn.say(turn.t("officials.reject.ask_duplicate"))
        else:
            turn.say(turn.t("officials.reject.ask_where"))

    async def _reject(self, turn: Turn) -> None:
        data = turn.state.data
        try:
            result = await turn.services.case_actions.reject(
                turn.actor.official_id, case_in_hand(turn), str(data.get("reason")), data.get("detail"))
        except Refused as refusal:
            say_refusal(turn, refusal)
            if refusal.key in ("officials.reject.no_duplicate", "officials.refused.too_short",
                               "officials.refused.too_long"):
                turn.goto(self.name, "detail")  # a wrong code or an empty place: type it again
                return
            done(turn)
            return
        self.told(turn, result, N_("officials.reject.done"), N_("officials.reject.no_account"))
