"""Training sign-up: choose a session → consent → name → phone → extra fields → summary → book.

Every step is saved in the dialog state, so a restart resumes at the same step.
Consent comes before the name and phone, because the dialog state would
otherwise hold personal data the person has not agreed to store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.core import payloads
from bot.core.flow import UNHANDLED, Step, StepResult
from bot.core.messages import Attachment, Option, Reply
from bot.core.payloads import Action, item
from bot.core.turn import Turn
from bot.storage.models import RegistrationStatus, TrainingSession
from bot.time import show, show_day, stored_now
from bot.training.calendar import session_ics
from bot.training.store import (
    active_registration,
    get_session,
    is_open,
    last_details,
    open_sessions,
    past_sessions,
    register,
    waitlist_position,
    watch,
)
from handlers.form_fields import check_extra, check_name, check_phone
from handlers.menu import menu_options
from knowledge.audience import Audience

FLOW = "signup"
WATCH = "watch"
SESSION = "s"  # item kinds: a session of the list, a choice of an extra field
FIELD_CHOICE = "x"


def _when(turn: Turn, training: TrainingSession) -> str:
    return show(training.starts_at, turn.services.config.tz, turn.lang)


def _audience(turn: Turn) -> str | None:
    return turn.user.audience if turn.user.audience in (Audience.YOUTH, Audience.BUSINESS) else None


async def start(turn: Turn, session_id: str | None = None) -> list[Reply]:
    """Entry point: the menu, /dangky, the FAQ action, or a deep link t_<session>."""
    turn.start(FLOW, "choose")
    if session_id:
        turn.remember(offered=[session_id])
        turn.choice = item(SESSION, 0)
        return await _pick(turn)
    return await _list(turn)


async def _list(turn: Turn) -> list[Reply]:
    now = stored_now(turn.clock)
    sessions = await open_sessions(turn.session, now, _audience(turn))
    if not sessions:
        turn.goto("none")
        past = await past_sessions(turn.session, now)
        replies = [turn.say("no_open_sessions")]
        if past:
            tz = turn.services.config.tz
            items = "\n".join(
                turn.t("past_item", title=s.title(turn.lang),
                       start=f"{show_day(s.starts_at, tz)} – {show_day(s.ends_at, tz)}")
                for s in past)
            replies.append(turn.say("past_sessions", items=items))
        replies[-1].options = [turn.option("opt_watch", WATCH), *menu_options(turn)]
        return replies
    items = []
    options = []
    for n, training in enumerate(sessions, 1):
        left = training.capacity - training.seats_taken
        seats = turn.t("seats_left", left=left) if left > 0 else turn.t("seats_full")
        items.append(turn.t("signup_item", n=n, title=training.title(turn.lang),
                            start=_when(turn, training), place=training.place, seats=seats))
        # The payload names the session by its place in this list: an id of up to
        # 40 characters would not fit Telegram's 64 bytes next to the step's nonce.
        options.append(turn.raw_option(training.title(turn.lang)[:60], item(SESSION, n - 1)))
    options.append(turn.option("opt_abort", "abort"))
    turn.goto("choose")
    turn.remember(offered=[training.id for training in sessions])
    return [turn.say("signup_list", options=options, items="\n".join(items))]


async def _training(turn: Turn) -> TrainingSession | None:
    session_id = turn.data.get("session")
    training = await get_session(turn.session, session_id) if session_id else None
    if training is None or not is_open(training, stored_now(turn.clock)):
        return None
    return training


async def _gone(turn: Turn) -> list[Reply]:
    replies = [turn.say("session_gone")]
    return replies + await _list(turn)


def _ask_name(turn: Turn) -> Reply:
    previous = turn.data.get("name") or turn.data.get("previous_name")
    if previous:
        return turn.say("name_prefill", name=previous, options=[
            turn.option("opt_use_this", "use"), turn.option("opt_type_other", "other")])
    return turn.say("ask_name", options=[turn.option("opt_abort", "abort")])


def _ask_phone(turn: Turn) -> Reply:
    previous = turn.data.get("phone") or turn.data.get("previous_phone")
    if previous:
        return turn.say("phone_prefill", phone=previous, options=[
            turn.option("opt_use_phone", "use"), turn.option("opt_type_other", "other")])
    reply = turn.say("ask_phone", options=[Option(turn.t("opt_share_phone"), None)])
    reply.request_phone = True
    return reply


def _fields(training: TrainingSession) -> list[dict[str, Any]]:
    return list(training.extra_fields or [])


def _ask_field(turn: Turn, spec: dict[str, Any], problem: str = "ask_field") -> Reply:
    label = spec["label"].get(turn.lang) or spec["label"]["vi"]
    options = []
    if spec["type"] == "choice":
        options = [turn.raw_option(choice, item(FIELD_CHOICE, i))
                   for i, choice in enumerate(spec["choices"])]
    return turn.say(problem, options=options, label=label)


def _summary(turn: Turn, training: TrainingSession) -> Reply:
    extra_lines = "".join(
        f"\n- {spec['label'].get(turn.lang) or spec['label']['vi']}: "
        f"{turn.data.get('extra', {}).get(spec['key'], '—')}"
        for spec in _fields(training))
    return turn.say(
        "summary", title=training.title(turn.lang), start=_when(turn, training),
        place=training.place, name=turn.data["name"], phone=turn.data["phone"],
        extra=extra_lines,
        options=[turn.option("opt_confirm", "confirm"), turn.option("opt_edit", "edit"),
                 turn.option("opt_abort", "abort")])


async def step(turn: Turn) -> StepResult:
    """Every message of the sign-up: 'abort' anywhere, then the current step from STEPS."""
    current = turn.state.step or ""
    if turn.choice == "abort":
        turn.finish()
        return [turn.say("signup_aborted", options=menu_options(turn))]
    if current in BEFORE_A_SESSION:
        return await BEFORE_A_SESSION[current](turn)
    training = await _training(turn)
    if training is None:
        return await _gone(turn)
    handler = STEPS.get(current)
    if handler is None:  # a step that no longer exists (after an upgrade) lets go
        return UNHANDLED
    return await handler(turn, training)


async def _none_step(turn: Turn) -> StepResult:
    """Nothing open: 'tell me when a new one opens', or the text goes to the FAQ."""
    if turn.choice == WATCH:
        await watch(turn.session, turn.user.id, _audience(turn) or Audience.ALL,
                    stored_now(turn.clock))
        turn.finish()
        return [turn.say("watch_done", options=menu_options(turn))]
    return UNHANDLED


async def _consent_step(turn: Turn, training: TrainingSession) -> list[Reply]:
    """Consent to store name and phone, asked before either is typed (its time recorded)."""
    if turn.choice == "yes":
        if turn.user.consent_at is None:
            turn.user.consent_at = stored_now(turn.clock)
        previous = await last_details(turn.session, turn.user.id)
        if previous:
            turn.remember(previous_name=previous.full_name, previous_phone=previous.phone)
        turn.goto("name")
        return [_ask_name(turn)]
    if turn.choice == "no":
        turn.finish()
        return [turn.say("consent_declined", options=menu_options(turn))]
    return [_consent(turn)]


async def _name_step(turn: Turn, training: TrainingSession) -> list[Reply]:
    """Full name: last time's offered again, or typed and checked."""
    return _on_name(turn)


