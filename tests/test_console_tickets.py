"""Questions for officers in the console: each team sees its own, answers from the
browser (the person gets it like a /traloi answer) and closes them."""

from __future__ import annotations

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
    for url in ("/staff/tickets/1/answer", "/staff/tickets/1/close"):
        refused = await browser.post(url, data={"text": "x"}, allow_redirects=False)
        assert refused.status == 403, url
    assert "r1" not in await told(app)
