"""/lichcuatoi: see one's sign-ups and cancel one; the freed seat goes to the first waiting."""

from __future__ import annotations

from bot.core.flow import UNHANDLED, Step, StepResult, run_step
from bot.core.messages import Reply
from bot.core.payloads import item
from bot.core.turn import Turn
from bot.delivery.outbox import enqueue
from bot.storage.models import Registration, RegistrationStatus
from bot.time import show, stored_now
from bot.training.store import (
    cancel,
    own_active_registration,
    registrant,
    registrations_of,
    waitlist_position,
)
from handlers.menu import menu_options

FLOW = "mine"
REGISTRATION = "c"  # item kind: one of the person's sign-ups, by id


async def show_mine(turn: Turn) -> list[Reply]:
    registrations = await registrations_of(turn.session, turn.user.id)
    if not registrations:
        turn.finish()
        return [turn.say("mine_none", options=menu_options(turn))]
    tz = turn.services.config.tz
    items, options = [], []
    for registration in registrations:
        training = registration.session
        if registration.status == RegistrationStatus.CONFIRMED:
            state = turn.t("state_confirmed")
        else:
            state = turn.t("state_waitlisted",
                           position=await waitlist_position(turn.session, registration))
        title = training.title(turn.lang)
        items.append(turn.t("mine_item", title=title, start=show(training.starts_at, tz, turn.lang),
                            state=state))
        options.append(turn.option("opt_cancel_reg", item(REGISTRATION, registration.id),
                                   title=title[:40]))
    turn.start(FLOW, "list")
    return [turn.say("mine_list", items="\n".join(items), options=[*options, *menu_options(turn)])]


async def notify_promoted(turn: Turn, promoted: Registration) -> None:
    user = await registrant(turn.session, promoted)
    if user is None:
        return
    training = promoted.session
    text = turn.t("promoted_notice", title=training.title(user.language),
                  start=show(training.starts_at, turn.services.config.tz, user.language),
                  place=training.place)
    await enqueue(turn.session, user, "promotion", str(promoted.id), Reply(text),
                  stored_now(turn.clock))


async def step(turn: Turn) -> StepResult:
    """Every message of /lichcuatoi: the current step from STEPS."""
    return await run_step(turn, STEPS)


async def _list_step(turn: Turn) -> StepResult:
    """A sign-up picked to cancel (only one's own); anything typed goes to the FAQ."""
    picked = turn.picked(REGISTRATION)
    if picked is None:
        return UNHANDLED
    registration = await _own(turn, picked)
    if registration is None:
        return await show_mine(turn)
    turn.goto("confirm")
    turn.remember(registration=registration.id)
    return [turn.say("cancel_reg_confirm", title=registration.session.title(turn.lang),
                     options=[turn.option("opt_cancel_yes", "yes"),
                              turn.option("opt_cancel_no", "no")])]


async def _confirm_step(turn: Turn) -> StepResult:
    """Yes cancels and gives the seat to the first waiting; anything else keeps it."""
    registration = await _own(turn, str(turn.data.get("registration")))
    turn.finish()
    if turn.choice != "yes" or registration is None:
        return [turn.say("reg_kept", options=menu_options(turn))]
    promoted = await cancel(turn.session, registration, stored_now(turn.clock))
    if promoted is not None:
        await notify_promoted(turn, promoted)
    return [turn.say("reg_cancelled", title=registration.session.title(turn.lang),
                     options=menu_options(turn))]


# The dialog, one place: step name → what happens to the message at that step.
STEPS: dict[str, Step] = {"list": _list_step, "confirm": _confirm_step}


async def _own(turn: Turn, registration_id: str) -> Registration | None:
    """Only the user's own active registration: a forged id gets nothing."""
    if not registration_id.isdigit():
        return None
    return await own_active_registration(turn.session, turn.user.id, int(registration_id))
