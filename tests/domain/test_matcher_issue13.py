"""The failure classes of issue 13, in messages written for this test (not copied from the issue), on the demo
organisation as `tiepdan org load` reads it. Each row failed with the matcher before issue 13 (keyword
lengths, marks folded away, one-letter typos onto everyday words, places filled in from names inside other
names) and passes now.
"""

from __future__ import annotations

import pytest

from benchmarks.matcher import demo_matchers
from bot.domain.intake import find_place
from bot.domain.matching import CategoryIndex, PlaceIndex


@pytest.fixture(scope="module")
def matchers() -> tuple[PlaceIndex, CategoryIndex]:
    return demo_matchers()


# (message, the first suggestion it should get)
CATEGORY_ROWS = [
    # typed marks are meant: "có" is not "cỏ", "hỏi" not "hội", "đến" not "đèn", "công/cổng" not "cống"
    ("Có trộm vào nhà lấy mất xe máy", "an_ninh"),
    ("Có cháy ở kho hàng cuối ngõ", "su_co"),
    ("Có karaoke hát đến 1 giờ sáng", "van_hoa"),
    ("Cho tôi hỏi làm lại sổ hộ khẩu ở đâu", "thu_tuc"),
    ("Đến giờ công ty vẫn chưa trả lương tháng trước", "viec_lam"),
    ("Đến tối là quán nhậu mở loa hát ầm ĩ", "van_hoa"),
    ("Trước cổng chợ hàng rong bày bán chiếm hết lối", "lan_chiem"),
    # a typo is looked for only in long words, and never turns an everyday word into a keyword
    ("Tôi muốn đăng ký kết hôn thì làm ở đâu", "thu_tuc"),
    ("Xưởng gỗ cạnh nhà chạy máy cưa suốt đêm", "o_nhiem"),
    ("Nước từ nhà máy chảy xuống ruộng làm chết lúa", "o_nhiem"),
    ("Ngôi nhà cũ nghiêng hẳn, có thể sập bất cứ lúc nào", "su_co"),
    # formulas weigh nothing; a long keyword of another topic does not beat the real one
    ("Kính gửi phường, đề nghị kiểm tra quán karaoke mở nhạc quá khuya", "van_hoa"),
    ("Đề nghị xem xét cán bộ địa chính nhũng nhiễu, đòi tiền khi làm giấy phép xây dựng", "khac"),
    ("Nhà hàng xóm lấn chiếm đất vườn nhà tôi để làm lối đi", "dat_dai"),
    # everyday words that were missing, and teencode
    ("Đăng ký tạm trú cho sinh viên thuê nhà như thế nào", "thu_tuc"),
    ("Làm CCCD cho bố tôi ở đâu", "thu_tuc"),
    ("BHYT của mẹ tôi hết hạn thì gia hạn ở đâu", "chinh_sach"),
    ("Ngõ vào xóm lầy lội, xe máy trơn trượt", "duong_sa"),
    ("đường trước cổng chợ sụt một hố to", "su_co"),
    ("nhà kia xây 4 tầng ko có giấy phép", "xay_dung"),
]


@pytest.mark.parametrize(("text", "expected"), CATEGORY_ROWS, ids=[r[0][:30] for r in CATEGORY_ROWS])
def test_first_suggestion(matchers: tuple[PlaceIndex, CategoryIndex], text: str, expected: str) -> None:
    _, categories = matchers
    suggested = categories.suggest(text)
    assert suggested and suggested[0].code == expected, [(s.code, s.matched) for s in suggested]


# (message, place: CODE filled in, ?CODE asked with this guess first, - asked without a guess)
PLACE_ROWS = [
    # a street named after the ward's namesake: the street's own ward when the organisation lists it
    ("Quán nước ở đường Nguyễn Thái Học bày bàn ra vỉa hè", "SAODO"),
    # ... and a question otherwise
    ("Nhà số 8 phố Thái Học bị ngập sau mưa", "?THAIHOC"),
    # "chỉ mình" typed plain is only a guess; typed with its marks it is no place at all
    ("toi chi minh phan anh viec do rac nay thoi", "?CHIMINH"),
    ("chỉ mình tôi thấy người ta đổ rác ra đây", "-"),
    # a neighbour's name is not a ward
    ("Ông Hòa hàng xóm đổ rác sang nhà tôi", "-"),
    ("chị Thanh Mai bán hàng lấn chiếm vỉa hè", "-"),
    # the city's own name and the letter's national header are no ward
    ("Kính gửi UBND thành phố Chí Linh, đường làng ngập sâu", "-"),
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM - Độc lập - Tự do - Hạnh phúc. Đơn phản ánh rác thải", "-"),
]


@pytest.mark.parametrize(("text", "expected"), PLACE_ROWS, ids=[r[0][:30] for r in PLACE_ROWS])
def test_place(matchers: tuple[PlaceIndex, CategoryIndex], text: str, expected: str) -> None:
    places, _ = matchers
    found = find_place(text, places)
    assert ("-" if found is None else found.code if found.sure else f"?{found.code}") == expected
