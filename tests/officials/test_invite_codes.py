"""One-time invite codes: issued from the command line (with a Telegram deep link) or by an admin in the chat,
redeemed on any channel; used twice, expired, revoked, unknown or with the wrong phone -> a clear refusal."""

from __future__ import annotations

import argparse
import io
import re

import pytest
from sqlalchemy import select

from bot.cli_officials import invite_command, list_command, revoke_command
from bot.clock import FakeClock
from bot.domain.authz import Refused
from bot.services import Services
from bot.services.officials import code_hash, looks_like_code, normalise_code, normalise_phone
from storage.models import ChannelIdentity, OfficialInvite, OutboxItem
from tests.channels.test_same_journeys import ON
from tests.officials.drivers import TelegramDriver
from tests.officials.world import MONDAY_9, World
from tests.support.harness import fake_telegram, running_bot, settings_for
from tests.support.web_client import WebVisitor, serving
from tests.web.test_webchat import FRIDAY, web_container

USERS = {"mai": 7001, "impostor": 7002, "tu": 7003, "ha": 7004, "newbie": 7005}
CODE = re.compile(r"code: (MOI-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})")


def args(**values) -> argparse.Namespace:
    defaults = {"unit": None, "role": None, "name": None, "phone": None, "seat": None, "view_identity": False,
                "official": None, "invite": None}
    return argparse.Namespace(**(defaults | values))


def test_codes_are_recognised_typed_any_way_and_phones_compare_as_written_at_home() -> None:
    assert looks_like_code("/start MOI-ABCD-EFGH-JKLM") == "MOI-ABCD-EFGH-JKLM"
    assert looks_like_code("  moi abcd efgh jklm ") == "moi abcd efgh jklm"
    assert looks_like_code("MOIABCDEFGHJKLM") == "MOIABCDEFGHJKLM"
    assert looks_like_code("Nước ngập ở MOI-ABCD-EFGH-JKLM") is None
    assert looks_like_code("MOI-ABCD-EFGH") is None
    assert normalise_code("moi abcd-efgh jklm") == "MOIABCDEFGHJKLM"
    assert code_hash("moi abcd-efgh jklm") == code_hash("MOI-ABCD-EFGH-JKLM")
    assert normalise_phone("+84 912 345 678") == normalise_phone("0912.345.678") == "0912345678"
    assert normalise_phone("không có") is None


async def test_the_command_line_prints_a_one_time_code_and_a_telegram_deep_link(db_url: str) -> None:
    async with fake_telegram() as tg, running_bot(db_url, tg) as bot:
        d = TelegramDriver(tg, USERS)
        settings = settings_for(db_url, tg)
        out = io.StringIO()
        assert await invite_command(settings, bot.db, args(seat="SAODO_OFF1", phone="0912 345 678"), out) == 0
        printed = out.getvalue()
        code = CODE.search(printed).group(1)  # type: ignore[union-attr]
        assert f"  Telegram: https://t.me/TiepDanTestBot?start={code}\n" in printed
        assert printed.startswith("invite #1 for Trần Thị Mai (officer, P_SAODO), one use, valid until ")
        assert "  Linking also needs the number 0912345678 shared where the channel can (Telegram).\n" in printed
        async with bot.db.unit_of_work(readonly=True) as uow:
            stored = (await uow.session.execute(select(OfficialInvite))).scalar_one()
        assert stored.code_hash == code_hash(code) and code not in repr(stored.__dict__)

        # The deep link sends `/start CODE`; the invite names a phone, so Telegram must share that number.
        d.says("mai", f"/start {code}")
        assert await d.one("mai") == ("Mã mời của Trần Thị Mai hợp lệ. Để hoàn tất, xin chia sẻ số điện thoại của "
                                      "bạn bằng nút bên dưới.")
        keyboard = tg.sent[-1]["reply_markup"]["keyboard"]
        assert keyboard[0][0] == {"text": "Chia sẻ số điện thoại", "request_contact": True, "request_location": False}
        d.says("mai", "0912345678")  # typing the number is not sharing it
        assert await d.one("mai") == "Xin bấm nút chia sẻ số điện thoại bên dưới (hoặc /cancel để hủy)."
        d.shares_contact("mai", "+84912345678", own=False)  # someone else's contact card
        assert await d.one("mai") == "Xin chia sẻ số điện thoại của chính bạn, bằng nút bên dưới."
        d.shares_contact("mai", "+84912345678")
        assert await d.one("mai") == ("Đã liên kết tài khoản: Trần Thị Mai, Cán bộ, UBND phường Sao Đỏ. Hồ sơ mới của "
                                      "đơn vị sẽ được gửi đến đây.")
        assert (await d.one("mai")).startswith("Trần Thị Mai, bạn muốn làm gì?")

        # Used twice: refused, and the second account stays a citizen's.
        d.says("impostor", code)
        assert await d.one("impostor") == ("Mã mời này đã được sử dụng. Mỗi mã chỉ dùng được một lần; xin đề nghị "
                                           "quản trị viên cấp mã mới.")
        async with bot.db.unit_of_work(readonly=True) as uow:
            linked = (await uow.session.execute(
                select(ChannelIdentity.chat_id).where(ChannelIdentity.official_id.is_not(None)))).scalars().all()
        assert linked == ["7001"]

        # A code with the wrong phone is refused and stays unused.
        out = io.StringIO()
        await invite_command(settings, bot.db, args(seat="SAODO_OFF2", phone="0987 654 321"), out)
        second = CODE.search(out.getvalue()).group(1)  # type: ignore[union-attr]
        d.says("tu", second.lower().replace("-", " "))  # typed bare, lower case, with spaces
        await d.one("tu")
        d.shares_contact("tu", "0912000111")
        assert await d.one("tu") == ("Số điện thoại bạn chia sẻ không khớp với số trong lời mời. Tài khoản chưa được "
                                     "liên kết; xin liên hệ quản trị viên.")
        async with bot.db.unit_of_work(readonly=True) as uow:
            invite = (await uow.session.execute(
                select(OfficialInvite).where(OfficialInvite.code_hash == code_hash(second)))).scalar_one()
        assert invite.used_at is None

        # Revoked: the operator revokes the invite; the code no longer works.
        out = io.StringIO()
        assert await revoke_command(settings, bot.db, args(invite=invite.id), out) == 0
        assert out.getvalue() == f"invite #{invite.id}: revoked\n"
        d.says("tu", f"/start {second}")
        assert await d.one("tu") == "Mã mời này đã bị thu hồi. Xin liên hệ quản trị viên."

        d.says("tu", "/start MOI-AAAA-BBBB-CCCC")
        assert await d.one("tu") == ("Mã mời không đúng. Xin kiểm tra lại hoặc đề nghị quản trị viên cấp mã mới.")

        out = io.StringIO()
        assert await list_command(settings, bot.db, args(unit="P_SAODO"), out) == 0
        # Reachability: a linked account with nothing held is "ok"; a seat with no account is unreachable.
        assert out.getvalue().splitlines() == [
            f"{n:>5} {seat:<16} P_SAODO    {name} [{role}] accounts: {accounts} invites: - "
            + ("reach: telegram ok" if accounts == "telegram" else "reach: - UNREACHABLE")
            for n, seat, name, role, accounts in await _seats(bot.db)
        ] + ["3 official(s)"]


