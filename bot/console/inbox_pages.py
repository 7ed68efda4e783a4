"""The questions inbox: what people asked that the bot did not answer well, grouped, and
one click to make it a way to ask a topic or to mark it out of scope. Commune staff see
their commune's questions and propose; the province approves (then every process
applies it within seconds, bot/faq/live.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.console.render import (
    PREFIX,
    BadInput,
    actor,
    app_of,
    chosen_period,
    commune_names,
    form_text,
    now_of,
    number,
    render,
    see_other,
    who,
)
from bot.core.refused import Refused
from bot.faq import inbox
from bot.staff.scope import is_province
from bot.time import show
from knowledge.normalise import normalise


def _topics(request: web.Request) -> list[tuple[str, str]]:
    """(id, how people ask it) for the topic choice, by id."""
    kb = app_of(request).services.kb
    return sorted((t.id, (t.questions["vi"] or t.questions["en"] or [t.id])[0])
                  for t in kb.topics.values())


def _taken(request: web.Request) -> dict[str, str]:
    """Every variant already in the knowledge base, normalised, with its topic."""
    kb = app_of(request).services.kb
    return {normalise(q): t.id for t in kb.topics.values() for q in t.all_variants()}


async def page(request: web.Request, error: str = "", status: int = 200
               ) -> web.StreamResponse:
    app, when = app_of(request), chosen_period(request)
    async with app.services.sessions() as session:
        found = await inbox.groups(session, who(request).role, when.start, when.end)
        pending = await inbox.proposals(session) if _province(request) else []
    names = commune_names(request)
    return render(request, "inbox.html", status=status, groups=found, pending=pending,
                  when=when, names=names, topics=_topics(request), error=error, show=show,
                  tz=app.config.tz)


def _province(request: web.Request) -> bool:
    return is_province(who(request).role)


async def decide(request: web.Request) -> web.StreamResponse:
    form, app = await request.post(), app_of(request)
    text = form_text(form, "text")
    normalised = normalise(text)
    raw = str(form.get("decision", ""))
    if not normalised or raw not in tuple(inbox.Decision):
        raise BadInput("console_bad_request")
    topic = form_text(form, "topic") or None
    try:
        async with app.services.sessions() as session, session.begin():
            await inbox.decide(session, who(request).role, actor(request),
                               normalised, text, inbox.Decision(raw), topic,
                               set(app.services.kb.topics), _taken(request), now_of(request))
    except Refused as refused:
        return await page(request, error=refused.key, status=400)
    _apply_soon(request)
    return see_other(f"{PREFIX}/questions/inbox")


async def review(request: web.Request) -> web.StreamResponse:
    form, app = await request.post(), app_of(request)
    decision_id = number(request.match_info["id"], 12)
    if decision_id is None:
        raise web.HTTPNotFound()
    try:
        async with app.services.sessions() as session, session.begin():
            await inbox.review(session, who(request).role, actor(request),
                               decision_id, form.get("approve") == "1", now_of(request))
    except Refused as refused:
        if refused.key == "inbox_province_only":
            raise web.HTTPForbidden() from None
        return await page(request, error=refused.key, status=400)
    _apply_soon(request)
    return see_other(f"{PREFIX}/questions/inbox")


_REFRESHES: set[asyncio.Task[Any]] = set()


def _apply_soon(request: web.Request) -> None:
    """This process applies it now; the others within their next poll."""
    watcher = app_of(request).watcher
    if watcher is not None:
        task = asyncio.create_task(watcher.refresh())
        _REFRESHES.add(task)
        task.add_done_callback(_REFRESHES.discard)
