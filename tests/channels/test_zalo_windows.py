"""The reply-window rule on its own: reply, proactive or held, for Zalo's published numbers (48 h, 8 replies)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.channels.model import SendingRules
from bot.channels.windows import Delivery, Grant, SendingWindows, classify, quota_period, with_window
from bot.clock import FakeClock
from storage.models import OutboxItem
from storage.repositories import sending

NOW = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
OA = with_window(SendingRules(), hours=48, replies=8, quota=0)
VERIFIED = with_window(SendingRules(), hours=48, replies=8, quota=1000)


def decide(rules: SendingRules, *, wrote: timedelta | None, replies: int = 0, messages: int = 1,
           worth_quota: bool = False) -> Grant:
    return classify(rules, last_inbound_at=None if wrote is None else NOW - wrote, replies_since=replies, now=NOW,
                    messages=messages, worth_quota=worth_quota)


def test_settings_become_rules() -> None:
    assert (OA.reply_window, OA.replies_per_window, OA.proactive_quota) == (timedelta(hours=48), 8, 0)
    free = with_window(SendingRules(), hours=0, replies=0, quota=0)
    assert (free.reply_window, free.replies_per_window) == (None, None)


def test_a_channel_without_window_writes_at_any_time() -> None:
    rules = SendingRules()  # Telegram, the web chat
    assert decide(rules, wrote=None) == Grant(Delivery.FREE)
    assert decide(rules, wrote=timedelta(days=400), replies=99) == Grant(Delivery.FREE)


def test_replies_inside_the_window_up_to_the_allowance() -> None:
    assert decide(OA, wrote=timedelta(hours=47, minutes=59), replies=7) == Grant(Delivery.REPLY)
    assert decide(OA, wrote=timedelta(hours=1), replies=6, messages=2) == Grant(Delivery.REPLY)
    assert decide(OA, wrote=timedelta(hours=1), replies=7, messages=2) == Grant(
        Delivery.HELD, "7 replies already sent since the chat last wrote; not worth a proactive message")
    assert decide(OA, wrote=timedelta(hours=1), replies=8) == Grant(
        Delivery.HELD, "8 replies already sent since the chat last wrote; not worth a proactive message")


def test_a_message_longer_than_one_allowance_still_goes_in_a_fresh_window() -> None:
    assert decide(OA, wrote=timedelta(minutes=1), replies=0, messages=11) == Grant(Delivery.REPLY)
    assert decide(OA, wrote=timedelta(minutes=1), replies=1, messages=11).delivery is Delivery.HELD


def test_outside_the_window_only_what_matters_goes_and_only_with_quota() -> None:
    three_days = timedelta(days=3)
    assert decide(OA, wrote=three_days) == Grant(Delivery.HELD, "reply window closed; not worth a proactive message")
    assert decide(OA, wrote=three_days, worth_quota=True) == Grant(
        Delivery.HELD, "reply window closed; no proactive quota")
    assert decide(VERIFIED, wrote=three_days, worth_quota=True) == Grant(Delivery.PROACTIVE, "reply window closed")
    assert decide(VERIFIED, wrote=three_days) == Grant(
        Delivery.HELD, "reply window closed; not worth a proactive message")
    assert decide(VERIFIED, wrote=None, worth_quota=True) == Grant(Delivery.PROACTIVE, "reply window closed")


def test_the_quota_month_is_the_organisation_s() -> None:
    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    assert quota_period(datetime(2026, 2, 28, 17, 30, tzinfo=UTC), vn) == "2026-03"
    assert quota_period(datetime(2026, 2, 28, 16, 59, tzinfo=UTC), vn) == "2026-02"


async def test_concurrent_dispatchers_never_spend_more_than_the_quota(database) -> None:
    async def reserve() -> bool:
        async with database.unit_of_work() as uow:
            ok = await sending.reserve_quota(uow.session, "zalo_oa", "2026-03", 1, 3)
            await uow.commit()
        return ok

    results = await asyncio.gather(*(reserve() for _ in range(10)))
    assert sorted(results) == [False] * 7 + [True] * 3
    async with database.unit_of_work() as uow:
        await sending.refund_quota(uow.session, "zalo_oa", "2026-03", 1)
        await uow.commit()
    async with database.unit_of_work(readonly=True) as uow:
        assert await sending.quota_used(uow.session, "zalo_oa", "2026-03") == 2
        assert await sending.quota_used(uow.session, "zalo_oa", "2026-04") == 0


async def test_deadline_notices_get_the_quota_before_anything_optional(database) -> None:
    """A verified OA with 5 proactive messages a month, 2 kept for officials' deadline notices: a flood warning
    to its followers spends 3 and is then held, and the officials' reminders still go, until the month is spent."""
    rules = with_window(SendingRules(), hours=48, replies=8, quota=5, reserve=2)
    assert (rules.proactive_quota, rules.quota_reserve) == (5, 2)
    assert with_window(SendingRules(), hours=48, replies=8, quota=1000).quota_reserve == 200  # a fifth by default
    windows = SendingWindows(database, FakeClock(NOW))

    async def admit(purpose: str, chat: str) -> Grant:
        return await windows.admit("zalo_oa", rules, chat, [OutboxItem(purpose=purpose)], 1)

    alerts = [await admit("alert", f"follower-{n}") for n in range(5)]
    assert [g.delivery for g in alerts] == [Delivery.PROACTIVE] * 3 + [Delivery.HELD] * 2
    assert alerts[3].reason == "reply window closed; proactive quota for 2026-03 kept for deadline notices"
    deadlines = [await admit("deadline", f"official-{n}") for n in range(3)]
    assert [g.delivery for g in deadlines] == [Delivery.PROACTIVE, Delivery.PROACTIVE, Delivery.HELD]
    assert deadlines[2].reason == "reply window closed; proactive quota for 2026-03 spent"
    async with database.unit_of_work(readonly=True) as uow:
        assert await sending.quota_used(uow.session, "zalo_oa", "2026-03") == 5
