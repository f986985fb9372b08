"""Reading a message the way the matcher does: teencode expanded, formulas masked, typed marks kept."""

from __future__ import annotations

from bot.domain.lexicon import DEFAULT_FILE, default_lexicon


def read(text: str) -> list[tuple[str, str | None, bool]]:
    return [(w.folded, w.marked, w.masked) for w in default_lexicon().read(text)]


def test_teencode_and_abbreviations_are_expanded() -> None:
    assert read("ko dc") == [("khong", "không", False), ("duoc", "được", False)]
    assert [w for w, _, _ in read("đg ngập, làm CCCD")] == ["duong", "ngap", "lam", "can", "cuoc", "cong", "dan"]
    assert [w for w, _, _ in read("bhyt het han")] == ["bao", "hiem", "y", "te", "het", "han"]


def test_typed_marks_are_kept_and_plain_letters_have_none() -> None:
    assert read("Có cỏ") == [("co", "có", False), ("co", "cỏ", False)]
    assert read("co") == [("co", None, False)]
    # Telex keys are repaired for places ("spelled") but compared without marks for the topic
    (word,) = default_lexicon().read("ddeenf")
    assert (word.folded, word.marked, word.written) == ("den", None, "đền")


def test_formulas_and_headers_are_masked() -> None:
    words = read("Kính gửi UBND phường, đề nghị xử lý karaoke")
    assert [w for w, _, masked in words if not masked] == ["phuong", "karaoke"]
    assert all(masked for *_, masked in read("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc"))


def test_an_organisation_adds_its_own() -> None:
    lexicon = default_lexicon().extended({"tpcl": "thành phố Chí Linh"}, not_places=["Chí Linh"])
    assert [(w.folded, w.masked) for w in lexicon.read("tpcl")] == [
        ("thanh", False), ("pho", False), ("chi", True), ("linh", True)]


def test_the_word_lists_say_where_they_come_from() -> None:
    head = DEFAULT_FILE.read_text(encoding="utf-8").split("abbreviations:")[0]
    assert "Source:" in head and "Licence:" in head
    lexicon = default_lexicon()
    assert len(lexicon.common_words) >= 300
    assert {"muon", "xuong", "nghieng"} <= lexicon.common_words
