"""Announcements: a unit writes to the followers of an area and topic, through the outbox at each platform's
pace and within its rules; the sender learns how it went once delivery settles.

Each recipient's copy is one outbox row with its own dedup key (`ann:<id>:<identity>`), so a repeated send or a
crash in the middle never writes twice. Its state is the outbox row's: sent, failed, or held for a closed
reply window (Zalo). An urgent announcement (a water cut, a flood warning) goes as purpose `alert`, which is
worth a verified Official Account's proactive quota; an ordinary one is not, and waits for the citizen.
When no copy is still pending, `settle_announcements` records each recipient's state, and the summary
("đã gửi 1.942, giữ lại 51 trên Zalo, lỗi 7") goes back to the sender once.

A citizen's reply to an announcement is a question to the sending unit: a case, not lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import MediaRef, Outbound
from bot.clock import Clock
from bot.domain.authz import ANNOUNCER_ROLES, Refused
from bot.domain.cases import CaseKind
from bot.domain.media import MediaRejected, check_media
from bot.domain.owners import Holder, owner
from bot.i18n import Translator, translator
from bot.services.context import AppContext
from bot.services.following import Following
from bot.services.intake import Draft, Intake, Receipt
from bot.services.org_view import OrgSnapshot
from storage.models import (
    Announcement,
    AnnouncementRecipient,
    Attachment,
    ChannelIdentity,
    Official,
    OutboxItem,
)
from storage.repositories import outbox
from storage.repositories.conversations import ConversationRepository
from storage.repositories.dialect import is_postgres
from storage.uow import Database, note_work

ANNOUNCEMENT = "announcement"  # an ordinary notice: never worth the proactive quota
ALERT = "alert"  # an urgent one: worth it (bot.channels.windows.WORTH_QUOTA)
PURPOSES = (ANNOUNCEMENT, ALERT)
REPLY_WITHIN = timedelta(days=7)  # a message this long after an announcement is still a reply to it
MAX_TEXT = 2000
FILE_KINDS = ("photo", "document")


def dedup_key(announcement_id: int, identity_id: int) -> str:
    return f"ann:{announcement_id}:{identity_id}"


@dataclass(frozen=True, slots=True)
class Sent:
    announcement_id: int
    recipients: int


@dataclass(frozen=True, slots=True)
class Summary:
    sent: int
    held: dict[str, int]  # channel -> held for its reply window
    failed: int
    proactive: int  # sent outside the window, on the proactive quota

    def to_json(self) -> dict[str, object]:
        return {"sent": self.sent, "held": self.held, "failed": self.failed, "proactive": self.proactive}


def number(value: int, language: str) -> str:
    """1942 -> "1.942" in Vietnamese, "1,942" in English."""
    text = f"{value:,}"
    return text.replace(",", ".") if language == "vi" else text


def summary_text(t: Translator, announcement_id: int, summary: Summary) -> str:
    lang = t.language
    held = ", ".join(t(f"announce.held_on.{c}", count=number(n, lang))
                     for c, n in sorted(summary.held.items()) if n) or t("announce.held_none")
    text = t("announce.summary", id=announcement_id, sent=number(summary.sent, lang), held=held,
             failed=number(summary.failed, lang))
    if summary.proactive:
        text += "\n" + t("announce.summary_proactive", count=number(summary.proactive, lang))
    return text


class Announcements:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot, intake: Intake) -> None:
        self.session, self.app, self.org, self.intake = session, app, org, intake

    async def may_announce(self, official_id: int | None) -> Official | None:
        official = await self.session.get(Official, official_id) if official_id is not None else None
        if official is None or not official.active or official.role not in ANNOUNCER_ROLES:
            return None
        return official

    async def add_file(self, official_id: int | None, channel: str, ref: MediaRef) -> int:
        """A photo or a document to go with the notice being written: checked now, fetched by the media job."""
        official = await self.may_announce(official_id)
        if official is None:
            raise Refused("announce.not_allowed")
        if ref.kind not in FILE_KINDS:
            raise Refused("announce.file_kind")
        try:
            check_media(ref.kind, ref.mime, ref.size)
        except MediaRejected:
            raise Refused("announce.bad_file") from None
        now = self.app.clock.now()
        row = Attachment(kind=ref.kind, mime=ref.mime or "application/octet-stream", size=ref.size or 0, sha256="",
                         storage="db", owner_key=owner(Holder.ANNOUNCEMENT, official.id), created_at=now, status="pending",
                         channel=channel, platform_ref=ref.ref, name=ref.name, fetch_attempts=0, fetch_after=now)
        self.session.add(row)
        await self.session.flush()
        note_work(self.session, "media", channel, str(row.id))  # the media job hears of it on commit
        return row.id

    async def drop_file(self, official_id: int | None, attachment_id: int | None) -> None:
        """The notice was cancelled, or another file replaces this one."""
        if official_id is not None and attachment_id is not None:
            await self.session.execute(delete(Attachment).where(
                Attachment.id == attachment_id, Attachment.owner_key == owner(Holder.ANNOUNCEMENT, official_id)))

    async def _file(self, official: Official, attachment_id: int | None) -> int | None:
        """The notice's file, once fetched: refused while it is still coming, and when it could not be had."""
        if attachment_id is None:
            return None
        row = await self.session.get(Attachment, attachment_id)
        if row is None or row.owner_key != owner(Holder.ANNOUNCEMENT, official.id):
            raise Refused("announce.file_lost")
        if row.status == "pending":
            raise Refused("announce.file_loading")
        if row.status != "stored":
            raise Refused("announce.file_lost")
        return row.id

    async def send(self, official_id: int | None, *, area: str | None, topic: str | None, text: str,
                   urgent: bool = False, attachment_id: int | None = None,
                   sender_identity_id: int | None = None) -> Sent:
        official = await self.may_announce(official_id)
        if official is None:
            raise Refused("announce.not_allowed")
        attachment_id = await self._file(official, attachment_id)
        if area is not None and area not in self.org.areas:
            raise Refused("announce.unknown_area")
        if topic is not None and topic not in {tp.code for tp in self.org.topics()}:
            raise Refused("announce.unknown_topic")
        text = text.strip()[:MAX_TEXT]
        now = self.app.clock.now()
        row = Announcement(unit_id=official.unit_id, official_id=official.id, sender_identity_id=sender_identity_id,
                           area_code=area, topic=topic, text=text, attachment_id=attachment_id, urgent=urgent,
                           created_at=now, recipients=0, summary={})
        self.session.add(row)
        await self.session.flush()
        followers = await Following(self.session, self.app, self.org).followers(area, topic)
        unit = self.org.units_by_id[official.unit_id]
        rendered: dict[str, dict[str, object]] = {}
        recipients = []
        for follower in followers:
            if follower.language not in rendered:
                t = translator(follower.language)
                body = t("announce.message", unit=unit.name(t.language), text=text, hint=t("announce.reply_hint"))
                rendered[follower.language] = Outbound(
                    text=body, attachment_ids=(attachment_id,) if attachment_id else ()).to_json()
            key = dedup_key(row.id, follower.identity_id)
            await outbox.add(self.session, channel=follower.channel, chat_id=follower.chat_id,
                             payload=rendered[follower.language], now=now, purpose=ALERT if urgent else ANNOUNCEMENT,
                             dedup_key=key)
            recipients.append({"announcement_id": row.id, "identity_id": follower.identity_id,
                               "channel": follower.channel, "chat_id": follower.chat_id, "dedup_key": key,
                               "state": "pending", "proactive": False})
        if recipients:
            await self.session.execute(insert(AnnouncementRecipient), recipients)
        row.recipients = len(recipients)
        if attachment_id is not None:  # kept with the notice it went with
            file = await self.session.get(Attachment, attachment_id)
            if file is not None:
                file.owner_key = f"announcement:{row.id}"
        return Sent(row.id, len(recipients))

    # --- replies ------------------------------------------------------------------------------------------

    async def replied_to(self, channel: str, chat_id: str) -> Announcement | None:
        """The announcement this chat's last message from the bot was, if it is recent: what a reply is about."""
        now = self.app.clock.now()
        last = (await self.session.execute(
            select(OutboxItem.purpose, OutboxItem.dedup_key)
            .where(OutboxItem.channel == channel, OutboxItem.chat_id == chat_id, OutboxItem.status == "sent")
            .order_by(OutboxItem.id.desc()).limit(1))).first()
        if last is None or last.purpose not in PURPOSES or not last.dedup_key:
            return None
        announcement = await self.session.get(Announcement, int(last.dedup_key.split(":")[1]))
        if announcement is None or now - announcement.created_at > REPLY_WITHIN:
            return None
        return announcement

    async def reply(self, announcement: Announcement, *, citizen_id: int, identity_id: int, text: str,
                    language: str) -> Receipt:
        """The citizen's reply: a question case to the unit that sent the announcement."""
        unit = self.org.units_by_id[announcement.unit_id]
        draft = Draft(kind=CaseKind.QUESTION, text=text, category=None, area=announcement.area_code,
                      language=language, details={"announcement": announcement.id}, unit=unit.code)
        return await self.intake.submit(draft, citizen_id=citizen_id, identity_id=identity_id)


