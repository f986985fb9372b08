"""The report flow's "what" step: the category the words suggest, confirmed with one tap; any other field is
always one more tap away ("Another field..." shows them all, "Other" among them)."""

from __future__ import annotations

from bot.channels.model import Choice
from bot.domain.matching import suggest_categories
from bot.services.drafts import OpenDraft
from handlers.base import Turn
from handlers.drafting import Answer, NotAnAnswer, Outcome


def ask_category(turn: Turn, draft: OpenDraft) -> None:
    t, org, lang = turn.t, turn.services.org, turn.state.language
    suggested = [org.categories[c] for c in draft.facts.suggested if c in org.categories]
    if suggested and not turn.state.data.get("all_categories"):
        choices = [Choice(c.code, c.name(lang)) for c in suggested]
        choices.append(Choice("all", t("report.category_other")))
        turn.say(t("report.ask_category_suggested"), choices)
    else:
        turn.say(t("report.ask_category"), [Choice(c.code, c.name(lang)) for c in org.active_categories()])


async def on_category(turn: Turn, draft: OpenDraft) -> Answer:
    org = turn.services.org
    if turn.choice in org.categories:
        draft.facts.category = turn.choice
        turn.state.data.pop("all_categories", None)
        return Outcome.MOVED
    if turn.choice == "all":
        turn.state.data["all_categories"] = True
        ask_category(turn, draft)
        return Outcome.STAY
    if turn.text:
        found = [s.code for s in suggest_categories(turn.text, turn.services.drafts.index.categories)]
        if found:  # "đèn đường": offer what these words point to
            draft.facts.suggested = found
            turn.state.data.pop("all_categories", None)
            ask_category(turn, draft)
            return Outcome.STAY
    return NotAnAnswer()
