"""The leaders' digest: figures for a leader's or head's units (the unit and all below), in words and a chart.

`send_due_digests(db, clock)` is the weekly catch-up job: it finds the latest scheduled digest moment (Monday
07:30 by default, from the organisation's `digest` setting) and gives every leader and head with a linked
account that period's digest, once: a JobClaim per recipient and period is taken in the same transaction as
the messages. `/digest` and `tiepdan digest` build the same digest on demand for any period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from babel.numbers import format_decimal, format_percent
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain.digest import Figures, Period, PeriodKind, in_progress, weekly_moment, weekly_period
from bot.domain.reminders import QuietHours
from bot.i18n import Translator, translator
from bot.services.chart import Bar, on_time_chart
from bot.services.civic_digest import CivicFigures, civic_figures, civic_lines
from bot.services.digest_sql import DigestQueries, OverdueCase, Ranked
from bot.services.media import new_attachment
from bot.services.notices import Letter, Letterbox, Person, Recipients
from bot.services.org_view import OrgCache, OrgSnapshot
from bot.services.sweep import subtree
from bot.services.work_summary import digest_lines
from storage.models import Case, JobClaim, Official
from storage.repositories.dialect import insert_for, rowcount
from storage.repositories.officials import OfficialRepository
from storage.uow import Database

READERS = ("leader", "head")  # who receives digests; overseers aggregate elsewhere, without names


@dataclass(frozen=True, slots=True)
class DigestData:
    unit_id: int
    period: Period
    previous: Period
    now: Figures
    before: Figures
    top_categories: list[Ranked]
    top_areas: list[Ranked]
    most_overdue: list[OverdueCase]
    rates: list[tuple[int, int, int]]  # (unit id, answered, on time) of each unit with answers
    as_of: datetime  # where the overdue figures were read: the period's end, or now for one in progress
    so_far: bool = False  # the period is still in progress
    civic: CivicFigures | None = None  # dialogues and announcements (bot.services.civic_digest)


@dataclass(frozen=True, slots=True)
class DigestMessage:
    text: str
    chart: bytes


class Digests:
    def __init__(self, session: AsyncSession, org: OrgSnapshot) -> None:
        self.session, self.org = session, org
        self.queries = DigestQueries(session, org)

    async def reader(self, official_id: int | None) -> Person | None:
        """The official, if they may read digests (an active leader or head)."""
        if official_id is None:
            return None
        row = (await self.session.execute(
            select(Official.id, Official.name, Official.unit_id, Official.role)
            .where(Official.id == official_id, Official.active.is_(True), Official.role.in_(READERS))
        )).first()
        return Person(*row) if row is not None else None

    async def data(self, unit_id: int, period: Period, now: datetime | None = None) -> DigestData:
        now = now or datetime.now(UTC)
        units = subtree(self.org, unit_id)
        previous = period.previous()
        facts = await self.queries.facts(period, now)
        before = await self.queries.facts(previous, now)
        rates = [(u, f.resolved, f.on_time) for u in units if (f := facts.by_unit.get(u)) is not None and f.resolved]
        return DigestData(
            unit_id=unit_id, period=period, previous=previous, now=facts.of(units), before=before.of(units),
            top_categories=facts.top(units, "category_id"), top_areas=facts.top(units, "area_id"),
            most_overdue=await self.queries.most_overdue(facts, units), rates=rates,
            as_of=facts.as_of, so_far=in_progress(period, now),
            civic=await civic_figures(self.session, units, period),
        )

    async def message(self, unit_id: int, period: Period, language: str,
                      now: datetime | None = None) -> DigestMessage:
        data = await self.data(unit_id, period, now)
        t = translator(language)
        return DigestMessage(render(data, self.org, t), chart(data, self.org, t))

    async def for_reader(self, reader: Person, period: Period, language: str, now: datetime) -> tuple[str, int]:
        """The digest as text plus the id of its chart, stored as a photo attachment."""
        message = await self.message(reader.unit_id, period, language, now)
        tasks = await digest_lines(self.session, reader.id, translator(language), now.astimezone(
            self.org.calendar.tz).date())  # the leader's own breakthrough tasks (bot/services/work_summary.py)
        if tasks:
            message = DigestMessage(f"{message.text}\n\n{tasks}", message.chart)
        chart = new_attachment("photo", "image/png", message.chart, now,
                               owner_key=f"digest:{period.label}:{reader.id}")
        self.session.add(chart)
        await self.session.flush()
        return message.text, chart.id


# --- the words ----------------------------------------------------------------------------------------------


def render(data: DigestData, org: OrgSnapshot, t: Translator) -> str:
    now, before = data.now, data.before
    unit = org.units_by_id[data.unit_id]
    lines = [
        t("digest.title", unit=unit.name(t.language), period=period_words(data.period, t)),
        t("digest.compared", previous=period_words(data.previous, t)),
    ]
    if data.so_far:
        lines.append(t("digest.so_far", day=f"{data.as_of.astimezone(org.calendar.tz):%H:%M %d/%m}"))
    lines += [
        "",
        t("digest.received", now=now.received, before=before.received, new=now.received_new,
          moved=now.received_transferred),
        t("digest.resolved", now=now.resolved, before=before.resolved),
        t("digest.on_time", count=now.on_time, rate=_percent(now.on_time_rate, t),
          before=_percent(before.on_time_rate, t)),
        t("digest.early", now=now.early, before=before.early),
        t("digest.extended", now=now.extended, before=before.extended),
        t("digest.overdue", now=now.overdue, before=before.overdue, first=now.overdue_bands[0],
          second=now.overdue_bands[1], third=now.overdue_bands[2], fourth=now.overdue_bands[3]),
        t("digest.average", now=_decimal(now.average_days, t), before=_decimal(before.average_days, t)),
        t("digest.satisfaction", satisfied=now.satisfied, rated=now.rated, rate=_percent(now.satisfaction, t),
          before=_percent(before.satisfaction, t)),
        t("digest.reopened", now=now.reopened, before=before.reopened),
        t("digest.transfers", now=now.transfers, before=before.transfers) + (
            t("digest.transfers_late", count=now.passed_late, days=now.passed_late_days) if now.passed_late else ""),
        *([t("digest.suggestions", kept=now.suggestion_kept, suggested=now.suggested,
             rate=_percent(now.suggestion_rate, t), before=_percent(before.suggestion_rate, t))]
          if now.suggested else []),
        t("digest.top_categories", items=_ranked(data.top_categories, _category_names(org, t), t)),
        t("digest.top_areas", items=_ranked(data.top_areas, {a.id: a.name for a in org.areas.values()}, t)),
    ]
    if data.most_overdue:
        lines.append(t("digest.most_overdue"))
        tz = org.calendar.tz
        lines += [
            t("digest.most_overdue_line", code=c.code, unit=org.units_by_id[c.unit_id].code, days=c.days_late,
              due=t.due(c.due_at, tz), assignee=c.assignee or t("deadline.nobody"))
            for c in data.most_overdue
        ]
    lines += civic_lines(data.civic, t)
    lines.append(t("digest.chart_note"))
    return "\n".join(lines)


def chart_bars(data: DigestData, org: OrgSnapshot, t: Translator) -> list[Bar]:
    """The reader's unit as a whole first (when units below it answered too), then each unit, best first."""
    units = [Bar(org.units_by_id[u].name(t.language), answered, on_time) for u, answered, on_time in data.rates]
    units.sort(key=lambda bar: (-bar.rate, -bar.answered, bar.label))
    own = org.units_by_id[data.unit_id]
    if len(units) > 1 or (units and data.rates[0][0] != data.unit_id):
        whole = Bar(t("digest.chart_total", unit=own.name(t.language)), data.now.resolved, data.now.on_time,
                    total=True)
        units.insert(0, whole)
    return units


