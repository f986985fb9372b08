"""What overseers (People's Council, Fatherland Front) see and do: aggregated figures for their area, and
recommendations (kiến nghị) to a unit, tracked until answered.

The view is counts only: cases by unit, on-time rate, satisfaction, overdue by unit and age, breakthrough
tasks by standing, recommendations answered on time or late. No case text, no case code, no citizen, no
official's name: nothing a person could be found from, and nothing of a denunciation's content.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from babel.numbers import format_percent
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import work as rules
from bot.domain.authz import Refused
from bot.domain.digest import Figures, month
from bot.domain.work import Standing, day_text
from bot.i18n import Translator
from bot.services.context import AppContext
from bot.services.digest_sql import DigestQueries
from bot.services.notices import Notifier
from bot.services.org_view import OrgSnapshot, UnitInfo
from bot.services.sweep import subtree
from bot.services.work import Work
from storage.leaders import Recommendation, WorkItem
from storage.models import Official
from storage.repositories.cases import next_number

ANSWER_DAYS = 15  # calendar days a unit has to answer a recommendation (a configurable default)
MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class UnitFigures:
    unit: UnitInfo
    figures: Figures


class Oversight:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot, notifier: Notifier,
                 work: Work) -> None:
        self.session, self.app, self.org, self.notifier, self.work = session, app, org, notifier, work

    async def overseer(self, official_id: int | None) -> Official:
        return await self.work.official(official_id, "overseer")

    def area_root(self) -> UnitInfo:
        """The government the overseers watch: the root of the tree the coordinator unit sits in."""
        unit = self.org.units.get(str(self.org.settings.get("coordinator") or ""))
        if unit is None:
            raise Refused("work.refused.not_allowed")
        while unit.parent_code is not None:
            unit = self.org.units[unit.parent_code]
        return unit

    def area_units(self) -> list[UnitInfo]:
        ids = subtree(self.org, self.area_root().id)
        return sorted((self.org.units_by_id[i] for i in ids), key=lambda u: u.code)

    # --- the figures -----------------------------------------------------------------------------------------

    async def figures(self, year: int, number: int) -> tuple[Figures, list[UnitFigures]]:
        """The month's figures as the digest defines them (on the cases' events), for the area and by unit."""
        period = month(year, number, self.app.tz)
        facts = await DigestQueries(self.session, self.org).facts(period, self.app.clock.now())
        units = self.area_units()
        total = facts.of([u.id for u in units])
        rows = [UnitFigures(unit, figures) for unit in units
                if (figures := facts.of([unit.id])).received or figures.resolved or figures.overdue]
        return total, rows

    async def view(self, official_id: int | None, year: int, number: int, t: Translator) -> str:
        await self.overseer(official_id)
        total, rows = await self.figures(year, number)
        label = f"{year:04d}-{number:02d}"
        root = self.area_root()
        lines = [t("oversight.title", month=label, area=root.name(t.language)), _figures(t, total), "",
                 t("oversight.by_unit")]
        lines += [t("oversight.unit", unit=r.unit.name(t.language), figures=_figures(t, r.figures)) for r in rows]
        if not rows:
            lines.append(t("oversight.nothing"))
        lines += ["", t("oversight.overdue_by_unit")]
        late = [r for r in rows if r.figures.overdue]
        lines += [t("oversight.overdue_unit", unit=r.unit.name(t.language), total=r.figures.overdue,
                    first=r.figures.overdue_bands[0], second=r.figures.overdue_bands[1],
                    third=r.figures.overdue_bands[2], fourth=r.figures.overdue_bands[3]) for r in late]
        if not late:
            lines.append(t("oversight.nothing"))
        lines += ["", await self._tasks(t, year, number), await self._recommendations(t, year, number)]
        return "\n".join(lines)

    async def _tasks(self, t: Translator, year: int, number: int) -> str:
        last = _last_day(year, number)
        items = (await self.session.execute(select(WorkItem).where(
            WorkItem.kind == "task", WorkItem.year == year,
            WorkItem.status.in_(("approved", "done", "not_done"))))).scalars().all()
        counts = Counter([await self.work.standing(item, last + timedelta(days=1)) for item in items])
        return t("oversight.tasks", total=len(items), on_track=counts[Standing.ON_TRACK],
                 late=counts[Standing.LATE], done=counts[Standing.DONE], not_done=counts[Standing.NOT_DONE])

    async def _recommendations(self, t: Translator, year: int, number: int) -> str:
        """The recommendations due in or before the month (answered by its end: on time or late)."""
        last = _last_day(year, number)
        rows = (await self.session.execute(select(Recommendation).where(
            Recommendation.due <= last).order_by(Recommendation.id))).scalars().all()
        tz = self.app.tz
        on_time = late = waiting = 0
        lines = []
        for rec in rows:
            answered = rec.answered_at.astimezone(tz).date() if rec.answered_at else None
            unit = self.org.units_by_id[rec.unit_id].name(t.language)
            if answered is None or answered > last:
                waiting += 1
                state = t("oversight.rec_waiting")
            elif answered <= rec.due:
                on_time += 1
                state = t("oversight.rec_on_time", day=day_text(answered))
            else:
                late += 1
                state = t("oversight.rec_late", day=day_text(answered), days=(answered - rec.due).days)
            lines.append(t("oversight.rec_line", code=rec.code, unit=unit, due=day_text(rec.due), state=state))
        head = t("oversight.recommendations", total=len(rows), on_time=on_time, late=late, waiting=waiting)
        return "\n".join([head, *lines])

    # --- recommendations -------------------------------------------------------------------------------------

    async def recommend(self, official_id: int | None, unit_code: str, text: str,
                        days: int = ANSWER_DAYS) -> Recommendation:
        overseer = await self.overseer(official_id)
        unit = self.org.units.get(unit_code.strip().upper())
        if unit is None or unit.id not in {u.id for u in self.area_units()}:
            raise Refused("oversight.refused.no_unit", unit=unit_code.strip()[:32])
        today = self.work.today()
        code = rules.recommendation_code(today.year, await next_number(self.session, f"KN-{today.year}"))
        rec = Recommendation(code=code, overseer_id=overseer.id, from_unit_id=overseer.unit_id, unit_id=unit.id,
                             text=text[:MAX_TEXT], due=today + timedelta(days=days),
                             created_at=self.app.clock.now())
        self.session.add(rec)
        await self.session.flush()
        source = self.org.units_by_id[overseer.unit_id]
        await self.work.tell_accounts(await self.notifier.unit_chiefs(unit.id), lambda t: t(
            "oversight.rec_received", code=code, source=source.name(t.language), text=rec.text,
            due=day_text(rec.due)))
        return rec

    async def respond(self, official_id: int | None, code: str, answer: str) -> Recommendation:
        official = await self.work.official(official_id, "head", "leader")
        rec = (await self.session.execute(select(Recommendation).where(
            Recommendation.code == code.strip().upper()))).scalar_one_or_none()
        if rec is None or rec.unit_id != official.unit_id:
            raise Refused("oversight.refused.no_recommendation", code=code.strip()[:32])
        if rec.answered_at is not None:
            raise Refused("oversight.refused.answered", code=rec.code)
        rec.answer, rec.answered_by, rec.answered_at = answer[:MAX_TEXT], official.id, self.app.clock.now()
        await self.session.flush()
        unit = self.org.units_by_id[rec.unit_id]
        await self.work.tell([rec.overseer_id], lambda t: t(
            "oversight.rec_answered", code=rec.code, unit=unit.name(t.language), answer=rec.answer or ""))
        return rec


def _last_day(year: int, number: int) -> date:
    following = date(year + number // 12, number % 12 + 1, 1)
    return following - timedelta(days=1)


def _figures(t: Translator, f: Figures) -> str:
    return t("oversight.figures", received=f.received, resolved=f.resolved, on_time=f.on_time,
             rate=_percent(f.on_time_rate, t), satisfied=f.satisfied, rated=f.rated,
             satisfaction=_percent(f.satisfaction, t), overdue=f.overdue)


def _percent(value: float | None, t: Translator) -> str:
    return t("digest.no_rate") if value is None else format_percent(value, "#,##0.#%", locale=t.language)
