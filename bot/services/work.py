"""Leaders' breakthrough tasks and programme items, tracked alike under "5 rõ" and "3 không".

A leader registers 1-5 tasks a year; the standing committee (`committee` seats) approves one (it gets its
code, DP-2026-0012), asks for a change, or returns it with a comment. Progress is reported each month when
asked; a milestone past its date without "done" is overdue; a milestone may be re-dated once, with a reason
the committee accepts; a task is closed as "not done" only with a reason the committee accepts.

The office (the coordinator unit's head, or a committee seat) records a programme whose items carry the same
5 rõ fields; each item has a unit that carries it out and a responsible leader, who hears of it when late.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import MediaRef, Outbound
from bot.clock import Clock
from bot.domain import work as rules
from bot.domain.authz import Refused
from bot.domain.media import MediaRejected, check_media
from bot.domain.reminders import QuietHours
from bot.domain.work import MilestoneLine, Missing, Standing, day_text
from bot.i18n import Translator, translator
from bot.services.context import AppContext
from bot.services.notices import Notifier
from bot.services.org_view import OrgCache, OrgSnapshot
from storage.leaders import Milestone, Programme, Recommendation, WorkDecision, WorkItem, WorkProgress
from storage.models import Attachment, ChannelIdentity, JobClaim, Official
from storage.repositories import outbox
from storage.repositories.cases import next_number
from storage.repositories.dialect import insert_for, rowcount
from storage.repositories.officials import OfficialRepository
from storage.uow import Database, note_work

if TYPE_CHECKING:
    from bot.services import Services

OPEN = ("approved",)  # tracked: prompts, overdue
CLOSED = ("done", "not_done")
COUNTED = ("submitted", "change_requested", "approved", "done", "not_done")  # towards the 5 a year
MAX_TEXT = 1000
ESCALATE_AFTER = 3  # days overdue before a programme item goes up to its responsible leader


@dataclass
class TaskDraft:
    """What the registration flow collected (JSON in the chat's state)."""

    title: str = ""
    problem: str = ""
    result: str = ""
    milestones: list[tuple[str, str]] = field(default_factory=list)  # (ISO date, title)
    unit: str = ""
    resources: str = ""
    item_id: int | None = None  # a task sent back for a change, being fixed

    def lines(self) -> list[MilestoneLine]:
        return [MilestoneLine(date.fromisoformat(d), t) for d, t in self.milestones]

    def missing(self) -> list[Missing]:
        return rules.missing(self.unit, self.result, self.lines())

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskDraft:
        milestones = [(str(d), str(t)) for d, t in data.get("milestones") or []]
        return cls(str(data.get("title", "")), str(data.get("problem", "")), str(data.get("result", "")),
                   milestones, str(data.get("unit", "")), str(data.get("resources", "")), data.get("item_id"))

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "problem": self.problem, "result": self.result,
                "milestones": [list(m) for m in self.milestones], "unit": self.unit,
                "resources": self.resources, "item_id": self.item_id}


@dataclass(frozen=True, slots=True)
class Pending:
    decision_id: int
    kind: str
    label: str  # the task's code or, before approval, its title