async def _phone_step(turn: Turn, training: TrainingSession) -> list[Reply]:
    """A Vietnamese mobile number, typed or shared with one tap."""
    return _on_phone(turn, training)


async def _field_step(turn: Turn, training: TrainingSession) -> list[Reply]:
    """The session's extra fields, one at a time."""
    return _on_field(turn, training)


async def _summary_step(turn: Turn, training: TrainingSession) -> list[Reply]:
    """Confirm, edit or cancel; confirm books a seat or a waiting place."""
    return await _on_summary(turn, training)


def _after_booking(turn: Turn) -> list[Option]:
    """'My registrations' first, then the menu."""
    return [Option(turn.t("menu_mine"), payloads.action(Action.MINE)), *menu_options(turn)]


def _consent(turn: Turn) -> Reply:
    return turn.say("consent_ask", options=[turn.option("opt_agree", "yes"),
                                            turn.option("opt_disagree", "no")])


async def _choose(turn: Turn) -> StepResult:
    """A session picked from the list; a question typed instead goes to the FAQ."""
    if turn.choice is None and turn.text:
        return UNHANDLED
    return await _pick(turn)


async def _pick(turn: Turn) -> list[Reply]:
    offered = turn.data.get("offered") or []
    index = turn.picked_index(SESSION, len(offered))
    if index is None:
        return await _list(turn)
    turn.remember(session=offered[index])
    training = await _training(turn)
    if training is None:
        return await _gone(turn)
    existing = await active_registration(turn.session, turn.user.id, training.id)
    if existing is not None:
        turn.finish()
        state = (turn.t("state_confirmed") if existing.status == RegistrationStatus.CONFIRMED else
                 turn.t("state_waitlisted",
                        position=await waitlist_position(turn.session, existing)))
        return [turn.say("already_registered", title=training.title(turn.lang), state=state,
                         options=_after_booking(turn))]
    turn.goto("consent")
    return [_consent(turn)]