async def _seats(db) -> list[tuple[int, str, str, str, str]]:
    from storage.models import Official

    async with db.unit_of_work(readonly=True) as uow:
        rows = (await uow.session.execute(
            select(Official.id, Official.seat, Official.name, Official.role)
            .where(Official.seat.in_(["SAODO_HEAD", "SAODO_OFF1", "SAODO_OFF2"])).order_by(Official.id))).all()
    return [(i, s, n, r, "telegram" if s == "SAODO_OFF1" else "-") for i, s, n, r in rows]


async def test_an_expired_code_is_refused(database) -> None:
    world = World(database, FakeClock(MONDAY_9))
    account = await world.account("7001")
    async with world.services() as s:
        issued = await s.officials.invite(seat="SAODO_OFF1")
    world.clock.advance(days=7)  # exactly 7 days later: no longer valid
    async with world.services() as s:
        with pytest.raises(Refused) as refused:
            await s.officials.check(issued.code, account.identity_id)
    assert refused.value.key == "officials.link.expired"
    world.clock.advance(seconds=-1)  # one second earlier it was
    async with world.services() as s:
        assert (await s.officials.check(issued.code, account.identity_id)).official_name == "Trần Thị Mai"


async def test_an_admin_invites_from_the_chat_and_revoking_takes_the_account_back(db_url: str) -> None:
    clock = FakeClock(MONDAY_9)
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        d = TelegramDriver(tg, USERS)
        world = World(bot.db, clock)
        async with world.services() as s:
            admin_code = (await s.officials.invite(seat="UBND_ADMIN")).code
        d.says("ha", admin_code)
        await d.next("ha", 2)
        assert d.choices("ha") == ["Mời cán bộ", "Ngôn ngữ", "Hướng dẫn"]  # an admin sees no case
        d.chooses("ha", "Mời cán bộ")
        assert (await d.one("ha")).startswith("Mời cán bộ vào đơn vị nào?\n\n1. UBND thành phố Chí Linh\n")
        d.chooses("ha", "UBND phường Sao Đỏ")
        assert await d.one("ha") == "Vai trò của cán bộ?"
        d.says("ha", "1")
        assert await d.one("ha") == "Họ và tên cán bộ:"
        d.says("ha", "Đỗ Thị Hoa")
        await d.one("ha")
        d.chooses("ha", "Không có")
        assert await d.one("ha") == ("Mời cán bộ:\nĐơn vị: UBND phường Sao Đỏ\nVai trò: Cán bộ\nHọ tên: Đỗ Thị Hoa\n"
                                     "Điện thoại: (chưa có)")
        d.chooses("ha", "Tạo mã mời")
        created = await d.one("ha")
        code = re.search(r"MOI-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", created).group(0)  # type: ignore[union-attr]
        assert created.startswith(f"Mã mời cho Đỗ Thị Hoa: {code}\nDùng một lần, hết hạn lúc 09:00 09/03/2026.")

        d.says("newbie", code)
        assert await d.one("newbie") == ("Đã liên kết tài khoản: Đỗ Thị Hoa, Cán bộ, UBND phường Sao Đỏ. Hồ sơ mới của "
                                         "đơn vị sẽ được gửi đến đây.")
        await d.one("newbie")

        # A non-admin cannot invite.
        d.says("newbie", "/invite")
        assert await d.one("newbie") == "Chỉ quản trị viên mới mời được cán bộ."

        # Revoking the new official: her account is unlinked and speaks as a citizen again.
        settings = settings_for(db_url, tg)
        async with bot.db.unit_of_work(readonly=True) as uow:
            hoa = (await uow.session.execute(
                select(ChannelIdentity.official_id).where(ChannelIdentity.chat_id == "7005"))).scalar_one()
        out = io.StringIO()
        assert await revoke_command(settings, bot.db, args(official=str(hoa)), out) == 0
        assert out.getvalue() == "Đỗ Thị Hoa: 1 account(s) unlinked, 0 invite(s) revoked, deactivated\n"
        async with bot.db.unit_of_work(readonly=True) as uow:
            identity = (await uow.session.execute(
                select(ChannelIdentity).where(ChannelIdentity.chat_id == "7005"))).scalar_one()
        assert (identity.official_id, identity.citizen_id is not None) == (None, True)
        async with bot.db.unit_of_work(readonly=True) as uow:  # she is told (the command line's own clock)
            told = (await uow.session.execute(select(OutboxItem.payload).where(OutboxItem.chat_id == "7005")
                                              .order_by(OutboxItem.id.desc()))).scalars().first()
        assert told["text"].startswith("Quyền truy cập hệ thống tiếp nhận phản ánh của đồng chí Đỗ Thị Hoa đã kết thúc.")
        d.says("newbie", "/queue")
        assert "Hồ sơ đang mở" not in await d.one("newbie")  # the citizen side answers now
        d.says("impostor", code)  # and the code stays used
        assert (await d.one("impostor")).startswith("Mã mời này đã được sử dụng.")