class Work:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot, notifier: Notifier) -> None:
        self.session, self.app, self.org, self.notifier = session, app, org, notifier
        self.official_rows = OfficialRepository(session)

    # --- who -------------------------------------------------------------------------------------------------

    async def official(self, official_id: int | None, *roles: str) -> Official:
        official = await self.session.get(Official, official_id) if official_id else None
        if official is None or not official.active or (roles and official.role not in roles):
            raise Refused("work.refused.not_allowed")
        return official

    async def committee_ids(self) -> list[int]:
        return [o.id for o in await self.official_rows.active("committee")]

    def today(self) -> date:
        return self.app.clock.now().astimezone(self.app.tz).date()

    async def tell(self, official_ids: list[int], render: Callable[[Translator], str]) -> None:
        await self.tell_accounts(await self.notifier.accounts_of(official_ids), render)

    async def tell_accounts(self, accounts: list[ChannelIdentity], render: Callable[[Translator], str]) -> None:
        """A notice to officials, each in their chat's language; outside the quiet-hours window (a prompt
        ticked at midnight, a registration sent late at night) it waits for the window to open."""
        now = self.app.clock.now()
        quiet = QuietHours.from_settings(self.org.settings.get("quiet_hours"))
        for identity in accounts:
            official = await self.session.get(Official, identity.official_id)
            release = now if official is None or official.quiet_hours_opt_out else quiet.next_allowed(
                now, self.org.calendar)
            t = translator(await self.notifier.language_of(identity))
            await outbox.add(self.session, channel=identity.channel, chat_id=identity.chat_id,
                             payload=Outbound(text=render(t)).to_json(), now=now, purpose="notice",
                             not_before=release)

    # --- registration ----------------------------------------------------------------------------------------

    async def can_register(self, official_id: int | None) -> int:
        """The year a leader registers for, once allowed (a leader with fewer than 5 tasks that year)."""
        leader = await self.official(official_id, "leader")
        year = self.today().year
        count = (await self.session.execute(select(func.count(WorkItem.id)).where(
            WorkItem.owner_id == leader.id, WorkItem.kind == "task", WorkItem.year == year,
            WorkItem.status.in_(COUNTED)))).scalar_one()
        if count >= rules.MAX_TASKS_PER_YEAR:
            raise Refused("work.refused.five_a_year", year=year)
        return year

    async def submit(self, official_id: int | None, draft: TaskDraft) -> WorkItem:
        """Send the task to the standing committee; refused (naming what is missing) without the 5 rõ."""
        gaps = draft.missing()
        if gaps:
            raise Refused("work.refused.missing", missing=",".join(gaps))
        unit = self.org.units.get(draft.unit)
        if unit is None:
            raise Refused("work.refused.missing", missing=Missing.PERSON.value)
        now = self.app.clock.now()
        if draft.item_id is not None:
            item = await self._own_task(official_id, draft.item_id, ("change_requested",))
            year = item.year
        else:
            year = await self.can_register(official_id)
            item = WorkItem(kind="task", year=year, owner_id=int(official_id or 0), status="submitted",
                            title="", created_at=now)
            self.session.add(item)
        item.title, item.problem, item.expected_result = draft.title, draft.problem, draft.result
        item.resources, item.unit_id, item.status, item.submitted_at = draft.resources, unit.id, "submitted", now
        await self.session.flush()
        await self._replace_milestones(item, draft.lines())
        self.session.add(WorkDecision(item_id=item.id, kind="register", status="pending", asked_by=item.owner_id,
                                      created_at=now))
        await self.session.flush()
        leader = await self.session.get(Official, item.owner_id)
        await self.tell(await self.committee_ids(),
                         lambda t: t("work.committee.new_task", leader=leader.name if leader else "",
                                     title=item.title))
        return item

    async def _replace_milestones(self, item: WorkItem, lines: list[MilestoneLine]) -> None:
        for old in (await self.session.execute(select(Milestone).where(Milestone.item_id == item.id))).scalars():
            await self.session.delete(old)
        for position, line in enumerate(sorted(lines, key=lambda m: m.due), start=1):
            self.session.add(Milestone(item_id=item.id, position=position, title=line.title, due=line.due,
                                       first_due=line.due, redated=False))
        await self.session.flush()

    async def _own_task(self, official_id: int | None, item_id: int, statuses: tuple[str, ...]) -> WorkItem:
        item = await self.session.get(WorkItem, item_id)
        if item is None or item.owner_id != official_id or item.status not in statuses:
            raise Refused("work.refused.not_yours")
        return item

    async def draft_of(self, official_id: int | None, item_id: int) -> TaskDraft:
        """A task the committee sent back for a change, as a draft to fix and send again."""
        item = await self._own_task(official_id, item_id, ("change_requested",))
        unit = self.org.units_by_id.get(item.unit_id or -1)
        return TaskDraft(item.title, item.problem or "", item.expected_result or "",
                         [(m.due.isoformat(), m.title) for m in await self.milestones(item.id)],
                         unit.code if unit else "", item.resources or "", item.id)

    async def milestones(self, item_id: int) -> list[Milestone]:
        return list((await self.session.execute(
            select(Milestone).where(Milestone.item_id == item_id).order_by(Milestone.position))).scalars())

    # --- the committee's decisions ---------------------------------------------------------------------------

    async def pending(self, official_id: int | None) -> list[Pending]:
        await self.official(official_id, "committee")
        rows = (await self.session.execute(
            select(WorkDecision.id, WorkDecision.kind, WorkItem.code, WorkItem.title)
            .join(WorkItem, WorkItem.id == WorkDecision.item_id)
            .where(WorkDecision.status == "pending").order_by(WorkDecision.id))).all()
        return [Pending(d, kind, code or title[:40]) for d, kind, code, title in rows]

    async def decision(self, official_id: int | None, decision_id: int) -> tuple[WorkDecision, WorkItem]:
        await self.official(official_id, "committee")
        decision = await self.session.get(WorkDecision, decision_id)
        if decision is None or decision.status != "pending":
            raise Refused("work.refused.decided")
        item = await self.session.get(WorkItem, decision.item_id)
        assert item is not None
        return decision, item

    async def decide(self, official_id: int | None, decision_id: int, verdict: str, comment: str = "") -> str:
        """approve | change | return (a registration); accept | refuse (a new date, a close as not done)."""
        decision, item = await self.decision(official_id, decision_id)
        now = self.app.clock.now()
        allowed = {"register": ("approve", "change", "return")}.get(decision.kind, ("accept", "refuse"))
        if verdict not in allowed:
            raise Refused("work.refused.decided")
        decision.decided_by, decision.decided_at, decision.comment = official_id, now, comment or None
        decision.status = {"approve": "approved", "change": "change_requested", "return": "returned",
                           "accept": "accepted", "refuse": "refused"}[verdict]
        if decision.kind == "register":
            item.status, item.comment = decision.status, comment or None
            if verdict == "approve":
                item.approved_at = now
                item.code = rules.task_code(item.year, await next_number(self.session, f"DP-{item.year}"))
        elif decision.kind == "redate" and verdict == "accept":
            milestone = await self.session.get(Milestone, decision.milestone_id)
            assert milestone is not None and decision.new_due is not None
            milestone.due, milestone.redated = decision.new_due, True
        elif decision.kind == "not_done" and verdict == "accept":
            item.status, item.closed_reason, item.closed_at = "not_done", decision.reason, now
        await self.session.flush()
        label = item.code or item.title
        key = f"work.decided.{decision.kind}.{verdict}"
        await self.tell([item.owner_id], lambda t: t(key, task=label, comment=comment or t("work.no_comment")))
        return label

    # --- the leader's own tasks ------------------------------------------------------------------------------

    async def tasks_of(self, official_id: int | None) -> list[WorkItem]:
        official = await self.official(official_id)
        stmt = select(WorkItem).where(WorkItem.status.not_in(("returned",)))
        if official.role == "overseer":
            stmt = stmt.where(WorkItem.kind == "task")
        elif official.role == "committee":
            pass  # the standing committee follows everything: tasks and programme items
        elif official.role == "leader":
            stmt = stmt.where(WorkItem.owner_id == official.id)
        else:
            stmt = stmt.where(WorkItem.unit_id == official.unit_id, WorkItem.status.in_(OPEN + CLOSED))
        return list((await self.session.execute(stmt.order_by(WorkItem.year, WorkItem.id))).scalars())

    async def by_code(self, official_id: int | None, code: str) -> WorkItem:
        wanted = code.strip().upper()
        for item in await self.tasks_of(official_id):
            if (item.code or "").upper() == wanted:
                return item
        raise Refused("work.refused.no_such_task", code=code.strip()[:32])

    async def _tracked(self, official_id: int | None, code: str) -> WorkItem:
        """An open task or item that this official reports on: its leader, or the head of its unit."""
        item = await self.by_code(official_id, code)
        official = await self.official(official_id)
        reports = item.owner_id == official.id or (item.unit_id == official.unit_id and official.role == "head")
        if not reports:
            raise Refused("work.refused.not_yours")
        if item.status not in OPEN:
            raise Refused("work.refused.closed", code=item.code or "")
        return item

    async def tracked(self, official_id: int | None, code: str) -> WorkItem:
        return await self._tracked(official_id, code)

    async def report(self, official_id: int | None, code: str, percent: int, note: str,
                     media: tuple[str, MediaRef] | None = None) -> WorkItem:
        """A progress report: percent, a note, and optionally a photo or document (fetched later, as a
        citizen's evidence is)."""
        item = await self._tracked(official_id, code)
        if not 0 <= percent <= 100:
            raise Refused("work.refused.percent")
        today = self.today()
        attachment_id = None
        if media is not None:
            channel, ref = media
            attachment_id = (await self._attach(item, channel, ref)).id
        self.session.add(WorkProgress(item_id=item.id, official_id=int(official_id or 0), percent=percent,
                                      period=rules.month_label(today), note=note[:MAX_TEXT] or None,
                                      attachment_id=attachment_id, at=self.app.clock.now()))
        item.percent = percent
        await self.session.flush()
        return item

    async def _attach(self, item: WorkItem, channel: str, ref: MediaRef) -> Attachment:
        try:
            check_media(ref.kind, ref.mime, ref.size)
        except MediaRejected as rejected:
            raise Refused("work.refused.media") from rejected
        now = self.app.clock.now()
        row = Attachment(kind=ref.kind, mime=ref.mime or "application/octet-stream", size=ref.size or 0,
                         sha256="", storage="db", owner_key=f"work:{item.id}", created_at=now, status="pending",
                         channel=channel, platform_ref=ref.ref, name=ref.name, fetch_attempts=0, fetch_after=now)
        self.session.add(row)
        await self.session.flush()
        note_work(self.session, "media", channel, str(row.id))  # the media job hears of it on commit
        return row

    async def milestone_done(self, official_id: int | None, code: str, position: int) -> Milestone:
        item = await self._tracked(official_id, code)
        milestone = next((m for m in await self.milestones(item.id) if m.position == position), None)
        if milestone is None:
            raise Refused("work.refused.no_milestone")
        milestone.done_at = milestone.done_at or self.app.clock.now()
        await self.session.flush()
        return milestone

    async def ask_redate(self, official_id: int | None, code: str, position: int, new_due: date,
                         reason: str) -> WorkItem:
        """Once per milestone, with a reason; the committee decides."""
        item = await self._tracked(official_id, code)
        milestone = next((m for m in await self.milestones(item.id) if m.position == position), None)
        if milestone is None or milestone.done_at is not None:
            raise Refused("work.refused.no_milestone")
        asked = (await self.session.execute(select(func.count(WorkDecision.id)).where(
            WorkDecision.milestone_id == milestone.id, WorkDecision.kind == "redate",
            WorkDecision.status.in_(("pending", "accepted"))))).scalar_one()
        if milestone.redated or asked:
            raise Refused("work.refused.redated_once")
        if new_due <= milestone.due:
            raise Refused("work.refused.date_not_later")
        return await self._ask(item, "redate", official_id, reason, milestone_id=milestone.id, new_due=new_due)

    async def close(self, official_id: int | None, code: str, done: bool, reason: str = "") -> WorkItem:
        """Done at once; "not done" only with a reason, and only when the committee accepts it (3 không)."""
        item = await self._tracked(official_id, code)
        if done:
            item.status, item.closed_at, item.percent = "done", self.app.clock.now(), 100
            await self.session.flush()
            return item
        if not reason.strip():
            raise Refused("work.refused.reason_needed")
        return await self._ask(item, "not_done", official_id, reason)

    async def _ask(self, item: WorkItem, kind: str, official_id: int | None, reason: str, *,
                   milestone_id: int | None = None, new_due: date | None = None) -> WorkItem:
        pending = (await self.session.execute(select(func.count(WorkDecision.id)).where(
            WorkDecision.item_id == item.id, WorkDecision.kind == kind,
            WorkDecision.status == "pending"))).scalar_one()
        if pending:
            raise Refused("work.refused.already_asked")
        self.session.add(WorkDecision(item_id=item.id, kind=kind, milestone_id=milestone_id, new_due=new_due,
                                      reason=reason[:MAX_TEXT], status="pending", asked_by=int(official_id or 0),
                                      created_at=self.app.clock.now()))
        await self.session.flush()
        await self.tell(await self.committee_ids(),
                         lambda t: t(f"work.committee.asked_{kind}", task=item.code or item.title))
        return item

    # --- programmes ------------------------------------------------------------------------------------------

    async def can_record_programme(self, official_id: int | None) -> Official:
        official = await self.official(official_id)
        coordinator = self.org.units.get(str(self.org.settings.get("coordinator") or ""))
        office = coordinator is not None and official.unit_id == coordinator.id and official.role == "head"
        if not office and official.role != "committee":
            raise Refused("work.refused.not_allowed")
        return official

    async def leaders(self) -> list[Official]:
        """Who may answer for a programme item: the active leaders."""
        return await self.official_rows.active("leader")

    async def record_programme(self, official_id: int | None, title: str, items: list[dict[str, Any]]) -> Programme:
        """A programme with its items; each item: title, result, method, resources, unit (a code), leader (an
        official's id), milestones [(ISO date, title)]. Every item must have its 5 rõ."""
        official = await self.can_record_programme(official_id)
        year, now = self.today().year, self.app.clock.now()
        leaders = {o.id for o in await self.leaders()}
        for number, spec in enumerate(items, start=1):
            lines = [MilestoneLine(date.fromisoformat(d), t) for d, t in spec.get("milestones", [])]
            unit = spec.get("unit") if spec.get("unit") in self.org.units else None
            gaps = rules.missing(unit, spec.get("result"), lines)
            if spec.get("leader") not in leaders and Missing.PERSON not in gaps:
                gaps.insert(0, Missing.PERSON)
            if gaps:
                raise Refused("work.refused.item_missing", number=number, missing=",".join(gaps))
        if not items:
            raise Refused("work.refused.no_items")
        code = rules.programme_code(year, await next_number(self.session, f"CT-{year}"))
        programme = Programme(code=code, title=title, year=year, created_by=official.id, created_at=now)
        self.session.add(programme)
        await self.session.flush()
        for number, spec in enumerate(items, start=1):
            item = WorkItem(kind="item", year=year, programme_id=programme.id, owner_id=int(spec["leader"]),
                            unit_id=self.org.units[spec["unit"]].id, title=spec["title"],
                            expected_result=spec["result"], method=spec.get("method") or None,
                            resources=spec.get("resources") or None, status="approved",
                            code=rules.item_code(code, number), created_at=now, approved_at=now)
            self.session.add(item)
            await self.session.flush()
            await self._replace_milestones(
                item, [MilestoneLine(date.fromisoformat(d), t) for d, t in spec["milestones"]])
            heads = [o.id for o in await _unit_heads(self.session, item.unit_id)]
            await self.tell(heads, _words("work.item_assigned", code=item.code or "", title=item.title,
                                          programme=title))
        return programme

    # --- where things stand ----------------------------------------------------------------------------------

    async def standing(self, item: WorkItem, today: date | None = None) -> Standing:
        marks = [(m.due, m.done_at is not None) for m in await self.milestones(item.id)]
        return rules.standing(item.status, marks, today or self.today())


