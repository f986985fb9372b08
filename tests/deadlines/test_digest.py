"""The leaders' digest over a seeded data set whose figures were counted by hand.

62 cases across four units (wards Sao Đỏ and Phả Lại, the urban management and the environment divisions),
built from twelve templates. The period is ISO week 2026-W10 (Mon 02/03 - Sun 08/03/2026), compared with
2026-W09 (Mon 23/02 - Sun 01/03). All days are working days except the weekends; local times (UTC+7).

template  created       due (original)      resolved        notes                       SAODO PHALAI QLDT TNMT
A         Mon 02/03     Fri 06/03           Wed 04/03 10:00 early (2 wd), satisfied       4     3     3    2
B         Mon 02/03     Fri 06/03           Fri 06/03 16:00 on time, not early            2     2     1    1
C         Mon 23/02     Mon 02/03           Wed 04/03 11:00 late, unsatisfied             1     2     1    0
D         Mon 23/02     Thu 05/03 (27/02)   Thu 05/03 06:30 on time by an extended date   1     0     1    1
E1        Fri 27/02     Thu 05/03           open            1 wd late at end of W10       1     1     0    0
E2        Mon 23/02     Mon 02/03           open            4 wd late                     1     0     1    1
E3        Wed 11/02     Wed 25/02           open            7 wd late (2 at end of W09)   0     1     1    0
E4        Thu 05/02     Thu 12/02           open            11 wd late (6 at end of W09)  1     0     0    1
F         Wed 04/03     Wed 11/03           open            received only                 4     3     3    3
P         Mon 23/02     Fri 27/02           Thu 26/02 10:00 W09: early, satisfied         2     1     2    2
R         Mon 09/02     Fri 13/02           Tue 24/02 10:00 W09: late, unsatisfied        1     1     0    1
G         Mon 05/01     Mon 12/01           Fri 09/01 10:00 January: in no period         2     1     1    1

Working days to resolve (ordinal differences): A 2, B 4, C 7, D 8, P 3, R 6 (Tết 16-22/02 in between).
Every case has its "submitted" event where it first arrived; every answer its "answered" event recording the
due date that held then, every rating its event an hour after the answer (definitions: bot/domain/digest.py).
Events: reopened in W10 (a Phả Lại F case) and in W09 (a Sao Đỏ E2 case); transfers in W10 from P_SAODO,
TNMT and VHTT (cases 42-44, first submitted there, arrive at QLDT), in W09 from QLDT (case 23, to Sao Đỏ). Categories: F cases are street lighting; the others by unit (flooding,
waste, illegal construction, land). Areas by unit: Nguyễn Trãi 1 (Sao Đỏ), Phả Lại, Sao Đỏ, Cộng Hòa.
"""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timedelta

from PIL import Image
from sqlalchemy import func, insert, select

from bot.clock import FakeClock
from bot.domain.digest import Figures, iso_week
from bot.services.chart import BAR_COLOUR
from bot.services.digest import Digests, send_due_digests
from bot.services.digest_sql import DigestQueries
from bot.services.org_view import OrgCache, OrgSnapshot
from bot.services.sweep import subtree
from storage.models import Area, Attachment, CaseEvent, Category, JobClaim, Official, OutboxItem
from storage.uow import Database
from tests.deadlines.support import VN, case_row, insert_cases, link, unit_ids, vn

UNITS = ("P_SAODO", "P_PHALAI", "QLDT", "TNMT")
CATEGORY = {"P_SAODO": "ngap_nuoc", "P_PHALAI": "rac_thai", "QLDT": "xay_dung", "TNMT": "dat_dai"}
AREA = {"P_SAODO": "SAODO_NGUYENTRAI", "P_PHALAI": "PHALAI", "QLDT": "SAODO", "TNMT": "CONGHOA"}
# The transferred cases were first submitted elsewhere (42-44 came to QLDT in W10, 23 to Sao Đỏ in W09).
FIRST_UNIT = {42: "P_SAODO", 43: "TNMT", 44: "VHTT", 23: "QLDT"}
OFFICER = {"P_SAODO": ("SAODO_OFF1", "SAODO_OFF2"), "P_PHALAI": ("PHALAI_OFF1", "PHALAI_OFF2"),
           "QLDT": ("QLDT_OFF1", "QLDT_OFF2"), "TNMT": ("TNMT_OFF1", "TNMT_OFF2")}


