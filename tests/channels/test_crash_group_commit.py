"""SIGKILL the real process while a group commit of several chats is in flight, restart it, and count.

Four citizens make the crash-safety journey side by side, each message of a round arriving in one batch of
updates, so the consumer commits their steps together. The process is killed inside such a group commit -
after the chats' steps and before their COMMIT, or after the COMMIT and before the replies reach the sender -
and restarted: every citizen gets every answer exactly once and files exactly one case.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.models import Case, InboxItem, OutboxItem
from storage.uow import Database
from tests.channels.test_crash_safety import EXPECTED, JOURNEY, _env, _start
from tests.support.harness import fake_telegram
from tests.support.settling import settled

pytestmark = pytest.mark.slow
CHATS = [778001, 778002, 778003, 778004]


async def _settled(db: Database, stored: int) -> bool:
    async with db.unit_of_work(readonly=True) as uow:
        s = uow.session
        statuses = (await s.execute(select(InboxItem.status))).scalars().all()
        unsent = (await s.execute(
            select(func.count(OutboxItem.id)).where(OutboxItem.status.in_(("pending", "held"))))).scalar_one()
    return len(statuses) == stored and all(st == "done" for st in statuses) and unsent == 0


@pytest.mark.parametrize("point", ["in_group_commit", "after_group_commit"])
async def test_sigkill_in_a_group_commit_of_several_chats_loses_and_repeats_nothing(
        db_url: str, tmp_path: Path, point: str) -> None:
    db = Database(db_url)
    loop = asyncio.get_running_loop()
    async with fake_telegram() as tg:
        env = _env(db_url, tg, tmp_path, point, skip=4)  # the fifth group commit: mid-journey
        env["GROUP_COMMIT_CHATS"] = str(len(CHATS))  # on, whatever the default
        process = await _start(env, tmp_path, "first")
        restarted = False
        try:
            for step, text in enumerate(JOURNEY, start=1):
                for chat in CHATS:  # one round arrives in one batch of updates: ready together
                    tg.says(chat, text)
                deadline = loop.time() + 60
                while not await _settled(db, step * len(CHATS)):
                    if process.returncode is not None:
                        log = (tmp_path / ("second" if restarted else "first")).with_suffix(".log").read_text()
                        assert not restarted and process.returncode == -signal.SIGKILL, log
                        assert (tmp_path / "crashed").read_text() == point
                        process = await _start(env, tmp_path, "second")
                        restarted = True
                    assert loop.time() < deadline, f"step {step} ({text!r}) never settled"
                    await asyncio.sleep(0.1)
            await settled(db)  # a wrongly repeated message would be in the outbox or sent by now
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 30)
    assert restarted, "the process never reached its crash point"

    for chat in CHATS:
        texts = tg.texts_to(chat)
        assert len(texts) == EXPECTED, "\n".join(t[:50].replace("\n", " ") for t in texts)  # none lost, none twice
        assert not [a for a, b in zip(texts, texts[1:], strict=False) if a == b], texts
        assert texts[11].startswith("Đã tiếp nhận phản ánh của bạn.\nMã theo dõi: PA-")
        assert texts[13].startswith("Hồ sơ của bạn (trang 1/1):")
    try:
        async with db.unit_of_work(readonly=True) as uow:
            s = uow.session
            cases = (await s.execute(select(func.count(Case.id)))).scalar_one()
            statuses = (await s.execute(select(InboxItem.status))).scalars().all()
    finally:
        await db.dispose()
    assert cases == len(CHATS)
    assert statuses == ["done"] * len(JOURNEY) * len(CHATS)
