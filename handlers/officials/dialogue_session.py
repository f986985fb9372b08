"""/dialogue for a leader, a head or their office: their open dialogue sessions (or a new one), and for each
session the questions ranked (support, then area, then topic), assigning each to the unit that will answer,
recording the answers after the session (each goes once to its asker and supporters), and closing it (every
question left unanswered becomes a routed case, its asker told the tracking code).

Every step is a numbered choice or typed text; every action is re-authorised by bot.services.dialogues.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol

from bot.channels.model import Choice
from bot.domain.authz import Refused
from bot.domain.minutes import numbered_answers
from bot.domain.text import fold
from handlers.base import Turn
from handlers.officials.common import allowed, done, free_text, say_refusal
from handlers.officials.dialogue_schedule import ScheduleFlow

SESSION, QUESTION, UNIT, SEAT = "s:", "q:", "u:", "seat:"
PAGE = 10  # ranked questions per message
PICK = 8  # questions offered as choices at once
LABEL = 48
MATCHES = 8
ME = "me"
ACTIONS = ("ranked", "assign", "answer", "close", "back")


class DialogueQuestion(Protocol):
    """What the office's steps read of a question (the row itself stays in the service)."""

    id: int
    text: str
    supports: int
    area_code: str | None
    unit_id: int | None
    attachment_id: int | None
    answer: str | None


def _short(text: str) -> str:
    return text if len(text) <= LABEL else text[:LABEL - 1] + "…"


