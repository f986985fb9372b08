"""Tables of the civic features beyond single cases: following an area and topics, and announcements.

Imported at the end of storage/models.py, so the one metadata holds them and Alembic sees them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
    topics: Mapped[list[str]] = mapped_column(default=list)
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
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


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


class DialogueSession(Base):
    """A leader meets citizens (đối thoại trực tiếp): when, where or online, who attends; questions in advance."""

    __tablename__ = "dialogue_sessions"
    __table_args__ = (Index("ix_dialogue_sessions_starts_at", "starts_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="dialogue")  # dialogue | reception (the law's schedule)
    series_key: Mapped[str | None] = mapped_column(String(120), unique=True)  # reception:<unit>:<date>
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    area_code: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime]
    place: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    attendees: Mapped[list[str]] = mapped_column(default=list)  # seat codes from the organisation file
    created_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    created_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]  # the day-before reminder went
    closed_at: Mapped[datetime | None]  # answers recorded; unanswered questions became cases


class DialogueQuestion(Base):
    """A citizen's question in advance; supported by others; assigned to the unit that answers it."""

    __tablename__ = "dialogue_questions"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("dialogue_sessions.id"), index=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identities.id"))
    text: Mapped[str] = mapped_column(Text)
    folded: Mapped[str] = mapped_column(Text)  # accent-insensitive form, for near-duplicates
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    area_code: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str | None] = mapped_column(String(64))
    supports: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # assigned to answer it
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    answered_at: Mapped[datetime | None]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))  # left unanswered: a case


class DialogueSupport(Base):
    """One citizen's support of a question (one each)."""

    __tablename__ = "dialogue_supports"
    __table_args__ = (UniqueConstraint("question_id", "citizen_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("dialogue_questions.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identities.id"))
    created_at: Mapped[datetime]
