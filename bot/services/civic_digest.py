"""The digest's lines about meeting citizens: dialogue sessions held, questions received and answered,
announcements sent and their reach - for the units under the reader, in the period. Figures are defined on
events (a session's start, a question's arrival, an answer's recording, an announcement's sending), so a later
change never rewrites a past period. Shown only when the period had any of it, so other digests stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.digest import Period
from bot.i18n import Translator
from storage.models import Announcement, AnnouncementRecipient, DialogueQuestion, DialogueSession, OutboxItem


@dataclass(frozen=True, slots=True)
class CivicFigures:
    sessions: int  # dialogue sessions held (closed) that started in the period
    questions: int  # questions received in the period
    answered: int  # answers recorded in the period
    announcements: int  # announcements sent in the period
    recipients: int  # copies addressed
    reached: int  # copies delivered

    def any(self) -> bool:
        return bool(self.sessions or self.questions or self.answered or self.announcements)


async def _count(session: AsyncSession, stmt: Select[int]) -> int:
    return int((await session.execute(stmt)).scalar_one() or 0)


async def civic_figures(session: AsyncSession, unit_ids: list[int], period: Period) -> CivicFigures:
    start, end = period.start, period.end
    mine = DialogueSession.unit_id.in_(unit_ids)
    sessions = await _count(session, select(func.count()).select_from(DialogueSession).where(
        mine, DialogueSession.kind == "dialogue", DialogueSession.closed_at.is_not(None),
        DialogueSession.starts_at >= start, DialogueSession.starts_at < end))
    asked = select(func.count()).select_from(DialogueQuestion).join(
        DialogueSession, DialogueSession.id == DialogueQuestion.session_id).where(mine)
    questions = await _count(session, asked.where(DialogueQuestion.created_at >= start,
                                                  DialogueQuestion.created_at < end))
    answered = await _count(session, asked.where(DialogueQuestion.answered_at >= start,
                                                 DialogueQuestion.answered_at < end))
    sent = (Announcement.unit_id.in_(unit_ids), Announcement.created_at >= start, Announcement.created_at < end)
    announcements = await _count(session, select(func.count()).select_from(Announcement).where(*sent))
    recipients = await _count(session, select(func.coalesce(func.sum(Announcement.recipients), 0)).where(*sent))
    reached = await _count(session, select(func.count()).select_from(AnnouncementRecipient)
                           .join(Announcement, Announcement.id == AnnouncementRecipient.announcement_id)
                           .join(OutboxItem, OutboxItem.dedup_key == AnnouncementRecipient.dedup_key)
                           .where(*sent, OutboxItem.status == "sent"))
    return CivicFigures(sessions, questions, answered, announcements, recipients, reached)


def civic_lines(figures: CivicFigures | None, t: Translator) -> list[str]:
    if figures is None or not figures.any():
        return []
    return [t("digest.dialogues", sessions=figures.sessions, questions=figures.questions, answered=figures.answered),
            t("digest.announcements", count=figures.announcements, reached=figures.reached,
              recipients=figures.recipients)]