def chart_words(data: DigestData, org: OrgSnapshot, t: Translator) -> tuple[str, list[Bar], str]:
    """The chart's title, bars and empty-period note (bot.services.chart.layout places them)."""
    title = t("digest.chart_title", unit=org.units_by_id[data.unit_id].name(t.language),
              period=period_words(data.period, t))
    return title, chart_bars(data, org, t), t("digest.chart_empty")


def chart(data: DigestData, org: OrgSnapshot, t: Translator) -> bytes:
    return on_time_chart(*chart_words(data, org, t))


def period_words(period: Period, t: Translator) -> str:
    last = period.last_day
    if period.kind is PeriodKind.WEEK:
        return t("digest.period_week", label=period.label, first=f"{period.start:%d/%m}", last=f"{last:%d/%m/%Y}")
    if period.kind is PeriodKind.MONTH:
        return t("digest.period_month", label=period.label)
    return t("digest.period_days", first=f"{period.start:%H:%M %d/%m}", last=f"{period.end:%H:%M %d/%m/%Y}")


def _category_names(org: OrgSnapshot, t: Translator) -> dict[int, str]:
    return {c.id: c.name(t.language) for c in org.categories.values()}


def _ranked(items: list[Ranked], names: dict[int, str], t: Translator) -> str:
    if not items:
        return t("digest.nothing")
    return ", ".join(t("digest.ranked", name=names.get(item.id or -1, "?"), count=item.count) for item in items)


