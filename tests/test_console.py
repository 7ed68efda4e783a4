"""The staff console: sign-in from the chat app, scope by commune, CSRF, honest CSVs."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import delete, select

from bot.channels.web import create_web_app
from bot.faq.question_log import LoggedQuestion
from bot.staff.scope import actor_for
from bot.storage.models import AuditEntry, StaffRole, User

from .conftest import Chat
from .support import CAM_DUONG, NOW, SA_PA, grant, people

LINK = re.compile(r"https?://\S+/staff/login/(\S+)")


async def link_for(app, user: str) -> str:
    """What the staff member's chat app shows after /dangnhap: the token of the link."""
    replies = await Chat(app, user=user).send("/dangnhap")
    found = LINK.search(replies[0].text)
    assert found and replies[0].secret_link, replies[0].text
    return found.group(1)


async def signed_in(app, browser: TestClient, user: str) -> None:
    token = await link_for(app, user)
    response = await browser.post(f"/staff/login/{token}", allow_redirects=False)
    assert response.status == 303


async def csrf_of(browser: TestClient) -> str:
    page = await (await browser.get("/staff/")).text()
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


async def questions(app) -> None:
    """People of two communes asked (logged as the bot logs them); one Sa Pa question
    looks like a spreadsheet formula."""
    await people(app)
    async with app.services.sessions() as session:
        users = {u.channel_user_id: u for u in await session.scalars(select(User))}
    for uid, text, outcome, topic in (
            ("r1", "id.vn là gì", "answer", "id-vn"),
            ("r2", "biz.vn là gì", "answer", "biz-vn"),
            ("r3", "=HYPERLINK(\"http://x\")", "fallback", None),
            ("r4", "giá vàng", "fallback", None)):
        app.services.question_log.add(LoggedQuestion(
            users[uid].id, text, text, outcome, topic, 0.5, NOW,
            commune_code=users[uid].commune_code))
    await app.services.question_log.flush()


async def cam_duong_officer_signed_in(app, browser: TestClient) -> None:
    await questions(app)
    await grant(app, "officer", "commune", CAM_DUONG)
    await signed_in(app, browser, "officer")


async def csv_rows(browser: TestClient, url: str) -> list[list[str]]:
    raw = await (await browser.get(url)).read()
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


async def test_an_officer_signs_in_from_the_chat_link_and_sees_the_dashboard(app, browser):
    await grant(app, "boss", "province")
    token = await link_for(app, "boss")
    confirm = await browser.get(f"/staff/login/{token}")
    text = await confirm.text()
    assert confirm.status == 200 and "cán bộ của tỉnh" in text
    assert "boss" not in text  # link scanners fetch this page: no chat id on it
    assert not browser.session.cookie_jar.filter_cookies(browser.make_url("/staff/"))
    # The GET (a chat app fetching the link) signed nobody in: the page asks to sign in.
    assert "gửi /dangnhap" in await (await browser.get("/staff/")).text()
    response = await browser.post(f"/staff/login/{token}", allow_redirects=False)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = await browser.get("/staff/")
    assert page.status == 200 and "Tổng quan" in await page.text()
    again = await browser.post(f"/staff/login/{token}", allow_redirects=False)
    assert again.status == 410  # single use


async def test_someone_without_a_role_gets_a_polite_no_and_no_link(app):
    replies = await Chat(app, user="stranger").send("/login")
    assert "/staff/login/" not in replies[0].text and "cán bộ" in replies[0].text


async def test_a_link_expires_after_ten_minutes_and_a_new_one_cancels_the_old(app, browser):
    await grant(app, "boss", "province")
    old = await link_for(app, "boss")
    new = await link_for(app, "boss")
    assert (await browser.post(f"/staff/login/{old}")).status == 410
    app.services.clock.moment += timedelta(minutes=11)
    assert (await browser.post(f"/staff/login/{new}")).status == 410


