"""Training sessions in the console: the list, a new session, one session's registrants
(scoped to the officer's commune), close, move, attendance, and the exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.console.render import (
    PREFIX,
    BadInput,
    app_of,
    audit_entry,
    commune_names,
    export,
    form_text,
    form_time,
    kept,
    local_input,
    now_of,
    number,
    render,
    see_other,
    who,
)
from bot.staff.scope import commune_filter, is_province, may_manage
from bot.storage.models import SessionStatus, TrainingSession
from bot.time import show
from bot.training import manage, store
from knowledge.trainings import AUDIENCES

NEW_SESSION_FIELDS = ("id", "title", "title_en", "description", "start", "end", "deadline",
                      "place", "link", "capacity", "audience", "commune")
MAX_DESCRIPTION = 2000


async def trainings(request: web.Request, form: Any = None, error: str = "",
                    status: int = 200) -> web.StreamResponse:
    """The list, and the new-session form (after a refusal: what was typed, and why)."""
    async with app_of(request).services.sessions() as session:
        lines = await store.staff_sessions(session, who(request).role)
    tz, names = app_of(request).config.tz, commune_names(request)
    table: list[list[Any]] = [["id", "title", "start", "place", "commune", "capacity",
                               "confirmed", "waitlisted", "status"]]
    table += [[ln.training.id, ln.training.title_vi, show(ln.training.starts_at, tz),
               ln.training.place, names.get(ln.training.commune_code or "", ""),
               ln.training.capacity, ln.confirmed, ln.waitlisted, ln.training.status]
              for ln in lines]
    file = None if form is not None else await export(request, table, "trainings", {})
    return file or render(request, "trainings.html", status=status, rows=table[1:],
                          own=commune_filter(who(request).role), audiences=AUDIENCES,
                          communes=sorted(app_of(request).services.communes.communes,
                                          key=lambda c: c.name),
                          form=form or {}, error=error)


def _new_session(request: web.Request, form: MultiDictProxy[Any]) -> manage.NewSession:
    role = who(request).role
    commune = str(form.get("commune", "")) or None
    if not is_province(role):
        commune = role.commune_code  # a commune officer's sessions are their commune's
    elif commune is not None and app_of(request).services.communes.get(commune) is None:
        raise BadInput("console_bad_request")
    audience = str(form.get("audience", "all"))
    if audience not in AUDIENCES:
        raise BadInput("console_bad_request")
    details = _details(request, form)
    return manage.NewSession(
        id=form_text(form, "id"), title=details.title, title_en=details.title_en,
        audience=audience, description=details.description,
        start=form_time(request, form_text(form, "start")),
        end=form_time(request, form_text(form, "end")), deadline=details.deadline,
        place=details.place, link=details.link, commune=commune, capacity=details.capacity)


async def add(request: web.Request) -> web.StreamResponse:
    """A new session; a refusal shows the form again with what was typed and why."""
    form, app = await request.post(), app_of(request)
    try:
        new = _new_session(request, form)
        async with app.services.sessions() as session, session.begin():
            training, told = await manage.add(session, new, app.config.tz, now_of(request))
            session.add(audit_entry(request, "training_add", session=training.id, told=told))
    except (BadInput, manage.Refused) as refused:
        return await trainings(request, form=kept(form, NEW_SESSION_FIELDS),
                               error=refused.key, status=400)
    return see_other(f"{PREFIX}/trainings/{training.id}")


async def detail(request: web.Request, form: Any = None, error: str = "",
                 status: int = 200) -> web.StreamResponse:
    role, sid = who(request).role, request.match_info["id"]
    async with app_of(request).services.sessions() as session:
        training = await store.staff_session(session, role, sid)
        if training is None:
            raise web.HTTPNotFound()
        people = await store.staff_registrants(session, role, sid)
    tz, names = app_of(request).config.tz, commune_names(request)

    def when(moment: datetime | None) -> str:
        return show(moment, tz) if moment else ""

    table: list[list[Any]] = [["name", "phone", "status", "waitlist_position", "commune",
                               "audience", "consent_at", "registered_at", "attended"]]
    table += [[p.name, p.phone, p.status, p.waitlist_position or "",
               names.get(p.commune or "", ""), p.audience or "", when(p.consent_at),
               when(p.registered_at), "x" if p.attended_at else ""] for p in people]
    file = None if form is not None else await export(request, table, f"registrants-{sid}",
                                                      {"session": sid})
    if file is None and people:  # names and phones on screen: personal data seen
        async with app_of(request).services.sessions() as session, session.begin():
            session.add(audit_entry(request, "view_registrants", session=sid, rows=len(people)))
    return file or render(request, "training.html", status=status, training=training,
                          people=people, error=error,
                          form=form or _edit_values(training, tz),
                          rows=table[1:], start=show(training.starts_at, tz),
                          end=show(training.ends_at, tz),
                          manage=may_manage(role, training.commune_code),
                          closed=training.status != SessionStatus.OPEN)


async def _managed(request: web.Request, session: Any) -> TrainingSession:
    training = await store.staff_session(session, who(request).role, request.match_info["id"])
    if training is None:
        raise web.HTTPNotFound()
    if not may_manage(who(request).role, training.commune_code):
        raise web.HTTPForbidden()
    return training


EDIT_FIELDS = ("title", "title_en", "description", "place", "link", "capacity", "deadline")


def _edit_values(training: TrainingSession, tz: Any) -> dict[str, str]:
    return {"title": training.title_vi, "title_en": training.title_en,
            "description": training.description_vi, "place": training.place,
            "link": training.link or "", "capacity": str(training.capacity),
            "deadline": local_input(training.deadline, tz) if training.deadline else ""}


def _details(request: web.Request, form: Any) -> manage.SessionDetails:
    capacity = number(str(form.get("capacity", "")), 6)
    if capacity is None:
        raise BadInput("training_bad_capacity")
    description = form_text(form, "description", multiline=True)
    if len(description) > MAX_DESCRIPTION:
        raise BadInput("training_bad_description")
    deadline = form_text(form, "deadline")
    return manage.SessionDetails(
        title=form_text(form, "title"), title_en=form_text(form, "title_en"),
        description=description, place=form_text(form, "place"),
        link=form_text(form, "link") or None, capacity=capacity,
        deadline=form_time(request, deadline) if deadline else None)


async def edit(request: web.Request) -> web.StreamResponse:
    """Title, place, seats and the rest; a refusal shows the form again with the reason."""
    form, app = await request.post(), app_of(request)
    try:
        details = _details(request, form)
        async with app.services.sessions() as session, session.begin():
            training = await _managed(request, session)
            promoted = await manage.edit(session, training, details, app.config.tz,
                                         now_of(request))
            session.add(audit_entry(request, "training_edit", session=training.id,
                               promoted=promoted))
    except (BadInput, manage.Refused) as refused:
        return await detail(request, form=kept(form, EDIT_FIELDS), error=refused.key,
                            status=400)
    return see_other(f"{PREFIX}/trainings/{request.match_info['id']}")


async def close(request: web.Request) -> web.StreamResponse:
    """Only with the "I am sure" box ticked: it cannot be undone and tells everyone."""
    app = app_of(request)
    if (await request.post()).get("sure") != "1":
        raise BadInput("training_close_unconfirmed")
    try:
        async with app.services.sessions() as session, session.begin():
            training = await _managed(request, session)
            told = await manage.close(session, training, app.config.tz, now_of(request))
            session.add(audit_entry(request, "training_close", session=training.id, told=told))
    except manage.Refused as refused:
        raise BadInput(refused.key) from None
    return see_other(f"{PREFIX}/trainings/{training.id}")


async def move(request: web.Request) -> web.StreamResponse:
    app, form = app_of(request), await request.post()
    start = form_time(request, str(form.get("start", "")))
    end = form_time(request, str(form.get("end", "")))
    try:
        async with app.services.sessions() as session, session.begin():
            training = await _managed(request, session)
            told = await manage.move(session, training, start, end, app.config.tz,
                                     now_of(request))
            session.add(audit_entry(request, "training_move", session=training.id, told=told))
    except manage.Refused as refused:
        raise BadInput(refused.key) from None
    return see_other(f"{PREFIX}/trainings/{training.id}")


async def attendance(request: web.Request) -> web.StreamResponse:
    """Mark or unmark one registrant; only a registrant this officer may see."""
    role, sid, form = who(request).role, request.match_info["id"], await request.post()
    registration = number(str(form.get("registration", "")), 12)
    if registration is None:
        raise BadInput("console_bad_request")
    async with app_of(request).services.sessions() as session, session.begin():
        if await store.staff_session(session, role, sid) is None:
            raise web.HTTPNotFound()  # another commune's session: as if it did not exist
        visible = {p.registration_id for p in await store.staff_registrants(session, role, sid)}
        if registration not in visible:
            raise web.HTTPNotFound()
        attended = form.get("attended") == "1"
        if not await manage.mark_attended(session, registration, sid, attended,
                                          now_of(request)):
            raise BadInput("training_attendance_seated_only")
        session.add(audit_entry(request, "attendance", session=sid, registration=registration,
                           attended=attended))
    return see_other(f"{PREFIX}/trainings/{sid}")
