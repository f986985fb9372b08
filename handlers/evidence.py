"""Evidence in the report flow: photos, voice notes, documents and a location, at any step; and the step
that invites them. Files are only recorded here (type and size checked); a queued job downloads them."""

from __future__ import annotations

from bot.channels.model import Choice
from bot.domain.cases import CaseKind
from bot.domain.intake import MEDIA_LIMITS
from bot.domain.matching import parse_yes_no
from bot.domain.media import MediaRejected
from bot.services.drafts import OpenDraft
from bot.services.evidence import EvidenceFull
from handlers.base import Turn
from handlers.drafting import Answer, Content, NotAnAnswer, Outcome, keep_words


async def take(turn: Turn, draft: OpenDraft, content: Content, *, into: str | None = None) -> None:
    """Put what the citizen sent into the draft, saying what was kept and what was refused, and why."""
    t, facts = turn.t, draft.facts
    for ref in content.media:
        what = t(f"report.media_kind.{ref.kind}")
        try:
            await turn.services.evidence.add(draft.id, turn.inbound.channel, ref, turn.now,
                                             already=facts.media.get(ref.kind, 0))
        except EvidenceFull as full:
            turn.say(t("report.media_full", what=what, limit=full.limit))
            continue
        except MediaRejected as refused:
            turn.say(t(f"report.media_refused.{refused.reason}", what=what))
            continue
        facts.media[ref.kind] = facts.media.get(ref.kind, 0) + 1
        turn.say(t("report.media_kept", what=what, count=facts.media[ref.kind], limit=MEDIA_LIMITS[ref.kind]))
    if content.kind == "location" and content.lat is not None and content.lon is not None:
        ward = turn.services.drafts.locate(draft, content.lat, content.lon)
        area = turn.services.org.areas.get(ward or "")
        turn.say(t("report.location_in_ward", ward=area.name) if area else t("report.location_kept"))
    elif content.kind == "contact":
        # A denunciation collects no phone at all; elsewhere a number is optional data, kept only via /privacy.
        turn.say(t("report.contact_denunciation" if facts.kind == CaseKind.DENUNCIATION.value
                   else "report.contact_not_needed"))
    elif content.kind == "unsupported":
        turn.say(t("report.unsupported"))
    if content.text:
        keep_words(turn, draft, content.text, into=into)


def ask_evidence(turn: Turn, draft: OpenDraft) -> None:
    t = turn.t
    if draft.facts.media_total or draft.facts.lat is not None:
        turn.say(t("report.ask_more_evidence"), [Choice("done", t("report.evidence_done"))],
                 request="location", request_label=t("report.share_location"))
    else:
        turn.say(t("report.ask_evidence", limit=MEDIA_LIMITS["photo"]), [Choice("done", t("report.evidence_none"))],
                 request="location", request_label=t("report.share_location"))


async def on_evidence(turn: Turn, draft: OpenDraft) -> Answer:
    yes_no = parse_yes_no(turn.text) if turn.choice is None else None
    if turn.choice == "done" or yes_no is False:
        draft.facts.evidence_done = True
        return Outcome.MOVED
    if yes_no is True:
        turn.say(turn.t("report.evidence_send_now"))
        ask_evidence(turn, draft)
        return Outcome.STAY
    return NotAnAnswer()
