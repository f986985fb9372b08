"""Dialogue sessions (đối thoại trực tiếp với nhân dân): a leader or their office schedules a meeting for an
area and topic; followers are invited; citizens send questions in advance and support others' (one support
each; a near-duplicate, compared without accents, is offered to be joined instead); the office ranks and assigns
them; a reminder goes the day before; the answers go once to everyone who asked or supported; the minutes are
public at /dialogue/<id>; a question left unanswered becomes a case routed as usual, its code told.

Ranking, literally: most supports first, then by area code, then by topic code, then the earlier question.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import MediaRef, Outbound
from bot.clock import Clock
from bot.domain.authz import ANNOUNCER_ROLES, Refused
from bot.domain.calendar import VN_TZ
from bot.domain.cases import CaseKind
from bot.domain.media import MediaRejected, check_media
from bot.domain.text import fold, similarity, tokens
from bot.i18n import Translator, translator
from bot.services.context import AppContext
from bot.services.following import Following
from bot.services.intake import Draft, Intake
from bot.services.org_view import OrgCache, OrgSnapshot
from storage.models import (
    Attachment,
    ChannelIdentity,
    DialogueQuestion,
    DialogueSession,
    DialogueSupport,
    Official,
)
from storage.repositories import outbox
from storage.repositories.conversations import ConversationRepository
from storage.repositories.dialect import is_postgres
from storage.repositories.officials import OfficialRepository
from storage.uow import Database, note_work

REMIND_BEFORE = timedelta(days=1)
PHOTO_OWNER = "dialogue:"  # a question's photo: owned by the asker's account, then by the question (q<id>)
NEAR = 0.6  # share of words in common (accent-insensitive) that makes two questions the same one
MAX_QUESTION = 1500


def near_duplicate(a: str, b: str) -> bool:
    """Whether two questions ask the same thing, with or without diacritics and small typos."""
    ta, tb = set(tokens(a)), set(tokens(b))
    if not ta or not tb:
        return False
    return len(ta & tb) / len(ta | tb) >= NEAR or similarity(a, b) >= 0.85


def rank_key(q: DialogueQuestion) -> tuple[int, str, str, int]:
    return (-q.supports, q.area_code or "~", q.topic or "~", q.id)


@dataclass(frozen=True, slots=True)
class Asked:
    question_id: int | None  # None: a near-duplicate was found, nothing stored yet
    similar_id: int | None = None


async def _language(session: AsyncSession, identity: ChannelIdentity) -> str:
    return await ConversationRepository(session).language(identity.channel, identity.chat_id) or "vi"


class Dialogues:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot, intake: Intake) -> None:
        self.session, self.app, self.org, self.intake = session, app, org, intake
        self.official_rows = OfficialRepository(session)

    async def _office(self, official_id: int | None) -> Official:
        official = await self.session.get(Official, official_id) if official_id is not None else None
        if official is None or not official.active or official.role not in ANNOUNCER_ROLES:
            raise Refused("dialogue.not_allowed")
        return official

    def _within(self, official: Official, unit_id: int) -> bool:
        """The session's unit is the official's own or one beneath it."""
        mine = self.org.units_by_id[official.unit_id].code
        code: str | None = self.org.units_by_id[unit_id].code
        while code is not None:
            if code == mine:
                return True
            code = self.org.units[code].parent_code if code in self.org.units else None
        return False

    async def _managed(self, official_id: int | None, session_id: int) -> tuple[Official, DialogueSession]:
        """The office and an open session of its unit (or a unit beneath it); refused otherwise."""
        official = await self._office(official_id)
        row = await self.get(session_id)
        if row is None or not self._within(official, row.unit_id):
            raise Refused("dialogue.unknown_session")
        if row.closed_at is not None:
            raise Refused("dialogue.closed")
        return official, row

    async def _managed_question(self, official_id: int | None,
                                question_id: int) -> tuple[Official, DialogueSession, DialogueQuestion]:
        question = await self.session.get(DialogueQuestion, question_id)
        if question is None:
            raise Refused("dialogue.unknown_question")
        official, row = await self._managed(official_id, question.session_id)
        return official, row, question

    async def managed(self, official_id: int | None) -> list[DialogueSession]:
        """The open sessions (coming, or held and not yet closed) this office runs, the soonest first."""
        official = await self._office(official_id)
        stmt = (select(DialogueSession).where(DialogueSession.kind == "dialogue", DialogueSession.closed_at.is_(None))
                .order_by(DialogueSession.starts_at, DialogueSession.id))  # the law's reception days are not run here
        return [r for r in (await self.session.execute(stmt)).scalars() if self._within(official, r.unit_id)][:9]

    async def attendee_choices(self) -> list[tuple[str, str]]:
        """(seat, name) of the organisation's leaders, then the heads of its units: who may attend."""
        rows = (await self.session.execute(
            select(Official.seat, Official.name, Official.role).where(
                Official.active.is_(True), Official.role.in_(("leader", "head")), Official.seat.is_not(None))
            .order_by(Official.role.desc(), Official.id))).all()
        return [(seat, name) for seat, name, _ in rows if seat is not None]

    async def speakers(self, row: DialogueSession) -> list[tuple[str, str]]:
        """(seat, name) of the session's attendees: who may be recorded as having answered."""
        names = await self.attendee_names(row)
        return list(zip(row.attendees or [], names, strict=False))

    def held(self, row: DialogueSession) -> bool:
        """Whether the session has begun: answers are recorded, and the session closed, only then."""
        return row.starts_at <= self.app.clock.now()

    async def is_office(self, official_id: int | None) -> bool:
        try:
            await self._office(official_id)
        except Refused:
            return False
        return True

    async def get(self, session_id: int) -> DialogueSession | None:
        return await self.session.get(DialogueSession, session_id)

    # --- the office ---------------------------------------------------------------------------------------

    async def schedule(self, official_id: int | None, *, title: str, starts_at: datetime, area: str | None,
                       topic: str | None, place: str | None = None, link: str | None = None,
                       attendees: tuple[str, ...] = ()) -> DialogueSession:
        official = await self._office(official_id)
        if starts_at <= self.app.clock.now():
            raise Refused("dialogue.in_the_past")
        seats = set((await self.session.execute(select(Official.seat).where(Official.active.is_(True)))).scalars())
        unknown = [s for s in attendees if s not in seats]
        if unknown:
            raise Refused("dialogue.unknown_attendee", seat=unknown[0])
        now = self.app.clock.now()
        row = DialogueSession(unit_id=official.unit_id, area_code=area, topic=topic, title=title.strip(),
                              starts_at=starts_at, place=place, link=link, attendees=list(attendees),
                              created_by=official.id, created_at=now)
        self.session.add(row)
        await self.session.flush()
        await self._invite(row, now)
        return row

    async def _invite(self, row: DialogueSession, now: datetime) -> None:
        for follower in await Following(self.session, self.app, self.org).followers(row.area_code, row.topic):
            t = translator(follower.language)
            details = await self.details(t, row)
            await outbox.add(self.session, channel=follower.channel, chat_id=follower.chat_id, now=now,
                             payload=Outbound(text=t("dialogue.invitation", details=details)).to_json(),
                             purpose="announcement", dedup_key=f"dlg-inv:{row.id}:{follower.identity_id}")

    async def details(self, t: Translator, row: DialogueSession) -> str:
        where = row.place or ""
        if row.link:
            where = f"{where} - {row.link}" if where else row.link
        unit = self.org.units_by_id[row.unit_id]
        title = t("reception.title") if row.kind == "reception" else row.title
        return t("dialogue.details", id=row.id, title=title, unit=unit.name(t.language),
                 when=t.moment(row.starts_at, self.app.tz), where=where or t("common.none"),
                 attendees=", ".join(await self.attendee_names(row)) or t("common.none"))

    async def attendee_names(self, row: DialogueSession) -> list[str]:
        if not row.attendees:
            return []
        names = await self.official_rows.seat_names(row.attendees)
        return [names.get(s, s) for s in row.attendees]

    async def question(self, question_id: int) -> DialogueQuestion | None:
        return await self.session.get(DialogueQuestion, question_id)

    async def ranked(self, session_id: int) -> list[DialogueQuestion]:
        rows = (await self.session.execute(
            select(DialogueQuestion).where(DialogueQuestion.session_id == session_id))).scalars()
        return sorted(rows, key=rank_key)

    async def assign(self, official_id: int | None, question_id: int, unit: str) -> None:
        if unit not in self.org.units:
            raise Refused("dialogue.unknown_question")
        _, _, question = await self._managed_question(official_id, question_id)
        question.unit_id = self.org.units[unit].id

    async def answer(self, official_id: int | None, question_id: int, text: str, *,
                     speaker: str | None = None) -> int:
        """Record the answer (given by `speaker`, an attendee's seat; else by the one recording it) and send it to
        the asker and every supporter, once each; how many were told."""
        official, row, question = await self._managed_question(official_id, question_id)
        if question.case_id is not None:
            raise Refused("dialogue.closed")
        if row.starts_at > self.app.clock.now():
            raise Refused("dialogue.not_yet_held")
        answerer = official
        if speaker is not None:
            if speaker not in (row.attendees or []):
                raise Refused("dialogue.unknown_attendee", seat=speaker)
            found = await self.official_rows.by_seat(speaker)
            answerer = found or official
        now = self.app.clock.now()
        question.answer, question.answered_by, question.answered_at = text.strip(), answerer.id, now
        told = 0
        for identity in await self._people_of(question):
            t = translator(await _language(self.session, identity))
            message = t("dialogue.answer", id=question.session_id, question=question.text, answer=question.answer,
                        who=answerer.name)
            told += await outbox.add(self.session, channel=identity.channel, chat_id=identity.chat_id, now=now,
                                     payload=Outbound(text=message).to_json(), purpose="answer",
                                     dedup_key=f"dlg-ans:{question.id}:{identity.id}")
        return told

    async def _people_of(self, question: DialogueQuestion) -> list[ChannelIdentity]:
        ids = [question.identity_id] if question.identity_id else []
        ids += [i for i in (await self.session.execute(
            select(DialogueSupport.identity_id).where(DialogueSupport.question_id == question.id,
                                                      DialogueSupport.identity_id.is_not(None))
            .order_by(DialogueSupport.id))).scalars() if i is not None]
        found = []
        for identity_id in dict.fromkeys(ids):
            identity = await self.session.get(ChannelIdentity, identity_id)
            if identity is not None:
                found.append(identity)
        return found

    async def close(self, official_id: int | None, session_id: int) -> list[str]:
        """After the session: every unanswered question becomes a case, routed as usual (or to the unit it was
        assigned to), and its asker is told the tracking code. Returns the codes."""
        _, row = await self._managed(official_id, session_id)
        now = self.app.clock.now()
        if row.starts_at > now:
            raise Refused("dialogue.not_yet_held")
        codes = []
        for question in await self.ranked(session_id):
            if question.answer is not None or question.case_id is not None:
                continue
            unit = self.org.units_by_id[question.unit_id].code if question.unit_id else None
            receipt = await self.intake.submit(
                Draft(kind=CaseKind.QUESTION, text=question.text, category=None, area=question.area_code,
                      details={"dialogue": session_id, "question": question.id}, unit=unit),
                citizen_id=question.citizen_id, identity_id=question.identity_id)
            question.case_id = receipt.case_id
            if question.attachment_id is not None:  # the question's photo is the case's evidence
                photo = await self.session.get(Attachment, question.attachment_id)
                if photo is not None:
                    photo.case_id, photo.owner_key = receipt.case_id, None
            codes.append(receipt.code)
            identity = await self.session.get(ChannelIdentity, question.identity_id) if question.identity_id else None
            if identity is not None:
                t = translator(await _language(self.session, identity))
                text = t("dialogue.became_case", id=session_id, code=receipt.code, pin=receipt.pin,
                         unit=receipt.unit.name(t.language), due=t.due(receipt.due_at, self.app.tz))
                await outbox.add(self.session, channel=identity.channel, chat_id=identity.chat_id, now=now,
                                 payload=Outbound(text=text).to_json(), purpose="answer", case_id=receipt.case_id,
                                 dedup_key=f"dlg-case:{question.id}")
        row.closed_at = now
        return codes

    # --- citizens -----------------------------------------------------------------------------------------

    async def upcoming(self) -> list[DialogueSession]:
        now = self.app.clock.now()
        stmt = (select(DialogueSession).where(DialogueSession.kind == "dialogue", DialogueSession.closed_at.is_(None),
                                              DialogueSession.starts_at > now)
                .order_by(DialogueSession.starts_at, DialogueSession.id).limit(9))
        return list((await self.session.execute(stmt)).scalars())

    async def add_photo(self, channel: str, ref: MediaRef, identity_id: int) -> int:
        """A photo sent with a question in advance: checked now, fetched by the media job like a case's photos,
        and kept as evidence (the case's, if the question becomes one)."""
        if ref.kind != "photo":
            raise Refused("dialogue.photo_only")
        try:
            check_media("photo", ref.mime, ref.size)
        except MediaRejected:
            raise Refused("dialogue.bad_photo") from None
        now = self.app.clock.now()
        row = Attachment(kind="photo", mime=ref.mime or "image/jpeg", size=ref.size or 0, sha256="", storage="db",
                         owner_key=f"{PHOTO_OWNER}{identity_id}", created_at=now, status="pending", channel=channel,
                         platform_ref=ref.ref, fetch_attempts=0, fetch_after=now)
        self.session.add(row)
        await self.session.flush()
        note_work(self.session, "media", channel, str(row.id))  # the media job hears of it on commit
        return row.id

    async def drop_photo(self, attachment_id: int | None, identity_id: int) -> None:
        """A photo that went with no question (replaced, or its question joined another): not kept."""
        if attachment_id is not None:
            await self.session.execute(delete(Attachment).where(
                Attachment.id == attachment_id, Attachment.owner_key == f"{PHOTO_OWNER}{identity_id}"))

    async def ask(self, session_id: int, *, citizen_id: int, identity_id: int, text: str,
                  attachment_id: int | None = None, area: str | None = None, anyway: bool = False) -> Asked:
        row = await self.get(session_id)
        if row is None or row.closed_at is not None:
            raise Refused("dialogue.closed")
        text = text.strip()[:MAX_QUESTION]
        if not anyway:
            for other in await self.ranked(session_id):
                if near_duplicate(text, other.text):
                    return Asked(None, other.id)
        question = DialogueQuestion(session_id=session_id, citizen_id=citizen_id, identity_id=identity_id, text=text,
                                    folded=fold(text), attachment_id=attachment_id,
                                    area_code=area or row.area_code, topic=row.topic, supports=0,
                                    created_at=self.app.clock.now())
        self.session.add(question)
        await self.session.flush()
        if attachment_id is not None:
            photo = await self.session.get(Attachment, attachment_id)
            if photo is not None and photo.owner_key == f"{PHOTO_OWNER}{identity_id}":
                photo.owner_key = f"{PHOTO_OWNER}q{question.id}"
            else:
                question.attachment_id = None  # not this citizen's photo: never borrowed
        return Asked(question.id)

    async def support(self, question_id: int, *, citizen_id: int, identity_id: int) -> bool:
        """One support per citizen, never for their own question; False when it would not count."""
        question = await self.session.get(DialogueQuestion, question_id)
        if question is None or question.citizen_id == citizen_id:
            return False
        exists = await self.session.execute(select(DialogueSupport.id).where(
            DialogueSupport.question_id == question_id, DialogueSupport.citizen_id == citizen_id))
        if exists.first() is not None:
            return False
        self.session.add(DialogueSupport(question_id=question_id, citizen_id=citizen_id, identity_id=identity_id,
                                         created_at=self.app.clock.now()))
        # Counted in the database: supports from several chats at once must all count (no read-modify-write).
        await self.session.execute(update(DialogueQuestion).where(DialogueQuestion.id == question_id)
                                   .values(supports=DialogueQuestion.supports + 1))
        await self.session.flush()
        return True


