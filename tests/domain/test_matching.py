"""Matching free text to places, categories, numbered choices and yes/no, as citizens really type it."""

from __future__ import annotations

import pytest

from bot.domain.matching import (
    CategoryIndex,
    CategoryTerms,
    Place,
    PlaceArea,
    PlaceIndex,
    Street,
    match_nearest,
    match_place,
    parse_choice,
    parse_yes_no,
    suggest_categories,
)

# The demo organisation's places (org/demo.yaml).
PLACES = [
    Place("SAODO", "Sao Đỏ", "ward", aliases=("SĐ", "Sao Do")),
    Place("PHALAI", "Phả Lại", "ward"),
    Place("CONGHOA", "Cộng Hòa", "ward", aliases=("Cộng Hoà",)),
    Place("VANAN", "Văn An", "ward"),
    Place("HOANGTAN", "Hoàng Tân", "ward"),
    Place("BENTAM", "Bến Tắm", "ward"),
    Place("CHIMINH", "Chí Minh", "ward"),
    Place("THAIHOC", "Thái Học", "ward"),
    Place("SAODO_TIENDINH", "Khu dân cư Tiền Định", "residential", parent="SAODO"),
    Place("PHALAI_PHAOSON", "Khu dân cư Phao Sơn", "residential", parent="PHALAI"),
]
PLACE_INDEX = PlaceIndex(PLACES)


def _cat(code: str, name: str, *keywords: str) -> CategoryTerms:
    return CategoryTerms(code, (name,), keywords)


CATEGORIES = [
    _cat("ngap_nuoc", "Ngập úng, thoát nước",
         "ngập", "ngập nước", "ngập lụt", "tắc cống", "cống tắc", "nước tràn", "mưa ngập", "nước đọng"),
    _cat("rac_thai", "Rác thải, vệ sinh môi trường",
         "rác", "đổ rác", "thu gom rác", "bãi rác", "xe rác", "vứt rác", "bốc mùi", "xác động vật"),
    _cat("o_nhiem", "Ô nhiễm, tiếng ồn", "ồn ào", "khói", "bụi", "mùi hôi", "đốt rơm", "nước thải", "loa kẹo kéo"),
    _cat("lan_chiem", "Lấn chiếm vỉa hè, lòng đường",
         "lấn chiếm", "vỉa hè", "bán hàng rong", "họp chợ", "dựng rạp", "để xe", "trông xe"),
    _cat("xay_dung", "Xây dựng trái phép",
         "xây dựng", "xây trái phép", "không phép", "sai phép", "cơi nới", "vật liệu xây dựng"),
    _cat("dat_dai", "Đất đai", "sổ đỏ", "tranh chấp đất", "ranh giới", "lấn đất", "giải phóng mặt bằng", "đền bù"),
    _cat("chieu_sang", "Đèn chiếu sáng công cộng",
         "đèn đường", "đèn hỏng", "cột đèn", "bóng đèn", "tối om", "chiếu sáng"),
    _cat("duong_sa", "Hư hỏng đường, cầu, cống",
         "ổ gà", "hư hỏng", "sụt lún", "mặt đường", "nắp cống", "hố ga", "cầu hỏng", "đường hỏng"),
    _cat("cay_xanh", "Cây xanh", "cây đổ", "cành cây", "gãy cành", "chặt cây", "tỉa cành", "cây chết"),
    _cat("an_ninh", "An ninh, trật tự", "trộm", "trộm cắp", "đánh nhau", "cướp", "gây rối", "ma túy", "cờ bạc"),
    _cat("giao_thong", "Trật tự an toàn giao thông",
         "tai nạn", "đua xe", "đèn tín hiệu", "ùn tắc", "kẹt xe", "biển báo", "xe quá tải"),
    _cat("y_te", "Y tế, an toàn thực phẩm",
         "ngộ độc", "thực phẩm bẩn", "dịch bệnh", "sốt xuất huyết", "muỗi", "trạm y tế"),
    _cat("chinh_sach", "Chính sách xã hội",
         "trợ cấp", "hộ nghèo", "người có công", "bảo trợ xã hội", "lương hưu", "khuyết tật"),
    _cat("viec_lam", "Lao động, việc làm", "thất nghiệp", "nợ lương", "chậm lương", "tuyển dụng", "học nghề"),
    _cat("van_hoa", "Văn hóa, quảng cáo, karaoke",
         "karaoke", "hát karaoke", "tờ rơi", "biển quảng cáo", "băng rôn", "lễ hội"),
    _cat("thu_tuc", "Thủ tục hành chính",
         "thủ tục", "hồ sơ", "giấy tờ", "công chứng", "chứng thực", "khai sinh", "căn cước", "một cửa"),
    _cat("su_co", "Sự cố khẩn cấp", "cháy", "cháy nổ", "hỏa hoạn", "sập", "điện giật", "đuối nước", "rò rỉ gas"),
    _cat("khac", "Khác"),
]
CATEGORY_INDEX = CategoryIndex(CATEGORIES)


