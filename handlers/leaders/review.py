"""The standing committee decides, from any channel: a leader's task (approve, ask for a change, return with
a comment), a milestone's new date, or a task closed as not done (accept or refuse the reason)."""

from __future__ import annotations

from bot.channels.model import Choice
from bot.domain.authz import Refused
from bot.domain.work import day_text
from handlers.base import DeclaredFlow, Turn
from handlers.leaders.common import choose_again, typed
from handlers.officials.common import allowed, done, say_refusal

DECISION = "decision_id"
VERDICT = "verdict"
NEEDS_COMMENT = ("change", "return", "refuse")


class ReviewFlow(DeclaredFlow, name="task_review", states=("pick", "decide", "comment")):
    async def begin(self, turn: Turn) -> None:
        pending = await allowed(turn, turn.services.work.pending(turn.actor.official_id))
        if pending is None:
            return
        done(turn)
        if not pending:
            turn.say(turn.t("work.review.nothing"))
            return
        turn.goto(self.name, "pick")
        turn.say(turn.t("work.review.pick", count=len(pending)),
                 [Choice(f"d{p.decision_id}", turn.t(f"work.review.kind_{p.kind}", task=p.label)) for p in pending])

    async def handle(self, turn: Turn) -> None:
        step = turn.state.step
        if step == "pick":
            await self._pick(turn)
        elif step == "decide":
            await self._verdict(turn)
        else:
            comment = typed(turn)
            if comment == "":
                turn.say(turn.t("work.review.ask_comment"))
            elif comment:
                await self._apply(turn, str(turn.state.data.get(VERDICT)), comment)

    async def _pick(self, turn: Turn) -> None:
        choice = turn.choice or ""
        if not choice.startswith("d") or not choice[1:].isdigit():
            choose_again(turn)
            return
        try:
            decision, item = await turn.services.work.decision(turn.actor.official_id, int(choice[1:]))
            milestones = await turn.services.work.milestones(item.id)
        except Refused as refusal:
            say_refusal(turn, refusal)
            done(turn)
            return
        t = turn.t
        turn.state.data[DECISION] = decision.id
        turn.state.step = "decide"
        lines = "\n".join(t("work.milestone_line", number=m.position, due=day_text(m.due), title=m.title)
                          for m in milestones)
        unit = turn.services.org.units_by_id.get(item.unit_id or -1)
        text = t("work.review.task", title=item.title, problem=item.problem or t("common.none"),
                 result=item.expected_result or t("common.none"), milestones=lines or t("common.none"),
                 unit=unit.name(t.language) if unit else t("common.none"),
                 resources=item.resources or t("common.none"))
        if decision.kind == "register":
            verdicts: tuple[str, ...] = ("approve", "change", "return")
        else:
            moved = next((m for m in milestones if m.id == decision.milestone_id), None)
            extra = (t("work.review.redate", code=item.code or "", title=moved.title if moved else "",
                       old=day_text(moved.due) if moved else "",
                       new=day_text(decision.new_due) if decision.new_due else "", reason=decision.reason or "")
                     if decision.kind == "redate"
                     else t("work.review.not_done", code=item.code or "", reason=decision.reason or ""))
            text = f"{extra}\n\n{text}"
            verdicts = ("accept", "refuse")
        turn.say(text, [Choice(v, t(f"work.review.verdict_{v}")) for v in verdicts])

    async def _verdict(self, turn: Turn) -> None:
        verdict = turn.choice or ""
        if verdict not in ("approve", "change", "return", "accept", "refuse"):
            choose_again(turn)
            return
        if verdict in NEEDS_COMMENT:
            turn.state.data[VERDICT] = verdict
            turn.state.step = "comment"
            turn.say(turn.t("work.review.ask_comment"))
            return
        await self._apply(turn, verdict, "")

    async def _apply(self, turn: Turn, verdict: str, comment: str) -> None:
        try:
            label = await turn.services.work.decide(turn.actor.official_id, int(turn.state.data.get(DECISION, 0)),
                                                    verdict, comment)
        except Refused as refusal:
            say_refusal(turn, refusal)
            done(turn)
            return
        done(turn)
        turn.say(turn.t(f"work.review.done_{verdict}", task=label))
