"""A milestone's new date, asked once with a reason; the standing committee decides (`/redate CODE`)."""

from __future__ import annotations

from datetime import date

from bot.channels.model import Choice
from bot.domain.authz import Refused
from bot.domain.work import day_text
from bot.i18n import N_
from handlers.base import DeclaredFlow, Turn
from handlers.leaders.common import CODE, choose_again, open_on_item, tracked_item, typed
from handlers.officials.common import allowed, done, say_refusal


def parse_date(text: str) -> date | None:
    parts = text.replace(".", "/").replace("-", "/").split("/")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None


class RedateFlow(DeclaredFlow, name="task_redate", states=("milestone", "date", "reason")):
    async def begin(self, turn: Turn) -> None:
        item = await tracked_item(turn, N_("work.redate.usage"))
        if item is None:
            return
        every = await allowed(turn, turn.services.work.milestones(item.id))
        if every is None:
            return
        milestones = [m for m in every if m.done_at is None]
        if not milestones:
            turn.say(turn.t("work.refused.no_milestone"))
            return
        open_on_item(turn, self.name, "milestone", item)
        turn.say(turn.t("work.redate.pick", code=item.code or ""),
                 [Choice(f"m{m.position}", turn.t("work.milestone_line", number=m.position,
                                                  due=day_text(m.due), title=m.title)) for m in milestones])

    async def handle(self, turn: Turn) -> None:
        step = turn.state.step
        if step == "milestone":
            choice = turn.choice or ""
            if not choice.startswith("m") or not choice[1:].isdigit():
                choose_again(turn)
                return
            turn.state.data["position"] = int(choice[1:])
            turn.state.step = "date"
            turn.say(turn.t("work.redate.ask_date"))
        elif step == "date":
            new = parse_date(turn.text or "")
            if new is None:
                turn.say(turn.t("work.redate.bad_date"))
                return
            turn.state.data["new_due"] = new.isoformat()
            turn.state.step = "reason"
            turn.say(turn.t("work.redate.ask_reason"))
        else:
            reason = typed(turn)
            if not reason:
                if reason == "":
                    turn.say(turn.t("work.refused.reason_needed"))
                return
            data = turn.state.data
            try:
                await turn.services.work.ask_redate(turn.actor.official_id, str(data.get(CODE, "")),
                                                    int(data.get("position", 0)),
                                                    date.fromisoformat(str(data.get("new_due"))), reason)
            except Refused as refusal:
                say_refusal(turn, refusal)
                done(turn)
                return
            done(turn)
            turn.say(turn.t("work.redate.sent", code=str(data.get(CODE, ""))))