def _on_name(turn: Turn) -> list[Reply]:
    if turn.choice == "use":
        turn.remember(name=turn.data.get("name") or turn.data.get("previous_name"))
    elif turn.choice == "other":
        turn.remember(name=None, previous_name=None)
        return [_ask_name(turn)]
    else:
        name, problem = check_name(turn.text)
        if problem:
            return [turn.say(problem, options=[turn.option("opt_abort", "abort")])]
        turn.remember(name=name)
    turn.goto("phone")
    return [_ask_phone(turn)]


def _on_phone(turn: Turn, training: TrainingSession) -> list[Reply]:
    if turn.choice == "use":
        turn.remember(phone=turn.data.get("phone") or turn.data.get("previous_phone"))
    elif turn.choice == "other":
        turn.remember(phone=None, previous_phone=None)
        return [_ask_phone(turn)]
    else:
        phone, problem = check_phone(turn.incoming.phone or turn.text)
        if problem:
            reply = turn.say(problem, options=[Option(turn.t("opt_share_phone"), None)])
            reply.request_phone = True
            return [reply]
        turn.remember(phone=phone)
    return _next_field(turn, training, 0)


def _next_field(turn: Turn, training: TrainingSession, index: int) -> list[Reply]:
    fields = _fields(training)
    if index < len(fields):
        turn.goto("field")
        turn.remember(field=index)
        return [_ask_field(turn, fields[index])]
    turn.goto("summary")
    return [_summary(turn, training)]


def _on_field(turn: Turn, training: TrainingSession) -> list[Reply]:
    fields = _fields(training)
    index = int(turn.data.get("field", 0))
    if index >= len(fields):
        return _next_field(turn, training, index)
    spec = fields[index]
    text = turn.text
    if turn.picked(FIELD_CHOICE) is not None and spec["type"] == "choice":
        picked = turn.picked_index(FIELD_CHOICE, len(spec["choices"]))
        if picked is None:
            return [_ask_field(turn, spec, "field_choice")]
        text = spec["choices"][picked]
    value, problem = check_extra(spec, text)
    if problem:
        return [_ask_field(turn, spec, problem)]
    turn.remember(extra={**turn.data.get("extra", {}), spec["key"]: value})
    return _next_field(turn, training, index + 1)


async def _on_summary(turn: Turn, training: TrainingSession) -> list[Reply]:
    if turn.choice == "edit":
        turn.goto("name")
        return [_ask_name(turn)]
    if turn.choice != "confirm":
        return [_summary(turn, training)]
    existing = await active_registration(turn.session, turn.user.id, training.id)
    if existing is not None:
        turn.finish()
        return [turn.say("already_registered", title=training.title(turn.lang),
                         state=turn.t("state_confirmed"), options=menu_options(turn))]
    booking = await register(turn.session, turn.user.id, training, turn.data["name"],
                             turn.data["phone"], turn.data.get("extra", {}),
                             stored_now(turn.clock))
    turn.finish()
    title = training.title(turn.lang)
    if booking.position is not None:
        return [turn.say("waitlisted", title=title, position=booking.position,
                         options=_after_booking(turn))]
    reply = turn.say("booked", title=title, start=_when(turn, training), place=training.place,
                     options=_after_booking(turn))
    tz = turn.services.config.tz
    reply.attachment = Attachment(
        filename=f"{training.id}.ics",
        content=session_ics(training, turn.lang),
        mime_type="text/calendar",
        text_fallback=turn.t("ics_text", title=title, start=show(training.starts_at, tz, turn.lang),
                             end=show(training.ends_at, tz, turn.lang), place=training.place),
    )
    return [reply]


# The sign-up, one place: steps before a session is chosen, then steps about it.
BEFORE_A_SESSION: dict[str, Step] = {
    "none": _none_step,
    "choose": _choose,
}
STEPS: dict[str, Callable[[Turn, TrainingSession], Awaitable[list[Reply]]]] = {
    "consent": _consent_step,
    "name": _name_step,
    "phone": _phone_step,
    "field": _field_step,
    "summary": _summary_step,
}
