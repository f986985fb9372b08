"""Record a case for a citizen who came in person or called: the same intake, the contact kept as given."""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice
from bot.domain.authz import Refused
from bot.domain.cases import CaseKind
from bot.services.intake import Draft
from handlers.base import Turn
from handlers.officials.common import done, free_text, say_refusal

SOURCES = ("walk_in", "phone")


class RecordFlow:
    name: ClassVar[str] = "official_record"
    states: ClassVar[tuple[str, ...]] = ("source", "kind", "category", "ward", "text", "contact", "confirm")

    async def begin(self, turn: Turn) -> None:
        seat = await turn.services.officials.seat(turn.actor.official_id)
        if seat is None or seat.role not in ("officer", "head"):
            turn.say(turn.t("officials.record.not_allowed"))
            return
        turn.goto(self.name, "source")
        self._ask(turn)

    def _ask(self, turn: Turn) -> None:
        """The question of the current step."""
        step, t, org, lang = turn.state.step, turn.t, turn.services.org, turn.state.language
        if step == "source":
            turn.say(t("officials.record.ask_source"), [Choice(s, t(f"officials.source.{s}")) for s in SOURCES])
        elif step == "kind":
            turn.say(t("officials.record.ask_kind"), [Choice(k.value, t(f"kind.{k.value}")) for k in CaseKind])
        elif step == "category":
            turn.say(t("officials.record.ask_category"),
                     [Choice(c.code, c.name(lang)) for c in org.active_categories()])
        elif step == "ward":
            turn.say(t("officials.record.ask_ward"), [Choice(a.code, a.name) for a in org.wards()])
        elif step == "text":
            turn.say(t("officials.record.ask_text"))
        elif step == "contact":
            turn.say(t("officials.record.ask_contact"), [Choice("none", t("officials.record.no_contact"))])
        else:
            data = turn.state.data
            turn.say(t("officials.record.summary", source=t(f"officials.source.{data['source']}"),
                       kind=t(f"kind.{data['kind']}"), category=org.categories[data["category"]].name(lang),
                       ward=org.areas[data["ward"]].name, text=data["text"],
                       contact=data.get("contact") or t("common.none")),
                     [Choice("send", t("officials.record.send")), Choice("cancel", t("officials.record.cancel"))])

    def _next(self, turn: Turn, field: str, value: str) -> None:
        turn.state.data[field] = value
        order = self.states
        turn.goto(self.name, order[order.index(field) + 1])
        self._ask(turn)

    async def handle(self, turn: Turn) -> None:
        step, org = turn.state.step or "source", turn.services.org
        choice = turn.choice
        if step == "source" and choice in SOURCES:
            self._next(turn, "source", choice)
        elif step == "kind" and choice in {k.value for k in CaseKind}:
            self._next(turn, "kind", choice)
        elif step == "category" and choice in org.categories:
            self._next(turn, "category", choice)
        elif step == "ward" and choice in org.areas:
            self._next(turn, "ward", choice)
        elif step == "text" and free_text(turn):
            self._next(turn, "text", free_text(turn) or "")
        elif step == "contact" and (choice == "none" or free_text(turn)):
            self._next(turn, "contact", "" if choice == "none" else free_text(turn) or "")
        elif step == "confirm" and choice == "send":
            await self._submit(turn)
        elif step == "confirm" and choice == "cancel":
            done(turn)
            turn.say(turn.t("common.cancelled"))
        else:
            turn.say(turn.t("officials.text_please" if step in ("text", "contact") else "common.choose_from_list"))
            self._ask(turn)

    async def _submit(self, turn: Turn) -> None:
        data = turn.state.data
        draft = Draft(kind=CaseKind(data["kind"]), text=data["text"], category=data["category"], area=data["ward"],
                      language=turn.state.language, source=data["source"])
        try:
            receipt = await turn.services.case_actions.record(turn.actor.official_id, draft, data.get("contact"))
        except Refused as refusal:
            say_refusal(turn, refusal)
            if refusal.key.startswith("officials.refused.too_"):
                turn.goto(self.name, "text")
                self._ask(turn)
                return
            done(turn)
            return
        done(turn)
        turn.say(turn.t("officials.record.done", code=receipt.code, pin=receipt.pin,
                        unit=receipt.unit.name(turn.state.language),
                        due=turn.t.due(receipt.due_at, turn.services.app.tz)), secrets=(receipt.pin,))
