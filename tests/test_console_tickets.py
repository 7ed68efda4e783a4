"""Questions for officers in the console: each team sees its own, answers from the
browser (the person gets it like a /traloi answer) and closes them."""

from __future__ import annotations

from sqlalchemy import select

from bot.staff.scope import actor_for
from bot.storage.models import AuditEntry

from .conftest import Chat
from .support import CAM_DUONG, SA_PA, grant
from .test_console import signed_in
from .test_console_trainings import post
from .test_handoff import QUESTION, officer, resident, told


async def asked(app) -> None:
    await officer(app, "cd1", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")


async def test_an_officer_answers_a_question_from_the_browser(app, browser):
    await asked(app)
    await grant(app, "cd_web", "commune", CAM_DUONG)
    await signed_in(app, browser, "cd_web")
    page = await (await browser.get("/staff/tickets")).text()
    assert QUESTION in page and "#1" in page
    assert QUESTION in await (await browser.get("/staff/tickets/1")).text()
    sent = await post(browser, "/staff/tickets/1/answer", {"text": "Có ạ, thứ Bảy 8:00."})
    assert sent.status == 303
    assert (await told(app))["r1"] == ["Trả lời câu hỏi số 1 của bạn — cán bộ Phường Cam Đường:"
                                       "\nCó ạ, thứ Bảy 8:00."]
    assert "Có ạ, thứ Bảy 8:00." in await (await browser.get("/staff/tickets/1")).text()
    empty = await post(browser, "/staff/tickets/1/answer", {"text": "   "})
    assert empty.status == 400 and "Hãy viết câu trả lời" in await empty.text()
    assert (await post(browser, "/staff/tickets/1/close", {})).status == 303
    assert QUESTION in await (await browser.get("/staff/tickets?status=closed")).text()


async def test_another_communes_officer_sees_nothing_of_it(app, browser):
    await asked(app)
    await grant(app, "sp_web", "commune", SA_PA)
    await signed_in(app, browser, "sp_web")
    assert QUESTION not in await (await browser.get("/staff/tickets")).text()
    assert (await browser.get("/staff/tickets/1")).status == 404
    assert (await post(browser, "/staff/tickets/1/answer", {"text": "x"})).status == 404
    assert (await post(browser, "/staff/tickets/1/close", {})).status == 404
    assert "r1" not in await told(app)


async def test_ticket_actions_need_the_csrf_token(app, browser):
    await asked(app)
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    for url in ("/staff/tickets/1/answer", "/staff/tickets/1/close", "/staff/tickets/1/assign",
                "/staff/tickets/replies"):
        refused = await browser.post(url, data={"text": "x"}, allow_redirects=False)
        assert refused.status == 403, url
    assert "r1" not in await told(app)


async def test_a_team_keeps_ready_answers_and_inserts_one_into_an_answer(app, browser):
    await asked(app)
    await grant(app, "cd_web", "commune", CAM_DUONG)
    await signed_in(app, browser, "cd_web")
    saved = await post(browser, "/staff/tickets/replies",
                       {"title": "Lớp người cao tuổi", "text": "Lớp học 8:00 thứ Bảy tại tổ 5."})
    assert saved.status == 303
    page = await (await browser.get("/staff/tickets/1")).text()
    assert "Lớp người cao tuổi" in page
    filled = await (await browser.get("/staff/tickets/1?canned=1")).text()
    assert ">Lớp học 8:00 thứ Bảy tại tổ 5.</textarea>" in filled
    refused = await post(browser, "/staff/tickets/replies", {"title": "", "text": "x"})
    assert refused.status == 400 and "Hãy nhập cả tiêu đề và nội dung" in await refused.text()
    await grant(app, "sp_web", "commune", SA_PA)  # another commune neither sees nor removes it
    await signed_in(app, browser, "sp_web")
    assert "Lớp người cao tuổi" not in await (await browser.get("/staff/tickets/replies")).text()
    assert (await post(browser, "/staff/tickets/replies/1/remove", {})).status == 404


async def test_a_question_is_given_to_a_colleague_or_handed_up_to_the_province(app, browser):
    await asked(app)
    await officer(app, "cd2", CAM_DUONG)
    await officer(app, "boss", None, role="province")
    await grant(app, "cd_web", "commune", CAM_DUONG)
    await signed_in(app, browser, "cd_web")
    given = await post(browser, "/staff/tickets/1/assign", {"to": "telegram:cd2"})
    assert given.status == 303
    assert "đã được giao cho bạn" in (await told(app))["cd2"][-1]
    forged = await post(browser, "/staff/tickets/1/assign", {"to": "telegram:sp1"})
    assert forged.status == 400  # not an officer of this question's team
    up = await post(browser, "/staff/tickets/1/assign", {"to": "province"})
    assert up.status == 303 and up.headers["Location"] == "/staff/tickets"
    assert "đã được giao cho bạn" in (await told(app))["boss"][-1]
    assert (await browser.get("/staff/tickets/1")).status == 404  # the commune let it go
    async with app.services.sessions() as session:
        moves = (await session.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == "ticket_reassign"))).all()
    assert [m["to"] for m in moves] == ["telegram:cd2", "province"]


async def test_the_province_saves_an_officers_answer_as_a_new_topic(app, browser):
    await asked(app)
    cd1 = Chat(app, user="cd1", channel="telegram")
    await cd1.send("/traloi 1 Có, lớp tin học cho người cao tuổi mở mỗi thứ Bảy.")
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    page = await (await browser.get("/staff/tickets/1")).text()
    assert "/staff/knowledge/new?ticket=1" in page
    form = await (await browser.get("/staff/knowledge/new?ticket=1")).text()
    assert QUESTION in form and "mở mỗi thứ Bảy" in form


async def test_closing_an_unanswered_question_tells_the_person_and_names_who_closed_it(
        app, browser):
    await asked(app)
    cd1 = Chat(app, user="cd1", channel="telegram")
    await grant(app, "cd_web", "commune", CAM_DUONG)
    await signed_in(app, browser, "cd_web")
    citizen = Chat(app, user="r2")
    await resident(app, "r2", CAM_DUONG)
    await citizen.send("/hoicanbo Câu khác")
    await cd1.send("/traloi 2 Tôi nhận câu này.")
    taken = await post(browser, "/staff/tickets/2/answer", {"text": "Tôi cũng trả lời."})
    assert taken.status == 400
    assert "Câu hỏi số 2 đã có cán bộ khác nhận trả lời" in await taken.text()
    assert "Tôi cũng trả lời." in await taken.text()  # what was typed is kept
    assert (await post(browser, "/staff/tickets/1/close", {})).status == 303
    assert "Cán bộ đã đóng câu hỏi số 1" in (await told(app))["r1"][-1]
    async with app.services.sessions() as session:
        closer = await session.scalar(select(AuditEntry.actor).where(
            AuditEntry.action == "ticket_close"))
    assert closer == actor_for("web", "cd_web")
