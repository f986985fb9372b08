"""/privacy on Telegram, end to end: export everything about me (and nothing about anyone else), correct my
phone, withdraw consent, and delete my account - the cases stay under a pseudonym, the person is nowhere."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import MetaData, select

from bot.clock import FakeClock
from bot.services.privacy import complete_erasures
from storage.models import Case, Citizen, Consent
from storage.uow import Database
from tests.support.fake_telegram import FakeTelegram
from tests.support.harness import fake_telegram, running_bot

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ME, OTHER = 73519028, 64208317
NOW = datetime(2026, 2, 13, 10, 0, tzinfo=VN).astimezone(UTC)
MY_TEXT = "Rác đổ trộm cạnh cổng chợ khu dân cư Tiền Định"
OTHER_TEXT = "Đèn đường khu dân cư Mật Sơn tắt cả tuần"
PRIVACY_MENU = "Quyền của bạn đối với dữ liệu cá nhân. Bạn muốn:"


class Conversation:
    """One citizen's side of the chat: say or press, then wait for the next answers."""

    def __init__(self, tg: FakeTelegram, chat: int) -> None:
        self.tg, self.chat, self.seen = tg, chat, 0

    async def says(self, text: str, answers: int = 1) -> list[str]:
        self.tg.says(self.chat, text)
        return await self._answers(answers)

    async def presses(self, key: str, answers: int = 1) -> list[str]:
        self.tg.presses(self.chat, key)
        return await self._answers(answers)

    async def _answers(self, count: int) -> list[str]:
        texts = await self.tg.wait_for(self.chat, self.seen + count)
        new, self.seen = texts[self.seen:], len(texts)
        return new

    async def report(self, text: str, category: str) -> str:
        await self.says(text)
        await self.presses("report")
        await self.presses(category)
        await self.presses("done")
        receipt, _menu = await self.presses("send", answers=2)
        return receipt.split("\n")[1].removeprefix("Mã theo dõi: ")


async def _citizen(tg: FakeTelegram, chat: int) -> Conversation:
    me = Conversation(tg, chat)
    await me.says("/start", answers=2)
    await me.presses("agree", answers=2)
    return me


async def _everything_stored(db: Database) -> str:
    meta = MetaData()
    async with db.engine.connect() as conn:
        await conn.run_sync(meta.reflect)
        rows = []
        for table in meta.sorted_tables:
            for row in (await conn.execute(table.select())).mappings():
                rows.append(json.dumps({table.name: dict(row)}, ensure_ascii=False, default=str))
    return "\n".join(rows)


async def test_the_export_holds_everything_about_me_and_nothing_about_anyone_else(db_url: str) -> None:
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=FakeClock(NOW)) as bot:
        me, other = await _citizen(tg, ME), await _citizen(tg, OTHER)
        my_code = await me.report(MY_TEXT, "rac_thai")
        other_code = await other.report(OTHER_TEXT, "chieu_sang")
        assert await me.says("/privacy") == [PRIVACY_MENU]
        assert [d for _, d in tg.last_buttons(ME)] == ["see", "export", "phone", "withdraw", "delete", "back"]
        (ask,) = await me.presses("phone")
        assert ask.startswith("Số điện thoại đang lưu: (chưa có).\nGõ số mới")
        assert await me.says("0912 345 678", answers=2) == ["Đã lưu số điện thoại 0912345678.", PRIVACY_MENU]
        await me.presses("back")
        await me.says("Cây đổ chắn đường ở phường Văn An")  # a draft, not sent yet
        await me.says("/privacy")
        (overview, menu) = await me.presses("see", answers=2)
        lines = overview.split("\n")
        assert lines[:2] == ["Dữ liệu đang lưu về bạn:", lines[1]] and lines[1].startswith("Bí danh: CD-")
        assert lines[2:] == [
            "Số điện thoại: 0912345678", "Kênh nhắn tin: telegram", "Đồng ý:",
            "- Xử lý phản ánh: phiên bản 2026-01, đồng ý lúc 10:00 13/02/2026",
            "- Dữ liệu không bắt buộc (số điện thoại): phiên bản 2026-01, đồng ý lúc 10:00 13/02/2026",
            f"Hồ sơ đã gửi: {my_code}", "Nội dung đang soạn dở: 1",
            "Ngoài ra hệ thống lưu các tin nhắn bạn gửi và nhận; chọn «Tải về toàn bộ (tệp)» để xem hết."]
        assert menu == PRIVACY_MENU
        assert await me.presses("export", answers=2) == [
            "Đây là toàn bộ dữ liệu về bạn mà hệ thống đang lưu, dạng tệp JSON.", PRIVACY_MENU]
        (document,) = [m for m in tg.sent if m["chat_id"] == ME and m["method"] == "sendDocument"]
        async with bot.db.unit_of_work(readonly=True) as uow:
            pseudonym = (await uow.session.execute(
                select(Citizen.pseudonym).join(Case, Case.citizen_id == Citizen.id).where(Case.code == my_code)
            )).scalar_one()

    export = json.loads(document["document"])
    assert export["citizen"] | {"created_at": None} == {
        "pseudonym": pseudonym, "display_name": None, "phone": "0912345678", "language": "vi", "created_at": None}
    assert [(a["channel"], a["account_id"], a["chat_id"]) for a in export["accounts"]] == [
        ("telegram", str(ME), str(ME))]
    assert [(c["purpose"], c["notice_version"]) for c in export["consents"]] == [
        ("processing", "2026-01"), ("optional_data", "2026-01")]
    assert [(c["code"], c["text"], c["category"], c["area"], c["unit"]) for c in export["cases"]] == [
        (my_code, MY_TEXT, "rac_thai", "SAODO_TIENDINH", "P_SAODO")]
    assert [e["action"] for e in export["cases"][0]["history"]] == ["submitted"]
    assert [d["content"]["text"] for d in export["drafts"]] == ["Cây đổ chắn đường ở phường Văn An"]
    assert [(c["flow"], c["step"]) for c in export["conversations"]] == [("privacy", "choose")]
    said = [m["update"]["message"]["text"] for m in export["messages_received"] if "message" in m["update"]]
    assert said[:2] == ["/start", MY_TEXT] and "0912 345 678" in said
    assert any(m["message"]["text"].startswith("Đã tiếp nhận phản ánh của bạn.") for m in export["messages_sent"])
    whole = json.dumps(export, ensure_ascii=False)
    for theirs in (str(OTHER), other_code, OTHER_TEXT):
        assert theirs not in whole


