"""The overseers' view of March 2026, counted by hand, and recommendations answered on time and late.

Cases (local times; March 2026 has no public holiday):
unit     kind          created        due (original)   resolved         rating        at 31/03
P_SAODO  report        02/03 09:00    06/03 17:00      05/03 10:00      satisfied     on time
P_SAODO  report        02/03 09:30    06/03 17:00      10/03 10:00      unsatisfied   late
P_SAODO  report        16/03 09:00    20/03 17:00      open                           7 working days late (6-10)
QLDT     report        03/03 09:00    09/03 17:00      09/03 16:00      satisfied     on time
QLDT     report        25/03 09:00    30/03 17:00      open                           1 working day late (1-2)
TTRA     denunciation  04/03 09:00    30/04 17:00      open                           received only

Totals: received 6, resolved 3, on time 2 (66,7%), satisfied 2/3 (66,7%), overdue 2.
Recommendations: KN-2026-0001 to P_SAODO sent 02/03 (due 17/03), answered 10/03: on time;
KN-2026-0002 to QLDT sent 03/03 (due 18/03), answered 20/03: 2 days late.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.channels.model import Outbound
from storage.models import Case, CaseEvent, ChannelIdentity, Citizen, OutboxItem, Unit
from storage.uow import Database
from tests.deadlines.support import vn
from tests.flows.chat_driver import VN
from tests.leaders.scene import CHATS, scene, texts

NAME, PHONE, CHAT = "Nguyễn Thị Hoa", "0912345678", "citizen-chat-5511"
DENUNCIATION = "Cán bộ địa chính phường nhận 50 triệu đồng của dân để cấp sổ đỏ"
REPORT = "Nước ngập trước nhà bà Hoa số 12 Nguyễn Trãi"


def d(day: int, hour: int = 17, minute: int = 0) -> datetime:
    return vn(2026, 3, day, hour, minute)


CASES = [  # unit, kind, created, due, resolved, rating, status
    ("P_SAODO", "report", d(2, 9), d(6), d(5, 10), "satisfied", "closed"),
    ("P_SAODO", "report", d(2, 9, 30), d(6), d(10, 10), "unsatisfied", "closed"),
    ("P_SAODO", "report", d(16, 9), d(20), None, None, "assigned"),
    ("QLDT", "report", d(3, 9), d(9), d(9, 16), "satisfied", "closed"),
    ("QLDT", "report", d(25, 9), d(30), None, None, "in_progress"),
    ("TTRA", "denunciation", d(4, 9), vn(2026, 4, 30, 17), None, None, "submitted"),
]


async def seed(db: Database) -> None:
    async with db.unit_of_work() as uow:
        s = uow.session
        units = dict((await s.execute(select(Unit.code, Unit.id))).all())
        citizen = Citizen(pseudonym="ND-7Q2X", display_name=NAME, phone=PHONE, language="vi", created_at=d(1, 8))
        s.add(citizen)
        await s.flush()
        identity = ChannelIdentity(channel="zalo", external_id=CHAT, chat_id=CHAT, citizen_id=citizen.id,
                                   created_at=d(1, 8))
        s.add(identity)
        await s.flush()
        for number, (unit, kind, created, due, resolved, rating, status) in enumerate(CASES, start=1):
            case = Case(code=f"PA-2026-{number:06d}", kind=kind, status=status, unit_id=units[unit],
                        citizen_id=citizen.id, reply_identity_id=identity.id, sealed=kind == "denunciation",
                        text=DENUNCIATION if kind == "denunciation" else REPORT, created_at=created, due_at=due,
                        original_due_at=due, resolved_at=resolved, closed_at=resolved, rating=rating,
                        details={"contact": f"{NAME} {PHONE}"})
            s.add(case)
            await s.flush()
            # The figures are read from the cases' events, as the engine records them.
            events = [("submitted", created, "submitted")]
            if resolved is not None:
                events.append(("answered", resolved, "resolved"))
            if rating is not None:
                events.append((f"rated_{rating}", resolved + timedelta(hours=1), "closed"))
            s.add_all(CaseEvent(case_id=case.id, at=at, actor_kind="system", action=action, to_status=to_status,
                                public=True, data={}) for action, at, to_status in events)
        await uow.commit()


async def test_an_overseers_month_and_two_recommendations(database: Database) -> None:
    await seed(database)
    s = await scene(database, datetime(2026, 3, 2, 9, 0, tzinfo=VN), "HDND_OVERSEER", "SAODO_HEAD", "QLDT_HEAD")
    overseer, saodo, qldt = s.chat("HDND_OVERSEER"), s.chat("SAODO_HEAD"), s.chat("QLDT_HEAD")

    await overseer.says("/recommend")
    assert texts(await overseer.says("XYZ")) == ["Không có đơn vị \"XYZ\" trong địa bàn giám sát."]
    await overseer.says("P_SAODO")
    assert texts(await overseer.says("Đề nghị phường công khai lịch nạo vét cống trước mùa mưa")) == [
        "Đã gửi kiến nghị KN-2026-0001; hạn trả lời 17/03/2026."]
    assert (await s.texts_to("SAODO_HEAD"))[-1] == (
        "Kiến nghị KN-2026-0001 của Thường trực HĐND thành phố: Đề nghị phường công khai lịch nạo vét cống "
        "trước mùa mưa\nHạn trả lời: 17/03/2026. Trả lời: /respond KN-2026-0001 nội dung")
    s.at(2026, 3, 3)
    await overseer.says("/recommend")
    await overseer.says("qldt")
    await overseer.says("Đề nghị rà soát các công trình xây dựng sai phép trên địa bàn")

    s.at(2026, 3, 10)
    assert texts(await qldt.says("/respond KN-2026-0001 Không phải việc của phòng")) == [
        "Không có kiến nghị KN-2026-0001 gửi đơn vị của đồng chí."]
    assert texts(await saodo.says("/respond KN-2026-0001 Đã niêm yết lịch nạo vét tại nhà văn hóa các khu")) == [
        "Đã gửi trả lời kiến nghị KN-2026-0001."]
    since = await s.last_id()
    await s.tick(2026, 3, 19)  # the day after KN-2026-0002's date: its unit is reminded, once
    await s.tick(2026, 3, 19, 10)
    assert await s.texts_to("QLDT_HEAD", since) == [
        "Kiến nghị KN-2026-0002 đã quá hạn trả lời (18/03/2026). Trả lời: /respond KN-2026-0002 nội dung"]
    assert await s.texts_to("SAODO_HEAD", since) == []
    s.at(2026, 3, 20)
    await qldt.says("/respond KN-2026-0002 Đã lập đoàn kiểm tra, xử lý 3 công trình")
    assert (await s.texts_to("HDND_OVERSEER"))[-1] == (
        "Phòng Quản lý đô thị đã trả lời kiến nghị KN-2026-0002: Đã lập đoàn kiểm tra, xử lý 3 công trình")

    s.at(2026, 4, 1)
    view = texts(await overseer.says("/oversight 2026-03"))
    assert view == ["\n".join([
        "Giám sát tháng 2026-03 - UBND thành phố Chí Linh (số liệu tổng hợp, không có thông tin cá nhân):",
        "nhận 6, giải quyết 3, đúng hạn 2 (66,7%), hài lòng 2/3 (66,7%), đang quá hạn 2",
        "",
        "Theo đơn vị:",
        "- UBND phường Sao Đỏ: nhận 3, giải quyết 2, đúng hạn 1 (50%), hài lòng 1/2 (50%), đang quá hạn 1",
        "- Phòng Quản lý đô thị: nhận 2, giải quyết 1, đúng hạn 1 (100%), hài lòng 1/1 (100%), đang quá hạn 1",
        "- Thanh tra thành phố: nhận 1, giải quyết 0, đúng hạn 0 (chưa có), hài lòng 0/0 (chưa có), "
        "đang quá hạn 0",
        "",
        "Quá hạn theo đơn vị và thời gian (ngày làm việc):",
        "- UBND phường Sao Đỏ: 1 (1-2 ngày: 0, 3-5: 0, 6-10: 1, trên 10: 0)",
        "- Phòng Quản lý đô thị: 1 (1-2 ngày: 1, 3-5: 0, 6-10: 0, trên 10: 0)",
        "",
        "Công việc đột phá: 0; đúng tiến độ 0, chậm 0, hoàn thành 0, không hoàn thành 0",
        "Kiến nghị đến hạn: 2; trả lời đúng hạn 1, trả lời muộn 1, chưa trả lời 0",
        "- KN-2026-0001 gửi UBND phường Sao Đỏ, hạn 17/03/2026: trả lời 10/03/2026, đúng hạn",
        "- KN-2026-0002 gửi Phòng Quản lý đô thị, hạn 18/03/2026: trả lời 20/03/2026, muộn 2 ngày",
    ])]

    # Everything the overseer was ever sent or shown: no citizen, no chat, no case text, no denunciation.
    await overseer.says("/oversight")
    await overseer.says("/tasks")
    await overseer.says("/queue")
    refused = texts(await overseer.says("/case PA-2026-000006"))  # a case, even by its code: refused
    assert refused[0].endswith("PA-2026-000006 trong các hồ sơ bạn được xem.")
    async with database.unit_of_work(readonly=True) as uow:
        payloads = (await uow.session.execute(select(OutboxItem.payload).where(
            OutboxItem.chat_id == str(CHATS["HDND_OVERSEER"])))).scalars().all()
    seen = "\n".join(Outbound.from_json(p).text + " ".join(c.label for c in Outbound.from_json(p).choices)
                     for p in payloads)
    assert len(payloads) >= 12
    for secret in (NAME, "bà Hoa", PHONE, "912345678", CHAT, DENUNCIATION, "50 triệu", "sổ đỏ", REPORT):
        assert secret.lower() not in seen.lower(), secret