async def remind_dialogues(db: Database, clock: Clock, tz: tzinfo = VN_TZ, org: OrgCache | None = None) -> int:
    """The day before a session: its attendees and the citizens whose questions were chosen (assigned) are
    reminded, once. A catch-up job: a session whose reminder time passed while nothing ran is reminded late."""
    now = clock.now()
    reminded = 0
    async with db.unit_of_work() as uow:
        s = uow.session
        stmt = select(DialogueSession).where(
            DialogueSession.reminded_at.is_(None), DialogueSession.closed_at.is_(None),
            DialogueSession.starts_at > now, DialogueSession.starts_at <= now + REMIND_BEFORE)
        if is_postgres(s):
            stmt = stmt.with_for_update(skip_locked=True)
        for row in list((await s.execute(stmt)).scalars()):
            targets: list[ChannelIdentity] = []
            if row.attendees:
                targets += list((await s.execute(
                    select(ChannelIdentity).join(Official, Official.id == ChannelIdentity.official_id)
                    .where(Official.seat.in_(row.attendees), Official.active.is_(True))
                    .order_by(ChannelIdentity.id))).scalars())
            targets += list((await s.execute(
                select(ChannelIdentity).join(DialogueQuestion, DialogueQuestion.identity_id == ChannelIdentity.id)
                .where(DialogueQuestion.session_id == row.id, DialogueQuestion.unit_id.is_not(None))
                .order_by(DialogueQuestion.id))).scalars())
            if row.kind == "reception" and org is not None:  # the law's reception days: the area's followers too
                snapshot = await org.get(s, now.astimezone(tz).date())
                app = AppContext(clock=clock, tz=tz, org=org)
                followers = await Following(s, app, snapshot).followers(row.area_code, None)
                targets += [i for i in [await s.get(ChannelIdentity, f.identity_id) for f in followers] if i]
            for identity in {i.id: i for i in targets}.values():
                t = translator(await _language(s, identity))
                title = t("reception.title") if row.kind == "reception" else row.title
                text = t("dialogue.reminder", title=title, when=t.moment(row.starts_at, tz),
                         where=row.place or row.link or t("common.none"), id=row.id)
                await outbox.add(s, channel=identity.channel, chat_id=identity.chat_id, now=now,
                                 payload=Outbound(text=text).to_json(), purpose="notice",
                                 dedup_key=f"dlg-rem:{row.id}:{identity.id}")
            row.reminded_at = now
            reminded += 1
        await uow.commit()
    return reminded