def d(day: int, month: int, hour: int = 17, minute: int = 0) -> datetime:
    return vn(2026, month, day, hour, minute)


# name: (per-unit counts, created, due, original due, resolved, status, rating, extended, assignee seat index)
TEMPLATES = {
    "A": ((4, 3, 3, 2), d(2, 3, 9), d(6, 3), d(6, 3), d(4, 3, 10), "closed", "satisfied", False, 0),
    "B": ((2, 2, 1, 1), d(2, 3, 9), d(6, 3), d(6, 3), d(6, 3, 16), "resolved", None, False, 0),
    "C": ((1, 2, 1, 0), d(23, 2, 9), d(2, 3), d(2, 3), d(4, 3, 11), "closed", "unsatisfied", False, 0),
    "D": ((1, 0, 1, 1), d(23, 2, 9), d(5, 3), d(27, 2), d(5, 3, 6, 30), "closed", "satisfied", True, 0),
    "E1": ((1, 1, 0, 0), d(27, 2, 9), d(5, 3), d(5, 3), None, "assigned", None, False, 1),
    "E2": ((1, 0, 1, 1), d(23, 2, 9), d(2, 3), d(2, 3), None, "in_progress", None, False, 0),
    "E3": ((0, 1, 1, 0), d(11, 2, 9), d(25, 2), d(25, 2), None, "assigned", None, False, 0),
    "E4": ((1, 0, 0, 1), d(5, 2, 9), d(12, 2), d(12, 2), None, "assigned", None, False, 0),
    "F": ((4, 3, 3, 3), d(4, 3, 10), d(11, 3), d(11, 3), None, "submitted", None, False, None),
    "P": ((2, 1, 2, 2), d(23, 2, 9), d(27, 2), d(27, 2), d(26, 2, 10), "closed", "satisfied", False, 0),
    "R": ((1, 1, 0, 1), d(9, 2, 9), d(13, 2), d(13, 2), d(24, 2, 10), "closed", "unsatisfied", False, 0),
    "G": ((2, 1, 1, 1), d(5, 1, 9), d(12, 1), d(12, 1), d(9, 1, 10), "closed", "satisfied", False, 0),
}


