"""`tiepdan digest --unit CODE --period 2026-W10 --dry-run` prints the digest; without --dry-run it queues it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from storage.models import JobClaim, OutboxItem
from storage.uow import Database
from tests.deadlines.support import link
from tests.deadlines.test_digest import bar_heights, seed

TIEPDAN = str(Path(sys.executable).parent / "tiepdan")


async def tiepdan(db_url: str, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        TIEPDAN, *args, env=os.environ | {"DATABASE_URL": db_url, "LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode()


async def test_dry_run_prints_the_digest_and_writes_the_chart(db_url: str, database: Database,
                                                             tmp_path: Path) -> None:
    await seed(database)
    chart = tmp_path / "chart.png"
    code, out = await tiepdan(db_url, "digest", "--unit", "p_saodo", "--period", "2026-W10", "--dry-run",
                              "--chart", str(chart))
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == ("BÁO CÁO TIẾP NHẬN, TRẢ LỜI PHẢN ÁNH, KIẾN NGHỊ: UBND phường Sao Đỏ, tuần 2026-W10 "
                        "(02/03 - 08/03/2026)")
    assert lines[5] == "Trả lời đúng hạn: 7, tỷ lệ 87,5% (66,7%)"
    assert lines[-1] == f"chart: {chart}"
    assert Image.open(chart).format == "PNG" and bar_heights(chart.read_bytes()) == [175]
    async with database.unit_of_work(readonly=True) as uow:
        assert (await uow.session.execute(select(OutboxItem.id))).first() is None  # a dry run sends nothing


async def test_without_dry_run_the_units_readers_get_it_once(db_url: str, database: Database) -> None:
    await seed(database)
    await link(database, "SAODO_HEAD", 7001)
    first = await tiepdan(db_url, "digest", "--unit", "P_SAODO", "--period", "2026-W10", "--lang", "en")
    second = await tiepdan(db_url, "digest", "--unit", "P_SAODO", "--period", "2026-W10")
    assert first[0] == second[0] == 0
    assert first[1].splitlines()[0].startswith("CITIZEN FEEDBACK RECEIVED AND ANSWERED: Sao Do Ward People's")
    assert (first[1].splitlines()[-1], second[1].splitlines()[-1]) == (
        "queued for 1 of 1 reader(s) of P_SAODO", "queued for 0 of 1 reader(s) of P_SAODO")
    async with database.unit_of_work(readonly=True) as uow:
        rows = (await uow.session.execute(select(OutboxItem.chat_id, OutboxItem.purpose))).all()
        claims = (await uow.session.execute(select(JobClaim.job, JobClaim.period))).all()
    assert [tuple(r) for r in rows] == [("7001", "digest")]
    assert [job for job, _ in claims] == ["digest"] and claims[0][1].startswith("2026-W10:")


async def test_bad_unit_or_period_is_refused_with_the_reason(db_url: str) -> None:
    assert await tiepdan(db_url, "digest", "--unit", "NOPE", "--dry-run") == (
        2, "no unit 'NOPE' in the organisation\n")
    assert await tiepdan(db_url, "digest", "--unit", "QLDT", "--period", "tuần 9", "--dry-run") == (
        2, "cannot read the period 'tuần 9': use 2026-W09 or 2026-02\n")
