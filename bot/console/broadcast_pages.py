"""Broadcasts from the browser: compose, see exactly who gets it, send now or later, watch
it go out, stop it, and the per-recipient report. Who may reach whom is the chat's rule
(bot/staff/scope.py through bot/broadcast/store.py): commune staff their commune only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from aiohttp import web

from bot.broadcast import store
from bot.catalogue import text as catalogue_text
from bot.console.render import (
    PREFIX,
    BadInput,
    actor,
    app_of,
    commune_names,
    export,
    form_text,
    form_time,
    kept,
    now_of,
    number,
    render,
    see_other,
    who,
)
from bot.reminders import events
from bot.staff.scope import is_province
from bot.storage.models import OutboxStatus
from bot.time import show, to_stored
from bot.training import store as trainings
from knowledge.audience import PERSON_GROUPS

CHANNEL_ORDER = ("zalo_oa", "zalo", "web", "telegram", "terminal")
PROGRESS = (OutboxStatus.SENT, OutboxStatus.PENDING, OutboxStatus.FAILED,
            OutboxStatus.INVALID, OutboxStatus.BLOCKED, OutboxStatus.UNREACHABLE,
            OutboxStatus.CANCELLED)


@dataclass(frozen=True)
class Draft:
    """A broadcast as the form describes it, checked."""

    text: str
    scope: store.Scope
    when: datetime | None  # aware local; None: now


def _draft(request: web.Request, form: Any) -> Draft:
    role = who(request).role
    text = form_text(form, "text", multiline=True)
    link = form_text(form, "link")
    if not text:
        raise BadInput("broadcast_empty")
    if link and not link.startswith(("https://", "http://")):
        raise BadInput("training_bad_link")
    text = f"{text}\n{link}" if link else text
    if len(text) > store.MAX_TEXT:
        raise BadInput("broadcast_too_long")
    raw_when = form_text(form, "when")
    when = form_time(request, raw_when) if raw_when else None
    if when is not None and to_stored(when) <= now_of(request):
        raise BadInput("broadcast_in_the_past")
    if not is_province(role):  # never more than their commune, whatever the form says
        return Draft(text, store.Scope(communes=(role.commune_code or "-",)), when)
    return Draft(text, _province_scope(request, form), when)


def _province_scope(request: web.Request, form: Any) -> store.Scope:
    target = str(form.get("target", "everyone"))
    if target == "session":
        return store.Scope(session=form_text(form, "session") or "-")
    if target == "event":
        return store.Scope(event=form_text(form, "event") or "-")
    audience = str(form.get("audience", "")) or None
    if audience is not None and audience not in PERSON_GROUPS:
        raise BadInput("console_bad_request")
    if target == "communes":
        codes = tuple(sorted({str(c) for c in form.getall("communes", [])}))
        if not codes or any(app_of(request).services.communes.get(c) is None for c in codes):
            raise BadInput("broadcast_pick_communes")
        return store.Scope(communes=codes, audience=audience)
    return store.Scope(audience=audience)


def in_quiet_hours(moment: datetime, quiet: tuple[time, time]) -> bool:
    start, end = quiet
    now = moment.time()
    return start <= now or now < end if start > end else start <= now < end


def _origin(request: web.Request) -> str:
    role = who(request).role
    if is_province(role):
        return catalogue_text("vi", "origin_province")
    commune = app_of(request).services.communes.get(role.commune_code or "")
    return commune.name if commune else catalogue_text("vi", "no_commune")


async def _choices(request: web.Request) -> dict[str, Any]:
    """What the compose form offers: communes, groups, sessions, events."""
    app = app_of(request)
    async with app.services.sessions() as session:
        sessions = await trainings.sessions_with_registrants(session)
        coming = await events.every_active(session, app.config.tz)
    return {"communes": sorted(app.services.communes.communes, key=lambda c: c.name),
            "groups": PERSON_GROUPS, "sessions": sessions, "events": coming}


async def broadcasts(request: web.Request, form: Any = None, error: str = "",
                     status: int = 200) -> web.StreamResponse:
    app = app_of(request)
    async with app.services.sessions() as session:
        items = await store.staff_broadcasts(session, who(request).role, actor(request))
    return render(request, "broadcasts.html", status=status, items=items, form=form or {},
                  error=error, show=show, tz=app.config.tz, **await _choices(request))


async def preview(request: web.Request) -> web.StreamResponse:
    """The message as people will get it, and exactly who gets it, before anything goes."""
    form = await request.post()
    try:
        draft = _draft(request, form)
    except BadInput as bad:
        return await broadcasts(request, form=_kept(form), error=bad.key, status=400)
    async with app_of(request).services.sessions() as session:
        per_channel = await store.count_by_channel(session, draft.scope)
    app = app_of(request)
    quiet = in_quiet_hours(draft.when or _local_now(request), app.config.quiet_hours)
    message = store.message_for(draft.text, "vi", _origin(request))
    return render(request, "broadcast_preview.html", form=_kept(form), message=message,
                  per_channel=sorted(per_channel.items(),
                                     key=lambda kv: CHANNEL_ORDER.index(kv[0])
                                     if kv[0] in CHANNEL_ORDER else 9),
                  total=sum(per_channel.values()), quiet=quiet,
                  when=show(to_stored(draft.when), app.config.tz) if draft.when else "",
                  quiet_hours=app.config.quiet_hours)


def _local_now(request: web.Request) -> datetime:
    app = app_of(request)
    return app.services.clock.now().astimezone(app.config.tz)


def _kept(form: Any) -> dict[str, Any]:
    typed: dict[str, Any] = kept(form, ("text", "link", "when", "target", "audience",
                                        "session", "event"), multiline=("text",))
    typed["communes"] = [str(c) for c in form.getall("communes", [])]
    return typed


async def send(request: web.Request) -> web.StreamResponse:
    form, app = await request.post(), app_of(request)
    try:
        draft = _draft(request, form)
        local = draft.when or _local_now(request)
        if in_quiet_hours(local, app.config.quiet_hours) and form.get("quiet_ok") != "1":
            raise BadInput("broadcast_quiet_unconfirmed")
    except BadInput as bad:
        return await broadcasts(request, form=_kept(form), error=bad.key, status=400)
    now = now_of(request)
    async with app.services.sessions() as session, session.begin():
        if await store.count_recipients(session, draft.scope) == 0:
            return await broadcasts(request, form=_kept(form), error="broadcast_nobody_console",
                                    status=400)
        try:
            item = await store.queue(session, actor(request), who(request).role, draft.scope,
                                     draft.text, _origin(request),
                                     to_stored(draft.when) if draft.when else now, now)
        except PermissionError:
            raise web.HTTPForbidden() from None
    return see_other(f"{PREFIX}/broadcasts/{item.id}")


async def _visible(request: web.Request, session: Any) -> Any:
    raw = number(request.match_info["id"], 12)
    item = await store.staff_broadcast(session, who(request).role, actor(request), raw or 0)
    if raw is None or item is None:
        raise web.HTTPNotFound()
    return item


async def detail(request: web.Request) -> web.StreamResponse:
    app = app_of(request)
    async with app.services.sessions() as session:
        item = await _visible(request, session)
        per_channel = await store.counts_per_channel(session, item.id)
        rows = await store.report(session, who(request).role, item.id)
    tally = store.summed(per_channel)
    names = commune_names(request)
    table: list[list[Any]] = [["channel", "name", "commune", "status", "attempts", "error"]]
    table += [[r.channel, r.name, names.get(r.commune or "", ""), r.status, r.attempts, r.error]
              for r in rows]
    file = await export(request, table, f"broadcast-{item.id}", {"broadcast": item.id})
    return file or render(request, "broadcast.html", item=item, tally=tally,
                          per_channel=sorted(per_channel.items()), progress=PROGRESS,
                          when=show(item.not_before, app.config.tz),
                          stoppable=tally.get(OutboxStatus.PENDING, 0) > 0)


async def progress(request: web.Request) -> web.StreamResponse:
    """The counts as JSON, for the page's script (the page itself works without it)."""
    async with app_of(request).services.sessions() as session:
        item = await _visible(request, session)
        tally = await store.counts(session, item.id)
    return web.json_response({str(k): tally.get(k, 0) for k in PROGRESS}
                             | {"status": item.status})


async def stop(request: web.Request) -> web.StreamResponse:
    app = app_of(request)
    async with app.services.sessions() as session, session.begin():
        item = await _visible(request, session)
        await store.cancel(session, item, actor(request), now_of(request))
    return see_other(f"{PREFIX}/broadcasts/{item.id}")
