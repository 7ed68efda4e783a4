"""Events in the staff console: the YAML ones are there, staff add, move and cancel
events, the people who asked to be reminded are told, and each commune keeps to its own."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import build
from bot.core import payloads
from bot.core.payloads import Action
from bot.reminders.scheduler import schedule_due
from bot.storage.models import EventRecord, OutboxMessage
from bot.time import FixedClock

from .conftest import TODAY, Chat, make_config
from .support import CAM_DUONG, SA_PA, grant, people
from .test_console import signed_in
from .test_console_trainings import post

EVENTS = payloads.action(Action.EVENTS)


def new_event(**changes: str) -> dict[str, str]:
    form = {"id": "hoi-thao-ai", "title": "Hội thảo AI cho nông dân",
            "start": "2026-12-20T08:00", "end": "2026-12-20T11:00",
            "place": "Hội trường UBND phường Cam Đường", "commune": ""}
    form.update(changes)
    return form


async def outbox_kinds(app) -> list[str]:
    async with app.services.sessions() as session:
        return list(await session.scalars(select(OutboxMessage.source_kind)))


async def test_the_national_days_from_yaml_are_in_the_console(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    page = await (await browser.get("/staff/events")).text()
    assert "Ngày Chuyển đổi số quốc gia (10/10)" in page


async def test_an_event_added_in_the_console_reaches_the_chat(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    response = await post(browser, "/staff/events", new_event())
    assert response.status == 303
    replies = await Chat(app, user="someone").send(payload=EVENTS)
    assert "Hội thảo AI cho nông dân" in replies[0].text


async def test_a_communes_event_is_shown_to_its_people_only(app, browser):
    await people(app)
    await grant(app, "officer", "commune", CAM_DUONG)
    await signed_in(app, browser, "officer")
    await post(browser, "/staff/events", new_event(commune=SA_PA))  # forced to Cam Đường
    async with app.services.sessions() as session:
        assert (await session.get(EventRecord, "hoi-thao-ai")).commune_code == CAM_DUONG
    here = await Chat(app, user="r1", channel="telegram").send(payload=EVENTS)
    there = await Chat(app, user="r3", channel="telegram").send(payload=EVENTS)
    assert "Hội thảo AI" in here[0].text and "Hội thảo AI" not in there[0].text


async def test_a_new_time_tells_those_reminded_and_their_old_reminder_is_cancelled(
        app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    await post(browser, "/staff/events", new_event(start="2026-11-24T08:00",
                                                   end="2026-11-24T11:00"))
    chat = Chat(app, user="an")
    await chat.send(payload=EVENTS)
    await chat.press("Nhắc tôi: Hội thảo AI")
    await schedule_due(app.services)  # the 1-day reminder for tomorrow is queued
    moved = await post(browser, "/staff/events/hoi-thao-ai",
                       {**new_event(start="2026-12-24T08:00", end="2026-12-24T11:00")})
    assert moved.status == 303
    async with app.services.sessions() as session:
        rows = {(o.source_kind, o.status) for o in await session.scalars(select(OutboxMessage))}
    assert rows == {("event_moved", "pending")}  # the old time's reminder is gone


async def test_moving_back_to_the_old_time_queues_its_reminder_again(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    tomorrow = new_event(start="2026-11-24T08:00", end="2026-11-24T11:00")
    await post(browser, "/staff/events", tomorrow)
    chat = Chat(app, user="an")
    await chat.send(payload=EVENTS)
    await chat.press("Nhắc tôi: Hội thảo AI")
    await schedule_due(app.services)
    await post(browser, "/staff/events/hoi-thao-ai", new_event(start="2026-12-24T08:00",
                                                               end="2026-12-24T11:00"))
    await post(browser, "/staff/events/hoi-thao-ai", tomorrow)
    await schedule_due(app.services)
    assert (await outbox_kinds(app)).count("reminder") == 1


async def test_editing_one_event_leaves_the_reminders_of_a_look_alike_id(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    for event_id in ("rem_a", "remxa"):
        await post(browser, "/staff/events", new_event(
            id=event_id, title=f"Sự kiện {event_id}", start="2026-11-24T08:00",
            end="2026-11-24T11:00"))
    chat = Chat(app, user="an")
    for event_id in ("rem_a", "remxa"):
        await chat.send(payload=EVENTS)
        await chat.press(f"Nhắc tôi: Sự kiện {event_id}")
    await schedule_due(app.services)
    await post(browser, "/staff/events/rem_a", new_event(
        title="Sự kiện rem_a", start="2026-12-24T08:00", end="2026-12-24T11:00"))
    async with app.services.sessions() as session:
        left = list(await session.scalars(select(OutboxMessage.source_id).where(
            OutboxMessage.source_kind == "reminder")))
    assert len(left) == 1 and left[0].startswith("e:remxa:")


async def test_a_yearly_event_on_29_february_does_not_break_the_events_list(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    await post(browser, "/staff/events", new_event(start="2028-02-29T09:00",
                                                   end="2028-02-29T11:00", yearly="1"))
    replies = await Chat(app, user="an").send(payload=EVENTS)
    assert "Hội thảo AI" in replies[0].text and "28/02/2027" in replies[0].text


async def test_cancelling_tells_once_and_the_event_leaves_the_chat(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    await post(browser, "/staff/events", new_event())
    chat = Chat(app, user="an")
    await chat.send(payload=EVENTS)
    await chat.press("Nhắc tôi: Hội thảo AI")
    unsure = await post(browser, "/staff/events/hoi-thao-ai/cancel", {})
    assert unsure.status == 400
    assert (await post(browser, "/staff/events/hoi-thao-ai/cancel", {"sure": "1"})).status == 303
    again = await post(browser, "/staff/events/hoi-thao-ai/cancel", {"sure": "1"})
    assert again.status == 400 and "đã bị hủy" in await again.text()
    assert (await outbox_kinds(app)).count("event_cancelled") == 1
    assert "Hội thảo AI" not in (await Chat(app, user="binh").send(payload=EVENTS))[0].text


async def test_a_commune_officer_cannot_change_the_provinces_or_see_anothers_event(
        app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    await post(browser, "/staff/events", new_event())
    await post(browser, "/staff/events", new_event(id="sapa-hoi", commune=SA_PA))
    await grant(app, "officer", "commune", CAM_DUONG)
    await signed_in(app, browser, "officer")
    assert (await post(browser, "/staff/events/hoi-thao-ai", new_event())).status == 403
    assert (await browser.get("/staff/events/sapa-hoi")).status == 404
    assert (await post(browser, "/staff/events/sapa-hoi/cancel", {"sure": "1"})).status == 404


async def test_an_event_edited_in_the_console_is_not_overwritten_by_yaml_at_restart(
        app, browser, database_url):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    await post(browser, "/staff/events/ngay-cds",
               new_event(title="Ngày CĐS: mít tinh tại quảng trường", start="2027-10-10T07:00",
                         end="2027-10-10T10:00"))
    again = await build(make_config(database_url), clock=FixedClock(TODAY))
    try:
        async with again.services.sessions() as session:
            row = await session.get(EventRecord, "ngay-cds")
        assert row.title_vi == "Ngày CĐS: mít tinh tại quảng trường" and row.source == "console"
    finally:
        await again.close()


async def test_ids_that_differ_only_in_capitals_are_one_id_and_the_list_exports(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    await post(browser, "/staff/events", new_event(id="cd-ev"))
    twin = await post(browser, "/staff/events", new_event(id="CD-EV"))
    assert twin.status == 400 and "đã có" in await twin.text()
    exported = await (await browser.get("/staff/events?format=csv")).read()
    assert b"cd-ev" in exported and b"ngay-cds" in exported


async def test_yearly_days_show_their_next_date_and_past_events_say_so(app, browser):
    await grant(app, "boss", "province")
    await signed_in(app, browser, "boss")
    raw = (await (await browser.get("/staff/events?format=csv")).read()).decode("utf-8-sig")
    rows = {r.split(",")[0]: r for r in raw.splitlines()[1:]}
    assert "10/10/2027" in rows["ngay-cds"]  # 10/10/2026 is over on 23/11/2026
    assert rows["chuong-trinh-1510-2025"].endswith(",over")
