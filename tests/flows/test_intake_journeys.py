"""Whole conversations through the report flow on a real database: complaints and their time limits,
denunciations and their routing, evidence rules, resuming, changing, consent first, /my and /case."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Attachment, Case, CaseDraft, Citizen, Consent, OrgSetting, Unit
from storage.uow import Database
from tests.flows.chat_driver import keys, make_bot, texts

MENU = "Bạn muốn làm gì? Chọn một mục:"
KIND = ("Việc bạn báo thuộc loại nào?\n- Hỏi: bạn cần biết một quy định, thủ tục, thông tin.\n- Phản ánh, kiến nghị: "
        "báo một việc chưa ổn (đường hỏng, rác, ngập, ồn...) hoặc đề xuất cách làm.\n- Khiếu nại: bạn không đồng ý "
        "với một quyết định hay việc làm của cơ quan nhà nước ảnh hưởng đến chính bạn.\n- Tố cáo: báo việc làm sai "
        "trái của cán bộ, cơ quan; danh tính của bạn được giữ bí mật.")
EVIDENCE = ("Bạn có ảnh, tin nhắn thoại, giấy tờ hoặc vị trí về sự việc không? Gửi ngay bây giờ (tối đa 5 ảnh). "
            "Nếu không có, chọn «Không có, tiếp tục».")
MORE_EVIDENCE = ("Bạn có thể gửi thêm ảnh, tin nhắn thoại, giấy tờ hoặc vị trí. Khi xong, chọn «Xong, tiếp tục».")
PRIVACY_NOTE = ("Tố cáo được giữ bí mật: tôi không hỏi họ tên, số điện thoại hay địa chỉ của bạn, và đơn vị bị tố cáo "
                "không được biết ai gửi. Xin đừng ghi những thông tin đó vào nội dung. Tin của bạn được chuyển tới cơ "
                "quan thanh tra cấp trên của đơn vị bị tố cáo.")


async def _cases(db: Database) -> list[Case]:
    async with db.unit_of_work(readonly=True) as uow:
        return list((await uow.session.execute(select(Case).order_by(Case.id))).scalars())


async def _unit(db: Database, unit_id: int) -> str:
    async with db.unit_of_work(readonly=True) as uow:
        return (await uow.session.get(Unit, unit_id)).code


async def test_a_complaint_hears_its_time_limits_in_plain_words(database: Database) -> None:
    chat = make_bot(database).chat(1)
    await chat.consents()
    await chat.says("Phường phạt tôi 2 triệu vì để xe trước cửa nhà mình")
    replies = await chat.presses("complaint")
    assert texts(replies) == [
        "Bạn khiếu nại quyết định hoặc việc làm nào? Xin ghi số, ngày của quyết định và cơ quan ban hành nếu có (ví "
        "dụ: Quyết định 123/QĐ-UBND ngày 5/1/2026 của UBND phường), hoặc mô tả việc làm đó."]
    replies = await chat.says("Quyết định 12/QĐ-XPHC ngày 2/1/2026 của UBND phường Sao Đỏ")
    assert texts(replies) == [
        "Bạn biết được quyết định, việc làm đó từ ngày nào? (ví dụ: 15/1/2026, hôm qua, 2 tuần trước)"]
    assert keys(replies[0]) == ["today", "unknown"]
    replies = await chat.says("3/3/2026", after=60)  # a date still to come
    assert texts(replies)[0].startswith("Ngày 03/03/2026 chưa đến. Xin ghi ngày bạn đã biết được việc đó.")
    replies = await chat.says("ngày 5/1/2026")
    assert texts(replies) == [
        "Theo Luật Khiếu nại, bạn có 90 ngày kể từ ngày biết được quyết định hoặc việc làm để khiếu nại. Bạn biết từ "
        "ngày 05/01/2026, nên hạn cuối là ngày 05/04/2026 (còn 51 ngày).\nSau khi nhận đơn, cơ quan có thẩm quyền thụ "
        "lý trong 10 ngày và giải quyết trong 30 ngày kể từ ngày thụ lý (vụ việc phức tạp: 45 ngày).\n\n"
        "Ở khu dân cư nào của phường Sao Đỏ?"]  # the decision's words named the ward
    await chat.presses("skip")
    await chat.presses("all")
    await chat.presses("lan_chiem")
    replies = await chat.sends_document("qd-12")
    assert texts(replies) == ["Đã nhận tài liệu (1/5).\n\n" + MORE_EVIDENCE]
    replies = await chat.presses("done")
    assert texts(replies) == [
        "Xin kiểm tra lại trước khi gửi:\nLoại: Khiếu nại\nLĩnh vực: Lấn chiếm vỉa hè, lòng đường\nĐịa bàn: phường Sao "
        "Đỏ\nQuyết định, hành vi bị khiếu nại: Quyết định 12/QĐ-XPHC ngày 2/1/2026 của UBND phường Sao Đỏ\nBiết từ "
        "ngày: 05/01/2026\nNội dung: Phường phạt tôi 2 triệu vì để xe trước cửa nhà mình\nKèm theo: 1 tài liệu\nNơi "
        "nhận: Phòng Quản lý đô thị"]
    replies = await chat.presses("send")
    assert texts(replies)[0].startswith("Đã tiếp nhận khiếu nại của bạn.\nMã theo dõi: KN-2026-000001\n")
    (case,) = await _cases(database)
    details = dict(case.details)
    suggestion = details.pop("suggestion")  # what the matcher suggested first, and why (for the card)
    assert (case.kind, details) == ("complaint", {
        "evidence": {"document": 1}, "decision": "Quyết định 12/QĐ-XPHC ngày 2/1/2026 của UBND phường Sao Đỏ",
        "learned_on": "2026-01-05", "filing_last_day": "2026-04-05"})
    assert suggestion["category"] == "lan_chiem" and "để xe" in suggestion["why"]
    assert case.text == ("Phường phạt tôi 2 triệu vì để xe trước cửa nhà mình\n\nQuyết định, hành vi bị khiếu nại: "
                         "Quyết định 12/QĐ-XPHC ngày 2/1/2026 của UBND phường Sao Đỏ\nNgười khiếu nại biết từ ngày: "
                         "05/01/2026")


async def test_a_late_complaint_is_told_the_limit_passed_and_may_still_go(database: Database) -> None:
    chat = make_bot(database).chat(2)
    await chat.consents()
    await chat.says("Tôi không đồng ý với việc thu hồi đất")
    await chat.presses("complaint")
    await chat.says("Thông báo thu hồi đất số 8/TB-UBND")
    replies = await chat.says("1/10/2025", after=60)
    assert texts(replies)[0].startswith(
        "Theo Luật Khiếu nại, thời hạn khiếu nại là 90 ngày kể từ ngày biết được quyết định hoặc việc làm. Bạn biết "
        "từ ngày 01/10/2025, nên thời hạn đó đã hết vào ngày 30/12/2025.\nNếu vì ốm đau, thiên tai, đi công tác, học "
        "tập ở nơi xa hoặc trở ngại khách quan khác mà bạn không khiếu nại được, thời gian đó không tính vào thời hạn: "
        "hãy ghi rõ lý do trong nội dung. Bạn vẫn có thể gửi.\n\nSự việc xảy ra ở phường, xã nào?")


async def test_a_denunciation_asks_nothing_about_the_sender_and_goes_above_the_unit(database: Database) -> None:
    chat = make_bot(database).chat(3)
    await chat.consents()
    await chat.says("Chủ tịch phường nhận tiền của người xin cấp phép xây dựng")
    replies = await chat.presses("denunciation")
    assert replies[0].text == PRIVACY_NOTE + "\n\nViệc sai trái là của đơn vị nào (hoặc cán bộ của đơn vị nào)? " \
                                             "Chọn trong danh sách hoặc gõ tên đơn vị."
    assert keys(replies[0]) == ["UBND", "VP", "TTRA", "TNMT", "QLDT", "LDTBXH", "VHTT", "YT", "CA", "P_SAODO",
                                "P_PHALAI", "P_CONGHOA", "P_VANAN", "P_HOANGTAN", "P_BENTAM", "P_CHIMINH", "P_THAIHOC"]
    replies = await chat.sends_contact("0912345678")  # offered anyway: refused, not kept
    assert texts(replies)[0].startswith("Với tố cáo, tôi không nhận số điện thoại của bạn, để giữ bí mật danh tính. "
                                        "Số vừa gửi không được lưu.")
    replies = await chat.says("công an phường Sao Đỏ")
    assert texts(replies) == ["Bạn muốn nói đơn vị nào?"]
    assert keys(replies[0]) == ["CA", "P_SAODO"]  # in the organisation's order
    await chat.presses("P_SAODO")
    replies = await chat.presses("done")
    assert texts(replies) == [
        "Xin kiểm tra lại trước khi gửi:\nLoại: Tố cáo\nĐơn vị bị tố cáo: UBND phường Sao Đỏ\nNội dung: Chủ tịch phường "
        "nhận tiền của người xin cấp phép xây dựng\nKèm theo: (không có)\nNơi nhận: Thanh tra thành phố"]
    replies = await chat.presses("send")
    assert texts(replies)[0].startswith("Đã tiếp nhận tố cáo của bạn.\nMã theo dõi: TC-2026-000001\n")
    assert texts(replies)[1] == (
        "Tin tố cáo gửi qua kênh này được ghi nhận và xem xét, nhưng theo Luật Tố cáo, đơn tố cáo chính thức phải có "
        "chữ ký hoặc được trình bày trực tiếp. Nếu muốn tố cáo chính thức, bạn có thể in mẫu đơn dưới đây, điền họ "
        "tên, địa chỉ, ký tên và nộp tại Thanh tra thành phố. Lịch tiếp công dân: Thứ Ba và thứ Năm hằng tuần, "
        "7:30-11:30, Trụ sở Tiếp công dân thành phố. Danh tính người tố cáo được pháp luật bảo vệ và giữ bí mật.")
    assert texts(replies)[2].startswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\n"
                                        "ĐƠN TỐ CÁO\n\nKính gửi: Thanh tra thành phố\n\nHọ và tên người tố cáo: ....")
    assert "Tôi tố cáo hành vi vi phạm pháp luật của: UBND phường Sao Đỏ\n\nNội dung tố cáo:\nChủ tịch phường " \
           "nhận tiền của người xin cấp phép xây dựng\n\n(Tin này đã được gửi qua kênh trực tuyến, mã theo dõi " \
           "TC-2026-000001.)" in texts(replies)[2]
    assert texts(replies)[3] == MENU
    (case,) = await _cases(database)
    assert (case.kind, case.sealed, await _unit(database, case.unit_id), case.category_id, case.area_id) == (
        "denunciation", True, "TTRA", None, None)
    assert case.details == {"evidence": {}, "accused_unit": "P_SAODO"}
    async with database.unit_of_work(readonly=True) as uow:
        citizen = (await uow.session.execute(select(Citizen))).scalar_one()
    assert (citizen.phone, citizen.display_name) == (None, None)


async def test_a_denunciation_about_the_city_goes_to_the_province(database: Database) -> None:
    chat = make_bot(database).chat(4)
    await chat.consents()
    await chat.says("Lãnh đạo thành phố chỉ định thầu sai quy định")
    await chat.presses("denunciation")
    await chat.presses("UBND")
    replies = await chat.presses("done")
    assert replies[0].text.endswith("\nNơi nhận: Thanh tra tỉnh Hải Dương")
    await chat.presses("send")
    (case,) = await _cases(database)
    assert await _unit(database, case.unit_id) == "TTRA_TINH"


async def test_evidence_is_checked_and_counted(database: Database) -> None:
    chat = make_bot(database).chat(5)
    await chat.consents()
    replies = await chat.sends_photo("p1", caption="Rác đổ trộm ở khu dân cư Tiền Định")
    assert texts(replies) == ["Đã nhận ảnh (1/5).\n\n" + KIND]
    replies = await chat.sends_photo("big", size=11 * 1024 * 1024)
    assert texts(replies)[0].startswith("Tệp ảnh quá lớn, không nhận được. Xin gửi tệp nhỏ hơn (ảnh tối đa 10 MB, "
                                        "ghi âm và tài liệu tối đa 20 MB).\n\nViệc bạn báo thuộc loại nào?")
    replies = await chat.sends_document("zip", mime="application/zip")
    assert texts(replies)[0].startswith("Loại tệp tài liệu này không nhận được. Ảnh: JPG, PNG, WEBP; tài liệu: PDF, "
                                        "JPG, PNG.")
    for n in range(2, 6):
        await chat.sends_photo(f"p{n}")
    replies = await chat.sends_photo("p6")
    assert texts(replies)[0].startswith("Đã đủ 5 ảnh; không nhận thêm ảnh cho nội dung này.")
    replies = await chat.sends_sticker()
    assert texts(replies)[0].startswith("Tôi chưa đọc được loại tin này. Xin gửi chữ, ảnh, tin nhắn thoại, vị trí "
                                        "hoặc tài liệu.")
    replies = await chat.presses("report")
    assert texts(replies) == ["Việc này thuộc lĩnh vực nào? Theo nội dung bạn gửi, có thể là:"]  # no evidence step
    await chat.presses("rac_thai")
    await chat.presses("send")
    async with database.unit_of_work(readonly=True) as uow:
        stored = (await uow.session.execute(
            select(Attachment.kind, Attachment.status, Attachment.platform_ref).order_by(Attachment.id))).all()
        case = (await uow.session.execute(select(Case))).scalar_one()
    assert stored == [("photo", "pending", f"p{n}") for n in range(1, 6)]
    assert {k: v for k, v in case.details.items() if k != "suggestion"} == {"evidence": {"photo": 5}}
    async with database.unit_of_work(readonly=True) as uow:
        on_case = (await uow.session.execute(select(Attachment.case_id).distinct())).scalars().all()
    assert on_case == [case.id]


async def test_a_shared_location_answers_where(database: Database) -> None:
    chat = make_bot(database).chat(6)
    await chat.consents()
    await chat.says("Cống bị tắc, nước tràn lên đường")
    replies = await chat.presses("report")
    assert replies[0].request == "location"
    replies = await chat.sends_location(21.1480, 106.4150)  # the centre of Cộng Hòa
    assert texts(replies) == ["Đã nhận vị trí, thuộc phường Cộng Hòa.\n\nỞ khu dân cư nào của phường Cộng Hòa?"]
    await chat.presses("skip")
    replies = await chat.presses("ngap_nuoc")
    assert texts(replies)[0].startswith("Xin kiểm tra lại trước khi gửi:\nLoại: Phản ánh, kiến nghị\nLĩnh vực: Ngập "
                                        "úng, thoát nước\nĐịa bàn: phường Cộng Hòa\n")
    assert "\nKèm theo: vị trí\nNơi nhận: UBND phường Cộng Hòa" in texts(replies)[0]  # the location is evidence


async def test_an_unsure_place_is_confirmed_and_a_no_asks_again(database: Database) -> None:
    chat = make_bot(database).chat(7)
    await chat.consents()
    await chat.says("phà lại ngập quá")
    replies = await chat.presses("report")
    assert texts(replies) == ["Có phải ở phường Phả Lại không?"]
    replies = await chat.says("ko phai")
    assert texts(replies)[0].startswith("Sự việc xảy ra ở phường, xã nào?")
    replies = await chat.says("pha lai")
    assert texts(replies) == ["Ở khu dân cư nào của phường Phả Lại?"]
    replies = await chat.says("ngoc tuyen")
    assert texts(replies) == ["Việc này thuộc lĩnh vực nào? Theo nội dung bạn gửi, có thể là:"]


async def test_an_unfinished_draft_is_offered_back_and_nothing_sent_is_lost(database: Database) -> None:
    chat = make_bot(database).chat(8)
    await chat.consents()
    await chat.says("Đèn đường hỏng ở khu dân cư Tiền Định")
    await chat.says("/my")  # wandered off
    replies = await chat.sends_photo("lamp")
    assert texts(replies) == [
        "Bạn còn một nội dung soạn dở từ 09:00 13/02/2026: «Đèn đường hỏng ở khu dân cư Tiền Định». Bạn muốn tiếp tục "
        "nội dung đó, hay bỏ nó và bắt đầu mới?"]
    replies = await chat.presses("continue")
    assert texts(replies) == ["Đã nhận ảnh (1/5).\n\n" + KIND]
    await chat.presses("report")
    await chat.presses("chieu_sang")
    replies = await chat.says("/report")
    assert keys(replies[0]) == ["continue", "new"]
    replies = await chat.presses("new")
    assert texts(replies) == [
        "Xin kể sự việc bạn muốn báo: gõ chữ (có dấu hay không dấu đều được), gửi ảnh, tin nhắn thoại hoặc vị trí. "
        "Có thể gửi nhiều tin liền nhau."]
    async with database.unit_of_work(readonly=True) as uow:
        assert (await uow.session.execute(select(CaseDraft))).first() is None
        assert (await uow.session.execute(select(Attachment))).first() is None  # the old photo went with it


async def test_the_summary_can_be_changed(database: Database) -> None:
    chat = make_bot(database).chat(9)
    await chat.consents()
    await chat.says("Rác ở khu dân cư Tiền Định không ai dọn")
    await chat.presses("report")
    await chat.presses("rac_thai")
    await chat.presses("done")
    replies = await chat.presses("change")
    assert keys(replies[0]) == ["words", "kind", "place", "category", "evidence", "back"]
    replies = await chat.presses("place")
    assert texts(replies)[0].startswith("Sự việc xảy ra ở phường, xã nào?")  # asked, not guessed from the words
    await chat.presses("VANAN")
    replies = await chat.presses("VANAN_VANMACH")
    assert "\nĐịa bàn: Khu dân cư Văn Mạch thuộc phường Văn An\n" in replies[0].text
    await chat.presses("change")
    replies = await chat.presses("words")
    assert texts(replies) == ["Nội dung hiện tại: «Rác ở khu dân cư Tiền Định không ai dọn»\nXin gõ lại toàn bộ "
                              "nội dung mới; nội dung cũ sẽ được thay."]
    replies = await chat.says("Rác ở chợ Văn Mạch không ai dọn cả tuần")
    assert "\nNội dung: Rác ở chợ Văn Mạch không ai dọn cả tuần\n" in replies[0].text
    replies = await chat.presses("send")
    assert texts(replies)[0].split("\n")[3] == "Đơn vị xử lý: UBND phường Văn An"


async def test_what_was_sent_before_consent_becomes_the_case(database: Database) -> None:
    chat = make_bot(database).chat(10)
    replies = await chat.sends_photo("first")  # no /start: a photo straight away
    assert texts(replies)[0].startswith("Xin chào! Đây là kênh tiếp nhận phản ánh, kiến nghị của")
    assert texts(replies)[1] == "Tôi đã giữ lại tin nhắn của bạn; sau khi bạn đồng ý, tôi sẽ tiếp nhận ngay."
    await chat.says("ngap o phuong van an")
    replies = await chat.presses("agree")
    assert texts(replies) == ["Cảm ơn bạn. Bạn có thể bắt đầu.", "Đã nhận ảnh (1/5).\n\n" + KIND]
    replies = await chat.presses("report")
    assert texts(replies) == ["Ở khu dân cư nào của phường Văn An?"]


async def _set_notice_version(db: Database, version: dict, loaded_at: dict) -> tuple[dict, dict]:
    """Publish another notice version (as reloading the organisation file would); the values it replaced."""
    async with db.unit_of_work() as uow:
        notice, loaded = await uow.session.get(OrgSetting, "notice_version"), await uow.session.get(OrgSetting,
                                                                                                   "loaded_at")
        before = (dict(notice.value), dict(loaded.value))
        notice.value, loaded.value = version, loaded_at
        await uow.commit()
    return before


async def test_a_new_notice_version_asks_again(database: Database) -> None:
    chat = make_bot(database).chat(11)
    await chat.consents()
    # The organisation's tables outlive a test on PostgreSQL: put the published version back afterwards.
    before = await _set_notice_version(database, {"value": "2026-07"}, {"value": "2026-07-01T00:00:00+00:00"})
    try:
        chat.bot.app.org.invalidate()
        replies = await chat.says("Đèn hỏng")
        assert texts(replies)[0] == ("Thông báo xử lý dữ liệu cá nhân đã được cập nhật (từ phiên bản 2026-01 lên "
                                     "2026-07). Xin đọc lại và cho biết bạn có đồng ý không.")
        assert texts(replies)[2].startswith("Thông báo xử lý dữ liệu cá nhân (phiên bản 2026-07)")
        replies = await chat.presses("agree")
        assert texts(replies) == ["Cảm ơn bạn. Bạn có thể bắt đầu.", KIND]
        async with database.unit_of_work(readonly=True) as uow:
            versions = (await uow.session.execute(
                select(Consent.notice_version).order_by(Consent.id))).scalars().all()
        assert versions == ["2026-01", "2026-07"]
    finally:
        await _set_notice_version(database, *before)


async def test_my_cases_pages_and_case_shows_only_ones_own(database: Database) -> None:
    bot = make_bot(database)
    mine, other = bot.chat(12), bot.chat(13)
    for chat in (mine, other):
        await chat.consents()
    for n in range(6):
        await mine.says(f"Rác chưa thu gom ở khu dân cư Tiền Định, lần {n + 1}")
        await mine.presses("report")
        await mine.presses("rac_thai")
        await mine.presses("done")
        await mine.presses("send")
    await other.says("Đèn hỏng ở khu dân cư Tiền Định")
    await other.presses("report")
    await other.presses("chieu_sang")
    await other.presses("done")
    await other.presses("send")
    replies = await mine.says("/my")
    assert replies[0].text.startswith("Hồ sơ của bạn (trang 1/2):\n\nPA-2026-000006 - Phản ánh - Đã tiếp nhận, chờ "
                                      "phân công\nĐơn vị: UBND phường Sao Đỏ\nHạn: trước 17:00 thứ Sáu, 27/02/2026")
    assert keys(replies[0]) == ["next", "menu"]
    replies = await mine.presses("next")
    assert replies[0].text.startswith("Hồ sơ của bạn (trang 2/2):\n\nPA-2026-000001 - Phản ánh")
    assert keys(replies[0]) == ["prev", "menu"]
    own = await mine.says("/case pa-2026-000001")
    assert own[0].text.startswith("Hồ sơ PA-2026-000001 (Phản ánh)\nTình trạng: Đã tiếp nhận, chờ phân công\n")
    theirs = await mine.says("/case PA-2026-000007")
    missing = await mine.says("/case PA-2026-000099")
    assert texts(theirs) == ["Không tìm thấy hồ sơ PA-2026-000007 trong các hồ sơ của bạn. Xin kiểm tra lại mã."]
    assert texts(missing) == ["Không tìm thấy hồ sơ PA-2026-000099 trong các hồ sơ của bạn. Xin kiểm tra lại mã."]


async def test_a_greeting_in_the_menu_is_not_a_case(database: Database) -> None:
    chat = make_bot(database).chat(14)
    await chat.consents()
    replies = await chat.says("xin chào")
    assert texts(replies) == ["Xin chào! Bạn có thể kể ngay sự việc cần báo (gõ chữ, gửi ảnh hoặc tin nhắn thoại), "
                              "hoặc chọn một mục dưới đây.", MENU]
    async with database.unit_of_work(readonly=True) as uow:
        assert (await uow.session.execute(select(CaseDraft))).first() is None
