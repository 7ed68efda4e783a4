"""How people really ask: long messages, several questions, shorthand, English, noise."""

from __future__ import annotations

import pytest

from bot.config import PACKAGE_KNOWLEDGE
from knowledge import kb as knowledge_base
from knowledge.focus import Kind, clauses, focus
from knowledge.matcher import ANSWER
from knowledge.normalise import normalise


@pytest.fixture(scope="module")
def kb() -> knowledge_base.KnowledgeBase:
    return knowledge_base.load_shared(PACKAGE_KNOWLEDGE)


def answer(kb: knowledge_base.KnowledgeBase, text: str) -> str | None:
    match = kb.matcher.match(text)
    return match.topic if match.outcome == ANSWER else None


def test_a_parent_writes_a_greeting_and_a_story_before_the_question(kb) -> None:
    text = ("Chào ad, tôi là phụ huynh ở xã Bảo Yên. Con gái tôi năm nay 20 tuổi, đang học "
            "đại học ở Hà Nội, cháu muốn có trang web riêng để giới thiệu bản thân khi đi "
            "xin việc. Cho tôi hỏi cháu đăng ký tên miền id.vn có mất phí không? Cảm ơn ad.")
    assert answer(kb, text) == "domain.idvn.free"


def test_the_question_at_the_end_of_a_5000_character_message_is_found(kb) -> None:
    story = "Hôm nay trời mưa, tôi đi chợ về muộn và ngồi kể chuyện với bà con trong bản. " * 70
    text = story[:4900] + " Cho hỏi nghị quyết 57 là gì?"
    assert len(text) > 4900
    assert answer(kb, text) == "nq57.what"


def test_a_greeting_alone_gets_the_greeting_and_thanks_alone_the_thanks(kb) -> None:
    assert answer(kb, "xin chào ad") == "smalltalk.greeting"
    assert answer(kb, "cảm ơn bạn nhiều nhé") == "smalltalk.thanks"


def test_a_greeting_and_thanks_around_a_question_do_not_take_its_place(kb) -> None:
    assert answer(kb, "Xin chào! Ngày chuyển đổi số quốc gia là ngày nào? Cảm ơn!") == \
        "campaign.digital_day"


def test_two_questions_in_one_message_answer_one_and_offer_the_other(kb) -> None:
    match = kb.matcher.match("id.vn là gì? và đăng ký biz.vn cần giấy tờ gì?")
    assert match.outcome == ANSWER
    assert {match.topic, *match.also} == {"domain.idvn.what", "domain.bizvn.register"}


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("ĐĂNG KÝ ID.VN CÓ MẤT PHÍ KHÔNG", "domain.idvn.free"),  # all caps
        ("id.vn có miễn phí khônggggg", "domain.idvn.free"),  # repeated letters
        ("đăng ký 🙏 tên miền 🌐 id.vn 💸 có mất phí không", "domain.idvn.free"),  # emoji
        ("em mười chín tuổi đăng ký id.vn có mất tiền không", "domain.idvn.free"),  # words
        ("cho em hỏi how to register id.vn ạ", "domain.idvn.register"),  # mixed languages
        ("what is resolution 57", "nq57.what"),
    ],
)
def test_noisy_ways_of_writing_reach_the_topic(kb, text: str, topic: str) -> None:
    assert answer(kb, text) == topic


def test_numbers_written_as_words_become_digits() -> None:
    assert "19 tuoi" in normalise("mười chín tuổi")
    assert "21 tuoi" in normalise("hai mươi mốt tuổi")
    assert normalise("năm nay") == normalise("nam nay")  # 'năm' (year) is not five


@pytest.mark.parametrize(
    "question",
    ["đăng ký kết hôn cần giấy tờ gì", "phí đăng ký xe máy bao nhiêu",
     "học lái xe B2 ở đâu rẻ", "ngày 10/10 cưới có đẹp không",
     "tên miền .com mua ở đâu rẻ nhất", "kể chuyện cười đi"],
)
def test_near_misses_are_refused(kb, question: str) -> None:
    assert kb.matcher.match(question).outcome != ANSWER


def test_the_clauses_of_a_message_are_told_apart() -> None:
    found = clauses("Chào ad. Em là sinh viên năm 2. Em muốn hỏi id.vn có mất phí không?")
    assert [c.kind for c in found] == [Kind.FILLER, Kind.CONTEXT, Kind.QUESTION]
    parts = focus("Chào ad. Em là sinh viên năm 2. Em muốn hỏi id.vn có mất phí không?")
    assert parts.questions == ("Em muốn hỏi id.vn có mất phí không?",)
    assert "sinh viên" in parts.context and "Chào" not in parts.context


def test_a_domain_name_and_a_document_code_are_not_split_as_sentences() -> None:
    found = clauses("Nghị quyết 57-NQ/TW nói gì về id.vn. Tôi chưa rõ")
    assert found[0].text.startswith("Nghị quyết 57-NQ/TW nói gì về id.vn")
