"""Pieces the officials' flows share: saying a refusal, reading free text, the case in hand."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from bot.channels.model import InboundKind
from bot.domain.authz import Refused
from bot.i18n import N_
from handlers.base import Turn

CASE = "case_id"  # the state key of the case a flow is about
T = TypeVar("T")


def say_refusal(turn: Turn, refusal: Refused) -> None:
    """The reason, in the reader's words (a case status is named as the status list names it)."""
    params = {k: turn.t(f"status.{v}") if k == "status" else v for k, v in refusal.params.items()}
    turn.say(turn.t(refusal.key, **params))


async def allowed(turn: Turn, call: Awaitable[T]) -> T | None:
    """What the service call gives, or None after saying its refusal (for calls that never give None)."""
    try:
        return await call
    except Refused as refusal:
        say_refusal(turn, refusal)
        return None


def free_text(turn: Turn) -> str | None:
    """The typed text of this message, or None for a photo, a button, a command."""
    if turn.inbound.kind is not InboundKind.TEXT or turn.inbound.command:
        return None
    return turn.inbound.text.strip() or None


def typed_text(turn: Turn, ask: str = N_("officials.text_please")) -> str | None:
    """The typed text of this message, or None after asking (`ask`, a catalogue key) for one."""
    text = free_text(turn)
    if text is None:
        turn.say(turn.t(ask))
    return text


def case_in_hand(turn: Turn) -> int:
    return int(turn.state.data.get(CASE, 0))


def done(turn: Turn) -> None:
    """The flow is over: the official's chat goes back to idle (cards and /queue drive what comes next)."""
    turn.finish()
