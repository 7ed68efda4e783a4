"""What every console page shares: keys, the catalogue, templates, redirects, the period
filter, and tables that answer `?format=csv` (or xlsx) with the rows on screen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from bot.app import App
from bot.catalogue import name_of
from bot.catalogue import text as catalogue_text
from bot.console.figures import VIETNAM_OFFSET_HOURS, Period
from bot.core.messages import clean_incoming
from bot.staff import signin
from bot.staff.scope import actor_of, is_province
from bot.storage.models import AuditEntry
from bot.time import stored_now
from bot.training.export import csv_bytes, xlsx_bytes
from knowledge.trainings import parse_local

APP_KEY = web.AppKey("bot_app", App)
WHO_KEY = web.RequestKey("staff", signin.SignedIn)
LANG_KEY = web.RequestKey("lang", str)
PREFIX = "/staff"
DEFAULT_DAYS = 30
MAX_DAYS = 366


class BadInput(Exception):
    """A filter or form value the page explains instead of using (catalogue key)."""

    def __init__(self, key: str, status: int = 400) -> None:
        super().__init__(key)
        self.key, self.status = key, status


def app_of(request: web.Request) -> App:
    return request.config_dict[APP_KEY]


def who(request: web.Request) -> signin.SignedIn:
    return request[WHO_KEY]


def actor(request: web.Request) -> str:
    """How the audit log and the stores name the signed-in staff member."""
    return actor_of(who(request).role)


def audit_entry(request: web.Request, action: str, **detail: Any) -> AuditEntry:
    return AuditEntry(at=now_of(request), actor=actor(request), action=action, detail=detail)


def commune_names(request: web.Request) -> dict[str, str]:
    return {c.code: c.name for c in app_of(request).services.communes.communes}


def kept(form: Any, keys: tuple[str, ...], multiline: tuple[str, ...] = ("description",)
         ) -> dict[str, str]:
    """What was typed in a refused form, cleaned, to show it again."""
    return {key: form_text(form, key, multiline=key in multiline) for key in keys}


def now_of(request: web.Request) -> datetime:
    return stored_now(app_of(request).services.clock)


def translator(request: web.Request) -> Callable[..., str]:
    lang = request.get(LANG_KEY, "vi")
    return lambda key, **values: catalogue_text(lang, key, **values)


def labeller(request: web.Request) -> Callable[[str, str], str]:
    """A stored code's name in the catalogue (PREFIX + code), or the code itself."""
    lang = request.get(LANG_KEY, "vi")
    return lambda prefix, code: name_of(lang, prefix, code)


def render(request: web.Request, template: str, status: int = 200,
           **context: Any) -> web.Response:
    signed = request.get(WHO_KEY)
    return aiohttp_jinja2.render_template(
        template, request, {"t": translator(request), "label": labeller(request),
                            "who": signed,
                            "csrf": signed.csrf if signed else "", "prefix": PREFIX,
                            "province": signed is not None and is_province(signed.role),
                            "path": request.path,
                            "request_query": _query(request, ("format",)),
                            "request_query_without_page": _query(request, ("format", "page")),
                            **context}, status=status)


def _query(request: web.Request, leave_out: tuple[str, ...]) -> str:
    return urlencode([(k, v) for k, v in request.query.items() if k not in leave_out])


def see_other(location: str) -> web.Response:
    """A redirect returned, not raised: the chat server's error middleware turns raised
    HTTP exceptions into JSON."""
    return web.Response(status=303, headers={"Location": location})


# -- the period filter -----------------------------------------------------------------

FIRST_YEAR, LAST_YEAR = 2000, 2100  # beyond these a date is a typo (and overflows)


def _local_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
        if FIRST_YEAR <= day.year <= LAST_YEAR:
            return day
    raise BadInput("console_bad_date")


def number(raw: str, digits: int) -> int | None:
    """A whole number typed in a form or URL (ASCII digits, optional minus, at most
    DIGITS of them), else None: "²" or "٣" are digits to Python, not to people."""
    raw = raw.strip()
    body = raw[1:] if raw.startswith("-") else raw
    if not body or len(body) > digits or not (body.isascii() and body.isdigit()):
        return None
    return int(raw)


def form_text(form: Any, key: str, multiline: bool = False) -> str:
    """A form field as people's messages are cleaned: no control or bidi characters
    (one would break the Excel export for everyone), spaces collapsed on one line."""
    text = clean_incoming(str(form.get(key, "")))
    return text.strip() if multiline else " ".join(text.split())


def chosen_period(request: web.Request) -> Period:
    """?from=&to= (local days, both included; 2026-11-01 or 01/11/2026), default the last
    30 days; BadInput for a date that is not one, or an end before the start."""
    today = (now_of(request) + timedelta(hours=VIETNAM_OFFSET_HOURS)).date()
    raw_from, raw_to = request.query.get("from", ""), request.query.get("to", "")
    last = _local_date(raw_to) if raw_to else today
    first = _local_date(raw_from) if raw_from else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise BadInput("console_dates_reversed")
    if (last - first).days >= MAX_DAYS:
        raise BadInput("console_dates_too_long")
    offset = timedelta(hours=VIETNAM_OFFSET_HOURS)
    start = datetime.combine(first, datetime.min.time()) - offset
    end = datetime.combine(last + timedelta(days=1), datetime.min.time()) - offset
    return Period(first, last, start, end)


FORM_TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M")


def form_time(request: web.Request, text: str) -> datetime:
    """A local time from a form: the browser's datetime-local, 15/10/2025 14:00, or ISO."""
    tz = app_of(request).config.tz
    text = text.strip()
    moment = None
    for fmt in FORM_TIME_FORMATS:
        try:
            moment = datetime.strptime(text, fmt).replace(tzinfo=tz)
            break
        except ValueError:
            continue
    if moment is None:
        try:
            moment = parse_local(text, tz)
        except ValueError:
            raise BadInput("training_bad_time") from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # a typo, and year 1 overflows in UTC
        raise BadInput("training_bad_time")
    return moment


def local_input(stored: datetime, tz: ZoneInfo) -> str:
    """A stored (naive UTC) time as a datetime-local form value in local time."""
    return stored.replace(tzinfo=UTC).astimezone(tz).strftime("%Y-%m-%dT%H:%M")


# -- tables ------------------------------------------------------------------------

async def export(request: web.Request, table: list[list[Any]], name: str,
                 detail: dict[str, Any]) -> web.Response | None:
    """The table as a file when the URL asks for one (audited), else None: the page."""
    kind = request.query.get("format")
    if kind not in ("csv", "xlsx"):
        return None
    app = app_of(request)
    async with app.services.sessions() as session, session.begin():
        session.add(audit_entry(request, "export", **{**detail, "page": name, "format": kind,
                                                      "rows": len(table) - 1}))
    if kind == "csv":
        body, content_type = csv_bytes(table), "text/csv"
    else:
        body = xlsx_bytes(table, name)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return web.Response(body=body, content_type=content_type, charset="utf-8",
                        headers={"Content-Disposition":
                                 f'attachment; filename="{name}.{kind}"'})
