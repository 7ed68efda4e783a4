"""The staff console's web app, mounted at /staff/ on the bot's web server.

Server-rendered (aiohttp-jinja2, autoescaped), no JavaScript needed. Every page
but the sign-in ones needs a session (bot/staff/signin.py); every POST needs the
session's CSRF token and a same-origin `Origin`; what a page shows is scoped by
bot/staff/scope.py. Errors are HTML pages, not the chat API's JSON.
"""

from __future__ import annotations

import csv
import hmac
import io
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.app import App
from bot.catalogue import text as catalogue_text
from bot.console import figures
from bot.staff import signin
from bot.staff.scope import commune_filter, is_province
from bot.storage.models import AuditEntry
from bot.time import show, stored_now

log = logging.getLogger(__name__)
APP_KEY = web.AppKey("bot_app", App)
WHO_KEY = web.RequestKey("staff", signin.SignedIn)
LANG_KEY = web.RequestKey("lang", str)
COOKIE = "laocai_staff"
PREFIX = "/staff"
OPEN_PATHS = ("/login/", "/static/", "/signed-out")  # under PREFIX, no session needed
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _t(request: web.Request) -> Callable[..., str]:
    lang = request.get(LANG_KEY, "vi")
    return lambda key, **values: catalogue_text(lang, key, **values)


def render(request: web.Request, template: str, status: int = 200,
           **context: Any) -> web.Response:
    return aiohttp_jinja2.render_template(
        template, request, {"t": _t(request), "who": request.get(WHO_KEY),
                            "csrf": who.csrf if (who := request.get(WHO_KEY)) else "",
                            "prefix": PREFIX, **context}, status=status)


def see_other(location: str) -> web.Response:
    """A redirect returned, not raised: the chat server's error middleware turns raised
    HTTP exceptions into JSON."""
    return web.Response(status=303, headers={"Location": location})


# -- middlewares ---------------------------------------------------------------------

@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every console answer, and HTML for every error."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        key = {403: "console_forbidden", 404: "console_not_found"}.get(exc.status,
                                                                       "console_error")
        response = render(request, "error.html", status=exc.status, message_key=key)
    except Exception as exc:
        log.error("console: %s %s failed: %s", request.method, request.path,
                  type(exc).__name__)
        response = render(request, "error.html", status=500, message_key="console_error")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _same_origin(request: web.Request, public_url: str) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # old browsers: the CSRF token alone decides
        return True
    allowed = {f"{request.scheme}://{request.host}"}
    if public_url:
        parts = urlsplit(public_url)
        allowed.add(f"{parts.scheme}://{parts.netloc}")
    return origin in allowed


