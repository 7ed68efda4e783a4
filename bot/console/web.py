"""The staff console's web app, mounted at /staff/ on the bot's web server.

Server-rendered (aiohttp-jinja2, autoescaped), no JavaScript needed. Every page
but the sign-in ones needs a session (bot/staff/signin.py); every POST needs the
session's CSRF token and a same-origin `Origin`; what a page shows is scoped by
bot/staff/scope.py. Errors are HTML pages, not the chat API's JSON.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.app import App
from bot.console import (
    broadcast_pages,
    event_pages,
    inbox_pages,
    knowledge_pages,
    pages,
    ticket_pages,
    training_pages,
)
from bot.console.render import (
    APP_KEY,
    LANG_KEY,
    PREFIX,
    WHO_KEY,
    BadInput,
    app_of,
    now_of,
    render,
    see_other,
    translator,
    who,
)
from bot.staff import signin
from bot.staff.scope import is_province

log = logging.getLogger(__name__)
# A console form, percent-encoded: two 20,000-character Vietnamese answers and the rest
# (the web chat API keeps its own 64 KB limit).
FORM_LIMIT = 1024 * 1024
COOKIE = "laocai_staff"
OPEN_PATHS = ("/login/", "/static/", "/signed-out")  # under PREFIX, no session needed
SIGN_IN_PATHS = ("/login/", "/signed-out")
CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
       "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
ERROR_KEYS = {400: "console_bad_request", 403: "console_forbidden", 404: "console_not_found",
              405: "console_not_found", 413: "console_too_large"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every console answer, and HTML for every error."""
    if request.method == "POST":  # an answer may be 20,000 Vietnamese characters
        request = request.clone(client_max_size=FORM_LIMIT)
    try:
        response = await handler(request)
    except BadInput as bad:
        response = render(request, "error.html", status=bad.status, message_key=bad.key)
    except web.HTTPException as exc:
        response = render(request, "error.html", status=exc.status,
                          message_key=ERROR_KEYS.get(exc.status, "console_error"))
    except Exception as exc:
        log.error("console: %s %s failed: %s", request.method, request.path,
                  type(exc).__name__)
        response = render(request, "error.html", status=500, message_key="console_error")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # The sign-in pages carry the token in their address: never sent anywhere. Elsewhere
    # same-origin, or browsers send "Origin: null" with the forms and the check below fails.
    sign_in = request.path[len(PREFIX):].startswith(SIGN_IN_PATHS)
    response.headers["Referrer-Policy"] = "no-referrer" if sign_in else "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def _same_origin(request: web.Request, public_url: str) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # old browsers: the CSRF token alone decides
        return True
    if origin == "null" and request.path[len(PREFIX):].startswith(SIGN_IN_PATHS):
        return True  # the sign-in page's no-referrer policy makes browsers send "null"
    allowed = {f"{request.scheme}://{request.host}"}
    if public_url:
        parts = urlsplit(public_url)
        allowed.add(f"{parts.scheme}://{parts.netloc}")
    return origin in allowed


