"""SQLAlchemy 2 models: the database is the truth (see shared/DESIGN.md).

Every table that several workers take rows from carries the columns its claim needs; every time column is
timezone-aware UTC. Conversation state and payloads are JSON, never pickles.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    __table__: ClassVar[Table]  # every model here maps one table (SQLAlchemy types it as any FromClause)
    metadata = MetaData(naming_convention=NAMING)
    # JSON columns: typed ones (what mypy --strict wants), and bare dict/list as before.
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON, dict: JSON, list: JSON}


# --- the organisation -------------------------------------------------------------------------------------


class CodedEntry:
    """An entry of the organisation file: known there by its code, named in Vietnamese and in English.

    sort_order: a mixin's columns would come after the model's own; these stay first, as the tables have them.
    """

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    code: Mapped[str] = mapped_column(String(64), unique=True, sort_order=-1)
    name_vi: Mapped[str] = mapped_column(String(255), sort_order=-1)
    name_en: Mapped[str] = mapped_column(String(255), sort_order=-1)


class Unit(CodedEntry, Base):
    """A body in the tree: leadership, department, ward/commune, inspection, any depth."""

    __tablename__ = "units"
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    inspection_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    reception: Mapped[str | None] = mapped_column(Text)  # citizen reception schedule, shown to denouncers
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # false: dropped from the file, kept for old cases


class Area(Base):
    """A ward/commune or a residential area inside one; the handling unit of a ward is `unit_id`."""

    __tablename__ = "areas"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))  # ward | commune | residential
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    aliases: Mapped[list[str]] = mapped_column(default=list)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    radius_m: Mapped[float | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Category(CodedEntry, Base):
    __tablename__ = "categories"
    keywords: Mapped[list[str]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Reports of this category are open data (Open311) unless their unit withholds one (Case.public).
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CategoryExample(Base):
    """A message an official filed under another category than the one first suggested: the matcher learns
    from it at the next load of the organisation snapshot (`tiepdan examples list|remove`)."""

    __tablename__ = "category_examples"
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    reason: Mapped[str] = mapped_column(String(16))  # recategorised | transferred
    previous_category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    created_at: Mapped[datetime]


class RoutingRule(Base):
    """category x area -> unit; a null column matches anything; the most specific rule wins."""

    __tablename__ = "routing_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class DeadlinePolicy(Base):
    """One step of the law's clock for a kind (optionally a category): accept or resolve, in its unit."""

    __tablename__ = "deadline_policies"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    step: Mapped[str] = mapped_column(String(16))  # accept | resolve
    amount: Mapped[int]
    unit: Mapped[str] = mapped_column(String(16))  # working_days | working_hours | calendar_days | calendar_hours
    legal_basis: Mapped[str | None] = mapped_column(Text)


