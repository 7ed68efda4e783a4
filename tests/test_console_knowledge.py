"""Knowledge editing in the console: province staff change an answer, a way to ask or a
word of the lexicon, try a question with the draft, and the bot answers the new way
without a restart; a bad edit is refused with its reason; every edit can be undone."""

from __future__ import annotations

import html
import re

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.console import knowledge_form
from bot.staff.scope import actor_for
from bot.storage.models import AuditEntry, KnowledgeRevision

from .conftest import Chat
from .support import CAM_DUONG, grant
from .test_console import signed_in
from .test_console_inbox import asked_in
from .test_console_trainings import post

ID_VN = "domain.idvn.free"
URL = f"/staff/knowledge/topic/{ID_VN}"
NEW_FACT = "Sau thời gian miễn phí, xin hỏi nhà đăng ký về lệ phí hiện hành."
UNSURE = "tên miền cho bọn sinh viên mới ra trường xài free được ko"


@pytest.fixture
async def province(app, browser) -> TestClient:
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    return browser


def form_of(app, topic: str = ID_VN, **changes: str) -> dict[str, str]:
    """The topic's edit form as the page fills it, with CHANGES typed in, the notes
    ticked (the id.vn topic's 2025 dated answer is past: a note on every save)."""
    values = knowledge_form.values_of(app.services.kb.topics[topic].raw)
    return {**{k: str(v) for k, v in values.items()}, "action": "save", "confirm": "1",
            **changes}


def parent_on(page: str) -> str:
    return re.search(r'name="parent" value="(\d+)"', page).group(1)


async def answer_to(app, question: str, user: str = "u1") -> str:
    chat = Chat(app, user=user)
    await chat.send(question)
    return chat.text()


async def test_an_edited_answer_is_answered_at_once_and_can_be_undone(app, province):
    old = app.services.kb.topics[ID_VN].answer["vi"]
    page = await (await province.get(URL)).text()
    assert "id.vn có miễn phí không" in page and parent_on(page) == "0"
    saved = await post(province, URL, form_of(app, answer_vi=old + "\n" + NEW_FACT))
    assert saved.status == 303
    assert NEW_FACT in await answer_to(app, "id.vn có miễn phí không")
    page = await (await province.get(URL)).text()
    assert "Đã lưu" not in page and actor_for("web", "boss") in page and "+" in page  # history
    undo = re.search(r'action="([^"]+/restore/\d+)"', page).group(1)
    assert (await post(province, undo, {})).status == 303
    reply = await answer_to(app, "id.vn có miễn phí không", user="u2")
    assert NEW_FACT not in reply and "31/12/2025" in reply
    async with app.services.sessions() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
        rows = list(await session.scalars(select(KnowledgeRevision)))
    assert actions.count("knowledge_edit") == 1 and actions.count("knowledge_restore") == 1
    assert [r.parent for r in rows] == [0, rows[0].id]


async def test_an_answer_that_drops_a_required_fact_is_refused_with_the_reason(app, province):
    answer = app.services.kb.topics[ID_VN].answer["vi"].replace("31/12/2025", "cuối năm")
    refused = await post(province, URL, form_of(app, answer_vi=answer))
    assert refused.status == 400
    page = await refused.text()
    assert "phải nêu: 31/12/2025" in page and "cuối năm" in page  # the draft is kept
    assert "cuối năm" not in await answer_to(app, "id.vn có miễn phí không")


async def test_empty_answers_and_another_topics_question_are_refused(app, province):
    empty = await post(province, URL, form_of(app, answer_en="   "))
    assert empty.status == 400 and "(en) đang để trống" in await empty.text()
    taken = app.services.kb.topics["domain.idvn.register"].questions["vi"][0]
    questions = form_of(app)["questions_vi"] + "\n" + taken
    elsewhere = await post(province, URL, form_of(app, questions_vi=questions))
    assert elsewhere.status == 400
    assert "đã thuộc chủ đề domain.idvn.register" in await elsewhere.text()


async def test_a_very_long_answer_is_warned_then_saved_and_longer_refused(app, province):
    long = ("Câu trả lời rất dài về id.vn, 18, 23, 2 năm, 31/12/2025. " * 400)[:20_000]
    warned = await post(province, URL, form_of(app, answer_vi=long, confirm=""))
    page = await warned.text()
    assert warned.status == 400 and "thành 11 tin" in page and "31/12/2025 đã qua hạn" in page
    assert (await post(province, URL, form_of(app, answer_vi=long, confirm="1"))).status == 303
    too_long = await post(province, "/staff/knowledge/topic/domain.idvn.what",
                          form_of(app, "domain.idvn.what", answer_en="x" * 20_001, confirm="1"))
    assert too_long.status == 400 and "quá mức 20000" in await too_long.text()


