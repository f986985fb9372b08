"""Pieces the leaders' flows share."""

from __future__ import annotations

from typing import Any

from bot.channels.model import Choice
from bot.domain.work import Missing, day_text, parse_milestone
from handlers.base import OFFERED, Turn
from handlers.officials.common import allowed, done, typed_text

CODE = "code"  # the state key of the task or programme item a flow is about
SKIP = "-"  # typed for "not known yet": the 5 rõ check at submission then names what is missing
MAX_LINE = 255
MAX_TEXT = 1000


def typed(turn: Turn, limit: int = MAX_TEXT) -> str | None:
    """Typed text within limits, "" for the skip mark, None (and said why) otherwise."""
    text = typed_text(turn)
    if text is None:
        return None
    if text == SKIP:
        return ""
    if len(text) > limit:
        turn.say(turn.t("work.too_long", limit=limit))
        return None
    return text


async def tracked_item(turn: Turn, usage: str) -> Any | None:
    """The task or programme item the command names (`/close CODE`), or None after saying the usage (`usage`,
    a catalogue key) or the refusal."""
    code = (turn.inbound.argument or "").strip()
    if not code or len(code) > 32:
        turn.say(turn.t(usage))
        return None
    return await allowed(turn, turn.services.work.tracked(turn.actor.official_id, code))


def open_on_item(turn: Turn, flow: str, step: str, item: Any) -> None:
    """Whatever was open gives way: the flow starts at `step` on this item."""
    done(turn)
    turn.goto(flow, step)
    turn.state.data[CODE] = item.code


async def open_tracked(turn: Turn, flow: str, step: str, usage: str) -> Any | None:
    """The item the command names, with the flow open on it at `step`; None (and said why) when refused."""
    item = await tracked_item(turn, usage)
    if item is not None:
        open_on_item(turn, flow, step, item)
    return item


def milestones_done(turn: Turn) -> list[Choice]:
    return [Choice("done", turn.t("work.register.milestones_done"))]


def take_milestone(turn: Turn, milestones: list[Any]) -> bool:
    """At a milestones step: False when the official is done with them; otherwise True, and the typed
    milestone ("30/06 survey done") is added to `milestones` as (ISO date, title) and noted back, or a bad line
    is said."""
    if turn.choice == "done":
        return False
    text = typed(turn, MAX_LINE)
    line = None if text is None else parse_milestone(text, turn.now.astimezone(turn.services.app.tz).year)
    if line is not None:
        milestones.append((line.due.isoformat(), line.title))
        turn.say(turn.t("work.register.milestone_noted", number=len(milestones), due=day_text(line.due),
                        title=line.title), milestones_done(turn))
    elif text is not None:
        turn.say(turn.t("work.register.bad_milestone"), milestones_done(turn))
    return True


def missing_words(turn: Turn, missing: list[Missing] | list[str]) -> str:
    return ", ".join(turn.t(f"work.missing.{Missing(m).value}") for m in missing)


def choose_again(turn: Turn) -> None:
    """Not one of the offered choices: say so, with the same choices again (a reply without them would
    leave nothing to choose from)."""
    offered = [Choice(k, label) for k, label in turn.state.data.get(OFFERED) or []]
    turn.say(turn.t("common.choose_from_list"), offered)
