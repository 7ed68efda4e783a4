"""Knowledge editing (province staff): every topic with its figures, a topic's answers,
ways to ask, options and dated wording, the lexicon; "try a question" with the draft in
place; saving runs the `kb check` rules, makes a revision, and is live on every process
within seconds (bot/faq/live.py); any change can be undone from the history."""

from __future__ import annotations

import difflib
from datetime import date
from typing import Any

import yaml
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console import knowledge_form as forms
from bot.console.figures import topic_figures
from bot.console.render import (
    PREFIX,
    actor,
    app_of,
    chosen_period,
    form_text,
    now_of,
    number,
    render,
    see_other,
    who,
)
from bot.core.refused import Refused
from bot.faq import editing, revisions
from bot.handoff import store as handoff
from bot.staff.scope import may_edit_knowledge
from bot.storage.models import KnowledgeRevision
from bot.time import local_today, show
from knowledge.kb import KnowledgeBase, deployed
from knowledge.lexicon import SECTIONS
from knowledge.overlay import LEXICON, fingerprint

_TRY = "try"


def _guard(request: web.Request) -> None:
    if not may_edit_knowledge(who(request).role):
        raise web.HTTPForbidden()


def _kb(request: web.Request) -> KnowledgeBase:
    return app_of(request).services.kb


def _file_kb(request: web.Request) -> KnowledgeBase:
    """The files as deployed, without the console's edits (cached while unchanged)."""
    return deployed(app_of(request).config.knowledge_path)


async def topics(request: web.Request) -> web.StreamResponse:
    _guard(request)
    when = chosen_period(request)
    async with app_of(request).services.sessions() as session:
        figures = await topic_figures(session, when)
        edited = await revisions.live(session)
    kb = _kb(request)
    rows = sorted(kb.topics.values(), key=lambda t: t.id)
    return render(request, "knowledge.html", rows=rows, figures=figures, when=when,
                  edited=edited, set_aside=kb.set_aside)


async def topic_page(request: web.Request, values: dict[str, Any] | None = None,
                     review: editing.Review | None = None, trial: Any = None,
                     parent: int | None = None, status: int = 200) -> web.StreamResponse:
    _guard(request)
    topic_id = request.match_info.get("id")
    topic = _kb(request).topics.get(topic_id or "")
    if topic_id is not None and topic is None:
        raise web.HTTPNotFound()
    async with app_of(request).services.sessions() as session:
        history = await revisions.history(session, topic_id) if topic_id else []
        if values is None:
            values = forms.values_of(topic.raw) if topic else await _new_values(request, session)
    if parent is None:
        parent = history[0].id if history else 0
    return render(request, "knowledge_topic.html", status=status, values=values,
                  topic_id=topic_id, history=history, review=review, trial=trial,
                  parent=parent, changes=_changes, dated_rows=forms.DATED_ROWS,
                  option_rows=forms.OPTION_ROWS, set_aside=_kb(request).set_aside,
                  categories=sorted({t.category for t in _kb(request).topics.values()}),
                  **_shared(request))


def _today(request: web.Request) -> date:
    app = app_of(request)
    return local_today(app.services.clock, app.config.tz)


def _shared(request: web.Request) -> dict[str, Any]:
    return {"saved": request.query.get("saved") == "1", "show": show,
            "tz": app_of(request).config.tz, "question": request.query.get("question", "")[:500]}


async def _new_values(request: web.Request, session: AsyncSession) -> dict[str, Any]:
    """A new topic, with the question from the inbox ("answer with a new topic") or,
    from a question handed to officers (?ticket=N), its question and their answer."""
    question, answer = request.query.get("question", "")[:500], ""
    ticket_number = number(request.query.get("ticket", ""), 9)
    found = ticket_number and await handoff.staff_ticket(session, who(request).role,
                                                         ticket_number)
    if found:
        messages = found[1]
        question = messages[0].text[:500]
        answer = next((m.text for m in reversed(messages) if m.staff), "")
    lang = _kb(request).detect_language(question) if question else "vi"
    return {f"questions_{lang}": question, f"answer_{lang}": answer}


async def topic_post(request: web.Request) -> web.StreamResponse:
    _guard(request)
    form = await request.post()
    topic_id = request.match_info.get("id")
    kb = _kb(request)
    current = kb.topics[topic_id].raw if topic_id in kb.topics else {}
    if topic_id is not None and not current:
        raise web.HTTPNotFound()
    raw = forms.topic_from_form(form, current, new=topic_id is None)
    parent = number(str(form.get("parent", "0")), 12) or 0
    folder = app_of(request).config.knowledge_path
    draft, review = editing.review_topic(kb, folder, raw, topic_id is None, _today(request))
    values = forms.values_of(raw)
    if form.get("action") == _TRY:
        trial = editing.try_question(kb, draft, form_text(form, "question")[:500])
        return await topic_page(request, values, review, trial, parent)
    if review.errors or (review.warnings and form.get("confirm") != "1"):
        return await topic_page(request, values, review, None, parent, status=400)
    return await _save(request, str(raw["id"]), raw, current or None, parent, values, review)


async def _save(request: web.Request, subject: str, body: dict[str, Any],
                before: dict[str, Any] | None, parent: int, values: dict[str, Any],
                review: editing.Review, restores: int | None = None) -> web.StreamResponse:
    file_version = _file_kb(request).topics.get(subject)
    over = fingerprint(file_version.raw if file_version else None)
    try:
        async with app_of(request).services.sessions() as session, session.begin():
            await revisions.save(session, subject, body, before, over, parent, actor(request),
                                 now_of(request), restores)
    except Refused as refused:
        review.errors.append(editing.Problem(refused.key))
        return await topic_page(request, values, review, None, parent, status=409)
    await _apply_now(request)
    return see_other(f"{PREFIX}/knowledge/topic/{subject}?saved=1")


