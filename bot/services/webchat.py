"""The web chat's use cases: take a visitor's message in, read a transcript back, keep uploads, demo seats.

A message becomes an inbox row (the normal consumer handles it) and a transcript line, in ONE transaction:
a resend of the same client message id hits the inbox key and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot import metrics
from bot.channels.webchat import CHANNEL, WebChatChannel
from bot.clock import Clock
from bot.domain.media import check_media
from bot.domain.owners import Holder, owner
from bot.services.imaging import ImageWorker
from bot.services.media import new_attachment
from storage.models import Attachment, ChannelIdentity, Official, Unit, WebMessage
from storage.repositories import inbox, web_messages
from storage.repositories.dialect import insert_for
from storage.uow import Database

DESK_ROLES = ("officer", "head", "leader", "admin")


@dataclass(frozen=True, slots=True)
class DemoSeat:
    seat: str
    name: str
    role: str
    unit_vi: str
    unit_en: str


class WebChat:
    def __init__(self, db: Database, clock: Clock, channel: WebChatChannel,
                 wake: Callable[[], None] = lambda: None, *, imaging: ImageWorker | None = None) -> None:
        self.db, self.clock, self.channel, self._wake = db, clock, channel, wake
        self.imaging = imaging or ImageWorker()

    async def receive(self, update: dict[str, Any], shown: dict[str, Any] | None) -> bool:
        """Store a visitor's update and the line the page shows for it; False when it was stored before."""
        platform_id, chat_id = self.channel.identify(update)
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            new = await inbox.store(uow.session, channel=CHANNEL, platform_id=platform_id, chat_key=chat_id,
                                    payload=update, now=now)
            if not new:
                metrics.update_repeated(CHANNEL)
                return False
            row = None
            if shown is not None:
                row = await web_messages.add(uow.session, chat_id=chat_id, direction="in", payload=shown, now=now)
            uow.after_commit(self._wake)
            await uow.commit()
        metrics.update_received(CHANNEL)
        if row is not None:
            await self.channel.deliver(chat_id, [row])  # this page and the visitor's other open tabs
        return True

    async def transcript(self, chat_id: str) -> list[WebMessage]:
        async with self.db.unit_of_work(readonly=True) as uow:
            return await web_messages.history(uow.session, chat_id)

    async def conversation_language(self, chat_id: str) -> str | None:
        """The language the bot speaks in this chat, or None before its first message."""
        async with self.db.unit_of_work(readonly=True) as uow:
            return await uow.conversations.language(CHANNEL, chat_id)

    # --- photos ------------------------------------------------------------------------------------------

    async def keep_upload(self, chat_id: str, content: bytes, mime: str, kind: str = "photo") -> Attachment:
        """Check and store an uploaded photo (EXIF stripped) or voice message; raises MediaRejected.

        The declared type only has to be a photo type; the bytes decide, in the picture worker's process.
        A voice message was checked by its content (WebM) by the route."""
        check_media(kind, mime, len(content))
        if kind == "photo":
            content, mime = await self.imaging.clean(content, "photo")
        row = new_attachment(kind, mime, content, self.clock.now(), owner_key=owner(Holder.WEB_UPLOAD, chat_id))
        async with self.db.unit_of_work() as uow:
            uow.session.add(row)
            await uow.commit()
        return row

    async def own_upload(self, chat_id: str, attachment_id: int) -> Attachment | None:
        async with self.db.unit_of_work(readonly=True) as uow:
            row = await uow.session.get(Attachment, attachment_id)
        return row if row is not None and row.owner_key == owner(Holder.WEB_UPLOAD, chat_id) else None

    async def visible_media(self, chat_id: str, attachment_id: int) -> Attachment | None:
        """A photo this chat uploaded, or one the bot showed in this chat; nothing else."""
        async with self.db.unit_of_work(readonly=True) as uow:
            row = await uow.session.get(Attachment, attachment_id)
            if row is None or row.content is None:
                return None
            if row.owner_key == owner(Holder.WEB_UPLOAD, chat_id):
                return row
            if await web_messages.mentions_attachment(uow.session, chat_id, attachment_id):
                return row
        return None

    # --- demo mode: act as one of the demo officials -----------------------------------------------------

    async def demo_seats(self) -> list[DemoSeat]:
        stmt = (
            select(Official.seat, Official.name, Official.role, Unit.name_vi, Unit.name_en)
            .join(Unit, Unit.id == Official.unit_id)
            .where(Official.active.is_(True), Official.seat.is_not(None), Official.role.in_(DESK_ROLES))
            .order_by(Unit.id, Official.id)
        )
        async with self.db.unit_of_work(readonly=True) as uow:
            rows = (await uow.session.execute(stmt)).all()
        return [DemoSeat(seat, *rest) for seat, *rest in rows if seat is not None]  # seat: selected not null

    async def sit_at(self, account: str, seat: str) -> bool:
        """Link the web account `account` to the demo official holding `seat`; False for an unknown seat."""
        async with self.db.unit_of_work() as uow:
            official_id = (await uow.session.execute(
                select(Official.id).where(Official.seat == seat, Official.active.is_(True))
            )).scalar_one_or_none()
            if official_id is None:
                return False
            await uow.session.execute(
                insert_for(uow.session, ChannelIdentity).values(
                    channel=CHANNEL, external_id=account, chat_id=account, official_id=official_id,
                    replies_since_inbound=0, created_at=self.clock.now(),
                ).on_conflict_do_nothing(index_elements=["channel", "external_id"])
            )
            await uow.commit()
        return True
