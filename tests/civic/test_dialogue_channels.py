"""One citizen's side of a dialogue session on Telegram (buttons), Zalo (numbered lists, a label typed without
diacritics) and the web chat (a real WebSocket): follow, the invitation, a near-duplicate typed without accents
joined instead of repeated, a question of their own, and both answers received exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.channels.test_same_journeys import ON, VN, onboard
from tests.officials.world import World

ASKED = "Khi nào có nước sạch cho khu dân cư Mật Sơn?"
TYPED = "khi nao co nuoc sach cho khu dan cu Mat Son"
MINE = "Đề nghị lắp đèn đường ngõ 5 Tiền Định"


# Telegram and Zalo pace each chat at about a message a second, so those two runs take ~16 s each: slow.
@pytest.mark.parametrize("channel", [pytest.param("telegram", marks=pytest.mark.slow),
                                     pytest.param("zalo", marks=pytest.mark.slow), "web"])
async def test_a_dialogue_on_every_channel(db_url: str, channel: str) -> None:
    async with ON[channel](db_url) as scene:
        d = scene.driver
        await onboard(scene)
        d.says("citizen", "/follow")
        await scene.expect("citizen", "Bạn muốn nhận thông báo về khu vực nào?")
        d.chooses("citizen", "Cả thành phố")
        await scene.expect("citizen", "Chọn các chủ đề")
        d.chooses("citizen", "Tất cả chủ đề")
        await scene.expect("citizen", "Đã đăng ký nhận thông báo: Cả thành phố")

        world = World(scene.db, scene.clock)
        office = await world.official("UBND_SECRETARIAT", chat="910001")
        other = await world.account("910002")
        starts = (scene.clock.now().astimezone(VN) + timedelta(days=4)).replace(hour=8, minute=0)
        async with world.services() as s:
            session = await s.dialogues.schedule(office.official_id, title="Đối thoại về nước sạch", starts_at=starts,
                                                 area="SAODO", topic="dien_nuoc", place="Hội trường phường Sao Đỏ",
                                                 attendees=("UBND_LEADER",))
            first = await s.dialogues.ask(session.id, citizen_id=other.citizen_id, identity_id=other.identity_id,
                                          text=ASKED)
        scene.wake()
        invitation = await scene.expect("citizen", "Mời bạn tham dự buổi đối thoại với lãnh đạo.")
        assert "Đối thoại số 1: Đối thoại về nước sạch\n" in invitation

        d.says("citizen", "/dialogue")
        await scene.expect("citizen", "Các buổi đối thoại sắp tới. Chọn một buổi:")
        d.chooses("citizen", d.choices("citizen")[0])
        await scene.expect("citizen", "Đối thoại số 1: Đối thoại về nước sạch")
        if channel == "zalo":
            d.says("citizen", "gui cau hoi")  # the label, typed without diacritics
        else:
            d.chooses("citizen", "Gửi câu hỏi")
        await scene.expect("citizen", "Nhập câu hỏi của bạn:")
        d.says("citizen", TYPED)
        assert await scene.expect("citizen", "Đã có câu hỏi gần giống") == (
            f"Đã có câu hỏi gần giống:\n«{ASKED}»\nBạn muốn ủng hộ câu hỏi này hay vẫn gửi câu hỏi của mình?")
        d.chooses("citizen", "Ủng hộ câu hỏi này")
        await scene.expect("citizen", "Đã ghi nhận ủng hộ của bạn.")
        await scene.expect("citizen", "Đối thoại số 1")
        d.chooses("citizen", "Gửi câu hỏi")
        await scene.expect("citizen", "Nhập câu hỏi của bạn:")
        d.says("citizen", MINE)
        assert await scene.expect("citizen", "Đã nhận câu hỏi") == (
            "Đã nhận câu hỏi số 2. Bạn sẽ nhận được câu trả lời sau buổi đối thoại.")

        scene.clock.set(starts + timedelta(hours=2))
        async with world.services() as s:
            for question in (first.question_id, 2):
                assert question is not None
                await s.dialogues.answer(office.official_id, question, f"Trả lời cho câu {question}.")
            assert await s.dialogues.close(office.official_id, session.id) == []
        scene.wake()
        if channel == "zalo":  # four days on, Zalo's 48 h window is closed: the answers wait for the citizen
            d.says("citizen", "xin chào")
        answered = await scene.expect("citizen", "Trả lời cho câu 1.")
        if "Trả lời cho câu 2." not in answered:  # both may go as one message
            await scene.expect("citizen", "Trả lời cho câu 2.")
        texts = d.texts_to("citizen")
        assert sum("Trả lời cho câu 1." in x for x in texts) == 1
        assert sum("Trả lời cho câu 2." in x for x in texts) == 1