async def test_asking_for_links_over_and_over_is_refused_for_a_while(app):
    await grant(app, "boss", "province")
    for _ in range(5):
        await link_for(app, "boss")
    replies = await Chat(app, user="boss").send("/dangnhap")
    assert "/staff/login/" not in replies[0].text


async def test_a_commune_officer_sees_only_their_commune_and_cannot_ask_for_another(
        app, browser):
    await cam_duong_officer_signed_in(app, browser)
    page = await (await browser.get("/staff/")).text()
    assert "giá vàng" not in page and "HYPERLINK" not in page  # Sa Pa's questions
    assert (await browser.get(f"/staff/?commune={SA_PA}")).status == 403
    rows = await csv_rows(browser, "/staff/?format=csv")
    figures = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert figures[("people", "active")] == "2" and figures[("questions", "total")] == "2"
    assert figures[("questions", "answer_rate")] == "1.000"


async def test_the_province_csv_has_the_screens_numbers_and_no_live_formulas(app, browser):
    await questions(app)
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    raw = (await (await browser.get("/staff/?format=csv")).read()).decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw[1:])))
    figures = {(r[0], r[1]): r[2] for r in rows[1:]}
    # The four residents and the officer, who has written to the bot too.
    assert figures[("questions", "total")] == "4" and figures[("people", "active")] == "5"
    assert ("unanswered_question", "'=HYPERLINK(\"http://x\")") in figures
    page = await (await browser.get("/staff/")).text()
    assert "50%" in page and "&lt;" not in page.split("<main>")[0]
    assert '<rect class="answered"' in page  # the day's columns, beside the table
    async with app.services.sessions() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "sign_in" in actions and "export" in actions


