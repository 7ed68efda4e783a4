"""Questions handed to a person (bot/handoff), in the console: open / answered / closed
lists scoped like everything else, a ticket's conversation, answering from the browser
(the same store and outbox as /traloi) and closing."""

from __future__ import annotations

from aiohttp import web

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
from bot.handoff import notify, store
from bot.storage.models import Ticket, TicketMessage
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


async def ticket(request: web.Request, error: str = "", status: int = 200
                 ) -> web.StreamResponse:
    found = await _found(request)
    item, messages = found
    return render(request, "ticket.html", status=status, item=item, messages=messages,
                  error=error, names=commune_names(request), show=show,
                  tz=app_of(request).config.tz, mine=item.assigned_to in (None, actor(request)))


async def _found(request: web.Request) -> tuple[Ticket, list[TicketMessage]]:
    ticket_number = number(request.match_info["id"], 9)
    if ticket_number is None:
        raise web.HTTPNotFound()
    async with app_of(request).services.sessions() as session:
        found = await store.staff_ticket(session, who(request).role, ticket_number)
    if found is None:
        raise web.HTTPNotFound()  # another commune's reads as none
    return found


async def answer(request: web.Request) -> web.StreamResponse:
    item, _messages = await _found(request)
    text = form_text(await request.post(), "text", multiline=True)
    if not text or len(text) > MAX_ANSWER:
        return await ticket(request, error="console_ticket_empty", status=400)
    app, now = app_of(request), now_of(request)
    try:
        async with app.services.sessions() as session, session.begin():
            answered = await store.answer(session, who(request).role, actor(request), item.id,
                                          text, now)
            if not answered.repeated:
                await notify.give_answer(session, app.services.communes, answered, text, now)
    except Refused as refused:
        return await ticket(request, error=refused.key, status=400)
    return see_other(f"{PREFIX}/tickets/{item.id}")


async def close(request: web.Request) -> web.StreamResponse:
    ticket_number = number(request.match_info["id"], 9)
    async with app_of(request).services.sessions() as session, session.begin():
        found = None if ticket_number is None else await store.staff_ticket(
            session, who(request).role, ticket_number)
        if found is None:
            raise web.HTTPNotFound()  # another commune's reads as none
        if found[0].status != store.Status.CLOSED:
            await store.close(session, found[0], now_of(request), reason="staff")
    return see_other(f"{PREFIX}/tickets/{ticket_number}")

