"""Normalisation: Vietnamese typed any way meets the knowledge base in one form."""

from knowledge.normalise import clean_text, fold, has_vietnamese_marks, normalise


def test_d_with_stroke_folds_to_d_instead_of_vanishing() -> None:
    assert fold("Đăng ký đường") == "dang ky duong"


def test_chat_abbreviations_expand_with_dk_meaning_dang_ky() -> None:
    assert normalise("e dk tmien id.vn dc ko") == "em dang ky ten mien id.vn duoc khong"


def test_domain_and_date_tokens_stay_recognisable() -> None:
    assert "id.vn" in normalise("Tên miền ID.VN?").split()
    assert "biz.vn" in normalise("biz vn la gi").split()
    assert "1/10" in normalise("ngày 01/10").split()
    assert "15/10" in normalise("su kien 15 thang 10").split()


def test_resolution_codes_read_as_words() -> None:
    assert normalise("nq57") == "nghi quyet 57"
    assert normalise("57-NQ/TW") == normalise("nghị quyết 57") == "nghi quyet 57"


def test_age_shorthand() -> None:
    assert normalise("e 19t") == "em 19 tuoi"


def test_invisible_characters_are_removed() -> None:
    assert clean_text("xin\u200b chào\ufeff  bạn") == "xin chào bạn"


def test_marks_detection() -> None:
    assert has_vietnamese_marks("tên miền")
    assert not has_vietnamese_marks("ten mien")
