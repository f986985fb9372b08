"""The official's desk: the menu, `/queue` a page at a time, one case with its history, the language.

Cases are opened from a card, from the queue or with `/case CODE`; what can be done to a case is offered as
choices whose keys name the case (`acc:123`), handled wherever the official is (see handlers/officials).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from bot.channels.model import Choice
from bot.domain.action_keys import Verb, key
from bot.domain.authz import ANNOUNCER_ROLES, Refused, may_see_queue
from bot.i18n import LANGUAGES
from bot.services.case_views import OfficialCaseView
from bot.services.notices import action_choices
from handlers.base import Turn
from handlers.officials.common import allowed, say_refusal

MENU_ITEMS = ("queue", "record", "invite", "dialogue", "announce", "lang", "help")


class DeskFlow:
    name: ClassVar[str] = "official_desk"
    states: ClassVar[tuple[str, ...]] = ("menu", "queue", "language")

    def __init__(self) -> None:
        self.targets: dict[str, Callable[[Turn], Awaitable[None]]] = {}  # menu item -> the flow it starts

    async def begin(self, turn: Turn) -> None:
        await self.show_menu(turn)

    async def handle(self, turn: Turn) -> None:
        step = turn.state.step
        if step == "queue" and turn.choice in ("next", "prev"):
            page = int(turn.state.data.get("page", 0)) + (1 if turn.choice == "next" else -1)
            await self.show_queue(turn, page)
        elif step == "language" and turn.choice in LANGUAGES:
            turn.state.language = turn.choice
            turn.say(turn.t("language.changed"))
            await self.show_menu(turn)
        elif turn.choice == "queue":
            await self.show_queue(turn, 0)
        elif turn.choice in self.targets:
            await self.targets[turn.choice](turn)
        elif turn.choice == "lang":
            self.ask_language(turn)
        elif turn.choice == "help":
            await self.show_help(turn)
        elif turn.choice == "menu":
            await self.show_menu(turn)
        else:
            turn.say(turn.t("officials.menu.not_understood"))
            await self.show_menu(turn)

    # --- what the desk shows --------------------------------------------------------------------------------

    async def show_menu(self, turn: Turn) -> None:
        official = await turn.services.officials.get(turn.actor.official_id or 0)
        seat = await turn.services.officials.seat(turn.actor.official_id)
        items = ["queue"] if may_see_queue(seat) else []  # overseers and admins see no case
        if seat is not None and seat.role in ("officer", "head"):
            items.append("record")
        if seat is not None and seat.role == "admin":
            items.append("invite")
        if seat is not None and seat.role in ANNOUNCER_ROLES:  # dialogue sessions and notices, in the unit's name
            items += ["dialogue", "announce"]
        items += ["lang", "help"]
        turn.goto(self.name, "menu")
        name = official.name if official else ""
        turn.say(turn.t("officials.menu.prompt", name=name),
                 [Choice(item, turn.t(f"officials.menu.{item}")) for item in items])

    async def show_help(self, turn: Turn) -> None:
        text = turn.t("officials.help")
        if await turn.services.dialogues.is_office(turn.actor.official_id):  # heads, leaders, their office
            text += "\n\n" + turn.t("dialogue.office.help")
        turn.say(text)
        await self.show_menu(turn)

    def ask_language(self, turn: Turn) -> None:
        turn.goto(self.name, "language")
        turn.say(turn.t("language.prompt"),
                 [Choice(code, turn.services.translator(code)("language.name")) for code in LANGUAGES])

    async def show_queue(self, turn: Turn, page: int) -> None:
        queue = await allowed(turn, turn.services.case_actions.queue(turn.actor.official_id, page))
        if queue is None:
            await self.show_menu(turn)
            return
        turn.goto(self.name, "queue")
        turn.state.data["page"] = queue.page
        if not queue.lines:
            turn.say(turn.t("officials.queue.empty"), [Choice("menu", turn.t("officials.menu.back"))])
            return
        tz = turn.services.app.tz
        lines = [
            turn.t("officials.queue.line", code=c.code, kind=turn.t(f"kind.{c.kind}"),
                   status=turn.t(f"status.{c.status}"), unit=c.unit,
                   due=turn.t.due(c.due_at, tz) if c.due_at else turn.t("common.none"),
                   assignee=c.assignee or turn.t("officials.queue.nobody"))
            for c in queue.lines
        ]
        choices = [Choice(key(Verb.VIEW, c.case_id), c.code) for c in queue.lines]
        if queue.page > 0:
            choices.append(Choice("prev", turn.t("officials.queue.prev")))
        if queue.page + 1 < queue.pages:
            choices.append(Choice("next", turn.t("officials.queue.next")))
        choices.append(Choice("menu", turn.t("officials.menu.back")))
        header = turn.t("officials.queue.header", page=queue.page + 1, pages=queue.pages, total=queue.total)
        turn.say(header + "\n\n" + "\n\n".join(lines), choices)

    async def show_case(self, turn: Turn, code: str) -> None:
        try:
            view = await turn.services.case_actions.view(turn.actor.official_id, code, turn.t)
        except Refused as refusal:
            say_refusal(turn, refusal)
            return
        say_case(turn, view)


def say_case(turn: Turn, view: OfficialCaseView) -> None:
    """The card, who holds it, the counts, the whole history with actor and time, and what can be done."""
    t, tz = turn.t, turn.services.app.tz
    parts = [view.card, t("officials.view.state", status=t(f"status.{view.status}"),
                          assignee=view.assignee or t("officials.queue.nobody"))]
    if view.extended and view.original_due_at is not None:
        parts.append(t("officials.view.extended", due=t.due(view.original_due_at, tz)))
    if view.transfer_count or view.reopen_count:
        parts.append(t("officials.view.counts", transfers=view.transfer_count, reopens=view.reopen_count))
    history = []
    for entry in view.history:
        actor = entry.actor_name if entry.actor == "official" and entry.actor_name else t(
            f"officials.actor.{entry.actor}")
        line = t("officials.view.history_line", at=t.moment(entry.at, tz), action=t(f"event.{entry.action}"),
                 actor=actor)
        if entry.note:
            line += "\n" + t("officials.view.history_note", note=entry.note)
        history.append(line)
    text = "\n".join(parts) + "\n\n" + t("officials.view.history") + "\n" + "\n".join(history)
    # The photos as on the card: thumbnails on the web chat, an album on Telegram, links on Zalo.
    turn.say(text, action_choices(t, view.case_id, view.actions), attachment_ids=view.media)
