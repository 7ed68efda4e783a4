"""How fast officers answer, counted as people experience office hours: a question
asked at 16:30 and answered at 08:30 the next morning waited one and a half hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.handoff.office import at_work, working_time
from bot.time import FixedClock

from .conftest import TODAY, Chat
from .support import CAM_DUONG, SA_PA, grant
from .test_console import signed_in
from .test_handoff import officer, resident

HOURS = (time(7, 30), time(17, 0))
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A local moment in the week of Monday 23/11/2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=VN)


def test_a_weekend_between_question_and_answer_does_not_count() -> None:
    friday_evening, monday_morning = local(27, 16, 30), local(30, 8, 30)
    assert working_time(friday_evening, monday_morning, HOURS, VN) == timedelta(hours=1, minutes=30)
    assert working_time(local(28, 9), local(29, 12), HOURS, VN) == timedelta()  # a weekend
    assert at_work(local(23, 10), HOURS, VN) and not at_work(local(23, 17), HOURS, VN)


async def test_the_dashboard_shows_questions_per_team_and_office_hour_response_times(
        app, browser):
    cd1 = await officer(app, "cd1", CAM_DUONG)
    await officer(app, "sp1", SA_PA)  # Sa Pa has its own team
    first, second = await resident(app, "r1", CAM_DUONG), await resident(app, "r2", CAM_DUONG)
    await first.send("/hoicanbo Lớp học ở đâu?")  # Monday 10:00
    sa_pa = await resident(app, "r3", SA_PA)
    await sa_pa.send("/hoicanbo Khi nào có lớp?")  # never answered
    await at(app, 1, 30, cd1, "/traloi 1 Ở nhà văn hoá.")  # 11:30: 1 h 30 min
    await at(app, 6, 30, second, "/hoicanbo Có cần mang máy không?")  # 16:30
    await at(app, 22, 30, cd1, "/traloi 3 Có ạ.")  # Tuesday 08:30: 1 h 30 min of office
    app.services.clock = FixedClock(TODAY + timedelta(days=2))  # Wednesday 10:00
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    csv = await (await browser.get("/staff/?format=csv")).text()
    assert f"tickets_opened/answered,{CAM_DUONG},2/2" in csv
    assert f"tickets_opened/answered,{SA_PA},1/0" in csv
    assert "ticket_first_response_office_hours,median,1.50" in csv
    assert "ticket_answered_within_working_day,share,0.667" in csv  # Sa Pa's waited 19 h
    page = await (await browser.get("/staff/")).text()
    assert "1 giờ 30 phút" in page and "67%" in page
    await grant(app, "cd_web", "commune", CAM_DUONG)
    await signed_in(app, browser, "cd_web")
    own = await (await browser.get("/staff/?format=csv")).text()
    assert "ticket_answered_within_working_day,share,1.000" in own and SA_PA not in own


async def at(app, hours: int, minutes: int, chat: Chat, text: str) -> None:
    """CHAT sends TEXT that many hours and minutes after Monday 10:00."""
    app.services.clock = FixedClock(TODAY + timedelta(hours=hours, minutes=minutes))
    await chat.send(text)