class CalendarDay(Base):
    """The materialised calendar: `ordinal` counts working days up to and including this day."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_working: Mapped[bool] = mapped_column(Boolean)
    ordinal: Mapped[int] = mapped_column(index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    legal_basis: Mapped[str | None] = mapped_column(Text)


class OrgSetting(Base):
    """Organisation-wide values from the YAML file (office hours, coordinator unit, name, ...)."""

    __tablename__ = "org_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)


class Official(Base):
    __tablename__ = "officials"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    seat: Mapped[str | None] = mapped_column(String(64), unique=True)  # seat code from the org file
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # officer | head | leader | overseer | admin
    phone: Mapped[str | None] = mapped_column(String(32))
    view_identity: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    quiet_hours_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)


class OfficialInvite(Base):
    """A one-time code that links a messenger account to an official; only its SHA-256 is stored."""

    __tablename__ = "official_invites"
    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))  # when set, linking also needs this number shared
    created_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))  # None: the command line
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identities.id"))
    revoked_at: Mapped[datetime | None]


# --- people and their channels ----------------------------------------------------------------------------


class Citizen(Base):
    __tablename__ = "citizens"
    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="vi")
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class Consent(Base):
    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # processing | optional_data
    notice_version: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


class ChannelIdentity(Base):
    """An account on one messenger: who (citizen or official) and which chat to answer in."""

    __tablename__ = "channel_identities"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_channel_identities_chat", "channel", "chat_id"),  # the dispatcher's reply-window lookup
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    chat_id: Mapped[str] = mapped_column(String(128))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    last_inbound_at: Mapped[datetime | None]
    replies_since_inbound: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


# --- cases --------------------------------------------------------------------------------------------------


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_next_action_at", "next_action_at"),
        Index("ix_cases_unit_status", "unit_id", "status"),
        Index("ix_cases_citizen", "citizen_id", "created_at"),
        Index("ix_cases_created_at", "created_at"),
        Index("ix_cases_resolved_at", "resolved_at"),
        Index("ix_cases_reply_identity", "reply_identity_id", "status"),  # a citizen's cases awaiting them
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    reply_identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identities.id"))
    source: Mapped[str] = mapped_column(String(16), default="chat")  # chat | walk_in | phone | web
    text: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)  # denunciation: the reporter is secret
    language: Mapped[str] = mapped_column(String(8), default="vi")
    pin_hash: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    accept_due_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    original_due_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    next_action_at: Mapped[datetime | None]
    rating: Mapped[str | None] = mapped_column(String(16))
    reopen_count: Mapped[int] = mapped_column(default=0)
    transfer_count: Mapped[int] = mapped_column(default=0)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    # The unit's decision on publishing this case (Open311): None follows the category's default.
    public: Mapped[bool | None] = mapped_column(Boolean)


class CaseEvent(Base):
    """One line of a case's history: who did what, when, and why."""

    __tablename__ = "case_events"
    # The digest counts reopenings and transfers in a period by the status an event led to.
    __table_args__ = (Index("ix_case_events_to_status_at", "to_status", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(16))  # citizen | official | system
    actor_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Attachment(Base):
    """A photo, voice note or document; content lives here by default (the database media store)."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_fetch", "status", "fetch_after"),)  # the media job's queue
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    owner_key: Mapped[str | None] = mapped_column(String(160), index=True)  # the draft's chat before submission
    kind: Mapped[str] = mapped_column(String(16))  # photo | voice | document
    mime: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage: Mapped[str] = mapped_column(String(16), default="db")
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    location: Mapped[str | None] = mapped_column(String(512))  # path in a folder store
    created_at: Mapped[datetime]
    # Evidence still on the platform is fetched by a queued job, never inside a conversation's transaction.
    status: Mapped[str] = mapped_column(String(16), default="stored", server_default="stored")  # pending | stored | failed
    channel: Mapped[str | None] = mapped_column(String(16))  # the platform that holds a pending file
    platform_ref: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))  # a document's file name
    fetch_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    fetch_after: Mapped[datetime | None]  # not before then: a claim by a worker, or a back-off after a failure
    error: Mapped[str | None] = mapped_column(String(255))


# --- citizen intake: drafts between messages, and deletions still to finish ------------------------------


class CaseDraft(Base):
    """The case a chat is telling, kept between messages; dropped when sent, cancelled or idle too long."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("channel", "chat_id"), Index("ix_drafts_touched_at", "touched_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), index=True)
    language: Mapped[str] = mapped_column(String(8), default="vi")
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # bot.domain.intake.DraftFacts
    created_at: Mapped[datetime]
    touched_at: Mapped[datetime]  # the citizen's last change: idle drafts are reminded once, then dropped
    reminded_at: Mapped[datetime | None]


class Erasure(Base):
    """A chat whose traces are wiped once the last reply to it has gone out (the reply itself needs the chat)."""

    __tablename__ = "erasures"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(16))  # account: everything of the chat | inbox: raw updates only
    requested_at: Mapped[datetime]


# --- the conversation and the durable pipes ---------------------------------------------------------------


class Conversation(Base):
    """A chat's flow state: JSON, one row per (channel, chat)."""

    __tablename__ = "conversations"
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str] = mapped_column(String(8), default="vi")
    updated_at: Mapped[datetime]


class InboxItem(Base):
    """A raw platform update, stored before it is acknowledged; (channel, platform_id) drops repeats."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "platform_id"),
        Index("ix_inbox_pending", "status", "chat_key", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(128))
    chat_key: Mapped[str] = mapped_column(String(160))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Names, usernames and phones the platform sent, taken out of the payload when stored (see
    # storage.repositories.inbox.split_profile); cleared once the update is handled.
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), default="new")  # new | done | failed
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]  # after a failed attempt: not before this moment


class OutboxItem(Base):
    """A message that must go out; written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_chat", "channel", "chat_id", "status", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(16), default="reply")  # reply | answer | question | notice ...
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending | sent | failed | held
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    platform_message_id: Mapped[str | None] = mapped_column(String(128))
    sent_as: Mapped[str | None] = mapped_column(String(16))  # reply | proactive; null without a reply window
    held_at: Mapped[datetime | None]  # first held for a closed reply window; the citizen is told on delivery


# A worker process's id (host, pid and a random part): who holds a lease, whose heartbeat keeps it.
WorkerId = Annotated[str, mapped_column(String(64))]


class Lease(Base):
    """A hold on a named resource (a chat's inbox, a channel's sending) by one worker process.

    A process's holds last as long as its heartbeat in `workers`; `expires_at` bounds the few holds taken by
    code that does not heartbeat (the Zalo OA token refresh).
    """

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[WorkerId] = mapped_column(index=True)
    expires_at: Mapped[datetime]