class DialogueDeskFlow:
    name: ClassVar[str] = "official_dialogue"
    states: ClassVar[tuple[str, ...]] = ("sessions", "session", "ranked", "pick", "unit", "speaker", "answer",
                                         "close")

    def __init__(self) -> None:
        self.schedule = ScheduleFlow(self.open)

    # --- the list of sessions, and one session's menu ------------------------------------------------------

    async def begin(self, turn: Turn) -> None:
        t, dialogues = turn.t, turn.services.dialogues
        if not await dialogues.is_office(turn.actor.official_id):
            turn.say(t("dialogue.not_allowed"))
            return
        done(turn)
        turn.goto(self.name, "sessions")
        tz = turn.services.app.tz
        sessions = await dialogues.managed(turn.actor.official_id)
        turn.say(t("dialogue.office.sessions") if sessions else t("dialogue.office.no_sessions"),
                 [Choice("new", t("dialogue.office.new")),
                  *(Choice(SESSION + str(s.id), f"{t.moment(s.starts_at, tz)} - {s.title}") for s in sessions)])

    async def open(self, turn: Turn, session_id: int) -> None:
        t, dialogues = turn.t, turn.services.dialogues
        row = await dialogues.get(session_id)
        if row is None or row.closed_at is not None:
            turn.say(t("dialogue.closed"))
            await self.begin(turn)
            return
        turn.goto(self.name, "session")
        turn.state.data["session"] = session_id
        ranked = await dialogues.ranked(session_id)
        counts = t("dialogue.office.counts", questions=len(ranked),
                   assigned=sum(q.unit_id is not None for q in ranked),
                   answered=sum(q.answer is not None for q in ranked))
        turn.say(await dialogues.details(t, row) + "\n" + counts,
                 [Choice(a, t(f"dialogue.office.action.{a}")) for a in ACTIONS])

    async def handle(self, turn: Turn) -> None:
        step = turn.state.step if turn.state.step in self.states else "close"
        await getattr(self, f"_on_{step}")(turn)  # each declared step has its _on_<step>

    def _session(self, turn: Turn) -> int:
        return int(turn.state.data.get("session", 0))

    async def _held(self, turn: Turn) -> bool:
        row = await turn.services.dialogues.get(self._session(turn))
        return row is not None and turn.services.dialogues.held(row)

    async def _on_sessions(self, turn: Turn) -> None:
        choice = turn.choice or ""
        if choice == "new":
            await self.schedule.begin(turn)
        elif choice.startswith(SESSION) and choice[len(SESSION):].isdigit():
            await self.open(turn, int(choice[len(SESSION):]))
        else:
            turn.say(turn.t("common.choose_from_list"))
            await self.begin(turn)

    async def _on_session(self, turn: Turn) -> None:
        choice = turn.choice
        if choice == "ranked":
            await self._show_ranked(turn, 0)
        elif choice in ("answer", "close") and not await self._held(turn):
            turn.say(turn.t("dialogue.not_yet_held"))
            await self.open(turn, self._session(turn))
        elif choice in ("assign", "answer"):
            turn.state.data["mode"] = choice
            turn.state.data.pop("passed", None)
            if choice == "answer":
                await self._ask_speaker(turn)
            else:
                await self._show_pick(turn, 0)
        elif choice == "close":
            await self._ask_close(turn)
        elif choice == "back":
            await self.begin(turn)
        else:
            turn.say(turn.t("common.choose_from_list"))
            await self.open(turn, self._session(turn))

    # --- the ranking ----------------------------------------------------------------------------------------

    def _line(self, turn: Turn, rank: int, q: DialogueQuestion) -> str:
        t, org = turn.t, turn.services.org
        unit = org.units_by_id[q.unit_id].name(t.language) if q.unit_id else t("dialogue.unassigned")
        line = t("dialogue.ranked_line", rank=rank, id=q.id, supports=q.supports,
                 area=org.areas[q.area_code].name if q.area_code in org.areas else t("common.none"),
                 text=q.text, unit=unit)
        if q.attachment_id is not None:
            line += " " + t("dialogue.office.with_photo")
        if q.answer is not None:
            line += " " + t("dialogue.office.answered_mark")
        return line

    async def _show_ranked(self, turn: Turn, page: int) -> None:
        ranked = await turn.services.dialogues.ranked(self._session(turn))
        pages = max(1, -(-len(ranked) // PAGE))
        page = min(max(page, 0), pages - 1)
        turn.goto(self.name, "ranked")
        turn.state.data["page"] = page
        lines = [self._line(turn, page * PAGE + i, q)
                 for i, q in enumerate(ranked[page * PAGE:(page + 1) * PAGE], 1)]
        header = turn.t("dialogue.office.ranked", id=self._session(turn), page=page + 1, pages=pages)
        turn.say("\n".join([header, *lines]) if lines else turn.t("dialogue.no_questions"),
                 self._paging(turn, page, pages))

    def _paging(self, turn: Turn, page: int, pages: int) -> list[Choice]:
        choices = []
        if page + 1 < pages:
            choices.append(Choice("next", turn.t("officials.queue.next")))
        if page > 0:
            choices.append(Choice("prev", turn.t("officials.queue.prev")))
        return [*choices, Choice("back", turn.t("dialogue.back"))]

    async def _on_ranked(self, turn: Turn) -> None:
        page = int(turn.state.data.get("page", 0))
        if turn.choice in ("next", "prev"):
            await self._show_ranked(turn, page + (1 if turn.choice == "next" else -1))
        elif turn.choice == "back":
            await self.open(turn, self._session(turn))
        else:
            turn.say(turn.t("common.choose_from_list"))
            await self._show_ranked(turn, page)

    # --- choosing a question (to assign, or to answer) ------------------------------------------------------

    async def _pickable(self, turn: Turn) -> Sequence[DialogueQuestion]:
        ranked = await turn.services.dialogues.ranked(self._session(turn))
        if turn.state.data.get("mode") == "answer":
            return [q for q in ranked if q.answer is None]
        return ranked

    async def _show_pick(self, turn: Turn, page: int) -> None:
        questions = await self._pickable(turn)
        if not questions:
            turn.say(turn.t("dialogue.office.nothing_left"))
            await self.open(turn, self._session(turn))
            return
        pages = max(1, -(-len(questions) // PICK))
        page = min(max(page, 0), pages - 1)
        turn.goto(self.name, "pick")
        turn.state.data["page"] = page
        shown = questions[page * PICK:(page + 1) * PICK]
        turn.say(turn.t(f"dialogue.office.pick_{turn.state.data.get('mode')}", page=page + 1, pages=pages),
                 [*(Choice(QUESTION + str(q.id), f"#{q.id} (+{q.supports}) {_short(q.text)}") for q in shown),
                  *self._paging(turn, page, pages)])

    async def _on_pick(self, turn: Turn) -> None:
        choice, data = turn.choice or "", turn.state.data
        page = int(data.get("page", 0))
        typed = free_text(turn) or ""
        if typed.startswith("#") and typed[1:].strip().isdigit():  # a question's number as shown (#12), not a rank
            choice = QUESTION + typed[1:].strip()
        if choice in ("next", "prev"):
            await self._show_pick(turn, page + (1 if choice == "next" else -1))
        elif choice == "back":
            await self.open(turn, self._session(turn))
        elif choice.startswith(QUESTION) and choice[len(QUESTION):].isdigit():
            question_id = int(choice[len(QUESTION):])
            if question_id not in {q.id for q in await self._pickable(turn)}:
                turn.say(turn.t("dialogue.unknown_question"))
                await self._show_pick(turn, page)
            elif data.get("mode") == "answer":
                await self._ask_answer(turn, question_id)
            else:
                await self._ask_unit(turn, question_id)
        else:
            turn.say(turn.t("common.choose_from_list"))
            await self._show_pick(turn, page)

    # --- assigning ------------------------------------------------------------------------------------------

    def _likely_units(self, turn: Turn, question: DialogueQuestion) -> list[Choice]:
        org, lang = turn.services.org, turn.state.language
        codes: list[str] = []
        for area in org.area_chain(question.area_code):
            unit = org.areas[area].unit_code
            if unit and unit in org.units:
                codes.append(unit)
        session_unit = int(turn.state.data.get("session_unit", 0))
        if session_unit in org.units_by_id:
            codes.append(org.units_by_id[session_unit].code)
        return [Choice(UNIT + c, org.units[c].name(lang)) for c in dict.fromkeys(codes)]

    async def _ask_unit(self, turn: Turn, question_id: int, shown: list[Choice] | None = None) -> None:
        dialogues = turn.services.dialogues
        question = await dialogues.question(question_id)
        row = await dialogues.get(self._session(turn))
        if question is None or row is None:
            await self.begin(turn)
            return
        turn.goto(self.name, "unit")
        turn.state.data.update(question=question_id, session_unit=row.unit_id)
        choices = shown if shown is not None else self._likely_units(turn, question)
        turn.say(turn.t("dialogue.office.ask_unit", id=question_id, text=question.text),
                 [*choices, Choice("back", turn.t("dialogue.back"))])

    def _search(self, turn: Turn, typed: str) -> list[Choice]:
        wanted, lang = fold(typed).split(), turn.state.language
        return [Choice(UNIT + u.code, u.name(lang)) for u in turn.services.org.units.values()
                if all(w in fold(f"{u.name_vi} {u.name_en} {u.code}") for w in wanted)]

    async def _on_unit(self, turn: Turn) -> None:
        choice, data = turn.choice or "", turn.state.data
        question_id = int(data.get("question", 0))
        if choice == "back":
            await self._show_pick(turn, int(data.get("page", 0)))
            return
        typed = free_text(turn) if not choice.startswith(UNIT) else None
        found = self._search(turn, typed) if typed else []
        if typed and len(found) == 1:
            choice = found[0].key
        if not choice.startswith(UNIT):
            turn.say(turn.t("officials.transfer.several", count=len(found)) if found else
                     turn.t("officials.transfer.no_match", text=(typed or "")[:40]) if typed else
                     turn.t("common.choose_from_list"))
            await self._ask_unit(turn, question_id, found[:MATCHES] if found else None)
            return
        unit = choice[len(UNIT):]
        try:
            await turn.services.dialogues.assign(turn.actor.official_id, question_id, unit)
        except Refused as refusal:
            say_refusal(turn, refusal)
            await self.begin(turn)
            return
        turn.say(turn.t("dialogue.office.assigned", id=question_id,
                        unit=turn.services.org.units[unit].name(turn.state.language)))
        await self._show_pick(turn, int(data.get("page", 0)))

    # --- recording the answers ------------------------------------------------------------------------------

    async def _ask_speaker(self, turn: Turn) -> None:
        dialogues = turn.services.dialogues
        row = await dialogues.get(self._session(turn))
        speakers = await dialogues.speakers(row) if row is not None else []
        if not speakers:
            turn.state.data["speaker"] = None
            await self._next_answer(turn)
            return
        turn.goto(self.name, "speaker")
        turn.say(turn.t("dialogue.office.ask_speaker"),
                 [*(Choice(SEAT + seat, name) for seat, name in speakers),
                  Choice(ME, turn.t("dialogue.office.speaker_me"))])

    async def _on_speaker(self, turn: Turn) -> None:
        choice = turn.choice or ""
        if choice != ME and not choice.startswith(SEAT):
            turn.say(turn.t("common.choose_from_list"))
            await self._ask_speaker(turn)
            return
        turn.state.data["speaker"] = None if choice == ME else choice[len(SEAT):]
        await self._next_answer(turn)

    async def _next_answer(self, turn: Turn) -> None:
        """The best-ranked question not yet answered (and not passed over in this round), to answer next."""
        passed = set(turn.state.data.get("passed") or [])
        left = [q for q in await self._pickable(turn) if q.id not in passed]
        if not left:
            turn.say(turn.t("dialogue.office.all_answered" if not passed else "dialogue.office.rest_passed"))
            await self.open(turn, self._session(turn))
            return
        await self._ask_answer(turn, left[0].id)

    async def _ask_answer(self, turn: Turn, question_id: int) -> None:
        t, dialogues = turn.t, turn.services.dialogues
        question = await dialogues.question(question_id)
        if question is None:
            await self.begin(turn)
            return
        turn.goto(self.name, "answer")
        turn.state.data["question"] = question_id
        turn.state.data["mode"] = "answer"
        speaker = turn.state.data.get("speaker")
        row = await dialogues.get(self._session(turn)) if speaker else None
        names = dict(await dialogues.speakers(row)) if row is not None else {}
        who = names.get(speaker, speaker) if speaker else t("dialogue.office.speaker_me")
        turn.say(t("dialogue.office.ask_answer", id=question.id, supports=question.supports, text=question.text,
                   who=who),
                 [Choice("pass", t("dialogue.office.pass")), Choice("other", t("dialogue.office.other")),
                  Choice("speaker", t("dialogue.office.change_speaker")), Choice("done", t("dialogue.office.done"))])

    async def _on_answer(self, turn: Turn) -> None:
        choice, data = turn.choice, turn.state.data
        question_id = int(data.get("question", 0))
        if choice == "pass":
            data["passed"] = [*(data.get("passed") or []), question_id]
            await self._next_answer(turn)
            return
        if choice == "other":
            await self._show_pick(turn, 0)
            return
        if choice == "speaker":
            await self._ask_speaker(turn)
            return
        if choice == "done":
            data.pop("passed", None)
            await self.open(turn, self._session(turn))
            return
        text = free_text(turn)
        if not text:
            turn.say(turn.t("officials.text_please"))
            await self._ask_answer(turn, question_id)
            return
        batch = numbered_answers(text)
        if batch:
            await self._record_many(turn, batch)
            return
        try:
            told = await turn.services.dialogues.answer(turn.actor.official_id, question_id, text,
                                                        speaker=data.get("speaker"))
        except Refused as refusal:
            say_refusal(turn, refusal)
            await self.begin(turn)
            return
        turn.say(turn.t("dialogue.office.answered", id=question_id, count=told))
        await self._next_answer(turn)

    async def _record_many(self, turn: Turn, batch: list[tuple[int, str]]) -> None:
        """Answers pasted together (the minutes typed up after the session): each recorded and sent once."""
        dialogues = turn.services.dialogues
        open_ids = {q.id for q in await self._pickable(turn)}
        recorded, told, refused = [], 0, []
        for question_id, answer in batch:
            if question_id not in open_ids or not answer:
                refused.append(f"#{question_id}")
                continue
            try:
                told += await dialogues.answer(turn.actor.official_id, question_id, answer,
                                               speaker=turn.state.data.get("speaker"))
            except Refused as refusal:
                say_refusal(turn, refusal)
                await self.begin(turn)
                return
            open_ids.discard(question_id)
            recorded.append(f"#{question_id}")
        if recorded:
            turn.say(turn.t("dialogue.office.answered_many", count=len(recorded), ids=", ".join(recorded),
                            people=told))
        if refused:
            turn.say(turn.t("dialogue.office.not_recorded", ids=", ".join(refused)))
        await self._next_answer(turn)

    # --- closing --------------------------------------------------------------------------------------------

    async def _ask_close(self, turn: Turn) -> None:
        ranked = await turn.services.dialogues.ranked(self._session(turn))
        left = sum(q.answer is None and q.case_id is None for q in ranked)
        turn.goto(self.name, "close")
        turn.say(turn.t("dialogue.office.ask_close", id=self._session(turn), count=left),
                 [Choice("close", turn.t("dialogue.office.close")), Choice("back", turn.t("dialogue.back"))])

    async def _on_close(self, turn: Turn) -> None:
        if turn.choice == "back":
            await self.open(turn, self._session(turn))
            return
        if turn.choice != "close":
            turn.say(turn.t("common.choose_from_list"))
            await self._ask_close(turn)
            return
        session_id = self._session(turn)
        codes = await allowed(turn, turn.services.dialogues.close(turn.actor.official_id, session_id))
        if codes is None:
            await self.begin(turn)
            return
        done(turn)
        turn.say(turn.t("dialogue.office.closed", id=session_id, count=len(codes),
                        codes=", ".join(codes) or turn.t("common.none")))