async def test_html_and_template_syntax_in_an_answer_are_shown_as_text(app, province):
    answer = app.services.kb.topics[ID_VN].answer["vi"] + "\n<script>alert(1)</script> {{ 7*7 }}"
    assert (await post(province, URL, form_of(app, answer_vi=answer))).status == 303
    page = await (await province.get(URL)).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in page and "<script>alert" not in page
    assert "<script>alert(1)</script> {{ 7*7 }}" in await answer_to(app, "id.vn có miễn phí không")


async def test_two_officers_saving_one_topic_the_second_is_told_and_keeps_the_text(
        app, province):
    first = form_of(app, answer_en=app.services.kb.topics[ID_VN].answer["en"] + " First.")
    second = form_of(app, answer_en=app.services.kb.topics[ID_VN].answer["en"] + " Second.")
    assert (await post(province, URL, {**first, "parent": "0"})).status == 303
    late = await post(province, URL, {**second, "parent": "0"})
    assert late.status == 409
    page = await late.text()
    assert "Một cán bộ khác vừa lưu" in page and "Second." in page
    assert "First." in app.services.kb.topics[ID_VN].answer["en"]


async def test_try_a_question_shows_the_draft_before_it_is_saved(app, province):
    questions = form_of(app)["questions_vi"] + "\n" + UNSURE
    tried = await post(province, URL, form_of(app, questions_vi=questions, action="try",
                                              question=UNSURE))
    page = await tried.text()
    assert tried.status == 200 and "Kết quả: Trả lời được" in page and ID_VN in page
    assert app.services.kb.matcher.match(UNSURE).outcome != "answer"  # not saved yet
    assert (await post(province, URL, form_of(app, questions_vi=questions))).status == 303
    assert app.services.kb.matcher.match(UNSURE).topic == ID_VN


async def test_a_new_topic_from_the_inbox_is_answered(app, province):
    question = "xã mình có lớp tin học cho người cao tuổi không"
    await asked_in(app, CAM_DUONG, "ong_ba", question)
    inbox = await (await province.get("/staff/questions/inbox")).text()
    link = re.search(r'href="(/staff/knowledge/new\?question=[^"]+)"', inbox).group(1)
    page = await (await province.get(html.unescape(link))).text()
    assert question in page
    form = {"id": "local.elderly_class", "category": "training", "questions_vi": question,
            "questions_en": "is there a computer class for older people",
            "answer_vi": "Xin hỏi cán bộ xã về lớp cho người cao tuổi.",
            "answer_en": "Please ask your commune officers about classes for older people.",
            "action": "save"}
    assert (await post(province, "/staff/knowledge/new", form)).status == 303
    assert "người cao tuổi" in await answer_to(app, question)
    again = await post(province, "/staff/knowledge/new", form)
    assert again.status == 400 and "Đã có chủ đề mã local.elderly_class" in await again.text()


async def test_the_lexicon_learns_a_new_shorthand(app, province):
    lexicon = "/staff/knowledge/lexicon?section=abbreviations"
    page = await (await province.get(lexicon)).text()
    lines = re.search(r'<textarea name="lines"[^>]*>([^<]*)</textarea>', page).group(1)
    assert "dk = dang ky" in lines
    bad = await post(province, lexicon, {"lines": lines + "\nno meaning here",
                                         "parent": parent_on(page)})
    assert bad.status == 400 and "không có dạng" in await bad.text()
    assert app.services.kb.matcher.match("tmcn la gi").outcome == "fallback"
    saved = await post(province, lexicon, {"lines": lines + "\ntmcn = ten mien ca nhan",
                                           "parent": parent_on(page)})
    assert saved.status == 303
    assert app.services.kb.matcher.match("tmcn la gi").topic == "domain.idvn.what"
    answer = app.services.kb.topics[ID_VN].answer["en"] + " Edited."
    assert (await post(province, URL, form_of(app, answer_en=answer))).status == 303
    assert app.services.kb.matcher.match("tmcn la gi").topic == "domain.idvn.what"  # kept


