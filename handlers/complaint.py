"""A complaint's extra steps: which decision or act, and when the citizen learned of it - then the legal time
limits in plain words (filing within 90 days of learning; acceptance and resolution times)."""

from __future__ import annotations

from bot.channels.model import Choice
from bot.domain.cases import MIN_DESCRIPTION
from bot.domain.intake import COMPLAINT_FILING_DAYS, filing_limit, parse_day, says_unknown
from bot.services.drafts import OpenDraft
from handlers.base import Turn
from handlers.drafting import Answer, NotAnAnswer, Outcome, day_words, keep_words, local_today


def ask_decision(turn: Turn, draft: OpenDraft) -> None:
    turn.say(turn.t("report.ask_decision"))


def ask_learned(turn: Turn, draft: OpenDraft) -> None:
    t = turn.t
    turn.say(t("report.ask_learned"),
             [Choice("today", t("report.learned_today")), Choice("unknown", t("report.learned_unknown"))])


async def on_decision(turn: Turn, draft: OpenDraft) -> Answer:
    text = turn.text
    if len(text) < MIN_DESCRIPTION:
        return NotAnAnswer(turn.t("report.decision_too_short"))
    return Outcome.MOVED if keep_words(turn, draft, text, into="decision") is not None else Outcome.STAY


async def on_learned(turn: Turn, draft: OpenDraft) -> Answer:
    facts, t, today = draft.facts, turn.t, local_today(turn)
    if turn.choice == "unknown" or (turn.text and says_unknown(turn.text)):
        facts.learned_unknown, facts.learned_on = True, None
        turn.say(t("report.limit_unknown", days=COMPLAINT_FILING_DAYS))
        return Outcome.MOVED
    day = today if turn.choice == "today" else parse_day(turn.text, today) if turn.text else None
    if day is None:
        return NotAnAnswer(t("report.learned_not_read"))
    if day > today:  # a slip of the keyboard, not part of the story: say so and ask again
        turn.say(t("report.learned_future", day=day_words(day)))
        ask_learned(turn, draft)
        return Outcome.STAY
    facts.learned_on, facts.learned_unknown = day, False
    limit = filing_limit(day, today)
    if limit.expired:
        turn.say(t("report.limit_passed", learned=day_words(day), days=COMPLAINT_FILING_DAYS,
                   last_day=day_words(limit.last_day)))
    else:
        turn.say(t("report.limit_open", learned=day_words(day), days=COMPLAINT_FILING_DAYS,
                   last_day=day_words(limit.last_day), left=limit.days_left))
    return Outcome.MOVED
