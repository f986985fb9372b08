"""Pieces every flow uses: the menu, help for the current step, cancel."""

from __future__ import annotations

from dataclasses import replace

from bot.channels.model import Choice
from handlers.base import OFFERED, Turn

MENU = "menu"
MENU_ITEMS = ("report", "my", "lang", "help")


def menu_choices(turn: Turn) -> list[Choice]:
    return [Choice(key, turn.t(f"menu.{key}")) for key in MENU_ITEMS]


def offer_next_steps(turn: Turn) -> None:
    """No dead ends: a citizen's idle chat whose last message offers nothing gets the menu's choices on it."""
    if (turn.actor.official_id is not None or turn.actor.citizen_id is None or not turn.actor.consented
            or turn.state.flow not in (None, MENU) or not turn.replies):
        return
    last = turn.replies[-1]
    if last.choices or last.request or any(r.choices for r in turn.replies):
        return
    choices = menu_choices(turn)
    turn.goto(MENU, "choose")
    turn.replies[-1] = replace(last, choices=tuple(choices))
    turn.state.data[OFFERED] = [[c.key, c.label] for c in choices]


async def show_menu(turn: Turn) -> None:
    turn.goto(MENU, "choose")
    turn.say(turn.t("menu.prompt"), menu_choices(turn))


def citizens_only(turn: Turn, refusal: str) -> bool:
    """True when a citizen writes; anyone else is told `refusal` (a catalogue key) and nothing opens."""
    if turn.actor.citizen_id is None:
        turn.say(turn.t(refusal))
        return False
    return True


async def citizen_or_menu(turn: Turn) -> int | None:
    """The citizen a citizen's flow is talking to; None when it meets someone who is no citizen (now): the
    flow then ends and the menu shows."""
    if turn.actor.citizen_id is not None:
        return turn.actor.citizen_id
    turn.finish()
    await show_menu(turn)
    return None


async def help_for(turn: Turn) -> None:
    """Help for where the citizen is, then the same question again, so nothing is lost."""
    flow, step = turn.state.flow, turn.state.step
    key = f"help.{flow}.{step}" if flow and step else "help.general"
    text = turn.t(key)
    if text == key:
        text = turn.t("help.general")
    offered = turn.state.data.get("_offered") or []
    turn.say(text, [Choice(k, label) for k, label in offered])


async def cancel(turn: Turn) -> None:
    had_flow = turn.state.flow not in (None, MENU)
    turn.finish()
    turn.say(turn.t("common.cancelled" if had_flow else "common.nothing_to_cancel"))
    await show_menu(turn)
