"""SIGKILL the real process at each named crash point, restart it, and count what the citizen received."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import BinaryIO

import pytest
from sqlalchemy import func, select

from storage.models import Case, Conversation, InboxItem, OutboxItem
from storage.uow import Database
from tests.support.fake_telegram import FakeTelegram
from tests.support.harness import fake_telegram
from tests.support.settling import settled

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CHAT = 777001
JOURNEY = ["/start", "1", "/report", "Đèn đường hỏng cả tuần nay ở ngõ 5 phố Lê Lợi.", "2", "sao do", "khong ro",
           "1", "không", "gui", "/my"]
# The citizen receives fourteen messages in this order when nothing goes wrong: welcome, notice, thanks, menu,
# "what happened?", "what kind?", "which ward?", "which area?", "which field?", "any photos?", the summary,
# the receipt, the menu, the list of cases.
EXPECTED = 14


def _env(db_url: str, tg: FakeTelegram, tmp_path: Path, point: str | None, skip: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIEPDAN_")}
    env |= {
        "DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
        "LEASE_SECONDS": "1", "PORT": "0", "LOG_LEVEL": "WARNING",
        "TIEPDAN_CRASH_MARKER": str(tmp_path / "crashed"), "TIEPDAN_CRASH_SKIP": str(skip),
    }
    if point:
        env["TIEPDAN_CRASH_AT"] = point
    return env


def _log_file(path: Path) -> BinaryIO:
    return path.open("wb")  # the child writes to it until it dies


async def _start(env: dict[str, str], tmp_path: Path, name: str) -> asyncio.subprocess.Process:
    log = _log_file(tmp_path / f"{name}.log")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdout=log, stderr=log,
        stdin=asyncio.subprocess.DEVNULL,
    )


async def _settled(db: Database, stored: int) -> bool:
    """The citizen's `stored` messages are all handled and every reply is sent."""
    async with db.unit_of_work(readonly=True) as uow:
        s = uow.session
        statuses = (await s.execute(select(InboxItem.status))).scalars().all()
        unsent = (await s.execute(
            select(func.count(OutboxItem.id)).where(OutboxItem.status.in_(("pending", "held"))))).scalar_one()
    return len(statuses) == stored and all(st == "done" for st in statuses) and unsent == 0


@pytest.mark.parametrize(
    ("point", "skip"),
    [("after_store", 0), ("after_flow_commit", 6), ("after_send", 8), ("after_mark", 8)],
)
async def test_crash_and_restart_loses_nothing(db_url: str, tmp_path: Path, point: str, skip: int) -> None:
    """Like a real citizen, each message is sent once the previous answer arrived, so the only work in flight
    at the kill is the named crash point's own."""
    db = Database(db_url)
    loop = asyncio.get_running_loop()
    async with fake_telegram() as tg:
        env = _env(db_url, tg, tmp_path, point, skip)
        process = await _start(env, tmp_path, "first")
        restarted = False
        try:
            for step, text in enumerate(JOURNEY, start=1):
                tg.says(CHAT, text)
                deadline = loop.time() + 60
                while not await _settled(db, step):
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

    texts = tg.texts_to(CHAT)
    repeated = [a for a, b in zip(texts, texts[1:], strict=False) if a == b]
    # Only a crash between a send and its "sent" mark can repeat a message, and then exactly one.
    assert len(repeated) == (1 if point == "after_send" else 0), texts
    unique = [t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]]
    assert len(unique) == EXPECTED, "\n".join(t[:50].replace("\n", " ") for t in unique)
    assert unique[11].startswith("Đã tiếp nhận phản ánh của bạn.\nMã theo dõi: PA-")
    assert unique[13].startswith("Hồ sơ của bạn (trang 1/1):")

    try:
        async with db.unit_of_work(readonly=True) as uow:
            s = uow.session
            assert (await s.execute(select(func.count(Case.id)))).scalar_one() == 1
            statuses = (await s.execute(select(InboxItem.status))).scalars().all()
            conversation = (await s.execute(select(Conversation))).scalar_one()
    finally:
        await db.dispose()
    assert statuses == ["done"] * len(JOURNEY)
    assert (conversation.flow, conversation.step) == ("my_cases", "list")
