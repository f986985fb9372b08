"""/dialogue: the leaders' coming dialogue sessions; a question in advance, or support for someone else's.

A question that is nearly the same as one already asked (compared without accents) is offered to be joined:
supporting it counts once and brings its answer, instead of a repeat.
"""

from __future__ import annotations

from bot.channels.model import Choice, InboundKind
from bot.domain.authz import Refused
from bot.i18n import N_
from handlers.base import DeclaredFlow, Turn
from handlers.common import citizen_or_menu, citizens_only, show_menu

SESSION = "session:"
QUESTION = "q:"
PHOTO = "photo"  # the attachment sent with the question being written
LABEL = 60  # a question's label in a list of choices


def _label(text: str, supports: int) -> str:
    short = text if len(text) <= LABEL else text[:LABEL - 1] + "…"
    return f"{short} (+{supports})"


class DialogueFlow(DeclaredFlow, name="dialogue", states=("choose", "session", "ask", "similar", "support")):
    async def begin(self, turn: Turn) -> None:
        if not citizens_only(turn, N_("dialogue.citizens_only")):
            return
        sessions = await turn.services.dialogues.upcoming()
        if not sessions:
            turn.finish()
            turn.say(turn.t("dialogue.none"))
            return
        turn.goto(self.name, "choose")
        tz = turn.services.app.tz
        turn.say(turn.t("dialogue.choose"),
                 [Choice(SESSION + str(s.id), f"{turn.t.moment(s.starts_at, tz)} - {s.title}") for s in sessions])

    async def _show(self, turn: Turn) -> None:
        t, dialogues = turn.t, turn.services.dialogues
        row = await dialogues.get(int(turn.state.data["session"]))
        assert row is not None
        turn.goto(self.name, "session")
        turn.say(await dialogues.details(t, row), [Choice("ask", t("dialogue.ask")),
                                                   Choice("support", t("dialogue.support")),
                                                   Choice("back", t("dialogue.back"))])

    async def handle(self, turn: Turn) -> None:
        if await citizen_or_menu(turn) is None:
            return
        step, choice = turn.state.step, turn.choice or ""
        if step == "choose":
            if choice.startswith(SESSION):
                turn.state.data["session"] = int(choice[len(SESSION):])
                await self._show(turn)
            else:
                turn.say(turn.t("common.choose_from_list"))
                await self.begin(turn)
        elif step == "session":
            await self._on_session(turn, choice)
        elif step == "ask":
            await self._on_question(turn)
        elif step == "similar":
            await self._on_similar(turn, choice)
        else:
            await self._on_support(turn, choice)

    async def _on_session(self, turn: Turn, choice: str) -> None:
        if choice == "ask":
            turn.goto(self.name, "ask")
            turn.say(turn.t("dialogue.ask_text"))
        elif choice == "support":
            await self._list(turn)
        elif choice == "back":
            turn.finish()
            await show_menu(turn)
        else:
            turn.say(turn.t("common.choose_from_list"))
            await self._show(turn)

    async def _list(self, turn: Turn) -> None:
        ranked = await turn.services.dialogues.ranked(int(turn.state.data["session"]))
        if not ranked:
            turn.say(turn.t("dialogue.no_questions"))
            await self._show(turn)
            return
        turn.goto(self.name, "support")
        turn.say(turn.t("dialogue.choose_support"),
                 [*(Choice(QUESTION + str(q.id), _label(q.text, q.supports)) for q in ranked[:9]),
                  Choice("back", turn.t("dialogue.back"))])

    async def _photo(self, turn: Turn) -> bool:
        """A photo sent with the question (its caption may be the question): kept as evidence, pending fetch."""
        await turn.services.dialogues.drop_photo(turn.state.data.pop(PHOTO, None), turn.actor.identity_id)
        try:
            turn.state.data[PHOTO] = await turn.services.dialogues.add_photo(
                turn.inbound.channel, turn.inbound.media[0], turn.actor.identity_id)
        except Refused as refusal:
            turn.say(turn.t(refusal.key))
            return False
        return True

    async def _on_question(self, turn: Turn, *, anyway: bool = False) -> None:
        if not anyway and turn.inbound.kind is InboundKind.PHOTO and turn.inbound.media:
            if not await self._photo(turn) or not turn.inbound.text.strip():
                turn.say(turn.t("dialogue.photo_kept" if PHOTO in turn.state.data else "dialogue.ask_text"))
                return
        text = turn.state.data.pop("pending", None) if anyway else (turn.text or turn.inbound.text.strip())
        if not text or turn.inbound.command:
            turn.say(turn.t("dialogue.ask_text"))
            return
        assert turn.actor.citizen_id is not None
        try:
            asked = await turn.services.dialogues.ask(int(turn.state.data["session"]), citizen_id=turn.actor.citizen_id,
                                                      identity_id=turn.actor.identity_id, text=text, anyway=anyway,
                                                      attachment_id=turn.state.data.get(PHOTO))
        except Refused as refusal:
            turn.finish()
            turn.say(turn.t(refusal.key))
            return
        if asked.question_id is None:
            similar = await turn.services.dialogues.question(asked.similar_id or 0)
            turn.state.data["pending"], turn.state.data["similar"] = text, asked.similar_id
            turn.goto(self.name, "similar")
            turn.say(turn.t("dialogue.similar", text=similar.text if similar else ""),
                     [Choice("join", turn.t("dialogue.join")), Choice("anyway", turn.t("dialogue.anyway"))])
            return
        turn.state.data.pop(PHOTO, None)
        turn.say(turn.t("dialogue.asked", id=asked.question_id))
        await self._show(turn)

    async def _on_similar(self, turn: Turn, choice: str) -> None:
        if choice == "join":  # a photo sent with the repeat is not kept: the joined question has its own
            await turn.services.dialogues.drop_photo(turn.state.data.pop(PHOTO, None), turn.actor.identity_id)
            await self._support(turn, int(turn.state.data.pop("similar")))
            turn.state.data.pop("pending", None)
        elif choice == "anyway":
            await self._on_question(turn, anyway=True)
        else:
            turn.say(turn.t("common.choose_from_list"), [Choice("join", turn.t("dialogue.join")),
                                                        Choice("anyway", turn.t("dialogue.anyway"))])

    async def _on_support(self, turn: Turn, choice: str) -> None:
        if choice.startswith(QUESTION):
            await self._support(turn, int(choice[len(QUESTION):]))
        elif choice == "back":
            await self._show(turn)
        else:
            turn.say(turn.t("common.choose_from_list"))
            await self._list(turn)

    async def _support(self, turn: Turn, question_id: int) -> None:
        assert turn.actor.citizen_id is not None
        counted = await turn.services.dialogues.support(question_id, citizen_id=turn.actor.citizen_id,
                                                        identity_id=turn.actor.identity_id)
        turn.say(turn.t("dialogue.supported" if counted else "dialogue.support_not_counted"))
        await self._show(turn)