async def settle_announcements(db: Database, clock: Clock, *, wake: object = None) -> int:
    """Every announcement whose copies have all gone, failed or been held: record each recipient's state and
    tell the sender the figures, once. Returns how many settled."""
    now = clock.now()
    settled = 0
    async with db.unit_of_work() as uow:
        session = uow.session
        stmt = select(Announcement).where(Announcement.settled_at.is_(None)).order_by(Announcement.id).limit(50)
        if is_postgres(session):
            stmt = stmt.with_for_update(skip_locked=True)
        for announcement in list((await session.execute(stmt)).scalars()):
            states = (await session.execute(
                select(AnnouncementRecipient.id, AnnouncementRecipient.channel, OutboxItem.status,
                       OutboxItem.sent_as)
                .join(OutboxItem, OutboxItem.dedup_key == AnnouncementRecipient.dedup_key)
                .where(AnnouncementRecipient.announcement_id == announcement.id))).all()
            if any(status == "pending" for _, _, status, _ in states):
                continue
            summary = await _record(session, states)
            announcement.summary, announcement.settled_at = summary.to_json(), now
            await _tell_sender(session, announcement, summary, now)
            settled += 1
        await uow.commit()
    if settled and callable(wake):
        wake()
    return settled


async def _record(session: AsyncSession, states: Sequence[Row[int, str, str, str | None]]) -> Summary:
    by_state: dict[str, list[int]] = {}
    proactive: list[int] = []
    held: Counter[str] = Counter()
    for recipient_id, channel, status, sent_as in states:
        by_state.setdefault(status, []).append(recipient_id)
        if status == "held":
            held[channel] += 1
        if status == "sent" and sent_as == "proactive":
            proactive.append(recipient_id)
    for state, ids in by_state.items():
        await session.execute(update(AnnouncementRecipient).where(AnnouncementRecipient.id.in_(ids))
                              .values(state=state))
    if proactive:
        await session.execute(update(AnnouncementRecipient).where(AnnouncementRecipient.id.in_(proactive))
                              .values(proactive=True))
    return Summary(sent=len(by_state.get("sent", [])), held=dict(held), failed=len(by_state.get("failed", [])),
                   proactive=len(proactive))


