"""A milestone's new date, asked once with a reason; the standing committee decides (`/redate CODE`)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from bot.channels.model import Choice
from bot.domain.authz import Refused
from bot.domain.work import day_text
from handlers.base import Turn
from handlers.leaders.common import choose_again, typed
from handlers.officials.common import done, say_refusal

CODE = "code"


def parse_date(text: str) -> date | None:
    parts = text.replace(".", "/").replace("-", "/").split("/")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None


class RedateFlow:
    name: ClassVar[str] = "task_redate"
    states: ClassVar[tuple[str, ...]] = ("milestone", "date", "reason")

    async def begin(self, turn: Turn) -> None:
        code = (turn.inbound.argument or "").strip()
        if not code or len(code) > 32:
            turn.say(turn.t("work.redate.usage"))
            return
        try:
            item = await turn.services.work.tracked(turn.actor.official_id, code)
            milestones = [m for m in await turn.services.work.milestones(item.id) if m.done_at is None]
        except Refused as refusal:
            say_refusal(turn, refusal)
            return
        if not milestones:
            turn.say(turn.t("work.refused.no_milestone"))
            return
        done(turn)
        turn.goto(self.name, "milestone")
        turn.state.data[CODE] = item.code
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
