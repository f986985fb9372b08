"""Tables of the civic features beyond single cases: following an area and topics, and announcements.

Imported at the end of storage/models.py, so the one metadata holds them and Alembic sees them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class Subscription(Base):
    """A chat that follows an area (None: the whole city) and topics (empty: every topic).

    Following is consent to be written to: the consent row (purpose `announcements`) carries the notice version;
    `active` is false once stopped, or while the offer after a first case is not yet taken up.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_active", "active", "area_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("channel_identities.id"), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    area_code: Mapped[str | None] = mapped_column(String(64))
    topics: Mapped[list] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    notice_version: Mapped[str | None] = mapped_column(String(16))
    offered_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]


class Announcement(Base):
    """A notice from a unit to the followers of an area and topic; settled once every message has gone or
    been held, when the sender gets the summary."""

    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_settled", "settled_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"))
    sender_identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identities.id"))
    area_code: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    recipients: Mapped[int] = mapped_column(default=0)
    settled_at: Mapped[datetime | None]
    summary: Mapped[dict] = mapped_column(default=dict)


class AnnouncementRecipient(Base):
    """One follower's copy of an announcement; its state is its outbox row's until the announcement settles."""

    __tablename__ = "announcement_recipients"
    __table_args__ = (UniqueConstraint("announcement_id", "identity_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id"), index=True)
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identities.id"))  # None: erased
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(8), default="pending")  # pending | sent | failed | held
    proactive: Mapped[bool] = mapped_column(Boolean, default=False)  # sent on the proactive quota
