"""Pieces the leaders' flows share."""

from __future__ import annotations

from bot.channels.model import Choice
from bot.domain.work import Missing
from handlers.base import OFFERED, Turn
from handlers.officials.common import free_text

SKIP = "-"  # typed for "not known yet": the 5 rõ check at submission then names what is missing
MAX_LINE = 255
MAX_TEXT = 1000


def typed(turn: Turn, limit: int = MAX_TEXT) -> str | None:
    """Typed text within limits, "" for the skip mark, None (and said why) otherwise."""
    text = free_text(turn)
    if text is None:
        turn.say(turn.t("officials.text_please"))
        return None
    if text == SKIP:
        return ""
    if len(text) > limit:
        turn.say(turn.t("work.too_long", limit=limit))
        return None
    return text


def missing_words(turn: Turn, missing: list[Missing] | list[str]) -> str:
    return ", ".join(turn.t(f"work.missing.{Missing(m).value}") for m in missing)


def choose_again(turn: Turn) -> None:
    """Not one of the offered choices: say so, with the same choices again (a reply without them would
    leave nothing to choose from)."""
    offered = [Choice(k, label) for k, label in turn.state.data.get(OFFERED) or []]
    turn.say(turn.t("common.choose_from_list"), offered)
