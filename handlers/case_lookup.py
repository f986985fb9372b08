"""/case CODE: one of the citizen's own cases with its public history."""

from __future__ import annotations

from handlers.base import Turn


async def show_case(turn: Turn) -> None:
    code = turn.inbound.argument.split()[0] if turn.inbound.argument else ""
    if not code:
        turn.say(turn.t("case.usage"))
        return
    view = None
    if turn.actor.citizen_id is not None:
        view = await turn.services.cases.one_of_mine(turn.actor.citizen_id, code[:32], turn.state.language)
    if view is None:  # someone else's case reads exactly like a missing one
        turn.say(turn.t("case.not_found", code=code[:32]))
        return
    tz = turn.services.app.tz
    history = "\n".join(
        turn.t("case.history_line", at=turn.t.moment(h.at, tz), action=turn.t(f"event.{h.action}"))
        + (turn.t("case.history_note", note=h.note) if h.note else "")
        for h in view.history
    )
    line = view.line
    turn.say(turn.t(
        "case.detail", code=line.code, kind=turn.t(f"kind.{line.kind}"), status=turn.t(f"status.{line.status}"),
        unit=line.unit, due=turn.t.due(line.due_at, tz) if line.due_at else turn.t("common.none"),
        text=view.text[:500], history=history,
    ))