def _percent(value: float | None, t: Translator) -> str:
    return t("digest.no_rate") if value is None else format_percent(value, "#,##0.#%", locale=t.language)


def _decimal(value: float | None, t: Translator) -> str:
    return t("digest.no_rate") if value is None else format_decimal(value, "#,##0.#", locale=t.language)


# --- the weekly job -----------------------------------------------------------------------------------------


async def send_due_digests(db: Database, clock: Clock, *, org: OrgCache | None = None,
                           wake: Callable[[], None] | None = None) -> int:
    """Give every leader and head the latest scheduled period's digest, once each; returns how many got one.

    Catch-up: a process that was down at the scheduled moment sends it when it runs again. Only the latest
    period is due: an older one missed entirely is superseded by it (and `/digest 2026-W08` still shows it).
    """
    now = clock.now()
    cache = org or OrgCache()
    async with db.unit_of_work(readonly=True) as uow:
        snapshot = await cache.get(uow.session, now.date())
        period = _due_period(snapshot, now)
        started = await system_start(uow.session, snapshot)
        if started is not None and period.end <= started:
            return 0  # a period before the system existed: nothing happened in it
        waiting = await _waiting_readers(uow.session, period)
    sent = 0
    for reader_id in waiting:
        async with db.unit_of_work() as uow:
            snapshot = await cache.get(uow.session, now.date())
            if await deliver(uow.session, snapshot, reader_id, period, now):
                sent += 1
                if wake is not None:
                    uow.after_commit(wake)
            await uow.commit()
    return sent


async def system_start(session: AsyncSession, org: OrgSnapshot) -> datetime | None:
    """When the system started: the organisation's first load, or its first case if that came earlier
    (cases recorded or imported before)."""
    first_load = org.settings.get("first_loaded_at") or org.settings.get("loaded_at")
    first_case = (await session.execute(select(func.min(Case.created_at)))).scalar_one_or_none()
    moments = [m for m in (datetime.fromisoformat(str(first_load)) if first_load else None, first_case) if m]
    return min(moments) if moments else None


def _due_period(org: OrgSnapshot, now: datetime) -> Period:
    setting = org.settings.get("digest") or {}
    at = time.fromisoformat(str(setting.get("time", "07:30")))
    moment = weekly_moment(now, org.calendar.tz, str(setting.get("weekday", "monday")), at)
    return weekly_period(moment)


async def _waiting_readers(session: AsyncSession, period: Period) -> list[int]:
    """Leaders and heads with a linked account who have no claim on this period yet."""
    readers = [official_id for official_id, _ in await OfficialRepository(session).linked(READERS)]
    claimed = set((await session.execute(
        select(JobClaim.period).where(JobClaim.job == "digest",
                                      JobClaim.period.in_([claim_period(period, r) for r in readers]))
    )).scalars()) if readers else set()
    return [r for r in readers if claim_period(period, r) not in claimed]


def claim_period(period: Period, official_id: int) -> str:
    return f"{period.label}:{official_id}"


async def deliver(session: AsyncSession, org: OrgSnapshot, official_id: int, period: Period, now: datetime) -> bool:
    """Claim (official, period) and queue the digest to each of the official's accounts; False if taken."""
    claimed = await session.execute(
        insert_for(session, JobClaim).values(job="digest", period=claim_period(period, official_id), claimed_at=now)
        .on_conflict_do_nothing(index_elements=["job", "period"])
    )
    if not rowcount(claimed):
        return False
    digests = Digests(session, org)
    reader = await digests.reader(official_id)
    reach = await Recipients(session, org).reach([official_id])
    if reader is None or not reach:
        return True
    box = Letterbox(org.calendar, QuietHours.from_settings(org.settings.get("quiet_hours")))
    by_language: dict[str, tuple[str, int]] = {}
    for account in reach:
        if account.language not in by_language:
            by_language[account.language] = await digests.for_reader(reader, period, account.language, now)
        text, chart_id = by_language[account.language]
        box.add(Letter(account, text, f"digest:{period.label}:{official_id}:{account.identity_id}",
                       attachment_ids=(chart_id,), purpose="digest", caption=text.split("\n", 1)[0]))
    await box.post(session, now)
    return True
