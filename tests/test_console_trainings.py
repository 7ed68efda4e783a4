"""Training sessions in the staff console: create, registrants by commune, attendance,
close, exports, and the bad input a tired officer or an attacker types."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.storage.models import AuditEntry, OutboxMessage, Registration, TrainingSession, User

from .support import CAM_DUONG, NOW, SA_PA, add_session, grant, people
from .test_console import csrf_of, signed_in


async def booked(app) -> None:
    """Two seats, four people: r1 (Cam Đường) and r3 (Sa Pa) got seats; r2 (Cam Đường)
    and r4 (Sa Pa) wait, in that order."""
    await people(app)
    await add_session(app, capacity=2)
    async with app.services.sessions() as session, session.begin():
        ids = dict((await session.execute(select(User.channel_user_id, User.id))).all())
        for n, (uid, status) in enumerate((("r1", "confirmed"), ("r3", "confirmed"),
                                           ("r2", "waitlisted"), ("r4", "waitlisted"))):
            session.add(Registration(session_id="ai-2026-12", user_id=ids[uid],
                                     full_name=f"Người {uid}", phone=f"091234567{n}",
                                     status=status, created_at=NOW + timedelta(minutes=n)))
        (await session.get(TrainingSession, "ai-2026-12")).seats_taken = 2


def new_session(**changes: str) -> dict[str, str]:
    form = {"id": "zalo-2026-12", "title": "Dùng Zalo an toàn", "start": "2026-12-10T08:00",
            "end": "2026-12-10T11:00", "place": "Nhà văn hóa tổ 5", "capacity": "30",
            "audience": "all", "commune": ""}
    form.update(changes)
    return form


async def post(browser: TestClient, url: str, form: dict[str, str]):
    return await browser.post(url, data={**form, "csrf": await csrf_of(browser)},
                              allow_redirects=False)


async def test_the_province_adds_a_session_from_the_browser(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    response = await post(browser, "/staff/trainings", new_session())
    assert response.status == 303 and response.headers["Location"].endswith("/zalo-2026-12")
    page = await (await browser.get("/staff/trainings")).text()
    assert "Dùng Zalo an toàn" in page and "10/12/2026" in page
    async with app.services.sessions() as session:
        training = await session.get(TrainingSession, "zalo-2026-12")
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert training.starts_at.hour == 1  # 08:00 in Lào Cai is 01:00 UTC
    assert "training_add" in actions


@pytest.mark.parametrize("changes, explained", [
    ({"capacity": "0"}, "Số chỗ phải từ 1"),
    ({"capacity": "-5"}, "Số chỗ phải từ 1"),
    ({"capacity": "mười"}, "Số chỗ phải từ 1"),
    ({"end": "2026-12-10T07:00"}, "Giờ kết thúc phải sau"),
    ({"start": "31/02/2026 08:00"}, "Thời gian không hợp lệ"),
    ({"start": "2026-11-01T08:00", "end": "2026-11-01T09:00"}, "đã qua"),
    ({"title": "x" * 10_000}, "tối đa 200"),
    ({"id": "<b>bad id</b>"}, "Mã lớp gồm"),
    ({"capacity": "²"}, "Số chỗ phải từ 1"),
    ({"capacity": "--5"}, "Số chỗ phải từ 1"),
    ({"start": "0001-01-01T00:00"}, "Thời gian không hợp lệ"),
    ({"link": "javascript:alert(1)"}, "https://"),
])
async def test_a_wrong_session_form_is_explained_and_nothing_is_added(
        app, browser, changes, explained):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    response = await post(browser, "/staff/trainings", new_session(**changes))
    page = await response.text()
    assert response.status == 400 and explained in page
    assert 'value="Nhà văn hóa tổ 5"' in page  # what was typed is still in the form
    async with app.services.sessions() as session:
        assert await session.get(TrainingSession, "zalo-2026-12") is None


async def test_html_in_a_title_is_shown_as_text(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    await post(browser, "/staff/trainings", new_session(title="<script>alert(1)</script>"))
    page = await (await browser.get("/staff/trainings/zalo-2026-12")).text()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page


async def test_a_commune_officer_sees_only_their_peoples_registrations_with_real_places(
        app, browser):
    await booked(app)
    await grant(app, "officer", "commune", SA_PA)
    await signed_in(app, browser, "officer")
    page = await (await browser.get("/staff/trainings/ai-2026-12")).text()
    assert "Người r3" in page and "Người r4" in page and "Người r1" not in page
    raw = await (await browser.get("/staff/trainings/ai-2026-12?format=csv")).read()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["Người r3", "Người r4"]
    assert rows[2][3] == "2"  # r4 waits behind r2 of Cam Đường: second, not first
    listing = await (await browser.get("/staff/trainings")).text()
    assert "1/2" in listing  # one of their people has a seat


async def test_a_commune_officer_cannot_close_a_province_session_or_see_another_communes(
        app, browser):
    await booked(app)
    await add_session(app, sid="sapa-only", capacity=5)
    async with app.services.sessions() as session, session.begin():
        (await session.get(TrainingSession, "sapa-only")).commune_code = SA_PA
    await grant(app, "officer", "commune", CAM_DUONG)
    await signed_in(app, browser, "officer")
    sure = {"sure": "1"}
    assert (await post(browser, "/staff/trainings/ai-2026-12/close", sure)).status == 403
    assert (await browser.get("/staff/trainings/sapa-only")).status == 404
    assert (await post(browser, "/staff/trainings/sapa-only/close", sure)).status == 404
    async with app.services.sessions() as session:
        assert (await session.get(TrainingSession, "ai-2026-12")).status == "open"


async def test_attendance_is_marked_for_ones_own_people_only(app, browser):
    await booked(app)
    await grant(app, "officer", "commune", CAM_DUONG)
    await signed_in(app, browser, "officer")
    async with app.services.sessions() as session:
        regs = {r.full_name: r.id for r in await session.scalars(select(Registration))}
    marked = await post(browser, "/staff/trainings/ai-2026-12/attendance",
                        {"registration": str(regs["Người r1"]), "attended": "1"})
    forged = await post(browser, "/staff/trainings/ai-2026-12/attendance",
                        {"registration": str(regs["Người r3"]), "attended": "1"})
    assert marked.status == 303 and forged.status == 404
    async with app.services.sessions() as session:
        came = {r.full_name: r.attended_at for r in await session.scalars(select(Registration))}
    assert came["Người r1"] is not None and came["Người r3"] is None


async def test_closing_a_session_tells_its_registrants(app, browser):
    await booked(app)
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    unsure = await post(browser, "/staff/trainings/ai-2026-12/close", {})
    assert unsure.status == 400 and "ô xác nhận" in await unsure.text()
    assert (await post(browser, "/staff/trainings/ai-2026-12/close", {"sure": "1"})).status == 303
    again = await post(browser, "/staff/trainings/ai-2026-12/close", {"sure": "1"})
    assert again.status == 400 and "đã đóng" in await again.text()
    async with app.services.sessions() as session:
        told = list(await session.scalars(select(OutboxMessage.source_kind)))
        assert (await session.get(TrainingSession, "ai-2026-12")).status == "closed"
    assert told.count("closed") == 4  # once each, not again on the second press


async def test_attendance_in_another_communes_session_is_as_if_it_did_not_exist(app, browser):
    await booked(app)
    async with app.services.sessions() as session, session.begin():
        (await session.get(TrainingSession, "ai-2026-12")).commune_code = SA_PA
        r3 = await session.scalar(select(Registration.id).where(
            Registration.full_name == "Người r3"))
    await grant(app, "officer", "commune", CAM_DUONG)
    await signed_in(app, browser, "officer")
    forged = await post(browser, "/staff/trainings/ai-2026-12/attendance",
                        {"registration": str(r3), "attended": "1"})
    assert forged.status == 404


async def test_a_control_character_in_a_title_is_dropped_and_excel_still_opens(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    await post(browser, "/staff/trainings", new_session(title="Lớp\x07 chuông\u202e"))
    response = await browser.get("/staff/trainings?format=xlsx")
    assert response.status == 200
    async with app.services.sessions() as session:
        assert (await session.get(TrainingSession, "zalo-2026-12")).title_vi == "Lớp chuông"


async def test_a_session_cannot_be_moved_into_the_past(app, browser):
    await booked(app)
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    response = await post(browser, "/staff/trainings/ai-2026-12/move",
                          {"start": "2020-01-01T09:00", "end": "2020-01-01T10:00"})
    assert response.status == 400 and "đã qua" in await response.text()
    async with app.services.sessions() as session:
        assert list(await session.scalars(select(OutboxMessage))) == []


async def test_the_dashboard_counts_seats_and_the_notices_sent_to_ones_own_people(
        app, browser):
    await booked(app)
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    await post(browser, "/staff/trainings/ai-2026-12/close", {"sure": "1"})
    await grant(app, "officer", "commune", SA_PA)
    await signed_in(app, browser, "officer")
    raw = (await (await browser.get("/staff/?format=csv")).read()).decode("utf-8-sig")
    rows = {(r[0], r[1]): r[2] for r in csv.reader(io.StringIO(raw))}
    assert rows[("sent", "closed/pending")] == "2"  # r3 and r4, not Cam Đường's two
    # their people: one seated, one waiting; of everyone: two seats taken of two
    assert rows[("session", "ai-2026-12 confirmed/waiting (in scope), taken/capacity")] == \
        "1/1, 2/2"


async def test_more_seats_go_to_the_people_waiting_and_fewer_than_taken_is_refused(
        app, browser):
    await booked(app)  # two seats taken, two people waiting
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    edit = {"title": "Ứng dụng AI cho hộ kinh doanh", "place": "Hội trường", "capacity": "3"}
    assert (await post(browser, "/staff/trainings/ai-2026-12/edit", edit)).status == 303
    async with app.services.sessions() as session:
        status = {r.full_name: r.status for r in await session.scalars(select(Registration))}
        told = list(await session.scalars(select(OutboxMessage.source_kind)))
    assert status["Người r2"] == "confirmed" and status["Người r4"] == "waitlisted"
    assert told == ["promotion"]  # r2, the first waiting, is told
    fewer = await post(browser, "/staff/trainings/ai-2026-12/edit", {**edit, "capacity": "1"})
    page = await fewer.text()
    assert fewer.status == 400 and "không được ít hơn" in page and 'value="1"' in page


async def test_more_seats_after_the_start_promote_nobody(app, browser):
    await booked(app)
    async with app.services.sessions() as session, session.begin():
        training = await session.get(TrainingSession, "ai-2026-12")
        training.starts_at = NOW - timedelta(minutes=1)
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    edit = {"title": "Ứng dụng AI cho hộ kinh doanh", "place": "Hội trường", "capacity": "4"}
    assert (await post(browser, "/staff/trainings/ai-2026-12/edit", edit)).status == 303
    async with app.services.sessions() as session:
        assert list(await session.scalars(select(OutboxMessage))) == []
