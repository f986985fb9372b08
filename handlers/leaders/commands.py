"""Leaders' work from any channel, one message each: /tasks, /task CODE, /done CODE N, /fix N,
/oversight [YYYY-MM], /respond CODE answer."""

from __future__ import annotations

from datetime import date

from bot.domain.authz import Refused
from bot.domain.work import day_text, month_label
from bot.services.work_summary import monthly, year_end
from handlers.base import Turn
from handlers.officials.common import allowed, done, say_refusal

MAX_ARGUMENT = 2000


def _words(turn: Turn) -> list[str]:
    return (turn.inbound.argument or "")[:MAX_ARGUMENT].split()


async def list_tasks(turn: Turn) -> None:
    done(turn)
    try:
        items = await turn.services.work.tasks_of(turn.actor.official_id)
    except Refused as refusal:
        say_refusal(turn, refusal)
        return
    if not items:
        turn.say(turn.t("work.tasks.none"))
        return
    t, lines = turn.t, [turn.t("work.tasks.title", count=len(items))]
    for item in items:
        standing = await turn.services.work.standing(item)
        state = t(f"work.standing.{standing.value}") if item.status in ("approved", "done", "not_done") \
            else t(f"work.status.{item.status}")
        lines.append(t("work.tasks.line", code=item.code or f"#{item.id}", title=item.title, state=state,
                       percent=item.percent))
    turn.say("\n".join(lines))


async def show_task(turn: Turn) -> None:
    words = _words(turn)
    if len(words) != 1:
        turn.say(turn.t("work.task.usage"))
        return
    done(turn)
    work, t = turn.services.work, turn.t
    try:
        item = await work.by_code(turn.actor.official_id, words[0])
    except Refused as refusal:
        say_refusal(turn, refusal)
        return
    unit = turn.services.org.units_by_id.get(item.unit_id or -1)
    standing = await work.standing(item)
    lines = [t("work.task.card", code=item.code or "", title=item.title, result=item.expected_result or "",
               unit=unit.name(t.language) if unit else t("common.none"), percent=item.percent,
               state=t(f"work.standing.{standing.value}"))]
    for m in await work.milestones(item.id):
        mark = t("work.task.milestone_done") if m.done_at else (
            t("work.task.milestone_late") if m.due < work.today() else "")
        lines.append(t("work.milestone_line", number=m.position, due=day_text(m.due), title=m.title) + mark)
    if item.closed_reason:
        lines.append(t("work.task.reason", reason=item.closed_reason))
    turn.say("\n".join(lines))


async def milestone_done(turn: Turn) -> None:
    words = _words(turn)
    if len(words) != 2 or not words[1].isdigit():
        turn.say(turn.t("work.done.usage"))
        return
    work, official = turn.services.work, turn.actor.official_id
    milestone = await allowed(turn, work.milestone_done(official, words[0], int(words[1])))
    if milestone is not None:
        turn.say(turn.t("work.done.noted", title=milestone.title))


async def oversight(turn: Turn) -> None:
    words = _words(turn)
    today = turn.services.work.today()
    year, number = (today.year - (today.month == 1), (today.month - 2) % 12 + 1)  # the month just ended
    if words:
        parts = words[0].split("-")
        if len(parts) != 2 or not all(p.isdigit() for p in parts) or not 1 <= int(parts[1]) <= 12:
            turn.say(turn.t("oversight.usage"))
            return
        year, number = int(parts[0]), int(parts[1])
    done(turn)
    try:
        text = await turn.services.oversight.view(turn.actor.official_id, year, number, turn.t)
    except Refused as refusal:
        say_refusal(turn, refusal)
        return
    turn.say(text)


async def respond(turn: Turn) -> None:
    words = _words(turn)
    if len(words) < 2:
        turn.say(turn.t("oversight.respond_usage"))
        return
    code, answer = words[0], (turn.inbound.argument or "").strip()[len(words[0]):].strip()
    rec = await allowed(turn, turn.services.oversight.respond(turn.actor.official_id, code, answer))
    if rec is not None:
        turn.say(turn.t("oversight.responded", code=rec.code))


async def summary(turn: Turn) -> None:
    """The committee's summary on demand: /summary (the month just ended), /summary 2026-03, /summary 2026."""
    words = _words(turn)
    work = turn.services.work
    try:
        await work.official(turn.actor.official_id, "committee", "leader")
    except Refused as refusal:
        say_refusal(turn, refusal)
        return
    today = work.today()
    wanted = words[0] if words else month_label(date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1))
    parts = wanted.split("-")
    if len(words) > 1 or not all(p.isdigit() for p in parts) or len(parts) > 2 or (
            len(parts) == 2 and not 1 <= int(parts[1]) <= 12):
        turn.say(turn.t("work.summary.usage"))
        return
    done(turn)
    if len(parts) == 1:
        turn.say(await year_end(turn.services, turn.t, int(parts[0])))
    else:
        turn.say(await monthly(turn.services, turn.t, f"{int(parts[0]):04d}-{int(parts[1]):02d}", today))