# --- the periodic jobs --------------------------------------------------------------------------------------


def _words(key: str, **params: Any) -> Callable[[Translator], str]:
    """A notice's words, put in each reader's language when it is sent."""
    return lambda t: t(key, **params)


async def _claim(session: AsyncSession, job: str, period: str, now: datetime) -> bool:
    result = await session.execute(insert_for(session, JobClaim).values(job=job, period=period, claimed_at=now)
                                   .on_conflict_do_nothing(index_elements=["job", "period"]))
    return bool(rowcount(result))


def prompt_moment(org: OrgSnapshot, today: date) -> date:
    """This month's prompt day (the org file's `work: {prompt_day: N}`, default the 1st)."""
    setting = org.settings.get("work") or {}
    day = int(setting.get("prompt_day", rules.PROMPT_DAY))
    return date(today.year, today.month, max(1, min(day, 28)))


async def run_work_jobs(db: Database, clock: Clock, *, org: OrgCache | None = None,
                        wake: Callable[[], None] | None = None) -> int:
    """Catch-up: this month's progress prompts (once per item and month), an overdue milestone's notice
    (once per milestone and date), and the committee's monthly and year-end summaries. Returns messages queued
    (counted as claims taken)."""
    from bot.services import Services  # the services bundle builds on this module
    from bot.services.context import AppContext

    cache = org or OrgCache()
    now = clock.now()
    done = 0
    async with db.unit_of_work() as uow:
        snapshot = await cache.get(uow.session, now.date())
        tz = snapshot.calendar.tz
        services = Services(uow, AppContext(clock=clock, tz=tz, org=cache), snapshot)
        today = now.astimezone(tz).date()
        done += await _prompts(services, today, now)
        done += await _overdue(services, today, now)
        done += await _late_recommendations(services, today, now)
        from bot.services.work_summary import send_summaries

        done += await send_summaries(services, today, now)
        if done and wake is not None:
            uow.after_commit(wake)
        await uow.commit()
    return done


