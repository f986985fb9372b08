"""Transfer a case to another unit, with a reason the receiving unit and the citizen are told.

The five likeliest units come first as choices (the case's ward, the category's usual unit); any other is
found by typing part of its name, with or without diacritics."""

from __future__ import annotations

from typing import Any

from bot.channels.model import Choice
from bot.domain.action_keys import Verb
from bot.domain.authz import Refused
from bot.domain.text import fold
from bot.i18n import N_
from handlers.base import Turn
from handlers.officials.case_action import CaseActionFlow
from handlers.officials.common import case_in_hand, done, free_text, typed_text

SHOWN = 5  # the likeliest units offered at once
MATCHES = 8  # units offered for a typed search


class TransferFlow(CaseActionFlow, name="official_transfer", verb=Verb.TRANSFER, states=("unit", "reason")):
    async def opened(self, turn: Turn, case: Any) -> None:
        turn.state.data.update(unit_id=case.unit.id, sealed=case.sealed)
        likely = await turn.services.case_actions.likely_targets(case.id)
        turn.state.data["likely"] = [u.code for u in likely[:SHOWN]]
        self._ask_unit(turn)

    def _targets(self, turn: Turn) -> list[Choice]:
        data, lang = turn.state.data, turn.state.language
        units = turn.services.case_actions.transfer_targets(int(data.get("unit_id", 0)), bool(data.get("sealed")))
        return [Choice(u.code, u.name(lang)) for u in units]

    def _ask_unit(self, turn: Turn, shown: list[Choice] | None = None) -> None:
        if shown is None:
            names = {c.key: c for c in self._targets(turn)}
            shown = [names[code] for code in turn.state.data.get("likely") or [] if code in names][:SHOWN]
        turn.say(turn.t("officials.transfer.ask_unit", code=turn.state.data.get("code", "")) + "\n"
                 + turn.t("officials.transfer.type_to_search"), shown)

    def _search(self, turn: Turn, typed: str) -> list[Choice]:
        wanted = fold(typed).split()
        return [c for c in self._targets(turn) if all(w in fold(f"{c.label} {c.key}") for w in wanted)]

    async def _on_unit(self, turn: Turn) -> None:
        chosen = turn.choice if turn.choice in {c.key for c in self._targets(turn)} else None
        typed = free_text(turn) if chosen is None else None
        found = self._search(turn, typed) if typed else []
        if chosen is None and len(found) == 1:
            chosen = found[0].key
        if chosen:
            turn.state.data["unit"] = chosen
            turn.goto(self.name, "reason")
            unit = turn.services.org.units[chosen].name(turn.state.language)
            turn.say(turn.t("officials.transfer.ask_reason", unit=unit))
        elif found:
            turn.say(turn.t("officials.transfer.several", count=len(found)))
            self._ask_unit(turn, found[:MATCHES])
        else:
            turn.say(turn.t("officials.transfer.no_match", text=(typed or "")[:40]) if typed
                     else turn.t("common.choose_from_list"))
            self._ask_unit(turn)

    async def _on_reason(self, turn: Turn) -> None:
        reason = typed_text(turn, N_("officials.transfer.reason_required"))
        if reason is None:
            return
        try:
            result = await turn.services.case_actions.transfer(
                turn.actor.official_id, case_in_hand(turn), str(turn.state.data.get("unit")), reason)
        except Refused as refusal:
            self.refused(turn, refusal)
            return
        done(turn)
        lang = turn.state.language
        if result.to_coordinator and result.proposed is not None:
            turn.say(turn.t("officials.transfer.to_coordinator", code=result.code, unit=result.unit.name(lang),
                            proposed=result.proposed.name(lang)))
        else:
            turn.say(turn.t("officials.transfer.done", code=result.code, unit=result.unit.name(lang)))
