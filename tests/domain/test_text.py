"""Text normalisation: folding, Telex/VNI repair, canonical tokens and typo distance."""

from __future__ import annotations

import unicodedata

import pytest

from bot.domain.text import edit_distance, fold, normalise, similarity, split_words, tokens, untelex


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đường NGẬP nước!!", "duong ngap nuoc"),
        ("đường ngập nước", "duong ngap nuoc"),
        (unicodedata.normalize("NFD", "Đường ngập nước"), "duong ngap nuoc"),
        ("  Phường   Sao\tĐỏ \n", "phuong sao do"),
        ("P.Sao Đỏ", "p sao do"),
        ("Cộng Hòa / Cộng Hoà", "cong hoa cong hoa"),
        ("Khu dân cư Tiền Định, số 12-14", "khu dan cu tien dinh so 12 14"),
        ("Ỷ Lan, Ữ, ễ, ợ, ặ, ẫ", "y lan u e o a a"),
        ("ĐĂNG KÝ hộ khẩu", "dang ky ho khau"),
        ("Ðường (eth, legacy keyboards)", "duong eth legacy keyboards"),
        ("snake_case_words", "snake case words"),
        ("???!!! ...", ""),
        ("", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        # Telex left-overs
        ("dduwowngf", "đường"),
        ("nuwowcs", "nước"),
        ("phuwowngf", "phường"),
        ("ngaapj", "ngập"),
        ("ddor", "đỏ"),
        ("khoong", "không"),
        ("cos", "có"),
        ("ddungs", "đúng"),
        ("dduowcj", "được"),
        ("nguwowfi", "người"),
        ("nguoiwf", "người"),
        ("nuocws", "nước"),
        ("thuowr", "thuở"),
        ("quyeenf", "quyền"),
        ("ddienj", "điện"),
        ("vieecj", "việc"),
        ("tuaafn", "tuần"),
        ("ruwowuj", "rượu"),
        ("gif", "gì"),
        ("giaf", "già"),
        ("hoaf", "hòa"),
        ("nhw", "như"),
        ("xax", "xã"),
        ("ys", "ý"),
        ("DDuwowngf", "Đường"),
        ("DDUWOWNGF", "ĐƯỜNG"),
        # VNI left-overs
        ("d9u7o7ng2", "đường"),
        ("ngu7o7i2", "người"),
        ("d9o3", "đỏ"),
        ("nu7o7c1", "nước"),
        # ordinary unaccented words and abbreviations stay as they are
        ("sao", "sao"),
        ("do", "do"),
        ("rac", "rac"),
        ("dien", "dien"),
        ("khong", "khong"),
        ("phuong", "phuong"),
        ("kdc", "kdc"),
        ("tdp", "tdp"),
        ("sd", "sd"),
        ("ok", "ok"),
        ("ko", "ko"),
        ("dd", "dd"),
        ("p3", "p3"),
        ("a2", "a2"),  # a building, not VNI "à"
        ("0912345678", "0912345678"),
        ("wifi", "wifi"),
        ("web", "web"),
        ("wc", "wc"),  # a stop final (-c) needs sắc or nặng: not a syllable
        ("ddat", "ddat"),  # same: "đat" is no syllable
        ("nguoif", "nguoif"),  # "uo" before a final is ambiguous (uô / ươ): leave it
        ("baa", "baa"),  # "â" needs a final consonant
        ("as", "as"),  # English words Telex would misread ("of" -> "ò")
        ("of", "of"),
        ("yes", "yes"),
        ("đường", "đường"),  # already accented
        ("", ""),
    ],
)
def test_untelex(word: str, expected: str) -> None:
    assert untelex(word) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đường NGẬP nước!!", "duong ngap nuoc"),
        ("dduwowngf ngaapj nuwowcs", "duong ngap nuoc"),
        ("d9u7o7ng2 nga6p5 nu7o7c1", "duong ngap nuoc"),
        ("phuwowngf sao ddor, có ống nước vỡ", "phuong sao do co ong nuoc vo"),
        ("sao do", "sao do"),
        ("rac thai o duong", "rac thai o duong"),
        ("P.Sao Đỏ", "p sao do"),
        ("Số 2.", "so 2"),
        ("khoong ddoongf ys", "khong dong y"),
        (unicodedata.normalize("NFD", "Phường Sao Đỏ"), "phuong sao do"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_tokens() -> None:
    assert tokens("  Ngập úng,   THOÁT nước ") == ["ngap", "ung", "thoat", "nuoc"]
    assert tokens("...") == []


def test_split_words_keeps_the_typed_marks() -> None:
    assert split_words("Sao đo, P.SĐ phuwowngf") == [
        ("sao", "sao"), ("đo", "do"), ("p", "p"), ("sđ", "sd"), ("phường", "phuong"),
    ]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("kitten", "sitting", 3),
        ("sao do", "sao do", 0),
        ("cong hoa", "cong hao", 1),  # a swap of neighbours is one edit
        ("abc", "acb", 1),
        ("", "abc", 3),
        ("karaoke", "karaoek", 1),
    ],
)
def test_edit_distance(a: str, b: str, expected: int) -> None:
    assert edit_distance(a, b) == expected


@pytest.mark.parametrize(
    ("a", "b", "limit", "expected"),
    [
        ("kitten", "sitting", 1, 2),
        ("kitten", "sitting", 3, 3),
        ("hoangtan", "hoangtam", 2, 1),
        ("abcdefgh", "a", 2, 3),
    ],
)
def test_edit_distance_with_limit(a: str, b: str, limit: int, expected: int) -> None:
    assert edit_distance(a, b, limit) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Sao Đỏ", "sao do", 1.0),
        ("sao do", "sao dor", 0.857),
        ("Cộng Hòa", "cong hao", 0.875),
        ("abc", "xyz", 0.0),
        ("", "", 1.0),
    ],
)
def test_similarity(a: str, b: str, expected: float) -> None:
    assert similarity(a, b) == pytest.approx(expected, abs=0.001)
