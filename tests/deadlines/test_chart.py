"""The digest's chart stands alone: a title with the period, the unit's name under each bar, on time/answered
above it, the unit as a whole first, then the units below it best first, at least 720 px wide; an empty
period says so. Heights are read back from the pixels, words from the drawing code's own layout (no OCR)."""

from __future__ import annotations

import io

from PIL import Image

from bot.domain.digest import iso_week
from bot.i18n import translator
from bot.services.chart import BAR_COLOUR, TOTAL_COLOUR, bar_height, layout
from bot.services.digest import Digests, chart_words
from storage.uow import Database
from tests.deadlines.support import VN
from tests.deadlines.test_digest import seed, snapshot

WHITE = (255, 255, 255)


def painted(png: bytes, box: tuple[int, int, int, int], colours: tuple[tuple[int, int, int], ...]) -> int:
    """How many pixels of the middle column of `box`, from the plot's base up, have one of the colours."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    left, _, right, bottom = box
    x = (left + right) // 2
    return sum(1 for y in range(0, bottom + 1) if image.getpixel((x, y)) in colours)


def inked(png: bytes, at: tuple[int, int], width: int = 60, height: int = 14) -> bool:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return any(image.getpixel((x, y)) != WHITE for x in range(at[0], at[0] + width)
               for y in range(at[1], at[1] + height))


async def test_the_chart_reads_back_as_the_figures(database: Database) -> None:
    await seed(database)
    org = await snapshot(database)
    t = translator("vi")
    async with database.unit_of_work(readonly=True) as uow:
        digests = Digests(uow.session, org)
        data = await digests.data(org.units["UBND"].id, iso_week(2026, 10, VN))
        message = await digests.message(org.units["UBND"].id, iso_week(2026, 10, VN), "vi")
    title, bars, note = chart_words(data, org, t)
    plan = layout(title, bars, note)
    image = Image.open(io.BytesIO(message.chart))
    assert image.size == (plan.width, plan.height) and plan.width >= 720
    assert " ".join(plan.title_lines) == ("Trả lời đúng hạn (số đúng hạn/số đã trả lời): UBND thành phố Chí Linh, "
                                          "tuần 2026-W10 (02/03 - 08/03/2026)")
    assert [(" ".join(p.label_lines), p.count) for p in plan.bars] == [
        ("UBND thành phố Chí Linh (chung)", "21/25 · 84%"),
        (org.units["TNMT"].name_vi, "4/4 · 100%"),
        ("UBND phường Sao Đỏ", "7/8 · 88%"),
        (org.units["QLDT"].name_vi, "5/6 · 83%"),
        (org.units["P_PHALAI"].name_vi, "5/7 · 71%"),
    ]
    heights = [painted(message.chart, p.box, (BAR_COLOUR, TOTAL_COLOUR)) for p in plan.bars]
    assert heights == [168, 200, 175, 167, 143] == [bar_height(b.rate) for b in bars]
    for place in plan.bars:  # the words are drawn where the layout puts them
        assert inked(message.chart, place.count_at) and inked(message.chart, place.label_at)


async def test_an_empty_period_carries_its_note(database: Database) -> None:
    org = await snapshot(database)
    async with database.unit_of_work(readonly=True) as uow:
        digests = Digests(uow.session, org)
        data = await digests.data(org.units["P_SAODO"].id, iso_week(2026, 20, VN))
        message = await digests.message(org.units["P_SAODO"].id, iso_week(2026, 20, VN), "vi")
    plan = layout(*chart_words(data, org, translator("vi")))
    assert plan.note == "Chưa có câu trả lời nào trong kỳ này."
    image = Image.open(io.BytesIO(message.chart)).convert("RGB")
    assert image.width >= 720
    assert not any(image.getpixel((x, y)) == BAR_COLOUR for x in range(image.width) for y in range(image.height))
    assert inked(message.chart, plan.note_at, width=200)
