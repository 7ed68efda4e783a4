"""The console's read-only pages: dashboard, people, questions, audit. Each asks
bot/console/figures.py for its rows (scoped there) and answers ?format=csv|xlsx with
the same rows as the screen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.console import figures
from bot.console.render import (
    BadInput,
    app_of,
    chosen_period,
    commune_names,
    export,
    now_of,
    number,
    render,
    translator,
    who,
)
from bot.staff.scope import commune_filter, is_province
from bot.time import show
from bot.training import store
from knowledge.matcher import ANSWER, FALLBACK, SUGGEST

OUTCOMES = (ANSWER, SUGGEST, FALLBACK)


def _commune_asked(request: web.Request) -> str | None:
    """?commune=…: a province officer's choice; a commune officer may only name their own
    (another one by URL is refused, not silently widened or narrowed)."""
    chosen = request.query.get("commune") or None
    if chosen is None:
        return None
    if app_of(request).services.communes.get(chosen) is None:
        raise web.HTTPNotFound()
    role = who(request).role
    if not is_province(role) and chosen != role.commune_code:
        raise web.HTTPForbidden()
    return chosen


def _page_number(request: web.Request) -> int:
    page = number(request.query.get("page", "0"), 5)
    if page is None or page < 0:
        raise BadInput("console_bad_page")
    return page


def _common(request: web.Request, chosen: str | None) -> dict[str, Any]:
    """What the filter form of every page needs."""
    communes = app_of(request).services.communes.communes
    return {"chosen": chosen, "own": commune_filter(who(request).role),
            "names": commune_names(request), "communes": sorted(communes, key=lambda c: c.name),
            "now": show(now_of(request), app_of(request).config.tz)}


async def dashboard(request: web.Request) -> web.StreamResponse:
    chosen, when = _commune_asked(request), chosen_period(request)
    async with app_of(request).services.sessions() as session:
        config = app_of(request).config
        office = figures.Office(config.office_hours, config.tz, now_of(request))
        numbers = await figures.dashboard(session, who(request).role, when, chosen, office)
        sessions = [line for line in await store.staff_sessions(session, who(request).role,
                                                                chosen)
                    if line.training.ends_at > now_of(request)]
    names, none = commune_names(request), translator(request)("console_no_commune")
    by_commune = [(names.get(k or "") or none, n) for k, n in numbers.by_commune]
    by_group = [(k or none, n) for k, n in numbers.by_group]
    table = _dashboard_table(numbers, by_commune, by_group)
    table += [["session", f"{ln.training.id} confirmed/waiting (in scope), taken/capacity",
               f"{ln.confirmed}/{ln.waitlisted}, {ln.training.seats_taken}/"
               f"{ln.training.capacity}"] for ln in sessions]
    file = await export(request, table, "dashboard", {"commune": chosen,
                                                      "from": when.first.isoformat(),
                                                      "to": when.last.isoformat()})
    return file or render(request, "dashboard.html", numbers=numbers, when=when,
                          sessions=sessions, duration=_duration(request),
                          by_commune=by_commune, by_group=by_group, **_common(request, chosen))


def _duration(request: web.Request) -> Any:
    """Office time as people read it: "2 giờ 15 phút"; "—" when there is none."""
    t = translator(request)

    def shown(value: timedelta | None) -> str:
        if value is None:
            return "—"
        minutes = round(value.total_seconds() / 60)
        return t("console_duration", hours=minutes // 60, minutes=minutes % 60)
    return shown


def _dashboard_table(numbers: figures.Dashboard, by_commune: list[tuple[str, int]],
                     by_group: list[tuple[str, int]]) -> list[list[Any]]:
    rows: list[list[Any]] = [["figure", "key", "value"],
                             ["people", "new", numbers.new_people],
                             ["people", "active", numbers.active_people],
                             ["questions", "total", numbers.questions],
                             ["questions", "answer_rate", f"{numbers.answer_rate:.3f}"]]
    rows += [["channel", k, n] for k, n in numbers.by_channel]
    rows += [["commune", k, n] for k, n in by_commune]
    rows += [["group", k, n] for k, n in by_group]
    for day, a, s, f in numbers.per_day:
        rows += [["answered", day.isoformat(), a], ["suggested", day.isoformat(), s],
                 ["unanswered", day.isoformat(), f]]
    rows += [["topic", k, n] for k, n in numbers.top_topics]
    rows += [["unanswered_question", k, n] for k, n in numbers.top_unanswered]
    rows += [["sent", f"{kind}/{status}", n] for kind, status, n in numbers.sent]
    for monday, _total, rate, liked in numbers.weeks():
        rows += [["week_answer_rate", monday.isoformat(), f"{rate:.3f}"],
                 ["week_thumbs_up_share", monday.isoformat(),
                  "" if liked is None else f"{liked:.3f}"]]
    rows += [["topic_thumbs_up/down", topic, f"{up}/{down}"]
             for topic, (up, down) in sorted(numbers.rated_topics.items())]
    return rows + _handoff_rows(numbers.handoff)


def _handoff_rows(handoff: figures.HandoffFigures) -> list[list[Any]]:
    """Questions for officers: per team (commune code, or province) and response times
    in office hours (hours, two decimals; empty when nothing was answered)."""
    def hours(value: timedelta | None) -> str:
        return "" if value is None else f"{value.total_seconds() / 3600:.2f}"

    rows: list[list[Any]] = [["tickets_opened/answered", code or "province", f"{a}/{b}"]
                             for code, a, b in handoff.by_team]
    rows += [["ticket_first_response_office_hours", "median", hours(handoff.median)],
             ["ticket_first_response_office_hours", "p90", hours(handoff.p90)],
             ["ticket_answered_within_working_day", "share",
              "" if handoff.within_day is None else f"{handoff.within_day:.3f}"]]
    return rows


async def people(request: web.Request) -> web.StreamResponse:
    chosen = _commune_asked(request)
    async with app_of(request).services.sessions() as session:
        counts = await figures.people(session, who(request).role, chosen)
    names, none = commune_names(request), translator(request)("console_no_commune")
    by_commune = [(names.get(k or "") or none, n) for k, n in counts.by_commune]
    by_group = [(k or none, n) for k, n in counts.by_group]
    table: list[list[Any]] = [["figure", "key", "value"], ["people", "total", counts.total],
                              ["people", "news_opt_in", counts.news]]
    table += [["commune", k, n] for k, n in by_commune]
    table += [["channel", k, n] for k, n in counts.by_channel]
    table += [["group", k, n] for k, n in by_group]
    file = await export(request, table, "people", {"commune": chosen})
    return file or render(request, "people.html", counts=counts, by_commune=by_commune,
                          by_group=by_group, **_common(request, chosen))


async def questions(request: web.Request) -> web.StreamResponse:
    chosen, when, page = _commune_asked(request), chosen_period(request), _page_number(request)
    outcome = request.query.get("outcome") or None
    if outcome is not None and outcome not in OUTCOMES:
        raise BadInput("console_bad_outcome")
    topic = (request.query.get("topic") or "")[:64] or None
    async with app_of(request).services.sessions() as session:
        rows = await figures.questions(session, who(request).role, when, chosen,
                                       outcome, topic, page)
    tz, names = app_of(request).config.tz, commune_names(request)
    table: list[list[Any]] = [["time", "commune", "outcome", "topic", "score", "question"]]
    table += [[show(r.at, tz), names.get(r.commune or "", ""), r.outcome, r.topic or "",
               f"{r.score:.2f}", r.text] for r in rows]
    file = await export(request, table, "questions", {"commune": chosen, "page_number": page,
                                                      "from": when.first.isoformat(),
                                                      "to": when.last.isoformat()})
    return file or render(request, "questions.html", rows=table[1:], when=when, page=page,
                          outcome=outcome, topic=topic or "", outcomes=OUTCOMES,
                          more=len(rows) == figures.PAGE_ROWS, **_common(request, chosen))


async def audit(request: web.Request) -> web.StreamResponse:
    if not is_province(who(request).role):
        raise web.HTTPForbidden()
    when, page = chosen_period(request), _page_number(request)
    async with app_of(request).services.sessions() as session:
        entries = await figures.audit(session, when, page)
    tz = app_of(request).config.tz
    table: list[list[Any]] = [["time", "who", "name", "action", "detail"]]
    table += [[show(e.at, tz), e.actor, name, e.action,
               ", ".join(f"{k}={v}" for k, v in (e.detail or {}).items())]
              for e, name in entries]
    file = await export(request, table, "audit", {"page_number": page})
    return file or render(request, "audit.html", rows=table[1:], when=when, page=page,
                          more=len(entries) == figures.PAGE_ROWS, **_common(request, None))
