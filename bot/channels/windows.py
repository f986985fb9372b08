"""Reply windows and proactive quotas: whether a platform lets the bot write to a chat right now.

Zalo lets an Official Account reply only for a while after the citizen's last message, and only a few times;
anything else is a proactive message, which needs a verified account and draws on a monthly quota. So before a
message goes out, the sender asks `admit`: a reply inside the window, a proactive message worth the quota
(an answer, an official's question, a deadline change), or held. A hold is final for that attempt: the row
waits, untouched, until the citizen writes again (`Identities.arrive` releases it), and then it carries a note
saying when it was written and where the case can be looked up meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import SendingRules
from bot.clock import Clock
from storage.models import OutboxItem
from storage.repositories import sending
from storage.uow import Database

# What is worth a proactive message: the answer, an official's question to the citizen, a deadline change,
# and an urgent announcement (a water cut, a flood warning); an ordinary announcement is not.
WORTH_QUOTA = frozenset({"answer", "question", "deadline", "alert"})
# The quota goes to officials' deadline notices (reminders, escalations: purpose `deadline`) before anything
# optional: an optional message (an announcement, even an urgent one) may only spend what lies beyond the share
# kept for them (`SendingRules.quota_reserve`); deadline notices, answers and questions may spend it all.
OPTIONAL = frozenset({"alert"})


class Delivery(StrEnum):
    FREE = "free"  # the channel has no reply window
    REPLY = "reply"  # inside the window, within its allowance
    PROACTIVE = "proactive"  # outside it, on the monthly quota
    HELD = "held"  # not now: wait until the citizen writes again


@dataclass(frozen=True, slots=True)
class Grant:
    delivery: Delivery
    reason: str | None = None
    period: str | None = None  # the quota month a proactive message was reserved in
    reserved: int = 0


@dataclass(frozen=True, slots=True)
class HeldNote:
    """What a message that waited for the citizen says first: a catalog key and its values, in the chat's
    language (the sender words it)."""

    key: str
    language: str
    written: datetime
    params: dict[str, str]


def classify(rules: SendingRules, *, last_inbound_at: datetime | None, replies_since: int, now: datetime,
             messages: int, worth_quota: bool) -> Grant:
    """The platform's rule for `messages` messages to one chat, before the quota is counted."""
    if rules.reply_window is None:
        return Grant(Delivery.FREE)
    if last_inbound_at is not None and now - last_inbound_at <= rules.reply_window:
        allowance = rules.replies_per_window
        # A message split in more parts than one window allows still goes in a fresh window.
        if allowance is None or replies_since + min(messages, allowance) <= allowance:
            return Grant(Delivery.REPLY)
        closed = f"{replies_since} replies already sent since the chat last wrote"
    else:
        closed = "reply window closed"
    if not worth_quota:
        return Grant(Delivery.HELD, f"{closed}; not worth a proactive message")
    if rules.proactive_quota == 0:
        return Grant(Delivery.HELD, f"{closed}; no proactive quota")
    return Grant(Delivery.PROACTIVE, closed)


def with_window(rules: SendingRules, *, hours: float, replies: int, quota: int | None,
                reserve: int | None = None) -> SendingRules:
    """Settings to rules: 0 hours means no window at all, 0 replies no count inside the window; the share of
    the quota kept for deadline notices is a fifth of it unless said (never more than the quota)."""
    kept = (quota // 5 if reserve is None else reserve) if quota else 0
    return replace(rules, reply_window=timedelta(hours=hours) if hours > 0 else None,
                   replies_per_window=replies or None, proactive_quota=quota, quota_reserve=min(kept, quota or 0))


def quota_limit(rules: SendingRules, rows: list[OutboxItem]) -> int:
    """How much of the month's quota these rows may reach: all of it, or for optional messages only what is
    beyond the share kept for officials' deadline notices."""
    assert rules.proactive_quota is not None
    if all(r.purpose in OPTIONAL for r in rows):
        return rules.proactive_quota - rules.quota_reserve
    return rules.proactive_quota


def quota_period(now: datetime, tz: tzinfo) -> str:
    return now.astimezone(tz).strftime("%Y-%m")


class SendingWindows:
    def __init__(self, db: Database, clock: Clock, *, tz: tzinfo = UTC, track_url: str | None = None) -> None:
        self.db, self.clock, self.tz, self.track_url = db, clock, tz, track_url

    async def admit(self, channel: str, rules: SendingRules, chat_id: str, rows: list[OutboxItem],
                    messages: int) -> Grant:
        """May these rows (`messages` platform messages) go now, and as what? Reserves quota if proactive."""
        if rules.reply_window is None:
            return Grant(Delivery.FREE)  # no database round trip for channels without a window
        now = self.clock.now()
        async with self.db.unit_of_work(readonly=True) as uow:
            last, replies = await sending.window_of(uow.session, channel, chat_id)
        grant = classify(rules, last_inbound_at=last, replies_since=replies, now=now, messages=messages,
                         worth_quota=any(r.purpose in WORTH_QUOTA for r in rows))
        if grant.delivery is not Delivery.PROACTIVE or rules.proactive_quota is None:
            return grant
        period = quota_period(now, self.tz)
        async with self.db.unit_of_work() as uow:  # atomic: senders of other chats share the quota
            limit = quota_limit(rules, rows)
            if not await sending.reserve_quota(uow.session, channel, period, messages, limit):
                spent = "spent" if limit == rules.proactive_quota else "kept for deadline notices"
                return Grant(Delivery.HELD, f"{grant.reason}; proactive quota for {period} {spent}")
            await uow.commit()
        return Grant(Delivery.PROACTIVE, grant.reason, period, messages)

    async def settle(self, session: AsyncSession, channel: str, chat_id: str, rows: list[OutboxItem],
                     grant: Grant, sent: int) -> None:
        """After the attempt, in the sender's transaction: count replies, give back unused quota."""
        if grant.delivery is Delivery.FREE:
            return
        if sent and grant.delivery in (Delivery.REPLY, Delivery.PROACTIVE):
            await sending.mark_sent_as(session, [r.id for r in rows], grant.delivery.value)
        if sent and grant.delivery is Delivery.REPLY:
            await sending.count_replies(session, channel, chat_id, sent)
        if grant.period is not None and grant.reserved > sent:
            await sending.refund_quota(session, channel, grant.period, grant.reserved - sent)

    async def held_note(self, channel: str, chat_id: str, rows: list[OutboxItem]) -> HeldNote | None:
        """For a case message that waited for the citizen: when it was written, where to look the case up."""
        held = next((r for r in rows if r.held_at is not None and r.case_id is not None), None)
        if held is None or held.case_id is None:
            return None
        async with self.db.unit_of_work(readonly=True) as uow:
            case = await uow.cases.get(held.case_id)
            language = await uow.conversations.language(channel, chat_id)
        language = language or (case.language if case else "vi")
        if case is None or self.track_url is None:
            return HeldNote("channels.held_note", language, held.created_at, {})
        return HeldNote("channels.held_note_track", language, held.created_at,
                        {"code": case.code, "url": self.track_url})
