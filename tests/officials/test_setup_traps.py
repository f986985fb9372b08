"""Setup traps: a unit has one head (a second invite is refused unless it replaces the first); a bad /digest
period is not sticky; a refusal about a case that moved names the case and where it is now."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import delete, select, update

from bot import cli_officials
from bot.__main__ import _parser
from bot.config import load_settings
from bot.domain.authz import Refused
from storage.models import Official, OfficialInvite
from tests.flows.chat_driver import CHANNEL, make_bot
from tests.officials.world import MONDAY_9, World


async def test_a_second_head_is_refused_unless_replacing(database) -> None:
    world = World(database)
    await world.official("SAODO_HEAD")
    async with world.services(commit=False) as s:
        with pytest.raises(Refused) as refused:
            await s.officials.invite(unit="P_SAODO", role="head", name="Lê Văn Bình")
    assert refused.value.key == "officials.invite.head_exists"
    assert s.translator("vi")(refused.value.key, **refused.value.params) == (
        "Đơn vị P_SAODO đã có trưởng đơn vị (Nguyễn Văn Hùng). Một đơn vị chỉ có một trưởng: dùng --replace nếu "
        "muốn thay người này (quyền truy cập của họ sẽ kết thúc).")
    try:
        async with world.services() as s:
            issued = await s.officials.invite(unit="P_SAODO", role="head", name="Lê Văn Bình", replace=True)
            heads = [o for o in await s.officials.list("P_SAODO") if o.role == "head" and o.active]
        assert [o.name for o in heads] == ["Lê Văn Bình"] and issued.role == "head"
    finally:  # officials are organisation rows, kept between tests: put the seat back
        async with database.unit_of_work() as uow:
            new = list((await uow.session.execute(
                select(Official.id).where(Official.name == "Lê Văn Bình"))).scalars())
            await uow.session.execute(delete(OfficialInvite).where(OfficialInvite.official_id.in_(new)))
            await uow.session.execute(delete(Official).where(Official.id.in_(new)))
            await uow.session.execute(update(Official).where(Official.seat == "SAODO_HEAD").values(active=True))
            await uow.commit()


async def test_a_refusal_about_a_case_that_moved_names_where_it_is(database) -> None:
    world = World(database)
    citizen = await world.account("cit-1")
    mai, tu = await world.official("SAODO_OFF1"), await world.official("SAODO_OFF2")
    case_id = await world.submit(citizen)
    async with world.services() as s:
        await s.case_actions.transfer(mai.official_id, case_id, "QLDT", "Thuộc thẩm quyền quản lý đô thị.")
    async with world.services(commit=False) as s:
        with pytest.raises(Refused) as refused:
            await s.case_actions.accept(tu.official_id, case_id)
        words = s.translator("vi")(refused.value.key, **refused.value.params)
    assert words == ("Hồ sơ PA-2026-000001 đã được chuyển đến Phòng Quản lý đô thị; đơn vị của đồng chí không còn "
                     "xử lý hồ sơ này. Không có gì thay đổi.")
    stranger = await world.official("PHALAI_OFF1")
    async with world.services(commit=False) as s:  # a unit that never had it learns nothing
        with pytest.raises(Refused) as refused:
            await s.case_actions.accept(stranger.official_id, case_id)
    assert refused.value.key == "officials.refused.no_case"


async def test_a_bad_digest_period_is_not_sticky(database) -> None:
    world = World(database)
    await world.official("UBND_LEADER", chat="7201", channel=CHANNEL)
    bot = make_bot(database, MONDAY_9)
    chat = bot.chat(7201)
    replies = await chat.says("/digest tuan 10")
    assert replies[0].text.startswith("Không đọc được kỳ báo cáo «tuan 10».")
    replies = await chat.says("PA-2026-000001")  # something else entirely: not read as a period
    assert not any(r.text.startswith("Không đọc được kỳ báo cáo") for r in replies)
    replies = await chat.says("/digest tuan 10")
    replies = await chat.says("2")  # a choice still works after a bad period
    assert replies[0].text.startswith("BÁO CÁO TIẾP NHẬN, TRẢ LỜI PHẢN ÁNH, KIẾN NGHỊ: UBND thành phố Chí Linh, tuần")


async def tiepdan(db_url: str, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """`tiepdan invite|officials ...` as the command line parses and runs it (in this process, to stay quick)."""
    capsys.readouterr()
    out = io.StringIO()
    code = await cli_officials.run(load_settings(database_url=db_url), _parser().parse_args(argv), out)
    return code, out.getvalue() + capsys.readouterr().err


async def test_the_command_refuses_a_second_head_without_replace(db_url: str, database,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`tiepdan invite --role head` as an operator types it: refused while the unit has its head (the seat of
    the organisation file, linked or not); with --replace the new head takes the seat's place."""
    code, out = await tiepdan(db_url, capsys, "invite", "--unit", "P_SAODO", "--role", "head", "--name", "Lê Văn Bình")
    assert (code, out.strip()) == (1, (
        "Đơn vị P_SAODO đã có trưởng đơn vị (Nguyễn Văn Hùng). Một đơn vị chỉ có một trưởng: dùng --replace nếu "
        "muốn thay người này (quyền truy cập của họ sẽ kết thúc)."))
    try:
        code, out = await tiepdan(db_url, capsys, "invite", "--unit", "P_SAODO", "--role", "head", "--name", "Lê Văn Bình",
                                  "--replace")
        assert code == 0, out
        assert out.startswith("invite #") and " for Lê Văn Bình (head, P_SAODO), one use, valid until " in out
        async with database.unit_of_work(readonly=True) as uow:
            heads = (await uow.session.execute(select(Official.name, Official.active).where(
                Official.role == "head", Official.unit_id == select(Official.unit_id).where(
                    Official.seat == "SAODO_HEAD").scalar_subquery()).order_by(Official.id))).all()
        assert [tuple(h) for h in heads] == [("Nguyễn Văn Hùng", False), ("Lê Văn Bình", True)]
    finally:  # officials are organisation rows, kept between tests: put the seat back
        async with database.unit_of_work() as uow:
            new = list((await uow.session.execute(
                select(Official.id).where(Official.name == "Lê Văn Bình"))).scalars())
            await uow.session.execute(delete(OfficialInvite).where(OfficialInvite.official_id.in_(new)))
            await uow.session.execute(delete(Official).where(Official.id.in_(new)))
            await uow.session.execute(update(Official).where(Official.seat == "SAODO_HEAD").values(active=True))
            await uow.commit()