async def _prompts(services: Services, today: date, now: datetime) -> int:
    if today < prompt_moment(services.org, today):
        return 0
    month = rules.month_label(today)
    items = (await services.session.execute(
        select(WorkItem).where(WorkItem.status.in_(OPEN)).order_by(WorkItem.id))).scalars().all()
    sent = 0
    for item in items:
        if not await _claim(services.session, "work-prompt", f"{month}:{item.id}", now):
            continue
        work: Work = services.work
        late = await work.standing(item, today) is Standing.LATE
        to = [item.owner_id] if item.kind == "task" else [
            o.id for o in await _unit_heads(services.session, item.unit_id)] or [item.owner_id]
        code = item.code or ""

        def prompt(t: Translator, code: str = code, title: str = item.title, late: bool = late) -> str:
            words = t("work.prompt", code=code, title=title, month=month)
            return words + ("\n" + t("work.prompt_late") if late else "")

        await work.tell(to, prompt)
        sent += 1
    return sent


async def _unit_heads(session: AsyncSession, unit_id: int | None) -> list[Official]:
    return await OfficialRepository(session).active("head", unit_id=unit_id) if unit_id is not None else []


async def _overdue(services: Services, today: date, now: datetime) -> int:
    """A milestone past its date, not done: its leader is told once per date; a programme item's unit head
    too, and the responsible leader hears it as an escalation."""
    rows = (await services.session.execute(
        select(Milestone, WorkItem).join(WorkItem, WorkItem.id == Milestone.item_id)
        .where(WorkItem.status.in_(OPEN), Milestone.done_at.is_(None), Milestone.due < today)
        .order_by(Milestone.id))).all()
    sent = 0
    for milestone, item in rows:
        if not await _claim(services.session, "work-overdue", f"{milestone.id}:{milestone.due.isoformat()}", now):
            continue
        days = (today - milestone.due).days
        work: Work = services.work
        params = {"code": item.code or "", "milestone": milestone.title, "due": day_text(milestone.due),
                  "days": days}
        if item.kind == "item":
            heads = [o.id for o in await _unit_heads(services.session, item.unit_id)]
            await work.tell(heads or [item.owner_id], _words("work.overdue", **params))
        else:
            await work.tell([item.owner_id], _words("work.overdue", **params))
        sent += 1
    return sent + await _escalate(services, today, now)


