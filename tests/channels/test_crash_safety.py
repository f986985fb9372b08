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

from storage.models import Case, Conversation, InboxItem
from storage.uow import Database
from tests.support.fake_telegram import FakeTelegram
from tests.support.harness import fake_telegram

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CHAT = 777001
JOURNEY = ["/start", "1", "/report", "1", "sao do", "Đèn đường hỏng cả tuần nay ở ngõ 5 phố Lê Lợi.", "gui", "/my"]
# The citizen receives eleven messages in this order when nothing goes wrong.
EXPECTED = 11


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


@pytest.mark.parametrize(
    ("point", "skip"),
    [("after_store", 0), ("after_flow_commit", 6), ("after_send", 8), ("after_mark", 8)],
)
async def test_crash_and_restart_loses_nothing(db_url: str, tmp_path: Path, point: str, skip: int) -> None:
    async with fake_telegram() as tg:
        for text in JOURNEY:
            tg.says(CHAT, text)
        env = _env(db_url, tg, tmp_path, point, skip)
        first = await _start(env, tmp_path, "first")
        try:
            code = await asyncio.wait_for(first.wait(), 60)
        except TimeoutError:
            first.kill()
            raise AssertionError((tmp_path / "first.log").read_text()) from None
        assert code == -signal.SIGKILL, (tmp_path / "first.log").read_text()
        assert (tmp_path / "crashed").read_text() == point

        second = await _start(env, tmp_path, "second")
        try:
            await tg.wait_for(CHAT, EXPECTED, within=60)
            await asyncio.sleep(1.5)  # time for any wrongly repeated message to show up
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 20)

    texts = tg.texts_to(CHAT)
    repeated = [a for a, b in zip(texts, texts[1:], strict=False) if a == b]
    # Only a crash between a send and its "sent" mark can repeat a message, and then exactly one.
    assert len(repeated) == (1 if point == "after_send" else 0), texts
    unique = [t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]]
    assert len(unique) == EXPECTED, "\n".join(t[:50].replace("\n", " ") for t in unique)
    assert unique[8].startswith("Đã tiếp nhận phản ánh của bạn.\nMã theo dõi: PA-")
    assert unique[10].startswith("Hồ sơ của bạn (trang 1/1):")

    db = Database(db_url)
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
