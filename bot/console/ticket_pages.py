"""Questions handed to a person (bot/handoff), in the console: open / answered / closed
lists scoped like everything else, a ticket's conversation, answering from the browser
(the same store and outbox as /traloi), ready answers, reassigning, closing, and (for
the province) turning an answer into knowledge."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.render import (
    PREFIX,
    actor,
    app_of,
    commune_names,
    form_text,
    now_of,
    number,
    render,
    see_other,
    who,
)
from bot.core.refused import Refused
from bot.handoff import canned, notify, store
from bot.staff.scope import is_province
from bot.storage.models import Ticket, TicketMessage, User
from bot.time import show

MAX_ANSWER = 10_000


async def tickets(request: web.Request) -> web.StreamResponse:
    raw = request.query.get("status", store.Status.OPEN)
    if raw not in tuple(store.Status):
        raise web.HTTPNotFound()
    async with app_of(request).services.sessions() as session:
        rows = await store.staff_tickets(session, who(request).role, store.Status(raw))
    return render(request, "tickets.html", rows=rows, shown=raw, statuses=tuple(store.Status),
                  names=commune_names(request), show=show, tz=app_of(request).config.tz)


async def ticket(request: web.Request, error: str = "", status: int = 200, draft: str = ""
                 ) -> web.StreamResponse:
    item, messages = await _found(request)
    async with app_of(request).services.sessions() as session:
        ready = await canned.for_ticket(session, item.commune_code)
        officers = await store.officers(session, item)
    chosen = number(request.query.get("canned", ""), 12)
    draft = draft or next((r.text for r in ready if r.id == chosen), "")
    return render(request, "ticket.html", status=status, item=item, messages=messages,
                  error=error, names=commune_names(request), show=show,
                  tz=app_of(request).config.tz, mine=item.assigned_to in (None, actor(request)),
                  ready=ready, draft=draft, officers=officers, to_province=store.PROVINCE,
                  staff_names={o.actor: o.name for o in officers},
                  to_knowledge=_to_knowledge(request, messages))


def _to_knowledge(request: web.Request, messages: list[TicketMessage]) -> bool:
    """Offer a new topic made of the question and the answer (province staff only)."""
    return is_province(who(request).role) and any(m.staff for m in messages)


async def _found(request: web.Request) -> tuple[Ticket, list[TicketMessage]]:
    async with app_of(request).services.sessions() as session:
        return await _found_in(session, request)


async def _found_in(session: AsyncSession, request: web.Request
                    ) -> tuple[Ticket, list[TicketMessage]]:
    """The ticket of the URL with its conversation, if the signed-in role may see it."""
    ticket_number = number(request.match_info["id"], 9)
    found = None if ticket_number is None else await store.staff_ticket(
        session, who(request).role, ticket_number)
    if found is None:
        raise web.HTTPNotFound()  # another commune's reads as none
    return found


async def answer(request: web.Request) -> web.StreamResponse:
    item, _messages = await _found(request)
    text = form_text(await request.post(), "text", multiline=True)
    if not text or len(text) > MAX_ANSWER:
        return await ticket(request, error="console_ticket_empty", status=400, draft=text)
    app, now = app_of(request), now_of(request)
    try:
        async with app.services.sessions() as session, session.begin():
            answered = await store.answer(session, who(request).role, actor(request), item.id,
                                          text, now)
            if not answered.repeated:
                await notify.give_answer(session, app.services.communes, answered, text, now)
    except Refused as refused:
        return await ticket(request, error=refused.key, status=400, draft=text)
    return see_other(f"{PREFIX}/tickets/{item.id}")


async def assign(request: web.Request) -> web.StreamResponse:
    """Give the ticket to one officer of its team, or to the province; they are told."""
    to = form_text(await request.post(), "to")
    app, now = app_of(request), now_of(request)
    try:
        async with app.services.sessions() as session, session.begin():
            item, messages = await _found_in(session, request)
            team = await store.reassign(session, item, actor(request), to, now)
            citizen = await session.get(User, item.user_id)
            if citizen is not None:
                await notify.tell_assigned(session, app.services.communes, team, item, citizen,
                                           messages[0].text, now)
    except Refused as refused:
        return await ticket(request, error=refused.key, status=400)
    if not store.may_answer(who(request).role, item):  # handed up to the province
        return see_other(f"{PREFIX}/tickets")
    return see_other(f"{PREFIX}/tickets/{item.id}")


async def close(request: web.Request) -> web.StreamResponse:
    async with app_of(request).services.sessions() as session, session.begin():
        item, _messages = await _found_in(session, request)
        if item.status != store.Status.CLOSED:
            waiting = item.status == store.Status.OPEN
            await store.close(session, item, now_of(request), reason="staff",
                              actor=actor(request))
            if waiting:  # nobody answered: the person should not go on waiting
                await notify.tell_closed(session, item, now_of(request))
    return see_other(f"{PREFIX}/tickets/{item.id}")


async def ready_answers(request: web.Request, error: str = "", status: int = 200,
                        typed: dict[str, str] | None = None) -> web.StreamResponse:
    """The team's ready answers (the province's, for province staff)."""
    async with app_of(request).services.sessions() as session:
        rows = await canned.kept_by(session, who(request).role)
    return render(request, "ready_answers.html", status=status, rows=rows, error=error,
                  typed=typed or {}, most=canned.MAX_PER_TEAM)


async def add_ready_answer(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    typed = {"title": form_text(form, "title"), "text": form_text(form, "text", multiline=True)}
    try:
        async with app_of(request).services.sessions() as session, session.begin():
            await canned.add(session, who(request).role, actor(request), typed["title"],
                             typed["text"], now_of(request))
    except Refused as refused:
        return await ready_answers(request, refused.key, 400, typed)
    return see_other(f"{PREFIX}/tickets/replies")


async def remove_ready_answer(request: web.Request) -> web.StreamResponse:
    reply_id = number(request.match_info["id"], 12)
    async with app_of(request).services.sessions() as session, session.begin():
        removed = reply_id is not None and await canned.remove(
            session, who(request).role, actor(request), reply_id, now_of(request))
    if not removed:
        raise web.HTTPNotFound()  # another team's reads as none
    return see_other(f"{PREFIX}/tickets/replies")