async def test_commune_staff_cannot_open_or_post_the_knowledge_editor(app, browser):
    await grant(app, "officer", "commune", CAM_DUONG)
    await signed_in(app, browser, "officer")
    assert (await browser.get("/staff/knowledge")).status == 403
    assert (await browser.get(URL)).status == 403
    assert (await post(browser, URL, form_of(app))).status == 403
    assert (await post(browser, "/staff/knowledge/lexicon?section=spelling",
                       {"lines": "a = b"})).status == 403
    assert "/staff/knowledge" not in await (await browser.get("/staff/")).text()


async def test_every_knowledge_action_needs_its_csrf_token(app, province):
    for url in (URL, "/staff/knowledge/new", "/staff/knowledge/lexicon?section=spelling",
                f"{URL}/restore/1"):
        refused = await province.post(url, data=form_of(app), allow_redirects=False)
        assert refused.status == 403, url
    async with app.services.sessions() as session:
        assert not list(await session.scalars(select(KnowledgeRevision)))


async def test_a_dated_answer_must_state_the_required_facts_too(app, province):
    forever = form_of(app, dated_1_until="2027-06-30", dated_1_vi="id.vn miễn phí mãi mãi.",
                      dated_1_en="id.vn is free forever.")
    refused = await post(province, URL, forever)
    page = await refused.text()
    assert refused.status == 400 and "(dated_answers[1].vi) phải nêu: 18" in page
    assert "mãi mãi" not in await answer_to(app, "id.vn có miễn phí không")


async def test_long_vietnamese_answers_fit_in_one_form(app, province):
    long = ("Đăng ký tên miền id.vn: 18, 23, 2 năm, 31/12/2025; hỏi nhà đăng ký. " * 300)
    form = form_of(app, answer_vi=long[:19_500], answer_en=("id.vn " * 4000)[:19_500])
    assert (await post(province, URL, form)).status == 303  # ~350 KB once percent-encoded


async def test_a_button_to_a_malformed_address_is_refused(app, province):
    for target in ("https://a b", 'https://evil.example/"><script>', "https://user@evil.vn",
                   "javascript:alert(1)"):
        refused = await post(province, URL, form_of(app, option_2_vi="Xem", option_2_en="See",
                                                    option_2_target=target))
        assert refused.status == 400, target


async def test_lexicon_mistakes_are_caught_and_a_change_can_be_undone(app, province):
    lexicon = "/staff/knowledge/lexicon?section=abbreviations"
    page = await (await province.get(lexicon)).text()
    lines = html.unescape(re.search(r'<textarea name="lines"[^>]*>([^<]*)</textarea>',
                                    page).group(1))
    parent = parent_on(page)
    twice = await post(province, lexicon, {"lines": lines + "\nko = co", "parent": parent})
    assert twice.status == 400 and '"ko" đã có ở một dòng trên' in html.unescape(await twice.text())
    synonyms = "/staff/knowledge/lexicon?section=synonyms"
    renamed = await post(province, synonyms, {"lines": "meo = id.vn, ten mien",
                                              "parent": parent})
    assert renamed.status == 400 and '"id.vn" là tên' in html.unescape(await renamed.text())
    emptied = await post(province, lexicon, {"lines": "", "parent": parent})
    assert emptied.status == 400 and "xóa 163 mục" in await emptied.text()
    assert (await post(province, lexicon, {"lines": "", "parent": parent, "confirm": "1"})
            ).status == 303
    assert app.services.kb.lexicon_raw["abbreviations"] == {}
    page = await (await province.get(lexicon)).text()
    undo = re.search(r'action="([^"]+/lexicon/restore/\d+)"', page).group(1)
    assert (await post(province, undo, {})).status == 303
    assert len(app.services.kb.lexicon_raw["abbreviations"]) == 163


async def test_a_topic_named_like_the_lexicon_is_just_a_topic(app, province):
    form = {"id": "lexicon", "category": "bot", "questions_vi": "từ điển của bot là gì",
            "questions_en": "what is the lexicon", "answer_vi": "Danh sách cách viết tắt.",
            "answer_en": "A list of shorthand.", "action": "save"}
    assert (await post(province, "/staff/knowledge/new", form)).status == 303
    assert "lexicon" in app.services.kb.topics and not app.services.kb.set_aside
    assert (await province.get("/staff/knowledge/lexicon")).status == 200
