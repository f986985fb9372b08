"""Transfer on a phone: the five likeliest units first (the case's ward, the city's departments), any other
found by typing part of its name, with or without diacritics."""

from __future__ import annotations

from bot.channels.model import Outbound
from tests.flows.chat_driver import CHANNEL, make_bot
from tests.officials.world import MONDAY_9, World


async def test_five_likely_units_then_search_by_typing(database) -> None:
    world = World(database)
    citizen = await world.account("cit-1")
    await world.official("QLDT_OFF1", chat="7301", channel=CHANNEL)
    case_id = await world.submit(citizen)  # flooding in Sao Đỏ: the ward's case
    async with world.services() as s:
        await s.case_actions.transfer((await world.official("SAODO_OFF1")).official_id, case_id, "QLDT",
                                      "Cống do thành phố quản lý.")
    bot = make_bot(database, MONDAY_9)
    chat = bot.chat(7301)
    await chat.presses(f"acc:{case_id}")
    asked: list[Outbound] = await chat.presses(f"trf:{case_id}")
    assert asked[0].text == ("Chuyển hồ sơ PA-2026-000001 đến đơn vị nào?\nKhông thấy đơn vị cần chuyển? Gõ một phần "
                             "tên đơn vị để tìm (ví dụ: «môi trường»).")
    # The case's ward first, then the city's departments by name.
    assert [c.label for c in asked[0].choices] == [
        "UBND phường Sao Đỏ", "Công an thành phố", "Phòng Lao động - Thương binh và Xã hội",
        "Phòng Tài nguyên và Môi trường", "Phòng Văn hóa và Thông tin"]
    several = await chat.says("phuong")
    assert several[0].text == "Có 8 đơn vị khớp. Chọn một:"
    one = await chat.says("pha lai")
    assert one[0].text.startswith("Lý do chuyển đến UBND phường Phả Lại")