# --- places ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # exact name, alias or prefix-less name: sure
        ("phường Sao Đỏ", [("SAODO", True)]),
        ("phuong sao do", [("SAODO", True)]),
        ("p. Sao Do", [("SAODO", True)]),
        ("P.Sao Đỏ", [("SAODO", True)]),
        ("p sao do", [("SAODO", True)]),
        ("f. Chí Minh", [("CHIMINH", True)]),
        ("tt thai hoc", [("THAIHOC", True)]),
        ("SĐ", [("SAODO", True)]),
        ("sd", [("SAODO", True)]),
        ("Cộng Hòa", [("CONGHOA", True)]),
        ("cộng hoà", [("CONGHOA", True)]),
        ("Khu dân cư Tiền Định", [("SAODO_TIENDINH", True)]),
        ("kdc tien dinh", [("SAODO_TIENDINH", True)]),
        ("khu Phao Sơn", [("PHALAI_PHAOSON", True)]),
        ("o phuong sao do co ong nuoc vo", [("SAODO", True)]),
        ("nha toi o ben tam, gan cho", [("BENTAM", True)]),
        ("phuwowngf sao ddor", [("SAODO", True)]),
        ("sao d9o3", [("SAODO", True)]),
        # the ward named next to its own residential area does not make it ambiguous
        ("kdc tien dinh, phuong sao do", [("SAODO_TIENDINH", True), ("SAODO", False)]),
        # near misses: confirmed by the bot, not sure
        ("sao đo", [("SAODO", False)]),
        ("phả lai", [("PHALAI", False)]),
        ("sao dor", [("SAODO", False)]),
        ("saodo", [("SAODO", False)]),
        ("p hoang tam", [("HOANGTAN", False)]),
        ("cong hao", [("CONGHOA", False)]),
        ("kdc td", [("SAODO_TIENDINH", False)]),  # initials computed from the name
        # two places named: ambiguous
        ("pha lai va van an", [("PHALAI", False), ("VANAN", False)]),
        ("kdc phao son phuong sao do", [("SAODO", False), ("PHALAI_PHAOSON", False)]),
        # nothing
        ("toi sd dien thoai de gui", []),  # "sd" inside a sentence is "sử dụng"
        ("ha noi", []),
        ("sao", []),
        ("", []),
    ],
)
def test_match_place(text: str, expected: list[tuple[str, bool]]) -> None:
    assert [(m.place.code, m.sure) for m in match_place(text, PLACE_INDEX)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("phường Sao Đỏ", 1.0),  # exact, with a prefix that fits a ward
        ("Sao Đỏ", 0.95),  # exact
        ("xã Sao Đỏ", 0.85),  # exact, but Sao Đỏ is no commune
        ("sao đo", 0.85),  # right letters, wrong marks
        ("hoang tam", 0.744),  # one typo in eight letters: 0.85 x 0.875
    ],
)
def test_match_place_scores(text: str, expected: float) -> None:
    assert match_place(text, PLACES)[0].score == pytest.approx(expected, abs=0.001)


def test_match_place_accepts_a_plain_list() -> None:
    assert match_place("p sao do", PLACES) == match_place("p sao do", PLACE_INDEX)


def test_place_kind_is_checked() -> None:
    with pytest.raises(ValueError, match="kind"):
        Place("X", "X", "district")  # type: ignore[arg-type]


AREAS = [
    PlaceArea("SAODO", 21.1090, 106.3940, 2500.0),
    PlaceArea("SAODO_TIENDINH", 21.1150, 106.3990, 400.0),
    PlaceArea("PHALAI", 21.1130, 106.3000, 3000.0),
]


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (21.1091, 106.3941, "SAODO"),  # next to the ward's centre
        (21.1152, 106.3988, "SAODO_TIENDINH"),  # inside both circles: the nearer centre wins
        (21.1130, 106.3010, "PHALAI"),
        (21.0000, 105.8000, None),  # Hà Nội: in no circle
        (95.0, 106.0, None),  # not a coordinate
    ],
)
def test_match_nearest(lat: float, lon: float, expected: str | None) -> None:
    assert match_nearest(lat, lon, AREAS) == expected