async def _late_recommendations(services: Services, today: date, now: datetime) -> int:
    """An overseer's recommendation past its date without an answer: the unit's head is reminded, once."""
    rows = (await services.session.execute(select(Recommendation).where(
        Recommendation.answered_at.is_(None), Recommendation.due < today).order_by(Recommendation.id))).scalars()
    sent = 0
    for rec in list(rows):
        if not await _claim(services.session, "recommendation-late", str(rec.id), now):
            continue
        chiefs = await services.notifier.unit_chiefs(rec.unit_id)
        await services.work.tell_accounts(chiefs, _words(
            "oversight.rec_overdue", code=rec.code, due=day_text(rec.due)))
        sent += 1
    return sent


def escalate_after(org: OrgSnapshot) -> int:
    """Days a programme item's milestone may stay overdue before its responsible leader is told (the org
    file's `work: {escalate_after_days: N}`, default 3)."""
    return int((org.settings.get("work") or {}).get("escalate_after_days", ESCALATE_AFTER))


async def _escalate(services: Services, today: date, now: datetime) -> int:
    """A programme item still overdue after the delay goes up to its responsible leader, once per date."""
    limit = today - timedelta(days=escalate_after(services.org))
    rows = (await services.session.execute(
        select(Milestone, WorkItem).join(WorkItem, WorkItem.id == Milestone.item_id)
        .where(WorkItem.kind == "item", WorkItem.status.in_(OPEN), Milestone.done_at.is_(None),
               Milestone.due < limit)
        .order_by(Milestone.id))).all()
    sent = 0
    for milestone, item in rows:
        if not await _claim(services.session, "work-escalate", f"{milestone.id}:{milestone.due.isoformat()}", now):
            continue
        unit = services.org.units_by_id.get(item.unit_id or -1)
        params = {"code": item.code or "", "milestone": milestone.title, "due": day_text(milestone.due),
                  "days": (today - milestone.due).days, "unit": unit.code if unit else ""}
        await services.work.tell([item.owner_id], _words("work.escalated", **params))
        sent += 1
    return sent