async def seed(db: Database) -> None:
    units = await unit_ids(db)
    async with db.unit_of_work(readonly=True) as uow:
        s = uow.session
        categories = {c: i for c, i in (await s.execute(select(Category.code, Category.id))).all()}
        areas = {c: i for c, i in (await s.execute(select(Area.code, Area.id))).all()}
        seats = {c: i for c, i in (await s.execute(select(Official.seat, Official.id))).all()}
    rows, number, events = [], 0, []
    for name, (counts, created, due, original, resolved, status, rating, extended, seat) in TEMPLATES.items():
        for unit, count in zip(UNITS, counts, strict=True):
            for _ in range(count):
                number += 1
                # The case's history as the application writes it: submitted where it first arrived, answered
                # (with the due date that held then), rated an hour later.
                events.append((number, created, "submitted", None, {"unit": FIRST_UNIT.get(number, unit)}))
                if resolved is not None:
                    state = {"unit_id": units[unit], "status": "resolved", "due": due.isoformat(),
                             "extended": extended, "assignee_id": None}
                    events.append((number, resolved, "answered", "resolved", {"state": state}))
                if rating is not None:
                    events.append((number, resolved + timedelta(hours=1), f"rated_{rating}", None,
                                   {"state": {**state, "status": "closed"}}))
                row = case_row(number, units[unit], created=created, due=due, next_action=None,
                               status=status, original_due_at=original, resolved_at=resolved, closed_at=resolved,
                               rating=rating, extended=extended,
                               category_id=categories["chieu_sang" if name == "F" else CATEGORY[unit]],
                               area_id=areas[AREA[unit]],
                               assignee_id=None if seat is None or (name == "E3" and unit == "QLDT")
                               else seats[OFFICER[unit][seat]])
                rows.append(row)
    assert number == 62
    await insert_cases(db, rows)
    # Case numbers follow the table: A 1-12, B 13-18, C 19-22, D 23-25, E1 26-27, E2 28-30, E3 31-32,
    # E4 33-34, F 35-47 (Sao Đỏ 35-38, Phả Lại 39-41, QLDT 42-44, TNMT 45-47), P 48-54, R 55-57, G 58-62.
    events += [
        (39, d(3, 3, 10), "reopened", "reopened", {}), (28, d(25, 2, 10), "reopened", "reopened", {}),
        (42, d(4, 3, 14), "transferred", "transferred", {"from": "P_SAODO", "to": "QLDT"}),
        (43, d(5, 3, 9), "transferred", "transferred", {"from": "TNMT", "to": "QLDT"}),
        (44, d(5, 3, 10), "transferred", "transferred", {"from": "VHTT", "to": "QLDT"}),
        (23, d(24, 2, 10), "transferred", "transferred", {"from": "QLDT", "to": "P_SAODO"}),
    ]
    async with db.unit_of_work() as uow:
        await uow.session.execute(insert(CaseEvent), [
            {"case_id": case_id, "at": at, "actor_kind": "system", "actor_id": None, "action": action,
             "from_status": None, "to_status": status, "note": None, "public": True, "data": data}
            for case_id, at, action, status, data in events
        ])
        await uow.commit()


async def snapshot(db: Database) -> OrgSnapshot:
    async with db.unit_of_work(readonly=True) as uow:
        return await OrgCache().get(uow.session, d(9, 3).date())


async def test_figures_match_the_hand_count(database: Database) -> None:
    await seed(database)
    org = await snapshot(database)
    w10, w09 = iso_week(2026, 10, VN), iso_week(2026, 9, VN)
    assert w10.previous() == w09
    leader = subtree(org, org.units["UBND"].id)
    saodo = subtree(org, org.units["P_SAODO"].id)
    async with database.unit_of_work(readonly=True) as uow:
        queries = DigestQueries(uow.session, org)
        now = d(9, 3, 8)

        async def figures(units: list[int], period) -> Figures:
            return (await queries.facts(period, now)).of(units)

        # W10: new A 12 + B 6 + F 13; transferred in: 42-44 to QLDT. On time: A, B and D (answered by the
        # extended date that held then); C late.
        assert await figures(leader, w10) == Figures(
            received=34, received_new=31, received_transferred=3, resolved=25, on_time=21, early=12,
            extended=3, overdue_bands=(2, 3, 2, 2), resolve_days=100, rated=19, satisfied=15, reopened=1,
            transfers=3)
        # W09: new C 4 + D 3 + E1 2 + E2 3 + P 7; case 23 transferred in to Sao Đỏ.
        assert await figures(leader, w09) == Figures(
            received=20, received_new=19, received_transferred=1, resolved=10, on_time=7, early=7, extended=0,
            overdue_bands=(2, 0, 2, 0), resolve_days=39, rated=10, satisfied=7, reopened=1, transfers=1)
        # Sao Đỏ W10: A 4 + B 2 + F 4 + case 42 (submitted there, then passed to QLDT).
        assert await figures(saodo, w10) == Figures(
            received=11, received_new=11, resolved=8, on_time=7, early=4, extended=1,
            overdue_bands=(1, 1, 0, 1), resolve_days=31, rated=6, satisfied=5, reopened=0, transfers=1)
        # Sao Đỏ W09: C 1 + E1 1 + E2 1 + P 2 new; case 23 transferred in.
        assert await figures(saodo, w09) == Figures(
            received=6, received_new=5, received_transferred=1, resolved=3, on_time=2, early=2, extended=0,
            overdue_bands=(0, 0, 1, 0), resolve_days=12, rated=3, satisfied=2, reopened=1, transfers=0)
        facts = await queries.facts(w10, now)
        rates = sorted((org.units_by_id[u].code, f.resolved, f.on_time)
                       for u, f in facts.by_unit.items() if f.resolved)
    assert rates == [("P_PHALAI", 7, 5), ("P_SAODO", 8, 7), ("QLDT", 6, 5), ("TNMT", 4, 4)]
    assert (Figures(resolved=25, on_time=18, resolve_days=100, rated=19, satisfied=15).on_time_rate,
            Figures(resolved=25, resolve_days=100).average_days) == (0.72, 4.0)