async def _erase_when_sent(db: Database, clock: FakeClock, within: float = 20.0) -> int:
    """The last reply must go before the chat's traces can: finish the erasure once it has."""
    deadline = time.monotonic() + within
    while True:
        finished = await complete_erasures(db, clock)
        if finished or time.monotonic() > deadline:
            return finished
        await asyncio.sleep(0.2)


async def test_deleting_my_account_keeps_the_cases_under_a_pseudonym_and_me_nowhere(db_url: str) -> None:
    clock = FakeClock(NOW)
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        me, other = await _citizen(tg, ME), await _citizen(tg, OTHER)
        my_code = await me.report(MY_TEXT, "rac_thai")
        await other.report(OTHER_TEXT, "chieu_sang")
        await me.says("/privacy")
        await me.presses("phone")
        await me.says("0987654321", answers=2)
        await me.presses("back")
        await me.says("Cây đổ chắn đường ở phường Văn An")  # an unfinished draft
        await me.says("/privacy")
        (question,) = await me.presses("delete")
        assert question.startswith("Xóa tài khoản sẽ xóa tài khoản nhắn tin, số điện thoại, các đồng ý, nội dung "
                                   "soạn dở và tin nhắn của bạn. Các hồ sơ đã gửi vẫn được cơ quan lưu giữ theo quy "
                                   "định, nhưng chỉ gắn với bí danh CD-")
        (goodbye,) = await me.presses("erase")
        assert goodbye.startswith("Đã xóa tài khoản của bạn. Các hồ sơ đã gửi được giữ dưới bí danh CD-")
        pseudonym = goodbye.split("bí danh ")[1].split(".")[0]
        assert await _erase_when_sent(bot.db, clock) == 1
    db = Database(db_url)  # the bot's own engine is closed with it
    try:
        stored = await _everything_stored(db)
        async with db.unit_of_work(readonly=True) as uow:
            case = (await uow.session.execute(select(Case).where(Case.code == my_code))).scalar_one()
            citizen = await uow.session.get(Citizen, case.citizen_id)
            consents = (await uow.session.execute(
                select(Consent).where(Consent.citizen_id == citizen.id))).scalars().all()
    finally:
        await db.dispose()
    assert (case.text, case.reply_identity_id) == (MY_TEXT, None)
    assert (citizen.pseudonym, citizen.phone, citizen.display_name, consents) == (pseudonym, None, None, [])
    assert citizen.deleted_at is not None
    for mine in (str(ME), "0987654321", "Cây đổ chắn đường"):
        assert mine not in stored
    assert str(OTHER) in stored and OTHER_TEXT in stored  # the search does find what is there
