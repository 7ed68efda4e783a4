"""Training sessions in the console: the list, a new session, one session's registrants
(scoped to the officer's commune), close, move, attendance, and the exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.console.render import PREFIX, BadInput, app_of, export, now_of, render, see_other, who
from bot.staff import signin
from bot.staff.scope import commune_filter, is_province, may_manage_session
from bot.storage.models import AuditEntry, SessionStatus, TrainingSession
from bot.time import show
from bot.training import manage, store
from knowledge.trainings import AUDIENCES, parse_local

FORM_TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M")


def _time(request: web.Request, text: str) -> datetime:
    """A local time from a form: the browser's datetime-local, 15/10/2025 14:00, or ISO."""
    tz = app_of(request).config.tz
    text = text.strip()
    for fmt in FORM_TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    try:
        return parse_local(text, tz)
    except ValueError:
        raise BadInput("training_bad_time") from None


def _audit(request: web.Request, action: str, **detail: Any) -> AuditEntry:
    return AuditEntry(at=now_of(request), actor=signin.actor_of(who(request).role),
                      action=action, detail=detail)


async def trainings(request: web.Request) -> web.StreamResponse:
    async with app_of(request).services.sessions() as session:
        lines = await store.staff_sessions(session, who(request).role)
    tz, names = app_of(request).config.tz, _names(request)
    table: list[list[Any]] = [["id", "title", "start", "place", "commune", "capacity",
                               "confirmed", "waitlisted", "status"]]
    table += [[ln.training.id, ln.training.title_vi, show(ln.training.starts_at, tz),
               ln.training.place, names.get(ln.training.commune_code or "", ""),
               ln.training.capacity, ln.confirmed, ln.waitlisted, ln.training.status]
              for ln in lines]
    file = await export(request, table, "trainings", {})
    return file or render(request, "trainings.html", rows=table[1:],
                          own=commune_filter(who(request).role), audiences=AUDIENCES,
                          communes=sorted(app_of(request).services.communes.communes,
                                          key=lambda c: c.name),
                          form=request.query)


def _names(request: web.Request) -> dict[str, str]:
    return {c.code: c.name for c in app_of(request).services.communes.communes}


def _new_session(request: web.Request, form: MultiDictProxy[Any]) -> manage.NewSession:
    role = who(request).role
    commune = str(form.get("commune", "")) or None
    if not is_province(role):
        commune = role.commune_code  # a commune officer's sessions are their commune's
    elif commune is not None and app_of(request).services.communes.get(commune) is None:
        raise BadInput("console_bad_request")
    audience = str(form.get("audience", "all"))
    capacity = str(form.get("capacity", "")).strip()
    if audience not in AUDIENCES:
        raise BadInput("console_bad_request")
    if not capacity.lstrip("-").isdigit() or len(capacity) > 6:
        raise BadInput("training_bad_capacity")
    deadline = str(form.get("deadline", "")).strip()
    return manage.NewSession(
        id=str(form.get("id", "")).strip(), title=str(form.get("title", "")).strip(),
        title_en=str(form.get("title_en", "")).strip(), audience=audience,
        description=str(form.get("description", ""))[:2000],
        start=_time(request, str(form.get("start", ""))),
        end=_time(request, str(form.get("end", ""))),
        deadline=_time(request, deadline) if deadline else None,
        place=str(form.get("place", "")).strip(), link=str(form.get("link", "")).strip()[:300]
        or None, commune=commune, capacity=int(capacity))


async def add(request: web.Request) -> web.StreamResponse:
    new = _new_session(request, await request.post())
    app = app_of(request)
    try:
        async with app.services.sessions() as session, session.begin():
            training, told = await manage.add(session, new, app.config.tz, now_of(request))
            session.add(_audit(request, "training_add", session=training.id, told=told))
    except manage.Refused as refused:
        raise BadInput(refused.key) from None
    return see_other(f"{PREFIX}/trainings/{training.id}")


async def detail(request: web.Request) -> web.StreamResponse:
    role, sid = who(request).role, request.match_info["id"]
    async with app_of(request).services.sessions() as session:
        training = await store.staff_session(session, role, sid)
        if training is None:
            raise web.HTTPNotFound()
        people = await store.staff_registrants(session, role, sid)
    tz, names = app_of(request).config.tz, _names(request)

    def when(moment: datetime | None) -> str:
        return show(moment, tz) if moment else ""

    table: list[list[Any]] = [["name", "phone", "status", "waitlist_position", "commune",
                               "audience", "consent_at", "registered_at", "attended"]]
    table += [[p.name, p.phone, p.status, p.waitlist_position or "",
               names.get(p.commune or "", ""), p.audience or "", when(p.consent_at),
               when(p.registered_at), "x" if p.attended_at else ""] for p in people]
    file = await export(request, table, f"registrants-{sid}", {"session": sid})
    return file or render(request, "training.html", training=training, people=people,
                          rows=table[1:], start=show(training.starts_at, tz),
                          end=show(training.ends_at, tz),
                          manage=may_manage_session(role, training.commune_code),
                          closed=training.status != SessionStatus.OPEN)


async def _managed(request: web.Request, session: Any) -> TrainingSession:
    training = await store.staff_session(session, who(request).role, request.match_info["id"])
    if training is None:
        raise web.HTTPNotFound()
    if not may_manage_session(who(request).role, training.commune_code):
        raise web.HTTPForbidden()
    return training


async def close(request: web.Request) -> web.StreamResponse:
    app = app_of(request)
    async with app.services.sessions() as session, session.begin():
        training = await _managed(request, session)
        told = await manage.close(session, training, app.config.tz, now_of(request))
        session.add(_audit(request, "training_close", session=training.id, told=told))
    return see_other(f"{PREFIX}/trainings/{training.id}")


async def move(request: web.Request) -> web.StreamResponse:
    app, form = app_of(request), await request.post()
    start = _time(request, str(form.get("start", "")))
    end = _time(request, str(form.get("end", "")))
    try:
        async with app.services.sessions() as session, session.begin():
            training = await _managed(request, session)
            told = await manage.move(session, training, start, end, app.config.tz,
                                     now_of(request))
            session.add(_audit(request, "training_move", session=training.id, told=told))
    except manage.Refused as refused:
        raise BadInput(refused.key) from None
    return see_other(f"{PREFIX}/trainings/{training.id}")


async def attendance(request: web.Request) -> web.StreamResponse:
    """Mark or unmark one registrant; only a registrant this officer may see."""
    role, sid, form = who(request).role, request.match_info["id"], await request.post()
    raw = str(form.get("registration", ""))
    if not raw.isdigit() or len(raw) > 12:
        raise BadInput("console_bad_request")
    async with app_of(request).services.sessions() as session, session.begin():
        visible = {p.registration_id for p in await store.staff_registrants(session, role, sid)}
        if int(raw) not in visible:
            raise web.HTTPNotFound()
        attended = form.get("attended") == "1"
        await manage.mark_attended(session, int(raw), sid, attended, now_of(request))
        session.add(_audit(request, "attendance", session=sid, registration=int(raw),
                           attended=attended))
    return see_other(f"{PREFIX}/trainings/{sid}")