async def test_the_digest_in_words(database: Database) -> None:
    await seed(database)
    org = await snapshot(database)
    async with database.unit_of_work(readonly=True) as uow:
        message = await Digests(uow.session, org).message(org.units["P_SAODO"].id, iso_week(2026, 10, VN), "vi")
        leader = await Digests(uow.session, org).message(org.units["UBND"].id, iso_week(2026, 10, VN), "en")
    assert message.text.split("\n") == [
        "BÁO CÁO TIẾP NHẬN, TRẢ LỜI PHẢN ÁNH, KIẾN NGHỊ: UBND phường Sao Đỏ, tuần 2026-W10 (02/03 - 08/03/2026)",
        "Số trong ngoặc là của kỳ trước: tuần 2026-W09 (23/02 - 01/03/2026).",
        "",
        "Tiếp nhận: 11 (6); mới: 11, chuyển đến: 0",
        "Đã trả lời: 8 (3)",
        "Trả lời đúng hạn: 7, tỷ lệ 87,5% (66,7%)",
        "Trong đó trước hạn ít nhất 1 ngày làm việc: 4 (2)",
        "Trả lời trong thời hạn đã được gia hạn: 1 (0)",
        "Đang quá hạn: 3 (1); quá 1-2 ngày làm việc: 1, 3-5 ngày: 1, 6-10 ngày: 0, trên 10 ngày: 1",
        "Thời gian trả lời trung bình: 3,9 ngày làm việc (4)",
        "Người dân hài lòng: 5/6, tỷ lệ 83,3% (66,7%)",
        "Mở lại do người dân chưa hài lòng: 0 (1)",
        "Chuyển sang đơn vị khác: 1 (0)",
        "Lĩnh vực nhiều nhất: Ngập úng, thoát nước: 6 hồ sơ, Đèn chiếu sáng công cộng: 5 hồ sơ",
        "Địa bàn nhiều nhất: Khu dân cư Nguyễn Trãi 1: 10 hồ sơ, Sao Đỏ: 1 hồ sơ",
        "Quá hạn lâu nhất:",
        "- PA-2026-000033 (P_SAODO): quá hạn 11 ngày làm việc, hạn trước 17:00 thứ Năm, 12/02/2026, "
        "người xử lý: Trần Thị Mai",
        "- PA-2026-000028 (P_SAODO): quá hạn 4 ngày làm việc, hạn trước 17:00 thứ Hai, 02/03/2026, "
        "người xử lý: Trần Thị Mai",
        "- PA-2026-000026 (P_SAODO): quá hạn 1 ngày làm việc, hạn trước 17:00 thứ Năm, 05/03/2026, "
        "người xử lý: Phạm Văn Tú",
        "Biểu đồ kèm theo: tỷ lệ trả lời đúng hạn của từng đơn vị trong kỳ.",
    ]
    lines = leader.text.split("\n")
    assert lines[0] == "CITIZEN FEEDBACK RECEIVED AND ANSWERED: Chi Linh City People's Committee, week 2026-W10 " \
                       "(02/03 - 08/03/2026)"
    assert lines[5:14] == [
        "Answered on time: 21, rate 84% (70%)",
        "Of which at least 1 working day early: 12 (7)",
        "Answered under an extended deadline: 3 (0)",
        "Overdue now: 9 (4); 1-2 working days late: 2, 3-5 days: 3, 6-10 days: 2, over 10 days: 2",
        "Average time to answer: 4 working days (3.9)",
        "Citizens satisfied: 15/19, rate 78.9% (70%)",
        "Reopened because the citizen was not satisfied: 1 (1)",
        "Transferred to another unit: 3 (1)",
        "Top categories: Street lighting: 13 case(s), Flooding and drainage: 6 case(s), "
        "Waste and sanitation: 5 case(s)",
    ]
    assert lines[14] == "Top areas: Khu dân cư Nguyễn Trãi 1: 10 case(s), Phả Lại: 8 case(s), Sao Đỏ: 7 case(s)"
    assert [line[:36] for line in lines[16:19]] == [
        "- PA-2026-000033 (P_SAODO): 11 worki", "- PA-2026-000034 (TNMT): 11 working ",
        "- PA-2026-000031 (P_PHALAI): 7 worki"]
    assert lines[17].endswith("handled by: Ngô Thị Lan Anh") and lines[18].endswith("handled by: Đoàn Thị Hạnh")
    # The chart: one bar per unit with answers in the period, highest rate first, 100% = 200 pixels.
    assert bar_heights(leader.chart) == [200, 175, 167, 143]  # TNMT 4/4, P_SAODO 7/8, QLDT 5/6, P_PHALAI 5/7
    assert bar_heights(message.chart) == [175]