@web.middleware
async def _session(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Who is asking (re-read each time: a revoked role is out at once), and CSRF."""
    app = app_of(request)
    if request.method == "POST" and not _same_origin(request, app.config.web_public_url):
        raise web.HTTPForbidden()
    if request.path[len(PREFIX):].startswith(OPEN_PATHS):
        return await handler(request)
    async with app.services.sessions() as session, session.begin():
        signed = await signin.signed_in(session, request.cookies.get(COOKIE, ""),
                                        now_of(request))
        if signed is not None:
            request[LANG_KEY] = await signin.language_of(session, signed.role)
    if signed is None:
        return see_other(f"{PREFIX}/signed-out")
    request[WHO_KEY] = signed
    if request.method == "POST":
        try:
            given = str((await request.post()).get("csrf", ""))
        except (UnicodeDecodeError, ValueError):  # not a form a browser would send
            raise BadInput("console_bad_request") from None
        if not hmac.compare_digest(given.encode(), signed.csrf.encode()):
            # A form from before the last sign-in (or forged): nothing changes.
            raise BadInput("console_stale_form", status=403)
    return await handler(request)


# -- sign-in -----------------------------------------------------------------------

async def login_page(request: web.Request) -> web.Response:
    """GET only asks: chat apps and link scanners fetch links, and must not sign in."""
    async with app_of(request).services.sessions() as session:
        role = await signin.link_owner(session, request.match_info["token"], now_of(request))
    if role is None:
        return render(request, "login_failed.html", status=410)
    t = translator(request)
    commune = app_of(request).services.communes.get(role.commune_code or "")
    who_text = (t("console_role_province") if is_province(role)
                else t("console_role_commune", commune=commune.name if commune else "—"))
    # The role, not the chat id: link scanners fetch this page too.
    return render(request, "login_confirm.html", staff=who_text,
                  token=request.match_info["token"])


async def login(request: web.Request) -> web.StreamResponse:
    app = app_of(request)
    async with app.services.sessions() as session, session.begin():
        opened = await signin.use_link(session, request.match_info["token"], now_of(request))
    if opened is None:
        return render(request, "login_failed.html", status=410)
    response = see_other(f"{PREFIX}/")
    response.set_cookie(COOKIE, opened.cookie, httponly=True, samesite="Lax", path=PREFIX,
                        secure=app.config.public_url.startswith("https://"))
    return response


async def signed_out(request: web.Request) -> web.Response:
    return render(request, "signed_out.html")


async def logout(request: web.Request) -> web.StreamResponse:
    everywhere = (await request.post()).get("everywhere") == "1"
    async with app_of(request).services.sessions() as session, session.begin():
        await signin.sign_out(session, who(request), everywhere, now_of(request))
    response = see_other(f"{PREFIX}/signed-out")
    response.del_cookie(COOKIE, path=PREFIX)
    return response


async def to_console(_request: web.Request) -> web.Response:
    return see_other(f"{PREFIX}/")


def console_app(app: App) -> web.Application:
    console = web.Application(middlewares=[_headers, _session])
    console[APP_KEY] = app
    here = Path(__file__).parent
    env = aiohttp_jinja2.setup(console, loader=jinja2.FileSystemLoader(here / "templates"),
                               autoescape=jinja2.select_autoescape(default=True))
    env.globals["max"] = max
    env.filters["sum_day"] = lambda day: sum(day[1:])  # (day, answered, suggested, none)
    routes = console.router
    routes.add_get("/", pages.dashboard)
    routes.add_get("/people", pages.people)
    routes.add_get("/questions", pages.questions)
    routes.add_get("/audit", pages.audit)
    routes.add_get("/questions/inbox", inbox_pages.page)
    routes.add_post("/questions/inbox/decide", inbox_pages.decide)
    routes.add_post("/questions/inbox/{id}/review", inbox_pages.review)
    routes.add_get("/knowledge", knowledge_pages.topics)
    routes.add_get("/knowledge/new", knowledge_pages.topic_page)
    routes.add_post("/knowledge/new", knowledge_pages.topic_post)
    routes.add_get("/knowledge/topic/{id}", knowledge_pages.topic_page)
    routes.add_post("/knowledge/topic/{id}", knowledge_pages.topic_post)
    routes.add_post("/knowledge/topic/{id}/restore/{revision}", knowledge_pages.restore)
    routes.add_get("/knowledge/lexicon", knowledge_pages.lexicon_page)
    routes.add_post("/knowledge/lexicon", knowledge_pages.lexicon_post)
    routes.add_post("/knowledge/lexicon/restore/{revision}", knowledge_pages.lexicon_restore)
    routes.add_get("/tickets", ticket_pages.tickets)
    routes.add_get("/tickets/replies", ticket_pages.ready_answers)
    routes.add_post("/tickets/replies", ticket_pages.add_ready_answer)
    routes.add_post("/tickets/replies/{id}/remove", ticket_pages.remove_ready_answer)
    routes.add_get("/tickets/{id}", ticket_pages.ticket)
    routes.add_post("/tickets/{id}/answer", ticket_pages.answer)
    routes.add_post("/tickets/{id}/close", ticket_pages.close)
    routes.add_post("/tickets/{id}/assign", ticket_pages.assign)
    routes.add_get("/trainings", training_pages.trainings)
    routes.add_post("/trainings", training_pages.add)
    routes.add_get("/trainings/{id}", training_pages.detail)
    routes.add_post("/trainings/{id}/edit", training_pages.edit)
    routes.add_post("/trainings/{id}/close", training_pages.close)
    routes.add_post("/trainings/{id}/move", training_pages.move)
    routes.add_post("/trainings/{id}/attendance", training_pages.attendance)
    routes.add_get("/broadcasts", broadcast_pages.broadcasts)
    routes.add_post("/broadcasts/preview", broadcast_pages.preview)
    routes.add_post("/broadcasts", broadcast_pages.send)
    routes.add_get("/broadcasts/{id}", broadcast_pages.detail)
    routes.add_get("/broadcasts/{id}/progress", broadcast_pages.progress)
    routes.add_post("/broadcasts/{id}/stop", broadcast_pages.stop)
    routes.add_get("/events", event_pages.event_list)
    routes.add_post("/events", event_pages.add)
    routes.add_get("/events/{id}", event_pages.detail)
    routes.add_post("/events/{id}", event_pages.edit)
    routes.add_post("/events/{id}/cancel", event_pages.cancel)
    routes.add_get("/login/{token}", login_page)
    routes.add_post("/login/{token}", login)
    routes.add_get("/signed-out", signed_out)
    routes.add_post("/logout", logout)
    routes.add_static("/static/", here / "static")
    return console