def test_match_nearest_accepts_tuples() -> None:
    assert match_nearest(21.1091, 106.3941, [("SAODO", 21.1090, 106.3940, 2500.0)]) == "SAODO"


# --- categories ------------------------------------------------------------------------------------------

# The first suggestion and the words that decided it (as the citizen typed them, Telex repaired). Scores are
# shares of the evidence, not keyword lengths, so they are not pinned here; `test_scores_mean_something` is.
@pytest.mark.parametrize(
    ("text", "expected", "why"),
    [
        ("Đường ngập nước sau mưa", ["ngap_nuoc"], "ngập nước"),
        ("duong ngap nuoc", ["ngap_nuoc"], "ngap nuoc"),
        ("dduwowngf ngaapj nuwowcs", ["ngap_nuoc"], "ngập nước"),
        ("ngap", ["ngap_nuoc"], "ngap"),
        ("thoát nước kém", ["ngap_nuoc"], "thoát nước"),
        ("hàng xóm hát karaoke suốt đêm", ["van_hoa"], "hát karaoke"),
        ("karaoek", ["van_hoa"], "karaoek"),  # one typo in a long word
        ("co nguoi lan chiem via he ban hang", ["lan_chiem"], "lan chiem"),
        ("nha ben canh xay dung khong phep", ["xay_dung"], "xay dung"),
        ("o ga tren mat duong", ["duong_sa"], "o ga"),
        ("tranh chap dat dai voi hang xom", ["dat_dai"], "tranh chap"),
        ("bi no luong 3 thang", ["viec_lam"], "no luong"),
        ("den duong hong, toi om", ["chieu_sang"], "den duong"),  # "hỏng" alone names no topic
        ("cây đổ chắn ngang đường", ["cay_xanh"], "cây đổ"),
        ("ong cong bi tac nuoc tran ra duong", ["ngap_nuoc"], "nuoc tran"),
        ("rac thai boc mui", ["rac_thai"], "boc mui"),
        ("chay nha", ["su_co"], "chay"),
        # typed marks are meant: "rạc" is not "rác" (before: marks were folded away and it was rubbish)
        ("rạc", [], None),
        ("xin chào", [], None),
        ("", [], None),
    ],
)
def test_suggest_categories(text: str, expected: list[str], why: str | None) -> None:
    got = suggest_categories(text, CATEGORY_INDEX)
    assert [s.code for s in got] == expected
    if why is not None:
        assert why in got[0].matched


def test_scores_mean_something() -> None:
    """Shares of the evidence: they add up to one, the clearer topic has the larger share."""
    got = suggest_categories("ngập nước, rác thải bốc mùi và khói bụi", CATEGORY_INDEX)
    assert sum(s.score for s in got) == pytest.approx(1.0, abs=0.002)
    assert got[0].score > got[1].score > 0.1


def test_suggest_categories_ranks_and_limits() -> None:
    text = "ngập nước, rác thải bốc mùi và khói bụi"  # the part said first counts most
    assert [s.code for s in suggest_categories(text, CATEGORY_INDEX)] == ["ngap_nuoc", "rac_thai", "o_nhiem"]
    assert [s.code for s in suggest_categories(text, CATEGORY_INDEX, limit=1)] == ["ngap_nuoc"]


def test_suggest_categories_accepts_a_plain_list() -> None:
    assert suggest_categories("duong ngap nuoc", CATEGORIES) == suggest_categories("duong ngap nuoc", CATEGORY_INDEX)


# --- replies ---------------------------------------------------------------------------------------------

