"""Pieces the officials' flows share: saying a refusal, reading free text, the case in hand."""

from __future__ import annotations

from bot.channels.model import InboundKind
from bot.domain.authz import Refused
from handlers.base import Turn

CASE = "case_id"  # the state key of the case a flow is about


def say_refusal(turn: Turn, refusal: Refused) -> None:
    """The reason, in the reader's words (a case status is named as the status list names it)."""
    params = {k: turn.t(f"status.{v}") if k == "status" else v for k, v in refusal.params.items()}
    turn.say(turn.t(refusal.key, **params))


def free_text(turn: Turn) -> str | None:
    """The typed text of this message, or None for a photo, a button, a command."""
    if turn.inbound.kind is not InboundKind.TEXT or turn.inbound.command:
        return None
    return turn.inbound.text.strip() or None


def case_in_hand(turn: Turn) -> int:
    return int(turn.state.data.get(CASE, 0))


def done(turn: Turn) -> None:
    """The flow is over: the official's chat goes back to idle (cards and /queue drive what comes next)."""
    turn.finish()
