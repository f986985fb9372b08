"""A leader registers a breakthrough task: title, problem, measurable result, dated milestones, the unit
that carries it out, resources; then reviews it and sends it to the standing committee. Without a unit, a
figure in the result or a dated milestone it cannot be sent: the bot says which is missing."""

from __future__ import annotations

from bot.channels.model import Choice
from bot.services.work import TaskDraft
from handlers.base import DeclaredFlow, Turn
from handlers.leaders.common import MAX_LINE, milestones_done, missing_words, take_milestone, typed
from handlers.officials.common import allowed, done

DRAFT = "task"
EDITING = "editing"
FIELDS = ("title", "problem", "result", "milestones", "unit", "resources")


class RegisterFlow(DeclaredFlow, name="task_register",
                   states=("title", "problem", "result", "milestones", "unit", "resources", "review")):
    async def begin(self, turn: Turn) -> None:
        year = await allowed(turn, turn.services.work.can_register(turn.actor.official_id))
        if year is None:
            return
        done(turn)
        turn.goto(self.name, "title")
        turn.state.data[DRAFT] = TaskDraft().to_json()
        turn.say(turn.t("work.register.start", year=year))
        self._ask(turn, "title")

    async def fix(self, turn: Turn, item_id: int) -> None:
        """A task the committee asked to change, back in review with its values."""
        draft = await allowed(turn, turn.services.work.draft_of(turn.actor.official_id, item_id))
        if draft is None:
            return
        done(turn)
        turn.goto(self.name, "review")
        turn.state.data[DRAFT] = draft.to_json()
        self._review(turn)

    def _draft(self, turn: Turn) -> TaskDraft:
        return TaskDraft.from_json(turn.state.data.get(DRAFT) or {})

    def _save(self, turn: Turn, draft: TaskDraft) -> None:
        turn.state.data[DRAFT] = draft.to_json()

    def _ask(self, turn: Turn, step: str) -> None:
        turn.state.step = step
        if step == "milestones":
            turn.say(turn.t("work.register.ask_milestones"), milestones_done(turn))
        elif step == "unit":
            codes = ", ".join(sorted(turn.services.org.units))
            turn.say(turn.t("work.register.ask_unit", codes=codes))
        else:
            turn.say(turn.t(f"work.register.ask_{step}"))

    def _next(self, turn: Turn, step: str) -> None:
        if turn.state.data.get(EDITING) or step == "review":
            turn.state.data[EDITING] = False
            turn.state.step = "review"
            self._review(turn)
        else:
            self._ask(turn, step)

    async def handle(self, turn: Turn) -> None:
        step = turn.state.step or "title"
        draft = self._draft(turn)
        if step == "review":
            await self._decide(turn, draft)
            return
        if step == "milestones":
            self._milestone(turn, draft)
            return
        limit = MAX_LINE if step == "title" else 1000
        text = typed(turn, limit)
        if text is None or (step == "title" and len(text) < 3):
            if text is not None:
                turn.say(turn.t("work.register.title_short"))
            return
        if step == "unit" and text and text.upper() not in turn.services.org.units:
            turn.say(turn.t("work.register.no_unit", unit=text[:32]))
            return
        if step == "title":
            draft.title = text
        elif step == "problem":
            draft.problem = text
        elif step == "result":
            draft.result = text
        elif step == "unit":
            draft.unit = text.upper()
        else:
            draft.resources = text
        self._save(turn, draft)
        following = {"title": "problem", "problem": "result", "result": "milestones", "unit": "resources",
                     "resources": "review"}
        self._next(turn, following[step])

    def _milestone(self, turn: Turn, draft: TaskDraft) -> None:
        if take_milestone(turn, draft.milestones):
            self._save(turn, draft)
        else:
            self._next(turn, "unit")

    def _review(self, turn: Turn) -> None:
        draft = self._draft(turn)
        t = turn.t
        none = t("common.none")
        milestones = "\n".join(t("work.milestone_line", number=i, due=f"{d[8:10]}/{d[5:7]}/{d[:4]}", title=title)
                               for i, (d, title) in enumerate(draft.milestones, start=1)) or none
        text = t("work.register.review", title=draft.title, problem=draft.problem or none,
                 result=draft.result or none, milestones=milestones, unit=draft.unit or none,
                 resources=draft.resources or none)
        choices = [Choice("send", t("work.register.send"))]
        choices += [Choice(f"edit_{f}", t(f"work.register.edit_{f}")) for f in FIELDS]
        choices.append(Choice("cancel", t("work.register.cancel")))
        turn.say(text, choices)

    async def _decide(self, turn: Turn, draft: TaskDraft) -> None:
        choice = turn.choice or ""
        if choice == "cancel":
            done(turn)
            turn.say(turn.t("common.cancelled"))
            return
        if choice.startswith("edit_") and choice[5:] in FIELDS:
            field = choice[5:]
            turn.state.data[EDITING] = True
            if field == "milestones":
                draft.milestones = []
                self._save(turn, draft)
            self._ask(turn, field)
            return
        if choice != "send":
            turn.say(turn.t("common.choose_from_list"))
            self._review(turn)
            return
        missing = draft.missing()
        if missing:
            turn.say(turn.t("work.register.missing", items=missing_words(turn, missing)))
            self._review(turn)
            return
        item = await allowed(turn, turn.services.work.submit(turn.actor.official_id, draft))
        if item is None:
            return
        done(turn)
        turn.say(turn.t("work.register.sent", title=item.title))