@web.middleware
async def _session(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Who is asking (re-read each time: a revoked role is out at once), and CSRF."""
    app = request.config_dict[APP_KEY]
    if request.method == "POST" and not _same_origin(request, app.config.web_public_url):
        raise web.HTTPForbidden()
    tail = request.path[len(PREFIX):]
    if tail.startswith(OPEN_PATHS):
        return await handler(request)
    now = stored_now(app.services.clock)
    async with app.services.sessions() as session, session.begin():
        who = await signin.signed_in(session, request.cookies.get(COOKIE, ""), now)
        if who is not None:
            request[LANG_KEY] = await signin.language_of(session, who.role)
    if who is None:
        return see_other(f"{PREFIX}/signed-out")
    request[WHO_KEY] = who
    if request.method == "POST":
        form = await request.post()
        given = str(form.get("csrf", ""))
        if not hmac.compare_digest(given.encode(), who.csrf.encode()):
            raise web.HTTPForbidden()
    return await handler(request)


# -- sign-in -----------------------------------------------------------------------

async def login_page(request: web.Request) -> web.Response:
    """GET only asks: chat apps and link scanners fetch links, and must not sign in."""
    app = request.config_dict[APP_KEY]
    async with app.services.sessions() as session:
        role = await signin.link_owner(session, request.match_info["token"],
                                       stored_now(app.services.clock))
    if role is None:
        return render(request, "login_failed.html", status=410)
    return render(request, "login_confirm.html", staff=f"{role.channel}:{role.channel_user_id}",
                  token=request.match_info["token"])


async def login(request: web.Request) -> web.StreamResponse:
    app = request.config_dict[APP_KEY]
    async with app.services.sessions() as session, session.begin():
        opened = await signin.use_link(session, request.match_info["token"],
                                       stored_now(app.services.clock))
    if opened is None:
        return render(request, "login_failed.html", status=410)
    response = see_other(f"{PREFIX}/")
    response.set_cookie(COOKIE, opened.cookie, httponly=True, samesite="Lax", path=PREFIX,
                        secure=app.config.public_url.startswith("https://"))
    return response


async def signed_out(request: web.Request) -> web.Response:
    return render(request, "signed_out.html")


async def logout(request: web.Request) -> web.StreamResponse:
    app = request.config_dict[APP_KEY]
    form = await request.post()
    async with app.services.sessions() as session, session.begin():
        await signin.sign_out(session, request[WHO_KEY], form.get("everywhere") == "1",
                              stored_now(app.services.clock))
    response = see_other(f"{PREFIX}/signed-out")
    response.del_cookie(COOKIE, path=PREFIX)
    return response


# -- dashboard -----------------------------------------------------------------------

PERIODS = (7, 30, 90)


async def dashboard(request: web.Request) -> web.StreamResponse:
    app = request.config_dict[APP_KEY]
    who: signin.SignedIn = request[WHO_KEY]
    days = int(request.query.get("days", "30")) if request.query.get("days", "30") in {
        str(d) for d in PERIODS} else 30
    chosen = request.query.get("commune") or None
    if chosen is not None and app.services.communes.get(chosen) is None:
        raise web.HTTPNotFound()
    if chosen is not None and not is_province(who.role) and chosen != who.role.commune_code:
        raise web.HTTPForbidden()  # a commune officer asking for another commune by URL
    now = stored_now(app.services.clock)
    async with app.services.sessions() as session, session.begin():
        numbers = await figures.dashboard(session, who.role, figures.last_days(now, days),
                                          chosen)
        if request.query.get("format") == "csv":
            session.add(AuditEntry(at=now, actor=signin.actor_of(who.role), action="export",
                                   detail={"page": "dashboard", "days": days,
                                           "commune": chosen}))
    names = {c.code: c.name for c in app.services.communes.communes}
    if request.query.get("format") == "csv":
        return _csv(_dashboard_rows(numbers, names), "dashboard.csv")
    own = commune_filter(who.role)
    none = _t(request)("console_no_commune")
    by_commune = [(names.get(k or "") or none, n) for k, n in numbers.by_commune]
    by_group = [(k or none, n) for k, n in numbers.by_group]
    return render(request, "dashboard.html", numbers=numbers, names=names, days=days,
                  by_commune=by_commune, by_group=by_group,
                  periods=PERIODS, chosen=chosen, own=own,
                  communes=sorted(app.services.communes.communes, key=lambda c: c.name),
                  now=show(now, app.config.tz))


def _dashboard_rows(numbers: figures.Dashboard, names: dict[str, str]) -> list[list[Any]]:
    rows: list[list[Any]] = [["figure", "key", "value"],
                             ["people", "new", numbers.new_people],
                             ["people", "active", numbers.active_people],
                             ["questions", "total", numbers.questions],
                             ["questions", "answer_rate", f"{numbers.answer_rate:.3f}"]]
    rows += [["channel", k, n] for k, n in numbers.by_channel]
    rows += [["commune", names.get(k or "", k or "-"), n] for k, n in numbers.by_commune]
    rows += [["group", k or "-", n] for k, n in numbers.by_group]
    for day, a, s, f in numbers.per_day:
        rows += [["answered", day.isoformat(), a], ["suggested", day.isoformat(), s],
                 ["unanswered", day.isoformat(), f]]
    rows += [["topic", k, n] for k, n in numbers.top_topics]
    rows += [["unanswered_question", k, n] for k, n in numbers.top_unanswered]
    return rows


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv(rows: list[list[Any]], filename: str) -> web.Response:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return web.Response(body=("\ufeff" + out.getvalue()).encode(), content_type="text/csv",
                        charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def console_app(app: App) -> web.Application:
    console = web.Application(middlewares=[_headers, _session])
    console[APP_KEY] = app
    env = aiohttp_jinja2.setup(
        console, loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=jinja2.select_autoescape(default=True))
    env.globals["max"] = max
    console.router.add_get("/", dashboard)
    console.router.add_get("/login/{token}", login_page)
    console.router.add_post("/login/{token}", login)
    console.router.add_get("/signed-out", signed_out)
    console.router.add_post("/logout", logout)
    console.router.add_static("/static/", Path(__file__).parent / "static")
    return console
