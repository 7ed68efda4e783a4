"""/broadcast for staff: target → text → when → preview with the exact count → confirm.

The role is read again at every step and once more when queueing (in
bot.broadcast.store), so a revoked role or a forged option reaches nobody.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.broadcast.store import (
    AUDIENCES,
    MAX_TEXT,
    Scope,
    broadcast_by_id,
    cancel,
    count_recipients,
    counts,
    queue,
    recent_broadcasts,
)
from bot.core import payloads
from bot.core.flow import UNHANDLED, StepResult
from bot.core.messages import Option, Reply
from bot.core.payloads import Action, item
from bot.core.turn import Turn
from bot.staff.scope import is_province, may_broadcast, role_of
from bot.storage.models import BroadcastStatus, OutboxStatus, StaffRole
from bot.time import show, stored_now, to_stored
from bot.training.store import sessions_with_registrants
from handlers import commune_picker
from handlers.menu import menu_options
from handlers.onboarding import AUDIENCES as AUDIENCE_KEYS
from knowledge.trainings import parse_local

FLOW = "broadcast"
LIST_FLOW = "broadcasts"
SESSION = "s"  # item kinds: a session with registrants, a queued broadcast to stop
BROADCAST = "b"
_SHORT_TIME = re.compile(r"^\s*(\d{1,2})[:h](\d{2})\s+(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\s*$")


def actor(turn: Turn) -> str:
    return f"{turn.incoming.channel}:{turn.incoming.user_id}"


async def _role(turn: Turn) -> StaffRole | None:
    return await role_of(turn.session, turn.incoming.channel, turn.incoming.user_id)


def _refuse(turn: Turn, key: str = "broadcast_not_staff") -> list[Reply]:
    turn.finish()
    return [turn.say(key, options=menu_options(turn))]


MIN_YEAR, MAX_YEAR = 2000, 2100


def parse_when(text: str, turn: Turn) -> datetime | None:
    """'08:00 10/10', '08:00 10/10/2026' or '2026-10-10 08:00' (local) → stored UTC."""
    tz = turn.services.config.tz
    match = _SHORT_TIME.match(text)
    try:
        if match:
            hour, minute, day, month, year = match.groups()
            year = year or str(turn.today().year)
            moment = parse_local(f"{year}-{int(month):02d}-{int(day):02d} "
                                 f"{int(hour):02d}:{minute}", tz)
        else:
            moment = parse_local(text, tz)
        if not MIN_YEAR <= moment.year <= MAX_YEAR:
            return None  # year 1 or 9999 overflows on the way to UTC and back
        return to_stored(moment)
    except (ValueError, OverflowError):
        return None


def _scope(turn: Turn) -> Scope:
    data = turn.data
    communes = data.get("communes")
    return Scope(communes=tuple(communes) if communes is not None else None,
                 audience=data.get("audience"), session=data.get("session"))


def _scope_label(turn: Turn, scope: Scope) -> str:
    if scope.session:
        return turn.t("scope_session", session=scope.session)
    parts = []
    if scope.communes is not None:
        parts.append(", ".join(commune_picker.name(turn, c) for c in scope.communes))
    else:
        parts.append(turn.t("scope_all"))
    if scope.audience:
        parts.append(turn.t(dict(AUDIENCE_KEYS)[scope.audience]))
    return " · ".join(parts)


async def start(turn: Turn) -> list[Reply]:
    role = await _role(turn)
    if role is None:
        return _refuse(turn)
    if not is_province(role):
        turn.start(FLOW, "text", communes=[role.commune_code])
        return [turn.say("broadcast_own_commune",
                         commune=commune_picker.name(turn, role.commune_code)),
                turn.say("broadcast_ask_text", options=[turn.option("opt_abort", "abort")])]
    turn.start(FLOW, "target")
    return [turn.say("broadcast_target", options=[
        turn.option("opt_target_communes", "communes"), turn.option("opt_target_all", "all"),
        turn.option("opt_target_audience", "audience"),
        turn.option("opt_target_session", "session"), turn.option("opt_abort", "abort")])]


StepHandler = Callable[[Turn, StaffRole], Awaitable[list[Reply]]]
PROVINCE_ONLY = frozenset({"target", "commune", "more", "audience", "session"})


async def step(turn: Turn) -> list[Reply]:
    """Every message of the dialog: the role is read again, then the current step runs."""
    role = await _role(turn)
    if role is None:
        return _refuse(turn, "broadcast_role_gone")
    if turn.choice == "abort":
        turn.finish()
        return [turn.say("cancelled", options=menu_options(turn))]
    current = turn.state.step or ""
    if current in PROVINCE_ONLY and not is_province(role):
        return _refuse(turn, "broadcast_role_gone")  # only province staff choose a target
    handler = STEPS.get(current)
    return await handler(turn, role) if handler else _refuse(turn)


async def _target_step(turn: Turn, role: StaffRole) -> list[Reply]:
    """Province staff pick communes, the whole province, a group or a session's registrants."""
    return await _on_target(turn)