OPTIONS = [
    ("ngap_nuoc", "Ngập úng, thoát nước"),
    ("rac_thai", "Rác thải, vệ sinh môi trường"),
    ("o_nhiem", "Ô nhiễm, tiếng ồn"),
    ("khac", "Khác"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", "rac_thai"),
        ("2.", "rac_thai"),
        ("#2", "rac_thai"),
        ("số 2", "rac_thai"),
        ("so 2", "rac_thai"),
        ("hai", "rac_thai"),
        ("Số hai ạ", "rac_thai"),
        ("chọn 3", "o_nhiem"),
        ("toi chon so 1 nhe", "ngap_nuoc"),
        ("Rác thải, vệ sinh môi trường", "rac_thai"),
        ("rac thai ve sinh moi truong", "rac_thai"),
        ("rac", "rac_thai"),  # an unambiguous start of a label
        ("ngập úng", "ngap_nuoc"),
        ("khac", "khac"),
        ("rac thia ve sinh moi truong", "rac_thai"),  # a typo in a whole label
        ("ra", None),  # fewer than 3 letters
        ("5", None),  # no such number
        ("0", None),
        ("1 2", None),
        ("xin chao", None),
        ("", None),
    ],
)
def test_parse_choice(text: str, expected: str | None) -> None:
    assert parse_choice(text, OPTIONS) == expected


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("sao", [("a", "Sao Đỏ"), ("b", "Sao Vàng")], None),  # ambiguous prefix
        ("sao d", [("a", "Sao Đỏ"), ("b", "Sao Vàng")], "a"),
        ("cong hoa", [("a", "Cộng Hòa"), ("b", "Cộng Hoà")], None),  # two labels fold alike
        ("ba", [("x", "Ba Đình"), ("y", "Hai Bà Trưng")], None),  # "ba" is a number word, and out of range
    ],
)
def test_parse_choice_ambiguity(text: str, options: list[tuple[str, str]], expected: str | None) -> None:
    assert parse_choice(text, options) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("có", True), ("co", True), ("Có.", True), ("ừ", True), ("u", True), ("ok", True), ("OK!", True),
        ("đồng ý", True), ("dong y", True), ("yes", True), ("y", True), ("vâng", True), ("vang", True),
        ("dạ vâng", True), ("có ạ", True), ("đúng", True), ("dung roi", True), ("chuẩn", True),
        ("chinh xac", True), ("cos", True), ("ddungs", True), ("dc", True),
        ("không", False), ("khong", False), ("Không!", False), ("ko", False), ("k", False), ("no", False),
        ("sai", False), ("sai rồi", False), ("chưa", False), ("chua", False), ("không đồng ý", False),
        ("khong dung", False), ("dạ không ạ", False), ("ko phai", False), ("chưa đúng", False),
        ("khoong", False), ("hủy", False), ("k dc", False),
        ("có không", None), ("xin chào", None), ("abc", None), ("", None),
    ],
)
def test_parse_yes_no(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected


# --- places: unambiguous mentions only (issue 13) --------------------------------------------------------

STREETS_INDEX = PlaceIndex(
    [*PLACES, Place("SAODO_NGUYENTRAI", "Khu dân cư Nguyễn Trãi 1", "residential", parent="SAODO",
                    aliases=("Nguyễn Trãi",))],
    streets=[Street("Nguyễn Trãi", ("SAODO",)), Street("Nguyễn Thái Học", ("SAODO",)),
             Street("Trần Hưng Đạo", ("SAODO", "PHALAI"))],
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ổ gà trên đường Nguyễn Thái Học", [("SAODO", True)]),  # a listed street names its ward
        ("số 5 Nguyễn Thái Học ngập", [("SAODO", False)]),  # no "đường": a guess
        ("đường Trần Hưng Đạo sụt lún", [("SAODO", False), ("PHALAI", False)]),  # two wards list it: ask
        ("khu Nguyễn Trãi mất điện", [("SAODO_NGUYENTRAI", True)]),  # after a place prefix: the area
        ("nguyen trai", [("SAODO_NGUYENTRAI", True), ("SAODO", False)]),  # the whole reply: the area of that name
        ("anh Nguyễn Thái Học hàng xóm", []),  # a person
        ("phố Thái Học ngập", [("THAIHOC", False)]),  # a street of that name, not listed: ask
        ("tôi chỉ mình biết", []),  # typed with its own marks: no place
        ("toi chi minh biet", [("CHIMINH", False)]),  # plain letters in a sentence: ask
        ("ở chi minh ngập", [("CHIMINH", True)]),  # after "ở": the place
        ("ông Hòa say rượu", []),  # a neighbour, not Cộng Hòa
    ],
)
def test_places_are_filled_in_only_when_unambiguous(text: str, expected: list[tuple[str, bool]]) -> None:
    assert [(m.place.code, m.sure) for m in STREETS_INDEX.match(text)] == expected
