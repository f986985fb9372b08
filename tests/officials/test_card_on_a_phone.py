"""A case card reads on a phone: under 400 characters (the text cut short, the whole case one tap away),
the ward named for a residential area, a short map link without a preview, and the first photo as the card's
own photo with the card as its caption, buttons on it."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from bot.channels.model import Outbound
from bot.services.media import new_attachment
from storage.models import Area, Case, OutboxItem
from tests.officials.world import World
from tests.services.test_intake_media import jpeg_with_gps

LONG = ("Nước ngập sâu 40cm trước số nhà 12 đường Nguyễn Trãi, kéo dài từ ngã tư đến cổng trường tiểu học; "
        "xe máy chết máy, học sinh phải lội nước. ") * 4


async def test_a_card_is_short_names_the_ward_and_carries_its_photo(database) -> None:
    world = World(database)
    citizen = await world.account("cit-1")
    officer = await world.official("SAODO_OFF1")
    async with world.services() as s:
        area = (await s.session.execute(select(Area.code).where(Area.code == "SAODO_NGUYENTRAI"))).scalar_one()
    case_id = await world.submit(citizen, area=area, text=LONG)
    async with world.services() as s:
        await s.session.execute(update(Case).where(Case.id == case_id).values(lat=21.112345, lon=106.391234))
        s.session.add(new_attachment("photo", "image/jpeg", jpeg_with_gps(), world.clock.now(), case_id=case_id))
        case = await s.session.get(Case, case_id)
        await s.notifier.card(case, await s.notifier.receivers(case.unit_id), None)
    async with world.services(commit=False) as s:
        payload = (await s.session.execute(select(OutboxItem.payload).where(OutboxItem.chat_id == officer.chat)
                                           .order_by(OutboxItem.id.desc()))).scalars().first()
    card = Outbound.from_json(payload)
    assert len(card.text) < 400, len(card.text)
    lines = card.text.split("\n")
    assert lines[2] == "Địa bàn: Khu dân cư Nguyễn Trãi 1, Sao Đỏ"
    location = [line for line in lines if line.startswith("Vị trí:")]
    assert location == [f"Vị trí: 21.112345, 106.391234 https://www.openstreetmap.org/?mlat={21.112345:.5f}&mlon="
                        f"{106.391234:.5f}"]
    assert lines[-1].startswith("Nội dung: Nước ngập sâu 40cm") and lines[-1].endswith("…")
    assert card.caption == card.text and len(card.attachment_ids) == 1
    assert json.dumps(payload)  # stored as JSON, caption included


async def test_a_city_department_s_card_names_the_ward_and_a_reopened_card_keeps_one_captioned_photo(
        database) -> None:
    """The roads department gets a case from a residential group: its card names the group and its ward. When
    the case reopens with two photos, the card is the first photo's caption (why first), the second follows."""
    world = World(database)
    citizen = await world.account("cit-1")
    officer = await world.official("QLDT_OFF1")
    case_id = await world.submit(citizen, category="duong_sa", area="SAODO_NGUYENTRAI",
                                 text="Ổ gà lớn giữa đường Nguyễn Trãi, xe máy ngã nhiều lần.")
    async with world.services(commit=False) as s:
        payload = (await s.session.execute(select(OutboxItem.payload).where(OutboxItem.chat_id == officer.chat)
                                           .order_by(OutboxItem.id.desc()))).scalars().first()
    card = Outbound.from_json(payload)
    assert card.text.split("\n")[2:4] == ["Địa bàn: Khu dân cư Nguyễn Trãi 1, Sao Đỏ",
                                         "Đơn vị xử lý: Phòng Quản lý đô thị"]

    async with world.services() as s:
        for _ in range(2):
            s.session.add(new_attachment("photo", "image/jpeg", jpeg_with_gps(), world.clock.now(), case_id=case_id))
        await s.case_actions.accept(officer.official_id, case_id)
        await s.case_actions.answer(officer.official_id, case_id, "Đã vá ổ gà trên đường Nguyễn Trãi.")
        await s.case_actions.rate(citizen.identity_id, case_id, False, "Vẫn còn ổ gà thứ hai.")
    reopened = Outbound.from_json((await world.outbox(officer.chat))[-1].payload)
    first_line = reopened.text.split("\n")[0]
    assert first_line.startswith("Người dân chưa hài lòng với câu trả lời; hồ sơ được mở lại.")
    assert reopened.caption == reopened.text and len(reopened.attachment_ids) == 2
    assert [c.key.split(":")[0] for c in reopened.choices] == ["acc", "ask", "trf", "ext", "ans", "rej"]
