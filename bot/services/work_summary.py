"""The standing committee's summaries of leaders' work: monthly (tasks per leader - on track, late, done,
not done with its reason - and programme items) and at the year's end (literal figures per leader).

Sent on the monthly prompt day to every committee seat, about the month just ended (and, in January, about
the year just ended), once each (a JobClaim per period). Where a task stands is read on the day it is sent.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import work as rules
from bot.domain.work import Standing, day_text
from bot.i18n import Translator, translator
from storage.leaders import Milestone, Programme, WorkItem, WorkProgress
from storage.models import Official

if TYPE_CHECKING:
    from bot.services import Services

ORDER = (Standing.ON_TRACK, Standing.LATE, Standing.DONE, Standing.NOT_DONE)


async def send_summaries(services: Services, today: date, now: datetime) -> int:
    from bot.services.work import _claim, prompt_moment

    if today < prompt_moment(services.org, today):
        return 0
    previous = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    committee = await services.work.committee_ids()
    sent = 0
    month = rules.month_label(previous)
    if committee and await _claim(services.session, "work-summary", month, now):
        texts: dict[str, str] = {}
        for account in await services.notifier.accounts_of(committee):
            language = await services.notifier.language_of(account)
            if language not in texts:
                texts[language] = await monthly(services, translator(language), month, today)
        await services.work.tell(committee, lambda t: texts.get(t.language) or "")
        sent += 1
    if today.month == 1 and committee and await _claim(services.session, "work-year", str(today.year - 1), now):
        texts = {}
        for account in await services.notifier.accounts_of(committee):
            language = await services.notifier.language_of(account)
            if language not in texts:
                texts[language] = await year_end(services, translator(language), today.year - 1)
        await services.work.tell(committee, lambda t: texts.get(t.language) or "")
        sent += 1
    return sent


async def _leaders(services: Services, year: int, kind: str = "task") -> list[tuple[Official, list[WorkItem]]]:
    items = (await services.session.execute(
        select(WorkItem).where(WorkItem.kind == kind, WorkItem.year == year,
                               WorkItem.status.in_(("approved", "done", "not_done")))
        .order_by(WorkItem.owner_id, WorkItem.id))).scalars().all()
    grouped: dict[int, list[WorkItem]] = {}
    for item in items:
        grouped.setdefault(item.owner_id, []).append(item)
    found = []
    for owner_id, owned in grouped.items():
        official = await services.session.get(Official, owner_id)
        if official is not None:
            found.append((official, owned))
    return found


async def _counts(services: Services, items: list[WorkItem], today: date) -> Counter[Standing]:
    return Counter([await services.work.standing(item, today) for item in items])


def _line(t: Translator, counts: Counter[Standing]) -> str:
    return t("work.summary.counts", on_track=counts[Standing.ON_TRACK], late=counts[Standing.LATE],
             done=counts[Standing.DONE], not_done=counts[Standing.NOT_DONE])


async def monthly(services: Services, t: Translator, month: str, today: date) -> str:
    year = int(month[:4])
    lines = [t("work.summary.title", month=month, day=day_text(today))]
    leaders = await _leaders(services, year)
    if not leaders:
        lines.append(t("work.summary.no_tasks"))
    for official, items in leaders:
        counts = await _counts(services, items, today)
        lines.append(t("work.summary.leader", leader=official.name, total=len(items), counts=_line(t, counts)))
        for item in items:
            state = await services.work.standing(item, today)
            if state is Standing.LATE:
                lines.append(t("work.summary.late_task", code=item.code or "", title=item.title))
            elif state is Standing.NOT_DONE:
                lines.append(t("work.summary.not_done_task", code=item.code or "", reason=item.closed_reason or ""))
    programmes = (await services.session.execute(
        select(Programme).where(Programme.year == year).order_by(Programme.id))).scalars().all()
    if programmes:
        lines.append(t("work.summary.programmes"))
    for programme in programmes:
        items = list((await services.session.execute(select(WorkItem).where(
            WorkItem.programme_id == programme.id).order_by(WorkItem.id))).scalars())
        counts = await _counts(services, items, today)
        lines.append(t("work.summary.programme", code=programme.code, title=programme.title, total=len(items),
                       counts=_line(t, counts)))
    return "\n".join(lines)


async def year_end(services: Services, t: Translator, year: int) -> str:
    lines = [t("work.year.title", year=year)]
    session = services.session
    registered = dict((await session.execute(
        select(WorkItem.owner_id, func.count(WorkItem.id)).where(
            WorkItem.kind == "task", WorkItem.year == year, WorkItem.submitted_at.is_not(None))
        .group_by(WorkItem.owner_id))).all())
    for official, items in await _leaders(services, year):
        marks = (await session.execute(select(Milestone).where(
            Milestone.item_id.in_([i.id for i in items])))).scalars().all()
        on_time = sum(1 for m in marks if m.done_at is not None
                      and m.done_at.astimezone(services.app.tz).date() <= m.due)
        late = sum(1 for m in marks if m.done_at is not None
                   and m.done_at.astimezone(services.app.tz).date() > m.due)
        reports = (await session.execute(select(func.count(WorkProgress.id)).where(
            WorkProgress.item_id.in_([i.id for i in items])))).scalar_one()
        statuses = Counter(item.status for item in items)
        lines.append(t(
            "work.year.leader", leader=official.name, registered=registered.get(official.id, len(items)),
            approved=len(items), done=statuses["done"], not_done=statuses["not_done"],
            unfinished=statuses["approved"], milestones=len(marks), on_time=on_time, late=late,
            open=len(marks) - on_time - late, redated=sum(1 for m in marks if m.redated), reports=reports))
        lines += [t("work.summary.not_done_task", code=i.code or "", reason=i.closed_reason or "")
                  for i in items if i.status == "not_done"]
    return "\n".join(lines)


async def digest_lines(session: AsyncSession, official_id: int, t: Translator, today: date) -> str:
    """The leader's own tasks for their weekly digest: one line each, with where it stands ("" when none)."""
    items = (await session.execute(select(WorkItem).where(
        WorkItem.owner_id == official_id, WorkItem.kind == "task", WorkItem.year == today.year,
        WorkItem.status.in_(("approved", "done", "not_done"))).order_by(WorkItem.id))).scalars().all()
    if not items:
        return ""
    lines = [t("work.digest.title", count=len(items))]
    for item in items:
        marks = (await session.execute(select(Milestone.due, Milestone.done_at).where(
            Milestone.item_id == item.id))).all()
        state = rules.standing(item.status, [(due, done is not None) for due, done in marks], today)
        lines.append(t("work.tasks.line", code=item.code or "", title=item.title,
                       state=t(f"work.standing.{state.value}"), percent=item.percent))
    return "\n".join(lines)
