"""An overseer sends a recommendation (kiến nghị) to a unit of their area; the unit's head is told and has a
deadline to answer (`/recommend`)."""

from __future__ import annotations

from bot.domain.authz import Refused
from bot.domain.work import day_text
from handlers.base import DeclaredFlow, Turn
from handlers.leaders.common import typed
from handlers.officials.common import done, say_refusal

UNIT = "unit"


class RecommendFlow(DeclaredFlow, name="recommend", states=("unit", "text")):
    async def begin(self, turn: Turn) -> None:
        try:
            await turn.services.oversight.overseer(turn.actor.official_id)
            units = turn.services.oversight.area_units()
        except Refused as refusal:
            say_refusal(turn, refusal)
            return
        done(turn)
        turn.goto(self.name, "unit")
        turn.say(turn.t("oversight.ask_unit", codes=", ".join(u.code for u in units)))

    async def handle(self, turn: Turn) -> None:
        if turn.state.step == "unit":
            code = (turn.text or "").strip().upper()
            if code not in {u.code for u in turn.services.oversight.area_units()}:
                turn.say(turn.t("oversight.refused.no_unit", unit=code[:32]))
                return
            turn.state.data[UNIT] = code
            turn.state.step = "text"
            turn.say(turn.t("oversight.ask_text"))
            return
        text = typed(turn, 2000)
        if not text:
            if text == "":
                turn.say(turn.t("oversight.ask_text"))
            return
        try:
            rec = await turn.services.oversight.recommend(turn.actor.official_id, str(turn.state.data.get(UNIT)),
                                                          text)
        except Refused as refusal:
            say_refusal(turn, refusal)
            done(turn)
            return
        done(turn)
        turn.say(turn.t("oversight.sent", code=rec.code, due=day_text(rec.due)))
