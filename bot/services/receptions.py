"""The legal reception schedule: each unit's fixed citizen-reception days, from the organisation file, planned
as recurring sessions (kind `reception`) some weeks ahead, skipping days off; citizens see the next ones with
/reception, and followers of the area are reminded the day before (bot.services.dialogues.remind_dialogues).

`plan_receptions` is a catch-up job: each reception day has a series key, so planning twice adds nothing.
"""

from __future__ import annotations

from datetime import date, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain.reception import ReceptionRule, reception_days
from bot.i18n import Translator
from bot.services.org_view import OrgCache, OrgSnapshot
from storage.models import DialogueSession
from storage.repositories.officials import OfficialRepository
from storage.uow import Database

HORIZON = timedelta(days=62)
RECEPTION = "reception"


def rules_of(org: OrgSnapshot) -> list[dict[str, Any]]:
    return list(org.settings.get("receptions") or [])


def _rule(spec: dict[str, Any]) -> ReceptionRule:
    return ReceptionRule(spec["unit"], spec["every"], spec.get("weekday"), tuple(spec.get("days") or ()))


def _area_of(org: OrgSnapshot, unit: str) -> str | None:
    """The area a unit answers for (a ward's People's Committee), or None for a city-wide unit."""
    return next((a.code for a in org.areas.values() if a.unit_code == unit and a.parent_code is None), None)


async def plan_receptions(db: Database, clock: Clock, org_cache: OrgCache, tz: ZoneInfo) -> int:
    """Create the reception sessions of the coming weeks that are not there yet; how many were added."""
    today = clock.now().astimezone(tz).date()
    added = 0
    async with db.unit_of_work() as uow:
        s = uow.session
        org = await org_cache.get(s, today)
        for spec in rules_of(org):
            if spec["unit"] not in org.units:
                continue
            days = reception_days(_rule(spec), today, today + HORIZON, org.calendar.is_working_day)
            keys = {f"{RECEPTION}:{spec['unit']}:{d.isoformat()}": d for d in days}
            have = set((await s.execute(select(DialogueSession.series_key).where(
                DialogueSession.series_key.in_(list(keys))))).scalars())
            start = time.fromisoformat(spec["time"].split("-")[0])
            for key, day in keys.items():
                if key in have:
                    continue
                s.add(DialogueSession(
                    kind=RECEPTION, series_key=key, unit_id=org.units[spec["unit"]].id,
                    area_code=_area_of(org, spec["unit"]), topic=None, title=RECEPTION,
                    starts_at=org.calendar.at(day, start), place=f"{spec['time']}, {spec['place']}",
                    attendees=[spec["leader"]], created_at=clock.now()))
                added += 1
        await uow.commit()
    return added


async def next_receptions(session: AsyncSession, org: OrgSnapshot, now_day: date, tz: tzinfo,
                          t: Translator) -> list[str]:
    """One line per unit: its next reception (when, where, who receives)."""
    rows = (await session.execute(
        select(DialogueSession).where(DialogueSession.kind == RECEPTION, DialogueSession.closed_at.is_(None))
        .order_by(DialogueSession.starts_at, DialogueSession.id))).scalars()
    seen: dict[int, DialogueSession] = {}
    for row in rows:
        if row.starts_at.astimezone(tz).date() >= now_day and row.unit_id not in seen:
            seen[row.unit_id] = row
    names = await OfficialRepository(session).seat_names()
    return [t("reception.line", unit=org.units_by_id[row.unit_id].name(t.language),
              when=t.moment(row.starts_at, tz), where=row.place or "",
              leader=", ".join(names.get(seat, seat) for seat in row.attendees))
            for row in sorted(seen.values(), key=lambda r: (r.starts_at, r.id))]
