"""A denunciation: the officers handle it through the bot without ever seeing who sent it - not in a card, a
relayed message, the case view, the queue or a log line. Only `tiepdan reveal`, for a holder of the
view_identity grant, shows the sender in the terminal, and it is recorded; anyone else is refused."""

from __future__ import annotations

import argparse
import io
import logging

import pytest
from sqlalchemy import select

from bot.cli_officials import approve_command, reveal_command
from bot.clock import FakeClock
from bot.domain.authz import Refused
from bot.domain.cases import CaseKind
from bot.services.intake import Draft
from storage.models import CaseEvent, Citizen, OutboxItem
from tests.officials.drivers import TelegramDriver
from tests.officials.world import MONDAY_9, World
from tests.support.harness import fake_telegram, running_bot, settings_for

USERS = {"reporter": 9001, "tam": 9101, "khai": 9102, "mai": 9103}
TIP = "Cán bộ địa chính phường Sao Đỏ đòi 5 triệu đồng để ký xác nhận hồ sơ đất của gia đình tôi."


async def test_the_reporter_stays_sealed_and_a_reveal_is_recorded(db_url: str, caplog: pytest.LogCaptureFixture,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="handlers")
    caplog.set_level(logging.DEBUG, logger="storage")
    caplog.set_level(logging.INFO)
    clock = FakeClock(MONDAY_9)
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        d = TelegramDriver(tg, USERS)
        world = World(bot.db, clock)
        for user, seat in (("tam", "TTRA_OFF1"), ("khai", "TTRA_HEAD"), ("mai", "SAODO_OFF1")):
            async with world.services() as s:
                code = (await s.officials.invite(seat=seat)).code
            d.says(user, f"/start {code}")
            await d.next(user, 2)
        reporter = await world.account("9001")
        async with world.services() as s:
            citizen = await s.session.get(Citizen, reporter.citizen_id)
            assert citizen is not None
            citizen.display_name, citizen.phone = "Nguyễn Văn An", "0912345678"
            await s.identities.grant_consent(reporter.citizen_id or 0, s.org.notice_version, clock.now())
            receipt = await s.intake.submit(
                Draft(kind=CaseKind.DENUNCIATION, text=TIP, category="dat_dai", area="SAODO",
                      accused_unit="P_SAODO"),
                citizen_id=reporter.citizen_id, identity_id=reporter.identity_id)
            pseudonym = citizen.pseudonym
        bot.sender.wake()
        secrets = ("9001", pseudonym, "Nguyễn Văn An", "0912345678", "0912 345 678")
        assert (receipt.code, receipt.unit.code) == ("TC-2026-000001", "TTRA")  # never the unit concerned

        card = await d.one("tam")
        assert card.startswith("Hồ sơ TC-2026-000001 (Tố cáo)\nLĩnh vực: Đất đai\nĐịa bàn: Sao Đỏ\n"
                               "Đơn vị xử lý: Thanh tra thành phố\n")
        d.chooses("tam", "Nhận xử lý")
        await d.one("tam")
        d.chooses("tam", "Hỏi thêm người dân")
        await d.one("tam")
        d.says("tam", "Việc đòi tiền xảy ra vào ngày nào, có ai chứng kiến không?")
        await d.one("tam")
        assert (await d.one("reporter")).startswith("Cán bộ xử lý hồ sơ TC-2026-000001 cần bạn cung cấp thêm")
        d.says("reporter", "Sáng thứ Sáu tuần trước, có vợ tôi chứng kiến.")
        await d.one("reporter")
        assert await d.one("tam") == ("Người dân đã trả lời câu hỏi về hồ sơ TC-2026-000001:\n"
                                      "Sáng thứ Sáu tuần trước, có vợ tôi chứng kiến.")
        head_card = await d.one("khai")
        taken = await d.told_taken("khai")  # the head's card, edited in place
        assert (head_card, taken) == (card, "Hồ sơ TC-2026-000001 đã được Vũ Thị Thanh Tâm nhận xử lý.")
        d.says("khai", "/case TC-2026-000001")
        view = await d.one("khai")
        assert "- 09:00 02/03/2026: Người dân trả lời - Người dân\n" in view
        d.says("khai", "/queue")
        queue = await d.one("khai")
        assert queue.startswith("Hồ sơ đang mở (1), hạn gần nhất trước - trang 1/1:\n\nTC-2026-000001 (Tố cáo, TTRA)")
        # The ward the tip is about sees nothing of it, and the tip cannot be sent there.
        d.says("mai", "/case TC-2026-000001")
        assert await d.one("mai") == "Không tìm thấy hồ sơ TC-2026-000001 trong các hồ sơ bạn được xem."
        d.says("tam", "/case TC-2026-000001")
        await d.one("tam")
        d.chooses("tam", "Chuyển đơn vị khác")
        assert (await d.one("tam")).split("\n")[0] == "Chuyển hồ sơ TC-2026-000001 đến đơn vị nào?"
        assert d.choices("tam") == ["Thanh tra tỉnh Hải Dương"]  # only another inspection unit
        d.says("tam", "/cancel")
        await d.next("tam", 2)
        async with world.services() as s:
            with pytest.raises(Refused) as refused:
                await s.case_actions.transfer(
                    (await s.officials.resolve("TTRA_OFF1")).id, receipt.case_id,  # type: ignore[union-attr]
                    "P_SAODO", "Chuyển về phường để xác minh.")
        assert refused.value.key == "officials.transfer.bad_unit"

        # The terminal: a reveal by the holder of the grant is shown and recorded; anyone else is refused.
        settings = settings_for(db_url, tg)
        out = io.StringIO()
        refused = argparse.Namespace(case="TC-2026-000001", by="TTRA_OFF1")
        assert await reveal_command(settings, bot.db, refused, out) == 1
        assert capsys.readouterr().err == (
            "Từ chối: chỉ người được cấp quyền xem danh tính và có thẩm quyền với hồ sơ này mới xem được. Yêu cầu "
            "đã được ghi lại.\n")
        assert await reveal_command(settings, bot.db, argparse.Namespace(case="TC-2026-000001", by="TTRA_TINH_HEAD"),
                                    out) == 1  # holds the grant, but the case is not under the province's unit
        capsys.readouterr()
        assert out.getvalue() == ""
        held = argparse.Namespace(case="tc-2026-000001", by="TTRA_HEAD", approval=None, reason="")
        assert await reveal_command(settings, bot.db, held, out) == 1  # the grant alone is not enough any more
        assert capsys.readouterr().err.startswith("Từ chối: xem danh tính người tố cáo cần mã phê duyệt")
        approval_out = io.StringIO()
        approve = argparse.Namespace(case="tc-2026-000001", requester="TTRA_HEAD", by="TTRA_TINH_HEAD",
                                     reason="Thanh tra cần xác minh người tố cáo để bảo vệ")
        assert await approve_command(settings, bot.db, approve, approval_out) == 0
        approval = approval_out.getvalue().split()[2]
        held = argparse.Namespace(case="tc-2026-000001", by="TTRA_HEAD", approval=approval, reason="Bảo vệ")
        assert await reveal_command(settings, bot.db, held, out) == 0
        assert out.getvalue() == (
            "case TC-2026-000001: the sender (this view is recorded in the case history and the audit chain)\n"
            "  channel: telegram\n  account: 9001\n  chat: 9001\n"
            f"  pseudonym: {pseudonym}\n  name: Nguyễn Văn An\n  phone: 0912345678\n  contact given: -\n")

        async with bot.db.unit_of_work(readonly=True) as uow:
            events = (await uow.session.execute(select(CaseEvent).order_by(CaseEvent.id))).scalars().all()
            to_officials = (await uow.session.execute(
                select(OutboxItem).where(OutboxItem.chat_id.in_(["9101", "9102", "9103"])))).scalars().all()
        assert [(e.action, e.actor_kind, e.actor_id is None, e.public) for e in events] == [
            ("submitted", "citizen", True, True), ("accepted", "official", False, True),
            ("asked", "official", False, True), ("citizen_replied", "citizen", True, True),
            ("identity_revealed", "official", False, False),
        ]
        d.says("tam", "/case TC-2026-000001")  # the officer's history does not show the reveal
        assert "Xem danh tính" not in await d.one("tam")

    shown_to_officials = [str(row.payload) for row in to_officials] + [
        m.get("text", "") for m in tg.sent if m["chat_id"] in (9101, 9102, 9103)]
    logged = [record.getMessage() for record in caplog.records]
    for secret in secrets:
        assert [m for m in shown_to_officials if secret in m] == [], secret
        assert [m for m in logged if secret in m] == [], secret
    assert any("identity of case TC-2026-000001 revealed to official" in m for m in logged)
    assert any("identity reveal refused: case TC-2026-000001, official TTRA_OFF1" in m for m in logged)