async def _commune_step(turn: Turn, role: StaffRole) -> list[Reply]:
    """A commune typed by name (old names too), then 'add another' or 'done'."""
    code, replies = commune_picker.pick(turn)
    if replies or code is None:
        return replies or [turn.say("broadcast_ask_commune")]
    communes = sorted({*turn.data.get("communes", []), code})
    turn.remember(communes=communes)
    turn.goto("more")
    return [turn.say("broadcast_commune_added",
                     communes=", ".join(commune_picker.name(turn, c) for c in communes),
                     options=[turn.option("opt_add_commune", "add"),
                              turn.option("opt_done", "done")])]


async def _more_step(turn: Turn, role: StaffRole) -> list[Reply]:
    """Another commune, or on to the text."""
    if turn.choice == "add":
        turn.goto("commune")
        return [turn.say("broadcast_ask_commune")]
    return _ask_text(turn)


async def _audience_step(turn: Turn, role: StaffRole) -> list[Reply]:
    """One audience group across the province."""
    if turn.choice not in AUDIENCES:
        return [_audience_question(turn)]
    turn.remember(audience=turn.choice)
    return _ask_text(turn)


async def _session_step(turn: Turn, role: StaffRole) -> list[Reply]:
    """The registrants of one training session."""
    session_id = turn.picked(SESSION)
    if session_id is None:
        return await _on_target(turn, "session")
    turn.remember(session=session_id, communes=None)
    return _ask_text(turn)


async def _text_step(turn: Turn, role: StaffRole) -> list[Reply]:
    """The message itself, at most MAX_TEXT characters."""
    if turn.choice is not None or not turn.text:
        return [turn.say("broadcast_ask_text")]
    if len(turn.text) > MAX_TEXT:
        return [turn.say("broadcast_text_too_long", length=len(turn.text))]
    turn.remember(text=turn.text)
    turn.goto("when")
    return [_ask_when(turn)]


async def _when_step(turn: Turn, role: StaffRole) -> list[Reply]:
    """Now, or a time to type."""
    if turn.choice == "now":
        turn.remember(at=None)
        return await _preview(turn, role)
    if turn.choice == "later":
        turn.goto("time")
        return [turn.say("broadcast_ask_time")]
    return [_ask_when(turn)]


async def _time_step(turn: Turn, role: StaffRole) -> list[Reply]:
    """A local time in the future ('08:00 10/10')."""
    moment = parse_when(turn.text, turn)
    if moment is None:
        return [turn.say("broadcast_bad_time")]
    if moment <= stored_now(turn.clock):
        return [turn.say("broadcast_time_past")]
    turn.remember(at=moment.isoformat())
    return await _preview(turn, role)


async def _preview_step(turn: Turn, role: StaffRole) -> list[Reply]:
    """The exact number of recipients; confirm queues it."""
    if turn.choice != "confirm":
        return await _preview(turn, role)
    return await _send(turn, role)


def _ask_when(turn: Turn) -> Reply:
    return turn.say("broadcast_ask_when", options=[
        turn.option("opt_send_now", "now"), turn.option("opt_send_later", "later")])


# The dialog, one place: step name → what happens to the message at that step.
STEPS: dict[str, StepHandler] = {
    "target": _target_step,
    "commune": _commune_step,
    "more": _more_step,
    "audience": _audience_step,
    "session": _session_step,
    "text": _text_step,
    "when": _when_step,
    "time": _time_step,
    "preview": _preview_step,
}


async def _on_target(turn: Turn, forced: str | None = None) -> list[Reply]:
    choice = forced or turn.choice
    if choice == "communes":
        turn.remember(communes=[])
        turn.goto("commune")
        return [turn.say("broadcast_ask_commune")]
    if choice == "all":
        turn.remember(communes=None)
        return _ask_text(turn)
    if choice == "audience":
        turn.remember(communes=None)
        turn.goto("audience")
        return [_audience_question(turn)]
    if choice == "session":
        sessions = await sessions_with_registrants(turn.session)
        if not sessions:
            return [turn.say("broadcast_no_sessions"), *await start(turn)]
        turn.goto("session")
        return [turn.say("broadcast_ask_session", options=[
            turn.raw_option(s.title(turn.lang)[:60], item(SESSION, s.id)) for s in sessions])]
    return await start(turn)


