"""An official whose channel holds a deadline notice (a Zalo OA reply window closed, no quota) is reached on
another account they linked; with none, their head is told they cannot be reached."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime

from sqlalchemy import select

from bot.channels.model import Choice, Outbound
from bot.cli_officials import list_command
from bot.clock import FakeClock
from bot.services.sweep import run_sweep
from storage.models import OutboxItem
from tests.officials.world import VN, World
from tests.support.harness import settings_for

NOTICE = "Quá hạn: hồ sơ PA-2026-000001 (Phản ánh, Ngập úng, thoát nước) đã quá hạn trả lời."


async def _held(world: World, chat: str) -> None:
    async with world.db.unit_of_work() as uow:
        uow.session.add(OutboxItem(
            channel="zalo_oa", chat_id=chat, purpose="deadline", status="held", attempts=1,
            payload=Outbound(NOTICE, (Choice("ans:1", "Trả lời và kết thúc"),)).to_json(),
            created_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC), next_attempt_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC)))
        await uow.commit()


async def _to(world: World, chat: str) -> list[dict]:
    async with world.db.unit_of_work(readonly=True) as uow:
        return list((await uow.session.execute(select(OutboxItem.payload).where(
            OutboxItem.chat_id == chat, OutboxItem.status != "held").order_by(OutboxItem.id))).scalars())


async def test_a_held_notice_goes_another_way_or_the_head_is_told(database) -> None:
    world = World(database)
    await world.official("SAODO_OFF1", chat="mai-oa", channel="zalo_oa")
    await world.official("SAODO_OFF1", chat="mai-tg")  # Mai also linked Telegram
    await world.official("SAODO_OFF2", chat="tu-oa", channel="zalo_oa")  # Tú only the OA
    await world.official("SAODO_HEAD", chat="hung")
    await _held(world, "mai-oa")
    await _held(world, "tu-oa")
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=VN))
    assert (await run_sweep(database, clock)).rerouted == 2
    await run_sweep(database, clock)  # once only
    rerouted = await _to(world, "mai-tg")
    assert [(p["text"], p["choices"]) for p in rerouted] == [(NOTICE, [["ans:1", "Trả lời và kết thúc"]])]
    told = [p["text"] for p in await _to(world, "hung")]
    assert told == [
        "Không liên lạc được với Phạm Văn Tú: thông báo sau đang bị giữ trên zalo_oa (đồng chí ấy chưa nhắn cho hệ "
        f"thống gần đây) và không có kênh nào khác. Đề nghị đồng chí báo trực tiếp. Nội dung: {NOTICE}"]


async def test_officials_list_shows_who_cannot_be_reached(db_url: str, database) -> None:
    """`tiepdan officials list`: per account "ok" or how many notices wait unseen there; an official with no
    account that would show them is UNREACHABLE."""
    world = World(database)
    await world.official("SAODO_OFF1", chat="mai-oa", channel="zalo_oa")
    await world.official("SAODO_OFF1", chat="mai-tg")
    await world.official("SAODO_OFF2", chat="tu-oa", channel="zalo_oa")
    await _held(world, "mai-oa")
    await _held(world, "tu-oa")
    await _held(world, "tu-oa")
    out = io.StringIO()
    assert await list_command(settings_for(db_url), database, argparse.Namespace(unit="P_SAODO"), out) == 0
    reach = {line.split("] ")[0].split(" P_SAODO    ")[1]: line.split(" reach: ")[1]
             for line in out.getvalue().splitlines()[:-1]}
    assert reach == {
        "Trần Thị Mai [officer": "zalo_oa 1 held, telegram ok",
        "Phạm Văn Tú [officer": "zalo_oa 2 held UNREACHABLE",
        "Nguyễn Văn Hùng [head": "- UNREACHABLE",
    }
