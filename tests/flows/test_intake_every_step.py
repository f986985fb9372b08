"""Every declared state of the citizen's flows answers /help, /cancel and a stray message sensibly.

For each state a short script gets a chat there; then one of the three is sent. /help explains that step and
offers its choices again; /cancel drops what was under way (the draft and its evidence too) and shows the
menu; a message that answers nothing gets a pointer, never silence, and its words are kept.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select

from handlers import build_router
from storage.models import Attachment, CaseDraft, Conversation
from storage.uow import Database
from tests.flows.chat_driver import Chat, keys, make_bot

STRAY = "gõ thử lung tung xem sao"
MENU = "Bạn muốn làm gì? Chọn một mục:"
CANCELLED = "Đã hủy. Thông tin đang nhập dở đã được bỏ."
NOT_AN_ANSWER = "Tôi chưa hiểu đó là câu trả lời nào."
KIND = "Việc bạn báo thuộc loại nào?"
LITTER = "Rác đổ bừa bãi ở khu dân cư Tiền Định"
Script = Callable[[Chat], Awaitable[None]]


def steps(*moves: tuple[str, str]) -> Script:
    async def run(chat: Chat) -> None:
        for verb, arg in moves:
            await getattr(chat, verb)(arg)
    return run


async def _my_list(chat: Chat) -> None:
    await steps(("says", LITTER), ("presses", "report"), ("presses", "rac_thai"), ("presses", "done"),
                ("presses", "send"), ("says", "/my"))(chat)


async def _learned(chat: Chat) -> None:
    await steps(("says", "Tôi không đồng ý với quyết định phạt tiền"), ("presses", "complaint"))(chat)
    await chat.says("Quyết định 12/QĐ-XPHC của UBND phường Sao Đỏ", after=60)


REACH: dict[str, Script] = {
    "onboarding.consent": steps(("says", "/start")),
    "menu.choose": steps(),
    "my_cases.list": _my_list,
    "privacy.choose": steps(("says", "/privacy")),
    "privacy.phone": steps(("says", "/privacy"), ("presses", "phone")),
    "privacy.delete_confirm": steps(("says", "/privacy"), ("presses", "delete")),
    "report.content": steps(("presses", "report")),
    "report.resume": steps(("says", "Đèn đường hỏng ở Sao Đỏ"), ("says", "/report")),
    "report.kind": steps(("says", "Đèn đường hỏng ở Sao Đỏ")),
    "report.describe": steps(("sends_photo", "photo-1"), ("presses", "report")),
    "report.decision": steps(("says", "Tôi không đồng ý với quyết định phạt tiền"), ("presses", "complaint")),
    "report.learned": _learned,
    "report.accused": steps(("says", "Cán bộ đòi tiền mới giải quyết hồ sơ"), ("presses", "denunciation")),
    "report.ward": steps(("says", "Ổ gà to giữa đường"), ("presses", "report")),
    "report.ward_confirm": steps(("says", "sao đo bị ngập nước"), ("presses", "report")),
    "report.area": steps(("says", "Đèn đường hỏng ở phường Sao Đỏ"), ("presses", "report")),
    "report.category": steps(("says", LITTER), ("presses", "report")),
    "report.evidence": steps(("says", LITTER), ("presses", "report"), ("presses", "rac_thai")),
    "report.confirm": steps(("says", LITTER), ("presses", "report"), ("presses", "rac_thai"), ("presses", "done")),
    "report.change": steps(("says", LITTER), ("presses", "report"), ("presses", "rac_thai"), ("presses", "done"),
                           ("presses", "change")),
}

HELP = {
    "onboarding.consent": "Để tiếp nhận và chuyển phản ánh của bạn tới cơ quan có trách nhiệm, chúng tôi cần bạn "
                          "đồng ý cho xử lý dữ liệu cá nhân như nêu trong thông báo. Chọn 1 để đồng ý.",
    "menu.choose": "Chọn một mục trong menu bằng nút hoặc số thứ tự.",
    "my_cases.list": "Đây là các hồ sơ bạn đã gửi. Chọn \"Trang sau\" hoặc \"Trang trước\" để xem tiếp; gõ /case MÃ "
                     "để xem chi tiết một hồ sơ.",
    "privacy.choose": "Chọn một quyền: xem dữ liệu, tải về tệp, sửa số điện thoại, rút đồng ý, hoặc xóa tài khoản. "
                      "Gõ /cancel để thoát.",
    "privacy.phone": "Gõ số điện thoại 10 chữ số, chia sẻ số bằng nút, hoặc chọn «Xóa số điện thoại». "
                     "Gõ /cancel để thoát.",
    "privacy.delete_confirm": "Chọn «Xóa tài khoản» để xóa (không thể hoàn tác), hoặc «Không, giữ lại». "
                              "Gõ /cancel để thoát.",
    "report.content": "Hãy kể sự việc bằng chữ, ảnh, tin nhắn thoại hoặc vị trí. Gõ /cancel để hủy.",
    "report.resume": "Bạn có một nội dung soạn dở chưa gửi. Chọn «Tiếp tục nội dung đó» để gửi nốt, hoặc «Bỏ, bắt "
                     "đầu mới». Gõ /cancel để hủy.",
    "report.kind": "Chọn loại việc gần nhất: hỏi thông tin; phản ánh, kiến nghị (báo việc chưa ổn, đề xuất); khiếu "
                   "nại (không đồng ý với quyết định ảnh hưởng đến bạn); tố cáo (việc làm sai của cán bộ). Không chắc "
                   "thì chọn «Phản ánh, kiến nghị». Gõ /cancel để hủy.",
    "report.describe": "Viết vài chữ giúp cán bộ hiểu điều bạn gửi: cái gì, ở đâu, từ khi nào. Không muốn viết thì "
                       "chọn «Bỏ qua». Gõ /cancel để hủy.",
    "report.decision": "Ghi quyết định hoặc việc làm bạn khiếu nại: số, ngày, cơ quan ban hành, hoặc mô tả việc làm. "
                       "Gõ /cancel để hủy.",
    "report.learned": "Ghi ngày bạn biết được quyết định, ví dụ 15/1/2026 hoặc «hôm qua». Thời hạn khiếu nại tính từ "
                      "ngày đó. Gõ /cancel để hủy.",
    "report.accused": "Chọn đơn vị có cán bộ làm sai, hoặc gõ tên đơn vị. Tôi không hỏi tên, số điện thoại hay địa "
                      "chỉ của bạn. Gõ /cancel để hủy.",
    "report.ward": "Chọn phường, xã nơi xảy ra sự việc bằng nút hoặc số thứ tự, gõ tên (có dấu hay không dấu đều "
                   "được), hoặc gửi vị trí. Không rõ thì chọn «Không rõ / không ở phường nào». Gõ /cancel để hủy.",
    "report.ward_confirm": "Trả lời «đúng» nếu tôi đoán đúng nơi xảy ra, hoặc «không» để chọn lại. Gõ /cancel để hủy.",
    "report.area": "Chọn khu dân cư nơi xảy ra sự việc, hoặc «Không rõ». Gõ /cancel để hủy.",
    "report.category": "Chọn lĩnh vực gần nhất với việc bạn báo. Nếu không thấy, chọn «Lĩnh vực khác...» rồi «Khác». "
                       "Gõ /cancel để hủy.",
    "report.evidence": "Gửi ảnh (tối đa 5), tin nhắn thoại, tài liệu hoặc vị trí nếu có; xong thì chọn nút tiếp tục. "
                       "Gõ /cancel để hủy.",
    "report.confirm": "Chọn «Gửi» để gửi, «Sửa» để sửa một phần, hoặc «Hủy bỏ» để bỏ. Gõ /cancel để hủy.",
    "report.change": "Chọn phần bạn muốn sửa, hoặc «Không sửa, quay lại». Gõ /cancel để hủy.",
}

# Where a stray message leaves the chat, and how the answer to it begins. In the menu, in /my and before
# anything was told, a message is the start of a case; in a free-text step it is the answer.
STRAY_ANSWER = {
    "onboarding.consent": ("onboarding.consent", "Tôi đã giữ lại tin nhắn của bạn; sau khi bạn đồng ý, tôi sẽ tiếp "
                                                 "nhận ngay."),
    "menu.choose": ("report.kind", KIND),
    "my_cases.list": ("report.kind", KIND),
    "privacy.choose": ("privacy.choose", "Xin chọn một mục trong danh sách: bấm nút, gõ số thứ tự (ví dụ 1) hoặc gõ "
                                         "tên mục."),
    "privacy.phone": ("privacy.phone", "Số đó không giống số điện thoại Việt Nam (10 chữ số, ví dụ 0912345678). "
                                       "Xin gõ lại."),
    "privacy.delete_confirm": ("privacy.delete_confirm", "Xin chọn một mục trong danh sách: bấm nút, gõ số thứ tự (ví "
                                                         "dụ 1) hoặc gõ tên mục."),
    "report.content": ("report.kind", KIND),
    "report.resume": ("report.resume", "Tôi đã giữ tin nhắn vừa rồi. Xin chọn trước: tiếp tục nội dung cũ hay bắt "
                                       "đầu mới?"),
    "report.kind": ("report.kind", NOT_AN_ANSWER),
    "report.describe": ("report.ward", "Sự việc xảy ra ở phường, xã nào? Chọn trong danh sách, gõ tên (ví dụ: sao do), "
                                       "hoặc gửi vị trí."),
    "report.decision": ("report.learned", "Bạn biết được quyết định, việc làm đó từ ngày nào? (ví dụ: 15/1/2026, hôm "
                                          "qua, 2 tuần trước)"),
    "report.learned": ("report.learned", "Tôi chưa đọc được ngày trong câu đó."),
    "report.accused": ("report.accused", "Tôi chưa nhận ra đơn vị đó."),
    "report.ward": ("report.ward", "Tôi chưa tìm thấy phường, xã nào tên «gõ thử lung tung xem sao»."),
    "report.ward_confirm": ("report.ward_confirm", "Tôi chưa tìm thấy phường, xã nào tên «gõ thử lung tung xem sao»."),
    "report.area": ("report.area", "Tôi chưa tìm thấy khu dân cư đó trong phường Sao Đỏ."),
    "report.category": ("report.category", NOT_AN_ANSWER),
    "report.evidence": ("report.evidence", NOT_AN_ANSWER),
    "report.confirm": ("report.confirm", NOT_AN_ANSWER),
    "report.change": ("report.change", NOT_AN_ANSWER),
}

# States where the stray words are kept somewhere (a draft, a message waiting for consent or a choice).
KEEPS_WORDS = {state for state in STRAY_ANSWER if state.split(".")[0] in ("report", "menu", "my_cases", "onboarding")}


def test_the_tables_cover_every_declared_state_of_the_citizens_flows() -> None:
    flows = build_router().flows
    declared = {f"{name}.{state}" for name in ("onboarding", "menu", "my_cases", "privacy", "report")
                for state in flows[name].states}
    assert declared == set(REACH) == set(HELP) == set(STRAY_ANSWER)


async def _state(db: Database, chat: Chat) -> str:
    async with db.unit_of_work(readonly=True) as uow:
        row = (await uow.session.execute(
            select(Conversation).where(Conversation.chat_id == str(chat.chat_id)))).scalar_one()
        return f"{row.flow}.{row.step}"


async def _reach(db: Database, state: str) -> tuple[Chat, list[str]]:
    chat = make_bot(db).chat(777)
    if state != "onboarding.consent":
        await chat.consents()
    await REACH[state](chat)
    assert await _state(db, chat) == state
    async with db.unit_of_work(readonly=True) as uow:
        offered = (await uow.session.execute(select(Conversation.data))).scalar_one().get("_offered", [])
    return chat, [key for key, _ in offered]


@pytest.mark.parametrize("state", sorted(REACH))
async def test_help_explains_the_step_and_asks_again(database: Database, state: str) -> None:
    chat, offered = await _reach(database, state)
    replies = await chat.says("/help")
    assert [r.text for r in replies] == [HELP[state]]
    assert keys(replies[0]) == offered  # the same question's choices, so the answer can follow at once
    assert await _state(database, chat) == state


@pytest.mark.parametrize("state", sorted(REACH))
async def test_a_stray_message_gets_an_answer_and_is_not_lost(database: Database, state: str) -> None:
    chat, _ = await _reach(database, state)
    replies = await chat.says(STRAY, after=60)
    assert replies, "never silence"
    assert (await _state(database, chat), replies[0].text.split("\n")[0]) == STRAY_ANSWER[state]
    assert replies[-1].choices or replies[-1].request  # a question follows, so the citizen knows what to do
    if state in KEEPS_WORDS:
        async with database.unit_of_work(readonly=True) as uow:
            stored = json.dumps([
                *(await uow.session.execute(select(CaseDraft.facts))).scalars(),
                *(await uow.session.execute(select(Conversation.data))).scalars(),
            ], ensure_ascii=False)
        assert STRAY in stored


@pytest.mark.parametrize("state", sorted(REACH))
async def test_cancel_drops_what_was_under_way(database: Database, state: str) -> None:
    chat, _ = await _reach(database, state)
    replies = await chat.says("/cancel")
    texts = [r.text for r in replies]
    if state == "onboarding.consent":  # nothing can be cancelled before consent: the notice again
        assert texts[0] == "Trước khi bắt đầu, xin bạn cho biết có đồng ý với thông báo dưới đây không."
        assert texts[1].startswith("Thông báo xử lý dữ liệu cá nhân (phiên bản 2026-01)")
        return
    if state == "menu.choose":
        assert texts == ["Không có việc gì đang làm dở để hủy.", MENU]
    else:
        assert texts == [CANCELLED, MENU]
    assert await _state(database, chat) == "menu.choose"
    async with database.unit_of_work(readonly=True) as uow:
        drafts = (await uow.session.execute(select(func.count(CaseDraft.id)))).scalar_one()
        loose = (await uow.session.execute(
            select(func.count(Attachment.id)).where(Attachment.case_id.is_(None)))).scalar_one()
    assert (drafts, loose) == (0, 0)