def _audience_question(turn: Turn) -> Reply:
    return turn.say("broadcast_ask_audience",
                    options=[turn.option(key, value) for value, key in AUDIENCE_KEYS])


def _ask_text(turn: Turn) -> list[Reply]:
    turn.goto("text")
    return [turn.say("broadcast_ask_text", options=[turn.option("opt_abort", "abort")])]


async def _preview(turn: Turn, role: StaffRole) -> list[Reply]:
    scope = _scope(turn)
    if not may_broadcast(role, scope):
        return _refuse(turn, "broadcast_role_gone")
    count = await count_recipients(turn.session, scope)
    at = turn.data.get("at")
    when = (turn.t("broadcast_when_at", time=show(datetime.fromisoformat(at),
                                                  turn.services.config.tz, turn.lang))
            if at else turn.t("broadcast_when_now"))
    turn.goto("preview")
    return [turn.say("broadcast_preview", count=count, scope=_scope_label(turn, scope),
                     when=when, text=turn.data.get("text", ""),
                     options=[turn.option("opt_confirm", "confirm"),
                              turn.option("opt_abort", "abort")])]


async def _send(turn: Turn, role: StaffRole) -> list[Reply]:
    scope = _scope(turn)
    now = stored_now(turn.clock)
    at = turn.data.get("at")
    when = datetime.fromisoformat(at) if at else now
    origin = (commune_picker.name(turn, role.commune_code) if not is_province(role)
              else turn.t("origin_province"))
    if await count_recipients(turn.session, scope) == 0:
        turn.finish()
        return [turn.say("broadcast_nobody", options=menu_options(turn))]
    try:
        broadcast = await queue(turn.session, actor(turn), role, scope, turn.data["text"],
                                origin, when, now, sender_user_id=turn.user.id)
    except PermissionError:
        return _refuse(turn, "broadcast_role_gone")
    turn.finish()
    return [turn.say("broadcast_queued", id=broadcast.id, count=broadcast.recipients,
                     options=[Option(turn.t("cmd_broadcast"), payloads.action(Action.BROADCAST))])]


async def recent(turn: Turn) -> list[Reply]:
    """/broadcasts: recent ones with progress; stop one that is still going."""
    role = await _role(turn)
    if role is None:
        return _refuse(turn)
    broadcasts = await recent_broadcasts(
        turn.session, actor(turn) if not is_province(role) else None)
    if not broadcasts:
        return [turn.say("broadcasts_none", options=menu_options(turn))]
    items, options = [], []
    for b in broadcasts:
        tally = await counts(turn.session, b.id)
        items.append(turn.t(
            "broadcasts_item", id=b.id,
            when=show(b.not_before, turn.services.config.tz, turn.lang),
            sent=tally.get(OutboxStatus.SENT, 0), total=b.recipients,
            blocked=tally.get(OutboxStatus.BLOCKED, 0),
            failed=tally.get(OutboxStatus.FAILED, 0) + tally.get(OutboxStatus.INVALID, 0),
            status=turn.t(f"status_{b.status}")))
        if b.status == BroadcastStatus.QUEUED:
            options.append(turn.option("opt_stop_broadcast", item(BROADCAST, b.id), id=b.id))
    turn.start(LIST_FLOW, "list")
    return [turn.say("broadcasts_list", items="\n".join(items),
                     options=[*options, *menu_options(turn)])]


async def recent_step(turn: Turn) -> StepResult:
    """Stop a queued broadcast from the list (commune staff: only their own)."""
    role = await _role(turn)
    if role is None:
        return _refuse(turn, "broadcast_role_gone")
    broadcast_id = turn.picked(BROADCAST)
    if broadcast_id is None or not broadcast_id.isdigit():
        return UNHANDLED
    broadcast = await broadcast_by_id(turn.session, int(broadcast_id))
    if broadcast is None or (not is_province(role) and broadcast.actor != actor(turn)):
        return _refuse(turn, "stale_option")
    held = await cancel(turn.session, broadcast, actor(turn), stored_now(turn.clock))
    turn.finish()
    return [turn.say("broadcast_stopped", id=broadcast.id, held=held,
                     options=menu_options(turn))]
