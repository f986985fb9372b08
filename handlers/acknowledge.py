"""«Đã nắm»: a head or leader acknowledges an overdue report, and its daily repeats stop.

The report arrives from the sweep's transaction, not from this chat's flow, so the router asks this module
first (before any flow) whether a turn is an acknowledgement. It is one when:
- a button `ack:<id>` was pressed (even one this chat's flow did not offer: the key is untrusted anyway);
- the official typed a number or label of the last message with choices they received, and that message
  was an overdue report (on channels without buttons the report's choice is a numbered line);
- the official typed `/ack`, `/ack <id>`, or "đã nắm" (with or without diacritics, optionally with the id).
The service then checks the report was addressed to this official; anyone else's gets a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.model import Choice, InboundKind
from bot.domain.matching import parse_choice
from bot.domain.text import fold
from bot.services.escalation import ACK_PREFIX, AckOutcome, ack_argument, ack_key, typed_ack
from handlers.base import OFFERED, Turn

COMMAND = "/ack"


@dataclass(frozen=True, slots=True)
class Ack:
    number: int | None  # the escalation's id; None: the one waiting (or a choice among several)


class Acknowledge:
    """The acknowledgement, reached from any step; see the module's docstring."""

    async def claims(self, turn: Turn) -> bool:
        return await self._target(turn) is not None

    async def handle(self, turn: Turn) -> None:
        target = await self._target(turn)
        number = target.number if target is not None else None
        offered = turn.state.data.get(OFFERED)
        if turn.actor.official_id is None:
            turn.say(turn.t("ack.officials_only"))
            return
        result = await turn.services.escalations.acknowledge(turn.actor.official_id, number)
        tz = turn.services.app.tz
        if result.outcome is AckOutcome.PICK:
            choices = [Choice(f"{ACK_PREFIX}{escalation_id}", turn.t("deadline.ack_button", code=code))
                       for escalation_id, code in result.pending]
            turn.say(turn.t("ack.pick", count=len(choices)), choices)
            return
        if result.outcome is AckOutcome.DONE:
            turn.say(turn.t("ack.done", code=result.code))
        elif result.outcome is AckOutcome.ALREADY and result.at is not None:
            turn.say(turn.t("ack.already", code=result.code, at=turn.t.moment(result.at, tz)))
        elif result.outcome is AckOutcome.NOT_YOURS:
            turn.say(turn.t("ack.not_yours", number=number))
        else:
            turn.say(turn.t("ack.none"))
        if offered and not all(str(key).startswith(ACK_PREFIX) for key, _ in offered):
            turn.state.data[OFFERED] = offered  # what the official was answering before the report is still open

    async def _target(self, turn: Turn) -> Ack | None:
        """What this turn acknowledges; None when it is something else."""
        inbound = turn.inbound
        if inbound.kind is InboundKind.CHOICE:
            return _from_key(inbound.choice)
        offered = _from_key(turn.choice)  # "2" after the list of reports /ack offered
        if offered is not None:
            return offered
        if turn.actor.official_id is None or inbound.kind is not InboundKind.TEXT:
            return None
        if inbound.command == COMMAND:
            return Ack(ack_argument(inbound.argument))
        if inbound.command is not None:
            return None
        said, number = typed_ack(fold(inbound.text))
        if said:
            return Ack(number)
        waiting_for_text = turn.state.flow is not None and not turn.state.data.get(OFFERED)
        if waiting_for_text:  # a question expecting free text takes the text as it is
            return None
        prompt = await turn.services.escalations.latest_prompt(inbound.channel, inbound.chat_id)
        return _from_key(parse_choice(inbound.text, prompt)) if prompt else None


def _from_key(raw: str | None) -> Ack | None:
    number = ack_key(raw)
    return Ack(number) if number is not None else None