async def test_a_phone_bound_invite_typed_into_the_web_chat_is_refused_and_links_nothing(db_url: str) -> None:
    """Issue 11: such an invite was linked from the web chat, and its visitor became an officer with /queue."""
    container = web_container(db_url)
    async with container.db.unit_of_work() as uow:
        org = await container.org.get(uow.session, FRIDAY.date())
        issued = await Services(uow, container.app, org).officials.invite(seat="SAODO_OFF1", phone="0912 345 678")
        await uow.commit()
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            await visitor.start()
            await visitor.wait_for(2)
            await visitor.say(issued.code)
            await visitor.settle()
            assert visitor.bot_texts()[-1].startswith(
                "Lời mời này gắn với một số điện thoại, nên chỉ dùng được trên kênh xác minh được số điện thoại: "
                "xin mở bot Tiếp Dân trên Telegram")
            await visitor.say("/queue")
            await visitor.settle()
            assert "Hàng đợi" not in visitor.bot_texts()[-1]
        finally:
            await visitor.close()
    async with container.db.unit_of_work(readonly=True) as uow:
        linked = (await uow.session.execute(
            select(ChannelIdentity.id).where(ChannelIdentity.official_id.is_not(None)))).scalars().all()
        invite = (await uow.session.execute(select(OfficialInvite))).scalar_one()
    assert (linked, invite.used_at) == ([], None)


@pytest.mark.parametrize("channel", ["zalo", "zalo_oa"])
async def test_a_phone_bound_invite_typed_into_zalo_is_refused_and_links_nothing(db_url: str, channel: str) -> None:
    """Neither Zalo channel proves a phone number: the invite is refused with directions, nothing is linked."""
    async with ON[channel](db_url, {"mai": 7001}) as scene:
        out = io.StringIO()
        assert await invite_command(settings_for(db_url), scene.db, args(seat="SAODO_OFF1", phone="0912 345 678"),
                                    out) == 0
        code = CODE.search(out.getvalue()).group(1)  # type: ignore[union-attr]
        scene.begins("mai")
        await scene.expect("mai", "Thông báo xử lý dữ liệu cá nhân")
        scene.driver.says("mai", code)
        await scene.expect("mai", "Lời mời này gắn với một số điện thoại, nên chỉ dùng được trên kênh xác minh được "
                                  "số điện thoại: xin mở bot Tiếp Dân trên Telegram")
        scene.driver.says("mai", "/queue")
        assert "Hàng đợi" not in await scene.expect("mai", "")
        async with scene.db.unit_of_work(readonly=True) as uow:
            linked = (await uow.session.execute(
                select(ChannelIdentity.id).where(ChannelIdentity.official_id.is_not(None)))).scalars().all()
            invite = (await uow.session.execute(select(OfficialInvite))).scalar_one()
        assert (linked, invite.used_at) == ([], None)
