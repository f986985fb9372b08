"""The deadline sweep: a catch-up job over the database, run by the ticker every minute and by tests directly.

`run_sweep(db, clock)` takes the cases whose `next_action_at` has passed - one query on its index, so the cost
follows the number of due cases, not of open ones - decides each case's reminders and escalations (pure, in
`bot.domain.reminders`), writes them to the outbox and moves `next_action_at` on, all in one transaction per
batch. Rows are claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL (BEGIN IMMEDIATE serialises SQLite
writers), and every notice is recorded (case_reminders, escalations, outbox dedup keys), so two sweeps at once,
or one run twice, send nothing twice. The same run sends each head the 08:00 overdue list of their units and
releases notices held for quiet hours.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import Choice
from bot.clock import Clock
from bot.domain.action_keys import Verb
from bot.domain.cases import OPEN_STATUSES, Action, CaseStatus, next_status
from bot.domain.deadlines import TimeUnit, pick_policy
from bot.domain.reminders import (
    Deadlines,
    EscalationRules,
    Level,
    NoticeKind,
    OpenEscalation,
    QuietHours,
    plan,
)
from bot.i18n import Translator, translator
from bot.services.escalation import ACK_PREFIX
from bot.services.notices import Letter, Letterbox, Person, Recipients, action_choices, release_held
from bot.services.org_view import OrgCache, OrgSnapshot
from storage.models import Case, CaseReminder, ChannelIdentity, Escalation, JobClaim, Official, OutboxItem
from storage.repositories.cases import CaseRepository
from storage.repositories.dialect import insert_for, rowcount
from storage.repositories.officials import OfficialRepository
from storage.uow import Database

log = logging.getLogger(__name__)

SWEEP_BATCH = 200
OVERDUE_LIST_AT = time(8, 0)
OVERDUE_LIST_LINES = 10
ACCEPTED = frozenset({CaseStatus.ASSIGNED.value, CaseStatus.IN_PROGRESS.value, CaseStatus.WAITING_CITIZEN.value})
OPEN = tuple(s.value for s in OPEN_STATUSES)
CALENDAR_UNITS = (TimeUnit.CALENDAR_DAYS, TimeUnit.CALENDAR_HOURS)


@dataclass
class SweepReport:
    cases: int = 0  # due cases taken and moved on
    reminders: int = 0
    escalations: int = 0
    repeats: int = 0
    messages: int = 0  # outbox rows written
    overdue_lists: int = 0
    released: int = 0  # held notices whose quiet hours ended
    repaired: int = 0  # open cases that had no next action or an inactive holder, put right
    rerouted: int = 0  # notices held unseen on an official's channel, sent another way or reported to the head
    would_send: list[OutboxItem] = field(default_factory=list)  # a what-if run: the rows it would have written


async def run_sweep(db: Database, clock: Clock, *, org: OrgCache | None = None,
                    wake: Callable[[], None] | None = None, batch: int = SWEEP_BATCH,
                    what_if: bool = False) -> SweepReport:
    """Everything due by `clock.now()` that is not yet done; safe to run late, twice, or in two processes.

    `what_if`: do it all in one transaction, keep the messages it wrote in the report, and roll it back -
    nothing is sent, nothing moves on (`tiepdan sweep --at` without `--send`)."""
    now = clock.now()
    cache = org or OrgCache()
    report = SweepReport()
    if what_if:
        return await _what_if(db, cache, now, report, batch)
    first = True
    while True:
        async with db.unit_of_work() as uow:
            sweep = Sweep(uow.session, await _snapshot(uow.session, cache, now), now, report)
            taken = await sweep.run_batch(batch)
            if first:  # once per run, in the first batch's transaction: an idle sweep is one transaction
                report.repaired = await sweep.invariants()
                report.rerouted = await sweep.unreachable()
                report.released = await release_held(uow.session, now)
                await sweep.overdue_lists()
            report.messages += await sweep.box.post(uow.session, now)
            if wake is not None:
                uow.after_commit(wake)
            await uow.commit()
        first = False
        if taken < batch:
            if report.cases or report.messages or report.released:
                log.info("deadline sweep: %s", report)
            return report


async def _what_if(db: Database, cache: OrgCache, now: datetime, report: SweepReport, batch: int) -> SweepReport:
    async with db.unit_of_work() as uow:  # never committed: the unit of work rolls back
        last = (await uow.session.execute(select(func.coalesce(func.max(OutboxItem.id), 0)))).scalar_one()
        first = True
        while True:
            sweep = Sweep(uow.session, await _snapshot(uow.session, cache, now), now, report)
            taken = await sweep.run_batch(batch)
            if first:
                report.repaired = await sweep.invariants()
                report.rerouted = await sweep.unreachable()
                report.released = await release_held(uow.session, now)
                await sweep.overdue_lists()
            report.messages += await sweep.box.post(uow.session, now)
            first = False
            if taken < batch:
                break
        report.would_send = list((await uow.session.execute(
            select(OutboxItem).where(OutboxItem.id > last).order_by(OutboxItem.id))).scalars())
        uow.session.expunge_all()
    return report


async def _snapshot(session: AsyncSession, cache: OrgCache, now: datetime) -> OrgSnapshot:
    return await cache.get(session, now.date())


def rearm(case: Case, now: datetime) -> None:
    """Ask the next sweep to look at `case` again (after an accept, a transfer, an extension, a resumed pause)."""
    if case.next_action_at is None or case.next_action_at > now:
        case.next_action_at = now


class Sweep:
    def __init__(self, session: AsyncSession, org: OrgSnapshot, now: datetime, report: SweepReport) -> None:
        self.session, self.org, self.now, self.report = session, org, now, report
        self.case_rows, self.official_rows = CaseRepository(session), OfficialRepository(session)
        self.calendar = org.calendar
        self.rules = EscalationRules.from_settings(org.settings.get("escalation"))
        self.quiet = QuietHours.from_settings(org.settings.get("quiet_hours"))
        self.recipients = Recipients(session, org)
        self.box = Letterbox(self.calendar, self.quiet)

    # --- invariants -------------------------------------------------------------------------------------

    async def invariants(self) -> int:
        """Every open case has a next action and a holder who can act: a case with no next action is looked
        at now; one held by an official whose access ended goes back to its unit (to be taken again, its
        reminders to the unit's desk). Returns how many cases were put right."""
        orphans = await self.case_rows.without_next_action(OPEN)
        for case in orphans:
            log.warning("open case %s had no next action: looked at now", case.code)
            case.next_action_at = self.now
        stranded = await self.case_rows.held_by_inactive(OPEN)
        for case in stranded:
            log.warning("open case %s was held by an inactive official: handed back to its unit", case.code)
            before, holder = case.status, case.assignee_id
            if before in ACCEPTED and before != CaseStatus.WAITING_CITIZEN.value:
                case.status = next_status(before, Action.HAND_BACK).value
            case.assignee_id, case.next_action_at = None, self.now
            await self.case_rows.add_event(case, at=self.now, action="handed_back", actor_kind="system",
                                           actor_id=None, from_status=before if case.status != before else None,
                                           to_status=case.status if case.status != before else None,
                                           data={"from": holder})
        return len(orphans) + len(stranded)

    async def unreachable(self) -> int:
        """A deadline notice the platform holds for an official (a Zalo OA window closed, no quota) is sent
        to another account they linked; with none, the head of their unit is told the official cannot be
        reached. Once per held row (dedup keys); the held row itself still goes when the official writes."""
        rows = (await self.session.execute(
            select(OutboxItem, ChannelIdentity.official_id)
            .join(ChannelIdentity, (ChannelIdentity.channel == OutboxItem.channel)
                  & (ChannelIdentity.chat_id == OutboxItem.chat_id))
            .where(OutboxItem.status == "held", OutboxItem.attempts > 0, OutboxItem.purpose == "deadline",
                   ChannelIdentity.official_id.is_not(None))
            .order_by(OutboxItem.id)
        )).all()
        done = 0
        for row, official_id in rows:
            if official_id is None:  # not selected
                continue
            others = [r for r in await self.recipients.reach([official_id])
                      if (r.channel, r.chat_id) != (row.channel, row.chat_id)]
            if others:
                for reach in others:
                    self.box.add(Letter(reach, row.payload.get("text", ""), f"reroute:{row.id}:{reach.identity_id}",
                                        choices=tuple(Choice(k, label) for k, label in row.payload.get("choices") or []),
                                        case_id=row.case_id))
                done += 1
                continue
            official = await self.session.get(Official, official_id)
            if official is None:
                continue
            heads = [p for p in await self.recipients.leading(self.org.units_by_id[official.unit_id].code, "head",
                                                              "leader") if p.id != official_id]
            name, channel = official.name, row.channel
            for reach in await self.recipients.reach(p.id for p in heads):
                t = translator(reach.language)
                text = t("deadline.unreachable", name=name, channel=channel,
                         notice=row.payload.get("text", "").split("\n", 1)[0])
                self.box.add(Letter(reach, text, f"unreachable:{row.id}:{reach.identity_id}", case_id=row.case_id))
            done += 1
        return done

    # --- due cases --------------------------------------------------------------------------------------

    async def run_batch(self, limit: int) -> int:
        cases = await self.case_rows.due(self.now, limit)  # another sweep's cases are skipped, not waited for
        for case in cases:
            await self.handle(case)
            if case.next_action_at is not None and case.next_action_at <= self.now:
                # A plan must move the case on, or the batch loop would take it again at once.
                log.error("case %s planned at %s, not after %s", case.code, case.next_action_at, self.now)
                case.next_action_at = self.now + timedelta(minutes=1)
        self.report.cases += len(cases)
        return len(cases)

    async def handle(self, case: Case) -> None:
        escalations = list((await self.session.execute(
            select(Escalation).where(Escalation.case_id == case.id).order_by(Escalation.id))).scalars())
        if case.status not in OPEN or case.due_at is None:
            for escalation in escalations:
                escalation.next_repeat_at = None
            case.next_action_at = None
            return
        if case.status == CaseStatus.WAITING_CITIZEN.value or case.paused_at is not None:
            # The clock is stopped while the citizen is asked; look again at the next office opening.
            case.next_action_at = self._recheck()
            return
        # A ladder belongs to a due date and to the unit's chain it climbed: after an extension, or a transfer
        # to another unit, the old ladder stops and the new unit's head and leader are told afresh (the
        # citizen's clock - the due date - stays as it was).
        chain = set(ancestors(self.org, case.unit_id))
        current = [e for e in escalations if e.due_at == case.due_at and e.unit_id in chain]
        for escalation in escalations:
            if escalation not in current:
                escalation.next_repeat_at = None
        facts = Deadlines(
            created_at=case.created_at, due_at=case.due_at, accept_due_at=case.accept_due_at,
            accepted=case.status in ACCEPTED, calendar_time=self._calendar_time(case),
        )
        decided = plan(
            facts, self.now, self.calendar, self.rules,
            raised={Level(e.level) for e in current},
            open_escalations=[OpenEscalation(e.id, Level(e.level), e.next_repeat_at) for e in current
                              if e.acknowledged_at is None and e.next_repeat_at is not None],
            quiet=self.quiet,
        )
        for kind in decided.reminders:
            await self._remind(case, kind)
        for level in decided.escalate:
            await self._escalate(case, level, decided.first_repeat[level])
        by_id = {e.id: e for e in current}
        for escalation_id in decided.repeats:
            await self._repeat(case, by_id[escalation_id], decided.repeat_after[escalation_id])
        case.next_action_at = decided.next_action_at or self._recheck()

    def _calendar_time(self, case: Case) -> bool:
        category = self.org.categories_by_id.get(case.category_id or -1)
        policy = pick_policy(self.org.policies, case.kind, category.code if category else None)
        return policy is not None and policy.resolve.unit in CALENDAR_UNITS

    def _recheck(self) -> datetime:
        today = self.calendar.local(self.now).date()
        return self.calendar.start_of_day(self.calendar.next_working_day(today))

    # --- reminders ----------------------------------------------------------------------------------------

    async def _remind(self, case: Case, kind: NoticeKind) -> None:
        about = case.accept_due_at if kind is NoticeKind.ACCEPT_LATE else case.due_at
        assert about is not None
        claimed = await self.session.execute(
            insert_for(self.session, CaseReminder)
            .values(case_id=case.id, kind=kind.value, due_at=about, sent_at=self.now)
            .on_conflict_do_nothing(index_elements=["case_id", "kind", "due_at"])
        )
        if not rowcount(claimed):
            return
        self.report.reminders += 1
        people = await self._reminded(case, kind)
        assignee = await self.recipients.name(case.assignee_id)
        # Each notice carries the action it asks for: take the case, or answer (or extend) the one held.
        held = case.status in ACCEPTED and case.assignee_id is not None
        chiefs = {p.id for p in people if p.role in ("head", "leader")}
        for reach in await self.recipients.reach(p.id for p in people):
            verbs = ((Verb.ANSWER, Verb.EXTEND, Verb.VIEW) if held
                     else (Verb.ACCEPT, Verb.ASSIGN, Verb.VIEW) if reach.official_id in chiefs
                     else (Verb.ACCEPT, Verb.VIEW))
            t = translator(reach.language)
            params = self._case_words(case, t, about)
            text = t(f"deadline.remind.{kind.value}", **params, assignee=assignee or t("deadline.nobody"))
            self.box.add(Letter(reach, text, f"dl:{case.id}:{kind.value}:{_stamp(about)}:{reach.identity_id}",
                                case_id=case.id, choices=tuple(action_choices(t, case.id, verbs)), code=case.code))

    async def _reminded(self, case: Case, kind: NoticeKind) -> list[Person]:
        """The holder of the case; the unit's officers when nobody holds it; the whole desk when late to accept."""
        if kind is NoticeKind.ACCEPT_LATE:
            return await self.recipients.in_unit(case.unit_id, ("officer", "head"))
        if case.status in ACCEPTED and case.assignee_id is not None:
            return [Person(case.assignee_id, "", case.unit_id, "officer")]
        return await self.recipients.first_of(case.unit_id, "officer", "head")

    # --- escalations --------------------------------------------------------------------------------------

    async def _addressees(self, case: Case, level: Level) -> list[Person]:
        unit = self.org.units_by_id[case.unit_id]
        if level is Level.HEAD:
            return await self.recipients.leading(unit.code, "head", "leader")
        if unit.parent_code is None:
            return []  # a root unit: its head already heard, there is nobody above
        return await self.recipients.leading(unit.parent_code, "leader", "head")

    async def _escalate(self, case: Case, level: Level, first_repeat: datetime) -> None:
        for person in await self._addressees(case, level):
            result = await self.session.execute(
                insert_for(self.session, Escalation).values(
                    case_id=case.id, level=level.value, unit_id=person.unit_id, official_id=person.id,
                    due_at=case.due_at, raised_at=self.now, repeats=0, next_repeat_at=first_repeat,
                ).on_conflict_do_nothing(index_elements=["case_id", "level", "official_id", "due_at"])
                .returning(Escalation.id)
            )
            escalation_id = result.scalar_one_or_none()
            if escalation_id is None:
                continue
            self.report.escalations += 1
            await self._tell(case, level, escalation_id, person.id, repeat=0)

    async def _repeat(self, case: Case, escalation: Escalation, next_at: datetime) -> None:
        escalation.repeats += 1
        escalation.next_repeat_at = next_at
        self.report.repeats += 1
        await self._tell(case, Level(escalation.level), escalation.id, escalation.official_id,
                         repeat=escalation.repeats)

    async def _tell(self, case: Case, level: Level, escalation_id: int, official_id: int, *, repeat: int) -> None:
        assert case.due_at is not None
        assignee = await self.recipients.name(case.assignee_id)
        heads = await self.recipients.leading(self.org.units_by_id[case.unit_id].code, "head", "leader")
        late = self.calendar.working_days_between(self.calendar.local(case.due_at).date(),
                                                  self.calendar.local(self.now).date())
        for reach in await self.recipients.reach([official_id]):
            t = translator(reach.language)
            words = self._case_words(case, t, case.due_at)
            words["assignee"] = assignee or t("deadline.nobody")
            if level is Level.HEAD:
                text = t("deadline.escalate.head", **words, number=escalation_id)
            else:
                text = t("deadline.escalate.parent", **words, number=escalation_id, days=max(late, 1),
                         head=", ".join(p.name for p in heads) or t("deadline.nobody"))
            if repeat:
                text = t("deadline.escalate.again", count=repeat) + " " + text
            choice = Choice(f"{ACK_PREFIX}{escalation_id}", t("deadline.ack_button", code=case.code))
            self.box.add(Letter(reach, text, f"esc:{escalation_id}:{repeat}:{reach.identity_id}",
                                choices=(choice,), case_id=case.id))

    def _case_words(self, case: Case, t: Translator, due: datetime) -> dict[str, object]:
        category = self.org.categories_by_id.get(case.category_id or -1)
        unit = self.org.units_by_id.get(case.unit_id)
        return {
            "code": case.code,
            "kind": t(f"kind.{case.kind}"),
            "category": category.name(t.language) if category else t("common.none"),
            "unit": unit.name(t.language) if unit else "",
            "due": t.due(due, self.calendar.tz),
        }

    # --- the 08:00 overdue list ---------------------------------------------------------------------------

    async def overdue_lists(self) -> None:
        """Each head, once per working day from 08:00, gets the overdue cases of their unit and those below."""
        local = self.calendar.local(self.now)
        day = local.date()
        if not self.calendar.is_working_day(day) or local.time() < OVERDUE_LIST_AT:
            return
        if not self.quiet.allows(self.now, self.calendar):
            return  # a list missed all day is superseded by tomorrow's
        # Heads with a linked account and no list yet today: two queries once every head has had theirs.
        heads = await self.official_rows.linked(("head",))
        periods = {head_id: f"{day.isoformat()}:{head_id}" for head_id, _ in heads}
        done = set((await self.session.execute(
            select(JobClaim.period).where(JobClaim.job == "overdue_list", JobClaim.period.in_(periods.values()))
        )).scalars()) if periods else set()
        for head_id, unit_id in heads:
            if periods[head_id] in done:
                continue
            claimed = await self.session.execute(
                insert_for(self.session, JobClaim).values(job="overdue_list", period=periods[head_id],
                                                          claimed_at=self.now)
                .on_conflict_do_nothing(index_elements=["job", "period"])
            )
            if rowcount(claimed):
                await self._overdue_list(head_id, unit_id)

    async def _overdue_list(self, head_id: int, unit_id: int) -> None:
        scope = subtree(self.org, unit_id)
        # A case waiting for the citizen has its clock stopped: never overdue, listed apart as paused.
        where = (Case.unit_id.in_(scope), Case.status.in_(OPEN), Case.status != CaseStatus.WAITING_CITIZEN.value,
                 Case.paused_at.is_(None), Case.due_at < self.now)
        total = (await self.session.execute(select(func.count(Case.id)).where(*where))).scalar_one()
        paused = (await self.session.execute(
            select(Case.code, Case.unit_id, Case.paused_at)
            .where(Case.unit_id.in_(scope), Case.status == CaseStatus.WAITING_CITIZEN.value,
                   Case.paused_at.is_not(None), Case.due_at < self.now)
            .order_by(Case.paused_at, Case.id).limit(OVERDUE_LIST_LINES))).all()
        if not total and not paused:
            return
        rows = (await self.session.execute(
            select(Case.code, Case.unit_id, Case.due_at, Official.name)
            .outerjoin(Official, Official.id == Case.assignee_id)
            .where(*where).order_by(Case.due_at, Case.id).limit(OVERDUE_LIST_LINES)
        )).all()
        self.report.overdue_lists += 1
        today = self.calendar.local(self.now).date()
        for reach in await self.recipients.reach([head_id]):
            t = translator(reach.language)
            lines = [t("deadline.overdue_list", date=t.date(today), count=total,
                       unit=self.org.units_by_id[unit_id].name(t.language))]
            for code, case_unit, due, assignee in rows:
                if due is None:  # not selected (due before now)
                    continue
                late = self.calendar.working_days_between(self.calendar.local(due).date(), today)
                lines.append(t("deadline.overdue_line", code=code, unit=self.org.units_by_id[case_unit].code,
                               days=max(late, 1), due=t.due(due, self.calendar.tz),
                               assignee=assignee or t("deadline.nobody")))
            if total > len(rows):
                lines.append(t("deadline.overdue_more", count=total - len(rows)))
            if paused:
                lines.append(t("deadline.paused_list", count=len(paused)))
            for code, case_unit, since in paused:
                if since is None:  # not selected (paused)
                    continue
                waited = self.calendar.working_days_between(self.calendar.local(since).date(), today)
                lines.append(t("deadline.paused_line", code=code, unit=self.org.units_by_id[case_unit].code,
                               days=waited, since=t.date(self.calendar.local(since))))
            self.box.add(Letter(reach, "\n".join(lines), f"odl:{today.isoformat()}:{head_id}:{reach.identity_id}"))


def ancestors(org: OrgSnapshot, unit_id: int) -> list[int]:
    """The unit and every unit above it."""
    found, unit = [], org.units_by_id.get(unit_id)
    while unit is not None and unit.id not in found:
        found.append(unit.id)
        unit = org.units.get(unit.parent_code) if unit.parent_code else None
    return found


def subtree(org: OrgSnapshot, unit_id: int) -> list[int]:
    """The unit and every unit below it."""
    children: dict[str | None, list[str]] = {}
    for unit in org.units.values():
        children.setdefault(unit.parent_code, []).append(unit.code)
    root = org.units_by_id[unit_id].code
    found, queue = [], [root]
    while queue:
        code = queue.pop()
        if code in found:
            continue
        found.append(code)
        queue.extend(children.get(code, []))
    return sorted(org.units[code].id for code in found)


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp())
