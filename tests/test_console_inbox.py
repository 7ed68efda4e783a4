"""The questions inbox: what people asked that the bot did not answer well becomes, with
one click, a way to ask a topic (answered from then on) or out of scope; communes
propose, the province approves."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.storage.models import User

from .conftest import Chat
from .support import CAM_DUONG, SA_PA, grant, people
from .test_console import signed_in
from .test_console_trainings import post

UNSURE = "tên miền cho bọn sinh viên mới ra trường xài free được ko"
ID_VN_FREE = "domain.idvn.free"


async def asked_in(app, commune: str, user: str, text: str) -> Chat:
    """A person of COMMUNE asks TEXT in the chat (the question is logged as always)."""
    async with app.services.sessions() as session, session.begin():
        session.add(User(channel="web", channel_user_id=user, chat_id=user, language="vi",
                         commune_code=commune, news_opt_in=False, blocked=False))
    chat = Chat(app, user=user)
    await chat.send(text)
    await app.services.question_log.flush()
    return chat


def outcome(app, text: str) -> tuple[str, str | None]:
    match = app.services.kb.matcher.match(text)
    return match.outcome, match.topic


async def test_the_province_makes_an_unsure_question_a_way_to_ask_a_topic(app, browser):
    assert outcome(app, UNSURE)[0] != "answer"  # today the bot is only unsure
    chat = await asked_in(app, CAM_DUONG, "sv1", UNSURE)
    await chat.press("id.vn có miễn phí")  # "asked X, chose Y"
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    page = await (await browser.get("/staff/questions/inbox")).text()
    assert UNSURE in page and f'value="{ID_VN_FREE}" selected' in page  # one click
    added = await post(browser, "/staff/questions/inbox/decide",
                       {"text": UNSURE, "decision": "variant", "topic": ID_VN_FREE})
    assert added.status == 303
    await app.watcher.refresh()  # the other processes poll; this one has it already
    assert outcome(app, UNSURE) == ("answer", ID_VN_FREE)
    assert UNSURE not in await (await browser.get("/staff/questions/inbox")).text()


async def test_a_communes_proposal_waits_for_the_province(app, browser):
    await asked_in(app, CAM_DUONG, "sv1", UNSURE)
    await grant(app, "officer", "commune", CAM_DUONG)
    await signed_in(app, browser, "officer")
    await post(browser, "/staff/questions/inbox/decide",
               {"text": UNSURE, "decision": "variant", "topic": ID_VN_FREE})
    await app.watcher.refresh()
    assert outcome(app, UNSURE)[0] != "answer"  # proposed, not yet applied
    assert (await post(browser, "/staff/questions/inbox/1/review", {"approve": "1"})
            ).status == 403
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    page = await (await browser.get("/staff/questions/inbox")).text()
    assert "chờ duyệt" in page
    assert (await post(browser, "/staff/questions/inbox/1/review", {"approve": "1"})
            ).status == 303
    await app.watcher.refresh()
    assert outcome(app, UNSURE) == ("answer", ID_VN_FREE)


async def test_out_of_scope_leaves_the_inbox_and_the_bot_stops_guessing(app, browser):
    await asked_in(app, CAM_DUONG, "sv1", UNSURE)
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    await post(browser, "/staff/questions/inbox/decide",
               {"text": UNSURE, "decision": "out_of_scope"})
    await app.watcher.refresh()
    assert outcome(app, UNSURE)[0] == "fallback"
    assert UNSURE not in await (await browser.get("/staff/questions/inbox")).text()


async def test_a_commune_officer_sees_only_their_communes_questions(app, browser):
    await asked_in(app, CAM_DUONG, "sv1", UNSURE)
    await asked_in(app, SA_PA, "sv2", "giá lúa hôm nay bao nhiêu")
    await grant(app, "officer", "commune", CAM_DUONG)
    await signed_in(app, browser, "officer")
    page = await (await browser.get("/staff/questions/inbox")).text()
    assert UNSURE in page and "giá lúa" not in page


async def test_a_question_that_already_asks_another_topic_is_not_moved(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    existing = app.services.kb.topics[ID_VN_FREE].questions["vi"][0]
    moved = await post(browser, "/staff/questions/inbox/decide",
                       {"text": existing, "decision": "variant",
                        "topic": "campaign.binh_dan_hoc_vu_so"})
    assert moved.status == 400 and "chủ đề khác" in await moved.text()


async def test_without_new_decisions_the_knowledge_base_is_not_rebuilt(app):
    await people(app)
    async with app.services.sessions() as session:
        assert await session.scalar(select(User).where(User.channel_user_id == "r1"))
    assert await app.watcher.refresh() is False  # no decisions: nothing rebuilt


async def test_the_same_question_typed_differently_is_one_group(app, browser):
    await asked_in(app, CAM_DUONG, "sv1", UNSURE)
    await asked_in(app, SA_PA, "sv2", "ad ơi " + UNSURE.replace("bọn", "tụi"))
    await asked_in(app, SA_PA, "sv3", "cho hỏi id.vn và biz.vn khác nhau thế nào vậy ad")
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    page = await (await browser.get("/staff/questions/inbox")).text()
    rows = re.findall(r"<tr><td>([^<]*)", page)
    assert sum("mới ra trường" in row for row in rows) == 1
    assert "(và 1 cách viết tương tự)" in page
    assert "id.vn và biz.vn khác nhau" in page  # a different question stays apart


async def test_a_question_the_bot_answers_cannot_be_marked_out_of_scope(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    refused = await post(browser, "/staff/questions/inbox/decide",
                         {"text": "id.vn có miễn phí không", "decision": "out_of_scope"})
    assert refused.status == 400 and "đã là một cách hỏi" in await refused.text()
