"""Following an area and topics, on the engine with a fake clock: offered once after a first case, chosen
with numbered choices, consent recorded with the notice version, changed by /follow, ended by /stop."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.services.following import ANNOUNCEMENTS
from storage.models import Consent, Subscription
from tests.flows.chat_driver import keys, make_bot, texts
from tests.officials.world import World

OFFER = ("Bạn có muốn nhận thông báo của chính quyền về khu vực của mình (mất điện, nước, quy hoạch, đối thoại "
         "với lãnh đạo...)? Gõ /follow để chọn khu vực và chủ đề.")


async def _first_report(chat) -> list[str]:
    await chat.says("Đèn đường khu dân cư Mật Sơn tắt cả tuần nay")
    await chat.presses("report")
    await chat.presses("chieu_sang")
    await chat.presses("done")
    return texts(await chat.presses("send"))


async def test_follow_change_and_stop(database) -> None:
    bot = make_bot(database)
    me = bot.chat(5101)
    await me.consents()

    replies = await me.says("/follow")
    assert texts(replies) == ["Bạn muốn nhận thông báo về khu vực nào?"]
    assert keys(replies[0])[:2] == ["city", "area:SAODO"]
    replies = await me.presses("area:SAODO")
    assert texts(replies) == ["Cả Sao Đỏ hay một khu dân cư?"]
    assert keys(replies[0]) == ["ward", "area:SAODO_TIENDINH", "area:SAODO_NGUYENTRAI", "area:SAODO_MATSON"]
    replies = await me.presses("area:SAODO_MATSON")
    assert texts(replies) == ["Chọn các chủ đề muốn nhận (chọn lại để bỏ), rồi chọn «Xong»:"]
    assert [c.label for c in replies[0].choices] == [
        "Mất điện, nước", "Quy hoạch", "An ninh trật tự", "Thiên tai, ngập lụt", "Tất cả chủ đề", "Xong"]
    replies = await me.presses("topic:dien_nuoc")
    assert replies[0].choices[0].label == "✓ Mất điện, nước"
    await me.presses("topic:an_ninh")
    await me.presses("topic:quy_hoach")
    await me.presses("topic:an_ninh")  # unticked again
    bot.clock.advance(seconds=60)
    started_at = bot.clock.now()
    replies = await me.presses("done", after=0)
    assert texts(replies) == [
        "Đã đăng ký nhận thông báo: Khu dân cư Mật Sơn; chủ đề: Mất điện, nước, Quy hoạch.\n"
        "Bạn đồng ý để chính quyền gửi tin cho bạn theo thông báo xử lý dữ liệu cá nhân (phiên bản 2026-01). "
        "Gõ /follow để thay đổi, /stop để dừng nhận."]
    async with database.unit_of_work(readonly=True) as uow:
        row = (await uow.session.execute(select(Subscription))).scalar_one()
        consent = (await uow.session.execute(select(Consent).where(Consent.purpose == ANNOUNCEMENTS))).scalar_one()
    assert (row.area_code, row.topics, row.active, row.notice_version) == (
        "SAODO_MATSON", ["dien_nuoc", "quy_hoach"], True, "2026-01")
    assert (consent.notice_version, consent.granted_at, consent.withdrawn_at) == ("2026-01", started_at, None)

    # /follow again shows the current choice; the whole city and all topics this time (numbers typed back).
    replies = await me.says("/follow")
    assert texts(replies)[0] == "Bạn đang theo dõi: Khu dân cư Mật Sơn; chủ đề: Mất điện, nước, Quy hoạch."
    await me.says("1")
    replies = await me.says("5")
    assert texts(replies)[0].startswith("Đã đăng ký nhận thông báo: Cả thành phố; chủ đề: Tất cả chủ đề.")

    bot.clock.advance(seconds=3600)
    replies = await me.says("/stop", after=0)
    assert texts(replies) == ["Đã dừng. Bạn sẽ không nhận thêm thông báo nào. Gõ /follow nếu muốn nhận lại."]
    assert texts(await me.says("/stop")) == ["Bạn chưa đăng ký nhận thông báo nào. Gõ /follow để đăng ký."]
    async with database.unit_of_work(readonly=True) as uow:
        row = (await uow.session.execute(select(Subscription))).scalar_one()
        consents = (await uow.session.execute(select(Consent).where(Consent.purpose == ANNOUNCEMENTS))).scalars()
        withdrawn = [c.withdrawn_at for c in consents]
    assert (row.active, row.area_code, row.topics) == (False, None, [])
    assert withdrawn == [bot.clock.now() - timedelta(seconds=5)]  # the first /stop, 5 s before the second


async def test_offered_once_after_the_first_case(database) -> None:
    bot = make_bot(database)
    me = bot.chat(5102)
    await me.consents()
    first = await _first_report(me)
    assert first[0].startswith("Đã tiếp nhận phản ánh của bạn.")
    assert first[1:] == [OFFER, "Bạn muốn làm gì? Chọn một mục:"]
    second = await _first_report(me)
    assert OFFER not in second
    assert second[-1] == "Bạn muốn làm gì? Chọn một mục:"


async def test_who_hears_what(database) -> None:
    """A ward follower hears the ward, its residential areas and the city; not another ward; topics filter."""
    world = World(database)
    people = {name: await world.account(f"f-{name}") for name in ("city", "ward", "matson", "phalai", "water")}
    plan = {"city": (None, []), "ward": ("SAODO", []), "matson": ("SAODO_MATSON", []), "phalai": ("PHALAI", []),
            "water": ("SAODO", ["dien_nuoc"])}
    async with world.services() as s:
        for name, (area, topics) in plan.items():
            await s.following.follow(people[name].identity_id, people[name].citizen_id, area, topics,
                                     world.clock.now())
    by_id = {a.identity_id: n for n, a in people.items()}

    async def hear(area, topic) -> list[str]:
        async with world.services(commit=False) as s:
            return sorted(by_id[f.identity_id] for f in await s.following.followers(area, topic))

    assert await hear(None, None) == ["city", "matson", "phalai", "ward", "water"]
    assert await hear("SAODO", "quy_hoach") == ["city", "matson", "ward"]
    assert await hear("SAODO_TIENDINH", "dien_nuoc") == ["city", "ward", "water"]
    assert await hear("PHALAI", None) == ["city", "phalai"]