class Worker(Base):
    """A running process that takes work; its heartbeat keeps its leases, its silence frees them."""

    __tablename__ = "workers"
    owner: Mapped[WorkerId] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))  # run | serve | worker | test
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class JobClaim(Base):
    """A periodic job's run for one period (or a digest for one recipient): recorded once, done once."""

    __tablename__ = "job_claims"
    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(128), primary_key=True)
    claimed_at: Mapped[datetime]


class CodeSequence(Base):
    """Per-year counters behind tracking codes like PA-2026-000123."""

    __tablename__ = "code_sequences"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)



# --- the web chat and the tracking page ---------------------------------------------------------------------


class WebMessage(Base):
    """One line of a web chat as its visitor saw it, so a reload (served by any process) shows the conversation."""

    __tablename__ = "web_messages"
    __table_args__ = (Index("ix_web_messages_chat", "chat_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(3))  # in (the visitor) | out (the bot)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    redact_at: Mapped[datetime | None] = mapped_column(index=True)  # secrets in it are masked from then on


class WebPushSubscription(Base):
    """A browser that agreed to be called back (Web Push) for a web chat; gone when the push service says so."""

    __tablename__ = "web_push_subscriptions"
    __table_args__ = (Index("ix_web_push_subscriptions_chat", "chat_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(128))
    endpoint: Mapped[str] = mapped_column(String(1024), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))  # the browser's public key (base64url)
    auth: Mapped[str] = mapped_column(String(64))  # the browser's auth secret (base64url)
    created_at: Mapped[datetime]


class PinAttempt(Base):
    """A wrong PIN on the tracking page, counted per code and per address to make guessing hopeless."""

    __tablename__ = "pin_attempts"
    __table_args__ = (
        Index("ix_pin_attempts_code", "code", "at"),
        Index("ix_pin_attempts_address", "address", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


# --- Zalo: sending allowances and the Official Account's tokens ---------------------------------------------


class ProactiveQuota(Base):
    """Messages a channel sent outside its reply window in one month (the platform's proactive quota)."""

    __tablename__ = "proactive_quota"
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # 2026-02, in the organisation's time zone
    used: Mapped[int] = mapped_column(default=0)


class ZaloOAToken(Base):
    """The Official Account's live tokens: each refresh token works once, so the newest is kept here at once."""

    __tablename__ = "zalo_oa_tokens"
    app_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None]
    seeded_from: Mapped[str | None] = mapped_column(String(64))  # fingerprint of the bootstrap refresh token
    updated_at: Mapped[datetime]


# --- deadlines: reminders sent and escalations awaiting acknowledgement -----------------------------------


class CaseReminder(Base):
    """A deadline reminder decided for a case, recorded once per kind and deadline so it goes out once."""

    __tablename__ = "case_reminders"
    __table_args__ = (UniqueConstraint("case_id", "kind", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(16))  # accept_late | half | day_before | due_day | overdue
    due_at: Mapped[datetime]  # the deadline it is about: a deadline moved by an extension is reminded afresh
    sent_at: Mapped[datetime]


class Escalation(Base):
    """A late case brought to one head or leader; repeated each working day until they acknowledge it."""

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("case_id", "level", "official_id", "due_at"),
        Index("ix_escalations_official", "official_id", "acknowledged_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    level: Mapped[str] = mapped_column(String(16))  # head | parent
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the unit the addressed official leads
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"))
    due_at: Mapped[datetime]  # the deadline that was missed
    raised_at: Mapped[datetime]
    repeats: Mapped[int] = mapped_column(default=0)
    next_repeat_at: Mapped[datetime | None]  # None once acknowledged, resolved or superseded
    acknowledged_at: Mapped[datetime | None]


# --- open to the city: Open311 clients and the leaders' dashboard ----------------------------------------


class ApiKey(Base):
    """An Open311 client allowed to file cases; only the SHA-256 of its key is kept (shown once at creation)."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Open311Token(Base):
    """The token an Open311 POST answers with, so a client can look its request up later (GET tokens/{token})."""

    __tablename__ = "open311_tokens"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[datetime]


class DashboardLink(Base):
    """A one-time, short-lived sign-in link to the dashboard, bound to one official; only its SHA-256 is kept."""

    __tablename__ = "dashboard_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


# Tables kept in their own modules, on this metadata: the civic features (following, announcements, dialogues)
# and the abuse limits, the PIN guard and the reveal audit.
# Tables kept in their own modules, same metadata: the abuse limits, the PIN guard and the reveal audit; and
# leaders' own work - breakthrough tasks, programmes, overseers' recommendations (storage/leaders.py; a plain
# import, so importing that module first breaks no cycle).
import storage.leaders  # noqa: E402, F401
from storage.models_civic import (  # noqa: E402, F401
    Announcement,
    AnnouncementRecipient,
    DialogueQuestion,
    DialogueSession,
    DialogueSupport,
    Subscription,
)
from storage.security_models import AbuseCounter, PinGuard, RevealAudit  # noqa: E402, F401
