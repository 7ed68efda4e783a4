"""Reminders: subscribing, /nhaclich, and a scheduler that never reminds anyone twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import build
from bot.reminders.scheduler import schedule_due
from bot.storage.models import OutboxMessage, TrainingSession
from bot.time import FixedClock

from .conftest import Chat, make_config
from .support import add_session, sign_up


def at(local: str) -> FixedClock:
    """A clock at a local (UTC+7) time."""
    return FixedClock(datetime.fromisoformat(local).replace(tzinfo=UTC) - timedelta(hours=7))


async def reminders(app) -> list[OutboxMessage]:
    async with app.services.sessions() as session:
        return list((await session.scalars(select(OutboxMessage).where(
            OutboxMessage.source_kind == "reminder").order_by(OutboxMessage.id))).all())


async def test_a_person_asks_to_be_reminded_of_digital_transformation_day(app) -> None:
    chat = Chat(app)
    await chat.send(payload="m:events")
    assert "**Ngày Chuyển đổi số quốc gia (10/10)** — 10/10/2027" in chat.text()
    assert "Chương trình hưởng ứng" not in chat.text()  # the 15/10/2025 one is over
    await chat.press("Nhắc tôi: Ngày Chuyển đổi số")
    assert "Đã đặt nhắc" in chat.text()
    await chat.send("/nhaclich")
    assert "Ngày Chuyển đổi số quốc gia (10/10) — 10/10/2027" in chat.text()
    await chat.press("Hủy nhắc")
    assert "Đã hủy nhắc" in chat.text()
    await chat.send("/nhaclich")
    assert "chưa đặt nhắc" in chat.text()


async def test_a_poster_deep_link_sets_the_reminder_and_a_past_event_says_so(app) -> None:
    chat = Chat(app)
    await chat.send("/start e_ngay-dmst")
    assert "Đã đặt nhắc cho **Ngày hội Đổi mới sáng tạo quốc gia (01/10)**" in chat.text()
    await chat.send("/start e_chuong-trinh-1510-2025")
    assert "đã diễn ra" in chat.text()


async def test_an_all_day_event_is_reminded_once_the_day_before(database_url: str) -> None:
    app = await build(make_config(database_url), clock=at("2026-10-08T10:00"))
    try:
        chat = Chat(app)
        await chat.send("/start e_ngay-cds")
        await schedule_due(app.services)
        assert await reminders(app) == []  # not due before 08:00 on 09/10
        app.services.clock = at("2026-10-09T09:00")
        await schedule_due(app.services)
        await schedule_due(app.services)  # the scheduler runs again: no second row
        rows = await reminders(app)
        assert len(rows) == 1 and "10/10/2026" in rows[0].payload["text"]
        app.services.clock = at("2026-10-10T12:00")
        await schedule_due(app.services)  # the day itself: nothing new
        assert len(await reminders(app)) == 1
    finally:
        await app.close()


async def test_registrants_get_1_day_and_1_hour_reminders_and_a_move_reschedules(
    database_url: str,
) -> None:
    app = await build(make_config(database_url), clock=at("2026-11-30T08:00"))
    try:
        start = datetime(2026, 12, 5, 1, 0)  # 08:00 local
        async with app.services.sessions() as session, session.begin():
            session.add(TrainingSession(
                id="ai-2026-12", title_vi="Ứng dụng AI cho hộ kinh doanh", title_en="AI",
                audience="all", description_vi="", description_en="", starts_at=start,
                ends_at=start + timedelta(hours=3), place="Hội trường", capacity=5,
                seats_taken=0, extra_fields=[], status="open", source="cli",
                updated_at=start))
        await sign_up(Chat(app))
        app.services.clock = at("2026-12-04T09:00")  # 23 h before: the 1-day one is due
        await schedule_due(app.services)
        rows = await reminders(app)
        assert [r.source_id.rsplit(":", 1)[1] for r in rows] == ["86400s"]
        assert "08:00 ngày 05/12/2026" in rows[0].payload["text"]
        app.services.clock = at("2026-12-05T07:30")  # the bot was down: both due, start ahead
        await schedule_due(app.services)
        assert len(await reminders(app)) == 2
        app.services.clock = at("2026-12-05T09:00")  # started: nothing more
        await schedule_due(app.services)
        assert len(await reminders(app)) == 2
    finally:
        await app.close()


async def test_moving_a_session_drops_its_pending_reminders(app) -> None:
    from argparse import Namespace

    from bot.training.cli import run


    await add_session(app, days=1)  # starts in 24 h: the 1-day reminder is due now
    await sign_up(Chat(app))
    await schedule_due(app.services)
    [old] = await reminders(app)
    assert await run(app, Namespace(training_command="move", id="ai-2026-12",
                                    start="2026-12-10 08:00", end="2026-12-10 11:00")) == 0
    rows = {r.id: r.status for r in await reminders(app)}
    assert old.id not in rows  # never sent: gone, so a move back to that time queues it again
