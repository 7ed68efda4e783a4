"""Events in the console: the list, add, edit (a new time tells the subscribers) and
cancel. Commune staff see the province's events and their commune's, and manage only
their commune's."""

from __future__ import annotations

from typing import Any

from aiohttp import web

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
    render,
    see_other,
    who,
)
from bot.core.refused import Refused
from bot.reminders import events
from bot.staff.scope import commune_filter, is_province, may_manage
from bot.storage.models import EventRecord
from bot.time import show

EVENT_FIELDS = ("id", "title", "title_en", "description", "start", "end", "place",
                "commune", "yearly", "all_day")


def _form(request: web.Request, form: Any) -> events.EventForm:
    return events.EventForm(
        title=form_text(form, "title"), title_en=form_text(form, "title_en"),
        description=form_text(form, "description", multiline=True),
        start=form_time(request, form_text(form, "start")),
        end=form_time(request, form_text(form, "end")),
        all_day=form.get("all_day") == "1", yearly=form.get("yearly") == "1",
        place=form_text(form, "place"))


def _values(row: EventRecord, tz: Any) -> dict[str, str]:
    """An event as its edit form shows it (datetime-local values)."""
    return {"title": row.title_vi, "title_en": row.title_en, "description": row.description_vi,
            "start": local_input(row.starts_at, tz), "end": local_input(row.ends_at, tz),
            "place": row.place,
            "yearly": "1" if row.yearly else "", "all_day": "1" if row.all_day else ""}


async def event_list(request: web.Request, form: Any = None, error: str = "",
                     status: int = 200) -> web.StreamResponse:
    app = app_of(request)
    async with app.services.sessions() as session:
        rows = await events.staff_events(session, who(request).role)
    names = commune_names(request)
    table: list[list[Any]] = [["id", "title", "start", "end", "yearly", "place", "commune",
                               "status"]]
    now, tz = now_of(request), app.config.tz
    nexts = {e.id: events.when_next(e, tz, now) for e in rows}
    state = {e.id: e.status if e.status != events.ACTIVE or nexts[e.id] else "over"
             for e in rows}
    table += [[e.id, e.title_vi, show(nexts[e.id] or e.starts_at, tz), show(e.ends_at, tz),
               "x" if e.yearly else "", e.place, names.get(e.commune_code or "", ""),
               state[e.id]] for e in rows]
    file = None if form is not None else await export(request, table, "events", {})
    return file or render(request, "events.html", status=status, rows=rows, names=names,
                  nexts=nexts, state=state,
                  tz=app.config.tz, show=show, own=commune_filter(who(request).role),
                  communes=sorted(app.services.communes.communes, key=lambda c: c.name),
                  form=form or {}, error=error)


async def add(request: web.Request) -> web.StreamResponse:
    form, app, role = await request.post(), app_of(request), who(request).role
    commune = form_text(form, "commune") or None
    if not is_province(role):
        commune = role.commune_code
    elif commune is not None and app.services.communes.get(commune) is None:
        raise BadInput("console_bad_request")
    try:
        details = _form(request, form)
        async with app.services.sessions() as session, session.begin():
            row = await events.add(session, form_text(form, "id"), details, commune,
                                   now_of(request))
            session.add(audit_entry(request, "event_add", event=row.id))
    except (BadInput, Refused) as refused:
        return await event_list(request, form=kept(form, EVENT_FIELDS), error=refused.key,
                                status=400)
    return see_other(f"{PREFIX}/events/{row.id}")


async def _visible(request: web.Request, session: Any) -> EventRecord:
    row = await events.staff_event(session, who(request).role, request.match_info["id"])
    if row is None:
        raise web.HTTPNotFound()
    return row


async def detail(request: web.Request, form: Any = None, error: str = "",
                 status: int = 200) -> web.StreamResponse:
    app = app_of(request)
    async with app.services.sessions() as session:
        row = await _visible(request, session)
    return render(request, "event.html", status=status, row=row, error=error,
                  form=form or _values(row, app.config.tz),
                  manage=may_manage(who(request).role, row.commune_code),
                  start=show(row.starts_at, app.config.tz))


async def edit(request: web.Request) -> web.StreamResponse:
    form, app = await request.post(), app_of(request)
    try:
        details = _form(request, form)
        async with app.services.sessions() as session, session.begin():
            row = await _managed(request, session)
            told = await events.edit(session, row, details, app.config.tz, now_of(request))
            session.add(audit_entry(request, "event_edit", event=row.id, told=told))
    except (BadInput, Refused) as refused:
        return await detail(request, form=kept(form, EVENT_FIELDS), error=refused.key,
                                status=400)
    return see_other(f"{PREFIX}/events/{request.match_info['id']}")


async def cancel(request: web.Request) -> web.StreamResponse:
    app = app_of(request)
    if (await request.post()).get("sure") != "1":
        raise BadInput("event_cancel_unconfirmed")
    try:
        async with app.services.sessions() as session, session.begin():
            row = await _managed(request, session)
            told = await events.cancel(session, row, app.config.tz, now_of(request))
            session.add(audit_entry(request, "event_cancel", event=row.id, told=told))
    except Refused as refused:
        raise BadInput(refused.key) from None
    return see_other(f"{PREFIX}/events/{request.match_info['id']}")


async def _managed(request: web.Request, session: Any) -> EventRecord:
    row = await _visible(request, session)
    if not may_manage(who(request).role, row.commune_code):
        raise web.HTTPForbidden()
    return row
