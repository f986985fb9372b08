"""The matcher learns from officials: ten cases of a phrasing it did not know, re-filed by the ward's head with
/category (the field is another unit's, so each also goes there: "not ours"), make the same phrasing suggested
right after the organisation snapshot is read again; `tiepdan examples remove` takes the lesson back."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot import cli_examples
from bot.__main__ import _parser
from bot.config import load_settings
from bot.services.drafts import index_for
from bot.services.org_view import OrgCache
from storage.models import Case, CategoryExample, Unit
from storage.uow import Database
from tests.flows.chat_driver import CHANNEL, make_bot, texts
from tests.officials.world import World

OFFICER = 9001

# Radio masts are put up by the phone networks; the city's construction office checks their permits.
TAUGHT = [
    "Nhà mạng dựng cột phát sóng BTS ngay sát nhà tôi",
    "cột phát sóng điện thoại mới dựng cạnh trường mầm non",
    "Trạm BTS lắp trên nóc nhà hàng xóm, dân lo sợ",
    "tram phat song BTS dung giua khu dan cu",
    "Có trạm phát sóng được dựng mà không họp dân",
    "cột BTS cao 30 mét dựng sát nhà văn hóa",
    "Nhà mạng lắp trạm phát sóng trên sân thượng",
    "tram BTS moi lap canh truong hoc",
    "Cột phát sóng di động dựng trong ngõ nhỏ",
    "Đề nghị kiểm tra trạm phát sóng BTS mới dựng",
]
UNSEEN = "Người ta đang dựng một cột phát sóng BTS cạnh chợ"


async def suggested(db: Database, text: str) -> str | None:
    """The first suggestion for `text`, as intake makes it after reading the organisation afresh."""
    async with db.unit_of_work(readonly=True) as uow:
        org = await OrgCache().get(uow.session, date(2026, 3, 2))
    found = index_for(org).categories.suggest(text)
    return found[0].code if found else None


async def tiepdan(db_url: str, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """`tiepdan examples ...` as the command line runs it (in this process, to stay quick)."""
    capsys.readouterr()
    code = await cli_examples.run(load_settings(database_url=db_url), _parser().parse_args(argv))
    return code, capsys.readouterr().out


async def test_officials_teach_the_matcher(database: Database, db_url: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    world = World(database)
    head = await world.official("SAODO_HEAD", chat=str(OFFICER), channel=CHANNEL)
    assert head.official_id is not None
    cases = [await world.submit(None, category="khac", area="SAODO", text=text) for text in TAUGHT]
    assert await suggested(database, UNSEEN) != "xay_dung"

    bot = make_bot(database, world.clock.now())
    officer = bot.chat(OFFICER)
    for case_id in cases:
        code = (await world.case(case_id)).code
        asked = await officer.says(f"/category {code}")
        assert texts(asked)[-1].startswith(f"Hồ sơ {code} thật ra thuộc lĩnh vực nào?")
        done = await officer.presses("xay_dung")
        assert texts(done)[-1].startswith(f"Đã chuyển hồ sơ {code} sang lĩnh vực Xây dựng trái phép; lĩnh vực "
                                          "này do Phòng Quản lý đô thị xử lý")

    async with database.unit_of_work(readonly=True) as uow:
        qldt = (await uow.session.execute(select(Unit.id).where(Unit.code == "QLDT"))).scalar_one()
        moved = (await uow.session.execute(select(Case.unit_id).where(Case.id.in_(cases)))).scalars().all()
        examples = (await uow.session.execute(select(CategoryExample).order_by(CategoryExample.id))).scalars().all()
    assert set(moved) == {qldt}  # "not ours": each went to the unit that handles the field
    assert [(e.case_id, e.reason) for e in examples] == [(c, "transferred") for c in cases]
    assert await suggested(database, UNSEEN) == "xay_dung"

    code, listed = await tiepdan(db_url, capsys, "examples", "list", "--category", "xay_dung")
    assert (code, listed.splitlines()[-1]) == (0, "10 example(s)")
    assert "xay_dung       transferred" in listed and "(was khac)" in listed
    removed = await tiepdan(db_url, capsys, "examples", "remove", *(str(e.id) for e in examples))
    assert removed == (0, "removed 10 example(s)\n")
    assert await suggested(database, UNSEEN) != "xay_dung"