async def _tell_sender(session: AsyncSession, announcement: Announcement, summary: Summary, now: datetime) -> None:
    if announcement.sender_identity_id is None:
        return
    identity = await session.get(ChannelIdentity, announcement.sender_identity_id)
    if identity is None:
        return
    language = await ConversationRepository(session).language(identity.channel, identity.chat_id)
    t = translator(language or "vi")
    await outbox.add(session, channel=identity.channel, chat_id=identity.chat_id,
                     payload=Outbound(text=summary_text(t, announcement.id, summary)).to_json(), now=now,
                     purpose="notice", dedup_key=f"ann-summary:{announcement.id}")


async def reach(session: AsyncSession, start: datetime, end: datetime) -> tuple[int, int]:
    """Announcements sent in [start, end) and the copies of them delivered (the digest's figures)."""
    count = (await session.execute(select(func.count()).select_from(Announcement).where(
        Announcement.created_at >= start, Announcement.created_at < end))).scalar_one()
    delivered = (await session.execute(
        select(func.count()).select_from(AnnouncementRecipient)
        .join(Announcement, Announcement.id == AnnouncementRecipient.announcement_id)
        .join(OutboxItem, OutboxItem.dedup_key == AnnouncementRecipient.dedup_key)
        .where(Announcement.created_at >= start, Announcement.created_at < end,
               OutboxItem.status == "sent"))).scalar_one()
    return int(count), int(delivered)