def bar_heights(png: bytes) -> list[int]:
    """Read the bars back from the image: runs of columns holding the bar colour, and how many such pixels
    the middle column of each run has."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    pixels = image.load()
    columns = [sum(1 for y in range(height) if pixels[x, y] == BAR_COLOUR) for x in range(width)]
    bars, run = [], []
    for x, count in enumerate(columns + [0]):
        if count:
            run.append(x)
        elif run:
            bars.append(columns[run[len(run) // 2]])
            run = []
    return bars


async def test_the_weekly_digest_goes_once_to_each_reader(database: Database) -> None:
    await seed(database)
    leader = await link(database, "UBND_LEADER", 5001)
    head = await link(database, "SAODO_HEAD", 5002)
    await link(database, "SAODO_OFF1", 5003)  # an officer gets no digest
    # Monday 09/03/2026 07:30 is the scheduled moment for week 2026-W10: two ticks at once (two processes),
    # then a late one on Friday, catching up on nothing.
    clock = FakeClock(vn(2026, 3, 9, 7, 31))
    sent = await asyncio.gather(send_due_digests(database, clock), send_due_digests(database, clock))
    again = await send_due_digests(database, FakeClock(vn(2026, 3, 13, 16, 0)))
    assert (sum(sent), again) == (2, 0)
    async with database.unit_of_work(readonly=True) as uow:
        s = uow.session
        rows = (await s.execute(select(OutboxItem.chat_id, OutboxItem.purpose, OutboxItem.payload,
                                       OutboxItem.status).order_by(OutboxItem.chat_id))).all()
        claims = (await s.execute(select(JobClaim.period).where(JobClaim.job == "digest")
                                  .order_by(JobClaim.period))).scalars().all()
        chart = await s.get(Attachment, rows[0][2]["attachment_ids"][0])
        photos = (await s.execute(select(func.count(Attachment.id)))).scalar_one()
    assert [(chat, purpose, status) for chat, purpose, _, status in rows] == [
        ("5001", "digest", "pending"), ("5002", "digest", "pending")]
    assert claims == sorted([f"2026-W10:{head}", f"2026-W10:{leader}"])
    assert rows[0][2]["text"].startswith("BÁO CÁO TIẾP NHẬN, TRẢ LỜI PHẢN ÁNH, KIẾN NGHỊ: UBND thành phố Chí Linh, "
                                         "tuần 2026-W10")
    assert rows[1][2]["text"].startswith("BÁO CÁO TIẾP NHẬN, TRẢ LỜI PHẢN ÁNH, KIẾN NGHỊ: UBND phường Sao Đỏ, "
                                         "tuần 2026-W10")
    assert (chart.kind, chart.mime, photos) == ("photo", "image/png", 2)
    assert bar_heights(chart.content) == [200, 175, 167, 143]