async def restore(request: web.Request) -> web.StreamResponse:
    """Undo a change: its `before` becomes a new revision, checked like any edit."""
    _guard(request)
    topic_id = request.match_info["id"]
    kb = _kb(request)
    if topic_id not in kb.topics:
        raise web.HTTPNotFound()
    before, undone, parent = await _to_restore(request, topic_id)
    folder = app_of(request).config.knowledge_path
    _draft, review = editing.review_topic(kb, folder, before, False, _today(request))
    values = forms.values_of(before)
    if review.errors:
        return await topic_page(request, values, review, None, parent, status=400)
    return await _save(request, topic_id, before, kb.topics[topic_id].raw, parent, values,
                       review, restores=undone)


async def _to_restore(request: web.Request, subject: str) -> tuple[dict[str, Any], int, int]:
    """(the version before the change in the URL, that change's id, the latest revision's
    id); 404 for a change of another subject, or one with nothing before it."""
    revision_id = number(request.match_info["revision"], 12)
    if revision_id is None:
        raise web.HTTPNotFound()
    async with app_of(request).services.sessions() as session:
        try:
            row = await revisions.one(session, subject, revision_id)
        except Refused:
            raise web.HTTPNotFound() from None
        latest = await revisions.current(session, subject)
    if row.before is None:
        raise web.HTTPNotFound()
    return row.before, row.id, latest.id if latest else 0


def _changes(row: KnowledgeRevision) -> list[str]:
    """What a revision changed, as diff lines of the two versions written as YAML."""
    def lines(raw: Any) -> list[str]:
        if raw is None:
            return []
        return yaml.safe_dump(raw, allow_unicode=True, sort_keys=True, width=100).splitlines()

    diff = difflib.unified_diff(lines(row.before), lines(row.body), lineterm="", n=0)
    return [line for line in diff if not line.startswith(("---", "+++", "@@"))][:60]


async def lexicon_page(request: web.Request, text: str | None = None,
                       review: editing.Review | None = None, parent: int | None = None,
                       status: int = 200) -> web.StreamResponse:
    _guard(request)
    section = request.query.get("section", SECTIONS[0])
    if section not in SECTIONS:
        raise web.HTTPNotFound()
    async with app_of(request).services.sessions() as session:
        history = await revisions.history(session, LEXICON)
    if text is None:
        text = forms.section_text(_kb(request).lexicon_raw, section)
    if parent is None:
        parent = history[0].id if history else 0
    return render(request, "knowledge_lexicon.html", status=status, section=section,
                  sections=SECTIONS, text=text, review=review, parent=parent,
                  history=history, set_aside=_kb(request).set_aside, lexicon_key=LEXICON,
                  changes=_changes, **_shared(request))


async def lexicon_post(request: web.Request) -> web.StreamResponse:
    _guard(request)
    form = await request.post()
    section = request.query.get("section", "")
    if section not in SECTIONS:
        raise web.HTTPNotFound()
    text = form_text(form, "lines", multiline=True)
    parent = number(str(form.get("parent", "0")), 12) or 0
    lines = forms.section_from_text(text, section)
    before = _kb(request).lexicon_raw or {}
    body = {**before, section: lines.entries}
    review = editing.Review([editing.Problem("knowledge_bad_line", {"line": n})
                             for n in lines.bad])
    review.errors += [editing.Problem("knowledge_repeated_word", {"line": n, "word": word})
                      for n, word in lines.repeated]
    if not review.errors:
        review = editing.review_lexicon(_kb(request), body)
    if review.errors or (review.warnings and form.get("confirm") != "1"):
        return await lexicon_page(request, text, review, parent, status=400)
    return await _save_lexicon(request, body, before, parent, text, section)


async def _save_lexicon(request: web.Request, body: dict[str, Any], before: dict[str, Any],
                        parent: int, text: str, section: str,
                        restores: int | None = None) -> web.StreamResponse:
    over = fingerprint(_file_kb(request).lexicon_raw)
    try:
        async with app_of(request).services.sessions() as session, session.begin():
            await revisions.save(session, LEXICON, body, before, over, parent, actor(request),
                                 now_of(request), restores)
    except Refused as refused:
        return await lexicon_page(request, text, editing.Review([editing.Problem(refused.key)]),
                                  parent, status=409)
    await _apply_now(request)
    return see_other(f"{PREFIX}/knowledge/lexicon?section={section}&saved=1")


async def lexicon_restore(request: web.Request) -> web.StreamResponse:
    """Undo a lexicon change: its `before` becomes a new revision, checked like an edit."""
    _guard(request)
    before, undone, parent = await _to_restore(request, LEXICON)
    review = editing.review_lexicon(_kb(request), before)
    if review.errors:
        return await lexicon_page(request, None, review, parent, status=400)
    return await _save_lexicon(request, before, _kb(request).lexicon_raw or {}, parent, "",
                               SECTIONS[0], restores=undone)


async def _apply_now(request: web.Request) -> None:
    """This process rebuilds before answering (the editor's next page shows the edit, a
    second or two when the classifier retrains); the others within their next poll."""
    watcher = app_of(request).watcher
    if watcher is not None:
        await watcher.refresh()