async def test_a_form_without_its_csrf_token_changes_nothing(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    refused = await browser.post("/staff/logout", data={}, allow_redirects=False)
    assert refused.status == 403 and "tải lại trang" in await refused.text()
    assert (await browser.get("/staff/", allow_redirects=False)).status == 200  # still in
    foreign = await browser.post("/staff/logout", data={"csrf": await csrf_of(browser)},
                                 headers={"Origin": "https://evil.example"},
                                 allow_redirects=False)
    assert foreign.status == 403
    sandboxed = await browser.post("/staff/logout", data={"csrf": await csrf_of(browser)},
                                   headers={"Origin": "null"}, allow_redirects=False)
    assert sandboxed.status == 403  # "null" only passes on the sign-in page (no-referrer)
    done = await browser.post("/staff/logout", data={"csrf": await csrf_of(browser)},
                              allow_redirects=False)
    assert done.status == 303
    assert (await browser.get("/staff/", allow_redirects=False)).status == 303


async def test_a_revoked_role_ends_the_session_at_the_next_page(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    async with app.services.sessions() as session, session.begin():
        await session.execute(delete(StaffRole).where(StaffRole.channel_user_id == "boss"))
    response = await browser.get("/staff/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].endswith("/signed-out")


async def test_pages_carry_security_headers_and_a_forged_cookie_gets_nowhere(app, browser):
    browser.session.cookie_jar.update_cookies({"laocai_staff": "forged"})
    response = await browser.get("/staff/", allow_redirects=False)
    assert response.status == 303
    page = await browser.get("/staff/signed-out")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"  # a sign-in page
    assert "text/html" in page.headers["Content-Type"]


async def test_the_question_log_shows_a_commune_officer_only_their_peoples_questions(
        app, browser):
    await cam_duong_officer_signed_in(app, browser)
    page = await (await browser.get("/staff/questions")).text()
    assert "id.vn là gì" in page and "biz.vn là gì" in page and "giá vàng" not in page
    unanswered = await (await browser.get("/staff/questions?outcome=fallback")).text()
    assert "id.vn là gì" not in unanswered
    await browser.get("/staff/questions?format=csv")
    async with app.services.sessions() as session:
        exports = [e.detail for e in await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "export"))]
    assert exports[-1]["page"] == "questions"  # who downloaded what people asked
    forged = await browser.get(f"/staff/questions?commune={SA_PA}")
    assert forged.status == 403 and "giá vàng" not in await forged.text()


async def test_people_are_counted_never_listed(app, browser):
    await cam_duong_officer_signed_in(app, browser)
    response = await browser.get("/staff/people?format=xlsx")
    assert response.status == 200 and (await response.read())[:2] == b"PK"
    rows = await csv_rows(browser, "/staff/people?format=csv")
    assert ["people", "total", "2"] in rows and ["people", "news_opt_in", "1"] in rows
    assert "r1" not in await (await browser.get("/staff/people")).text()


async def test_only_the_province_reads_the_audit_log_which_names_who_did_what(app, browser):
    await grant(app, "officer", "commune", CAM_DUONG)
    await signed_in(app, browser, "officer")
    assert (await browser.get("/staff/audit")).status == 403
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    page = await (await browser.get("/staff/audit")).text()
    assert actor_for("web", "officer") in page and "sign_in" in page  # a digest, not the id


@pytest.mark.parametrize("query, explained", [
    ("from=31/02/2026", "Ngày không hợp lệ"),
    ("from=2026-11-20&to=2026-11-01", "trước ngày bắt đầu"),
    ("from=2020-01-01&to=2026-11-01", "dài quá một năm"),
    ("page=-1", "Số trang"),
    ("page=%C2%B2", "Số trang"),
    ("to=9999-12-31", "Ngày không hợp lệ"),
    ("outcome=<script>", "Kết quả lọc"),
])
async def test_a_bad_filter_is_explained_not_used(app, browser, query, explained):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    response = await browser.get(f"/staff/questions?{query}")
    page = await response.text()
    assert response.status == 400 and explained in page and "<script>" not in page


async def test_a_date_range_in_the_vietnamese_style_filters_the_dashboard(app, browser):
    await questions(app)  # asked on 23/11/2026
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    before = await (await browser.get("/staff/?from=01/11/2026&to=22/11/2026&format=csv")).read()
    during = await (await browser.get("/staff/?from=23/11/2026&to=23/11/2026&format=csv")).read()
    assert b"questions,total,0" in before and b"questions,total,4" in during


async def test_staff_without_the_trailing_slash_still_finds_the_console(app, browser):
    response = await browser.get("/staff", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/staff/"


async def test_a_staff_member_who_chats_in_english_gets_the_console_in_english(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    async with app.services.sessions() as session, session.begin():
        (await session.scalar(select(User).where(User.channel_user_id == "boss"))).language = "en"
    page = await (await browser.get("/staff/")).text()
    assert "Dashboard" in page and "Tổng quan" not in page


async def test_another_staff_members_form_token_changes_nothing(app, browser):
    await grant(app, "boss", "province")
    await grant(app, "officer", "commune", CAM_DUONG)
    await signed_in(app, browser, "boss")
    async with TestClient(TestServer(create_web_app(app))) as other:
        await signed_in(app, other, "officer")
        officers_token = await csrf_of(other)
    forged = await browser.post("/staff/logout", data={"csrf": officers_token},
                                allow_redirects=False)
    assert forged.status == 403
    assert (await browser.get("/staff/", allow_redirects=False)).status == 200


async def test_the_dashboard_shows_answer_rate_and_thumbs_per_week(app, browser):
    await questions(app)  # 2 of 4 answered, on Monday 23/11/2026
    chat = Chat(app, user="rater")
    await chat.send("id.vn là gì")
    await chat.press("👍")
    await app.services.question_log.flush()
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    rows = {(r[0], r[1]): r[2] for r in await csv_rows(browser, "/staff/?format=csv")}
    assert rows[("week_answer_rate", "2026-11-23")] == "0.600"  # 3 of 5 answered
    assert rows[("week_thumbs_up_share", "2026-11-23")] == "1.000"
