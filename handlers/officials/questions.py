"""/questions: the office's view of its coming dialogue sessions - each with its questions ranked (support,
then area, then topic), and the unit each is assigned to. Read-only: assigning and recording answers are
services (bot.services.dialogues) the office's tools call."""

from __future__ import annotations

from handlers.base import Turn
from handlers.officials.common import done

SHOWN = 15  # questions per session in one message


async def show_questions(turn: Turn) -> None:
    done(turn)
    t, dialogues, org = turn.t, turn.services.dialogues, turn.services.org
    if not await dialogues.is_office(turn.actor.official_id):
        turn.say(t("dialogue.not_allowed"))
        return
    sessions = await dialogues.upcoming()
    if not sessions:
        turn.say(t("dialogue.none"))
        return
    for row in sessions:
        lines = [await dialogues.details(t, row)]
        for rank, q in enumerate((await dialogues.ranked(row.id))[:SHOWN], 1):
            unit = org.units_by_id[q.unit_id].name(t.language) if q.unit_id else t("dialogue.unassigned")
            lines.append(t("dialogue.ranked_line", rank=rank, id=q.id, supports=q.supports,
                           area=org.areas[q.area_code].name if q.area_code in org.areas else t("common.none"),
                           text=q.text, unit=unit))
        turn.say("\n".join(lines))
