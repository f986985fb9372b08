"""Submit a report: category -> ward -> description -> confirm -> tracking code and due date.

The next issue grows this into intake from whatever the citizen sends first; the states stay declared here
and drawn in report.mmd.
"""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice, InboundKind
from bot.domain.cases import MAX_DESCRIPTION, MIN_DESCRIPTION, CaseKind
from bot.services.intake import Draft
from handlers.base import Turn
from handlers.common import show_menu


class ReportFlow:
    name: ClassVar[str] = "report"
    states: ClassVar[tuple[str, ...]] = ("category", "ward", "text", "confirm")

    async def begin(self, turn: Turn) -> None:
        turn.goto(self.name, "category")
        self._ask_category(turn)

    async def handle(self, turn: Turn) -> None:
        step = turn.state.step
        if turn.stale_choice:
            turn.say(turn.t("common.stale_choice"))
        if step == "category":
            await self._on_category(turn)
        elif step == "ward":
            await self._on_ward(turn)
        elif step == "text":
            await self._on_text(turn)
        elif step == "confirm":
            await self._on_confirm(turn)
        else:
            await self.begin(turn)

    # --- questions -----------------------------------------------------------------------------------------

    def _ask_category(self, turn: Turn) -> None:
        lang = turn.state.language
        choices = [Choice(c.code, c.name(lang)) for c in turn.services.org.active_categories()]
        turn.say(turn.t("report.ask_category"), choices)

    def _ask_ward(self, turn: Turn) -> None:
        choices = [Choice(a.code, a.name) for a in turn.services.org.wards()]
        turn.say(turn.t("report.ask_ward"), choices)

    def _ask_text(self, turn: Turn) -> None:
        turn.say(turn.t("report.ask_text"))

    def _ask_confirm(self, turn: Turn) -> None:
        org, data, lang = turn.services.org, turn.state.data, turn.state.language
        turn.say(
            turn.t(
                "report.summary",
                category=org.categories[data["category"]].name(lang),
                ward=org.areas[data["ward"]].name,
                text=data["text"],
            ),
            [Choice("send", turn.t("report.send")), Choice("change", turn.t("report.change")),
             Choice("cancel", turn.t("report.discard"))],
        )

    # --- answers -------------------------------------------------------------------------------------------

    async def _on_category(self, turn: Turn) -> None:
        if turn.choice in turn.services.org.categories:
            turn.state.data["category"] = turn.choice
            turn.goto(self.name, "ward")
            self._ask_ward(turn)
        else:
            turn.say(turn.t("common.choose_from_list"))
            self._ask_category(turn)

    async def _on_ward(self, turn: Turn) -> None:
        if turn.choice in turn.services.org.areas:
            turn.state.data["ward"] = turn.choice
            turn.goto(self.name, "text")
            self._ask_text(turn)
        else:
            turn.say(turn.t("common.choose_from_list"))
            self._ask_ward(turn)

    async def _on_text(self, turn: Turn) -> None:
        text = turn.text
        if turn.inbound.kind is not InboundKind.TEXT:
            turn.say(turn.t("report.text_only"))
        elif len(text) > MAX_DESCRIPTION:
            turn.say(turn.t("report.too_long", limit=MAX_DESCRIPTION, length=len(text)))
        elif len(text) < MIN_DESCRIPTION:
            turn.say(turn.t("report.too_short"))
        else:
            turn.state.data["text"] = text
            turn.goto(self.name, "confirm")
            self._ask_confirm(turn)

    async def _on_confirm(self, turn: Turn) -> None:
        if turn.choice == "send":
            await self._submit(turn)
        elif turn.choice == "change":
            turn.goto(self.name, "category")
            self._ask_category(turn)
        elif turn.choice == "cancel":
            turn.finish()
            turn.say(turn.t("common.cancelled"))
            await show_menu(turn)
        else:
            turn.say(turn.t("common.choose_from_list"))
            self._ask_confirm(turn)

    async def _submit(self, turn: Turn) -> None:
        data = turn.state.data
        receipt = await turn.services.intake.submit(
            Draft(kind=CaseKind.REPORT, text=data["text"], category=data["category"], area=data["ward"],
                  language=turn.state.language),
            citizen_id=turn.actor.citizen_id, identity_id=turn.actor.identity_id,
        )
        turn.finish()
        turn.say(turn.t(
            "report.received", code=receipt.code, pin=receipt.pin, unit=receipt.unit.name(turn.state.language),
            due=turn.t.due(receipt.due_at, turn.services.app.tz),
        ))
        await show_menu(turn)
