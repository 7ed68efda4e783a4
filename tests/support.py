"""Helpers the stories share: a session to sign up for, a sign-up, residents, staff roles."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.app import App
from bot.storage.models import Registration, StaffRole, TrainingSession, User

from .conftest import TODAY, Chat

NOW = TODAY.replace(tzinfo=None)
CAM_DUONG, SA_PA = "02671", "03006"


async def add_session(app: App, sid: str = "ai-2026-12", capacity: int = 10,
                      audience: str = "all", days: int = 12, extra: list | None = None,
                      deadline: datetime | None = None) -> None:
    async with app.services.sessions() as session, session.begin():
        session.add(TrainingSession(
            id=sid, title_vi="Ứng dụng AI cho hộ kinh doanh", title_en="AI for small shops",
            audience=audience, description_vi="Thực hành", description_en="Hands-on",
            starts_at=NOW + timedelta(days=days), ends_at=NOW + timedelta(days=days, hours=3),
            deadline=deadline, place="Hội trường UBND phường Cam Đường", capacity=capacity,
            seats_taken=0, extra_fields=extra or [], status="open", source="cli",
            updated_at=NOW))


async def sign_up(chat: Chat, name: str = "nguyễn văn an", phone: str = "0912 345 678",
                  confirm: bool = True) -> None:
    await chat.send("/dangky")
    await chat.press("Ứng dụng AI")
    await chat.press("Đồng ý")
    await chat.send(name)
    await chat.send(phone)
    if confirm:
        await chat.press("Xác nhận")


async def registrations(app: App) -> list[Registration]:
    async with app.services.sessions() as session:
        return list((await session.scalars(select(Registration).order_by(Registration.id))).all())


async def people(app) -> None:
    """Four residents: two in Cam Đường (one opted in), two in Sa Pa (one opted in)."""
    async with app.services.sessions() as session, session.begin():
        for uid, commune, opted, audience in (("r1", CAM_DUONG, True, "youth"),
                                              ("r2", CAM_DUONG, False, "youth"),
                                              ("r3", SA_PA, True, "business"),
                                              ("r4", SA_PA, False, "youth")):
            session.add(User(channel="telegram", channel_user_id=uid, chat_id=uid,
                             language="vi", commune_code=commune, news_opt_in=opted,
                             audience=audience, blocked=False, created_at=NOW,
                             last_seen_at=NOW))


async def grant(app, user: str, role: str, commune: str | None = None,
                channel: str = "web") -> None:
    async with app.services.sessions() as session, session.begin():
        session.add(StaffRole(channel=channel, channel_user_id=user, role=role,
                              commune_code=commune, granted_at=NOW))


async def schedule_for_the_province(app, text: str, when: str) -> Chat:
    """Province staff 'boss' types a broadcast to everyone and a time, up to the preview."""
    await grant(app, "boss", "province")
    chat = Chat(app, user="boss")
    await chat.send("/broadcast")
    await chat.press("Toàn tỉnh")
    await chat.send(text)
    await chat.press("Hẹn giờ")
    await chat.send(when)
    return chat


async def web_token(client: Any, lang: str | None = None) -> str:
    """A new web chat identity, as the page asks for one when it opens."""
    response = await client.post("/api/session", json={"lang": lang} if lang else {})
    assert response.status == 200, await response.text()
    return (await response.json())["token"]
