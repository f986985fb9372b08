"""The office records a programme (chương trình/đề án) item by item, each with its 5 rõ: what (title), the
measurable result, dated milestones, the unit that carries it out, the responsible leader, the resources
(`/programme`). An item missing a "rõ" is not taken: the bot says which and asks for it again."""

from __future__ import annotations

from typing import Any

from bot.channels.model import Choice
from bot.domain.authz import Refused
from bot.domain.work import is_measurable
from handlers.base import DeclaredFlow, Turn
from handlers.leaders.common import (
    MAX_LINE,
    choose_again,
    milestones_done,
    missing_words,
    take_milestone,
    typed,
)
from handlers.officials.common import done, say_refusal

ITEMS = "items"
ITEM = "item"
FIXING = "fixing"


class ProgrammeFlow(DeclaredFlow, name="programme",
                    states=("title", "item_title", "item_result", "item_milestones", "item_unit", "item_leader",
                            "item_resources", "more")):

    async def begin(self, turn: Turn) -> None:
        try:
            await turn.services.work.can_record_programme(turn.actor.official_id)
        except Refused as refusal:
            say_refusal(turn, refusal)
            return
        done(turn)
        turn.goto(self.name, "title")
        turn.state.data[ITEMS] = []
        turn.say(turn.t("work.programme.ask_title"))

    def _item(self, turn: Turn) -> dict[str, Any]:
        item: dict[str, Any] = turn.state.data.setdefault(ITEM, {"milestones": []})
        return item

    async def handle(self, turn: Turn) -> None:
        step = turn.state.step
        if step == "more":
            await self._more(turn)
            return
        if step == "item_milestones":
            self._milestone(turn)
            return
        if step == "item_leader":
            await self._leader(turn)
            return
        text = typed(turn, MAX_LINE if step in ("title", "item_title", "item_unit") else 1000)
        if text is None:
            return
        item = self._item(turn)
        if step == "title":
            if len(text) < 3:
                turn.say(turn.t("work.register.title_short"))
                return
            turn.state.data["title"] = text
            self._start_item(turn)
        elif step == "item_title":
            if len(text) < 3:
                turn.say(turn.t("work.register.title_short"))
                return
            item["title"] = text
            self._ask(turn, "item_result")
        elif step == "item_result":
            item["result"] = text
            self._after(turn, "item_milestones")
        elif step == "item_unit":
            if text.upper() not in turn.services.org.units:
                turn.say(turn.t("work.register.no_unit", unit=text[:32]))
                return
            item["unit"] = text.upper()
            await self._ask_leader(turn)
        else:
            item["resources"] = text
            self._check(turn)

    def _start_item(self, turn: Turn) -> None:
        turn.state.data[ITEM] = {"milestones": []}
        turn.state.data[FIXING] = False
        turn.state.step = "item_title"
        turn.say(turn.t("work.programme.ask_item", number=len(turn.state.data.get(ITEMS) or []) + 1))

    def _ask(self, turn: Turn, step: str) -> None:
        turn.state.step = step
        if step == "item_milestones":
            turn.say(turn.t("work.register.ask_milestones"), milestones_done(turn))
        elif step == "item_unit":
            turn.say(turn.t("work.register.ask_unit", codes=", ".join(sorted(turn.services.org.units))))
        else:
            turn.say(turn.t(f"work.programme.ask_{step}"))

    def _after(self, turn: Turn, following: str) -> None:
        if turn.state.data.get(FIXING):
            self._check(turn)
        else:
            self._ask(turn, following)

    def _milestone(self, turn: Turn) -> None:
        if not take_milestone(turn, self._item(turn)["milestones"]):
            self._after(turn, "item_unit")

    async def _ask_leader(self, turn: Turn) -> None:
        leaders = await turn.services.work.leaders()
        turn.state.step = "item_leader"
        turn.say(turn.t("work.programme.ask_item_leader"), [Choice(f"o{o.id}", o.name) for o in leaders])

    async def _leader(self, turn: Turn) -> None:
        choice = turn.choice or ""
        if not choice.startswith("o") or not choice[1:].isdigit():
            choose_again(turn)
            return
        self._item(turn)["leader"] = int(choice[1:])
        self._after(turn, "item_resources")

    def _check(self, turn: Turn) -> None:
        """The item's 5 rõ: a missing one is asked again, then the check runs again."""
        item = self._item(turn)
        if not is_measurable(item.get("result")):
            turn.state.data[FIXING] = True
            turn.say(turn.t("work.register.missing", items=missing_words(turn, ["result"])))
            self._ask(turn, "item_result")
            return
        if not item.get("milestones"):
            turn.state.data[FIXING] = True
            turn.say(turn.t("work.register.missing", items=missing_words(turn, ["milestones"])))
            self._ask(turn, "item_milestones")
            return
        items = turn.state.data.setdefault(ITEMS, [])
        items.append(item)
        turn.state.data.pop(ITEM, None)
        turn.state.step = "more"
        turn.say(turn.t("work.programme.item_noted", number=len(items), title=item["title"]),
                 [Choice("add", turn.t("work.programme.add")), Choice("finish", turn.t("work.programme.finish")),
                  Choice("cancel", turn.t("work.register.cancel"))])

    async def _more(self, turn: Turn) -> None:
        if turn.choice == "add":
            self._start_item(turn)
        elif turn.choice == "cancel":
            done(turn)
            turn.say(turn.t("common.cancelled"))
        elif turn.choice == "finish":
            data = turn.state.data
            try:
                programme = await turn.services.work.record_programme(
                    turn.actor.official_id, str(data.get("title", "")), list(data.get(ITEMS) or []))
            except Refused as refusal:
                say_refusal(turn, refusal)
                return
            done(turn)
            turn.say(turn.t("work.programme.recorded", code=programme.code, title=programme.title,
                            count=len(data.get(ITEMS) or [])))
        else:
            choose_again(turn)
