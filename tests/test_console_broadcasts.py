"""Broadcasts from the console: the exact recipients before sending, a commune officer's
news reaches their commune only, quiet hours ask first, a broadcast can be stopped, and
the report shows each officer their own people."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.storage.models import OutboxMessage, OutboxStatus, User

from .support import CAM_DUONG, NOW, SA_PA, grant, people
from .test_console import signed_in
from .test_console_trainings import post


async def recipients(app) -> list[str]:
    async with app.services.sessions() as session:
        return list(await session.scalars(
            select(User.channel_user_id).join(OutboxMessage, OutboxMessage.user_id == User.id)
            .where(OutboxMessage.source_kind == "broadcast").order_by(User.channel_user_id)))


NEWS = {"text": "Lớp dùng Zalo an toàn, 08:00 thứ Bảy tại nhà văn hóa."}


async def test_a_commune_officer_sees_who_gets_it_then_it_reaches_their_commune_only(
        app, browser):
    await people(app)  # r1 (Cam Đường) and r3 (Sa Pa) take news
    await grant(app, "officer", "commune", CAM_DUONG)
    await signed_in(app, browser, "officer")
    forged = {**NEWS, "target": "communes", "communes": SA_PA}  # ignored for commune staff
    preview = await post(browser, "/staff/broadcasts/preview", forged)
    page = await preview.text()
    assert preview.status == 200 and "Gửi cho 1 người" in page and "Phường Cam Đường" in page
    sent = await post(browser, "/staff/broadcasts", forged)
    assert sent.status == 303
    assert await recipients(app) == ["r1"]


async def test_the_province_reaches_the_communes_it_picks(app, browser):
    await people(app)
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    form = {**NEWS, "target": "communes", "communes": SA_PA}
    assert (await post(browser, "/staff/broadcasts", form)).status == 303
    assert await recipients(app) == ["r3"]


@pytest.mark.parametrize("when, explained", [
    ("2026-11-01T08:00", "đã qua"),
    ("31/02/2027 08:00", "Thời gian không hợp lệ"),
])
async def test_a_time_in_the_past_or_that_does_not_exist_is_refused(
        app, browser, when, explained):
    await people(app)
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    response = await post(browser, "/staff/broadcasts/preview", {**NEWS, "when": when})
    page = await response.text()
    assert response.status == 400 and explained in page and "Lớp dùng Zalo" in page
    assert await recipients(app) == []


async def test_quiet_hours_ask_for_a_tick_before_sending(app, browser):
    await people(app)
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    late = {**NEWS, "when": "2026-11-23T22:30"}
    preview = await (await post(browser, "/staff/broadcasts/preview", late)).text()
    assert "giờ nghỉ" in preview and 'name="quiet_ok"' in preview
    refused = await post(browser, "/staff/broadcasts", late)
    assert refused.status == 400 and await recipients(app) == []
    assert (await post(browser, "/staff/broadcasts", {**late, "quiet_ok": "1"})).status == 303
    assert await recipients(app) == ["r1", "r3"]


async def test_a_broadcast_is_stopped_and_its_report_shows_each_officer_their_people(
        app, browser):
    await people(app)
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    sent = await post(browser, "/staff/broadcasts", {**NEWS, "when": "2026-11-24T08:00"})
    url = sent.headers["Location"]
    progress = json.loads(await (await browser.get(f"{url}/progress")).text())
    assert progress["pending"] == 2 and progress["status"] == "queued"
    assert (await post(browser, f"{url}/stop", {})).status == 303
    progress = json.loads(await (await browser.get(f"{url}/progress")).text())
    assert progress["cancelled"] == 2 and progress["pending"] == 0
    report = (await (await browser.get(f"{url}?format=csv")).read()).decode("utf-8-sig")
    assert report.count("cancelled") == 2


async def test_a_commune_officer_cannot_open_the_provinces_broadcast(app, browser):
    await people(app)
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    url = (await post(browser, "/staff/broadcasts", NEWS)).headers["Location"]
    await grant(app, "officer", "commune", CAM_DUONG)
    await signed_in(app, browser, "officer")
    assert (await browser.get(url)).status == 404
    assert (await post(browser, f"{url}/stop", {})).status == 404


async def test_the_report_counts_each_channel_and_who_zalo_would_not_take(app, browser):
    await people(app)
    async with app.services.sessions() as session, session.begin():
        session.add(User(channel="zalo_oa", channel_user_id="5001", chat_id="5001",
                         language="vi", commune_code=CAM_DUONG, news_opt_in=True,
                         blocked=False, created_at=NOW, last_seen_at=NOW))
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    url = (await post(browser, "/staff/broadcasts", NEWS)).headers["Location"]
    async with app.services.sessions() as session, session.begin():  # as the engine records
        for row in await session.scalars(select(OutboxMessage)):
            row.status = (OutboxStatus.UNREACHABLE if row.channel == "zalo_oa"
                          else OutboxStatus.SENT)
    page = await (await browser.get(url)).text()
    assert "Theo kênh" in page and "Chưa nhắn OA trong 7 ngày" in page
    zalo_row = page.split("Zalo OA</th>", 1)[1].split("</tr>", 1)[0]
    assert [cell.split("</td>")[0] for cell in zalo_row.split("<td>")[1:]] == \
        ["0", "0", "0", "0", "0", "1", "0"]  # sent, waiting, failed, invalid, blocked,
    # unreachable, stopped
    progress = json.loads(await (await browser.get(f"{url}/progress")).text())
    assert progress["unreachable"] == 1 and progress["sent"] == 2
