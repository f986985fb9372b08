"""The digest's civic lines: dialogue sessions held, questions received and answered, announcements and reach."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.digest import iso_week
from bot.i18n import translator
from bot.services.digest import Digests, render
from storage.models import OutboxItem
from storage.repositories import outbox
from tests.officials.world import VN, World


async def test_the_digest_counts_dialogues_and_announcements(database) -> None:
    world = World(database)
    office = await world.official("UBND_SECRETARIAT")
    people = [await world.account(f"dg-{i}") for i in range(3)]
    async with world.services() as s:
        for p in people:
            await s.following.follow(p.identity_id, p.citizen_id, "SAODO", [], world.clock.now())
        await s.announcements.send(office.official_id, area="SAODO", topic=None, text="Cắt nước thứ Ba")
    async with database.unit_of_work() as uow:  # two of the three copies went out
        ids = list((await uow.session.execute(select(OutboxItem.id).order_by(OutboxItem.id))).scalars())[:2]
        await outbox.mark_sent(uow.session, ids, world.clock.now(), None)
        await uow.commit()
    async with world.services() as s:
        row = await s.dialogues.schedule(office.official_id, title="Đối thoại", area="SAODO", topic=None,
                                         starts_at=world.clock.now() + timedelta(hours=2), place="Hội trường")
        first = await s.dialogues.ask(row.id, citizen_id=people[0].citizen_id, identity_id=people[0].identity_id,
                                      text="Khi nào sửa đường Nguyễn Trãi?")
        await s.dialogues.ask(row.id, citizen_id=people[1].citizen_id, identity_id=people[1].identity_id,
                              text="Bao giờ có nước sạch cho Mật Sơn?")
    world.clock.advance(hours=3)
    async with world.services() as s:
        await s.dialogues.answer(office.official_id, first.question_id or 0, "Tháng sau.")
        await s.dialogues.close(office.official_id, row.id)
    year, week, _ = world.clock.now().astimezone(VN).isocalendar()
    async with world.services(commit=False) as s:
        data = await Digests(s.session, s.org).data(s.org.units["UBND"].id, iso_week(year, week, VN))
        text = render(data, s.org, translator("vi"))
        quiet = await Digests(s.session, s.org).data(s.org.units["UBND"].id, iso_week(year, week - 1, VN))
        before = render(quiet, s.org, translator("vi"))
    assert "Đối thoại với nhân dân: 1 buổi; nhận 2 câu hỏi, trả lời 1\n" in text
    assert "Thông báo: 1 lần gửi, tới được 2/3 người theo dõi\n" in text
    assert "Đối thoại với nhân dân" not in before  # a quiet week's digest is unchanged
