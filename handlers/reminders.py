"""Event reminders: coming events, "Nhắc tôi", /nhaclich to list and cancel, deep link e_<id>."""

from __future__ import annotations

from datetime import UTC

from bot.core import payloads
from bot.core.flow import UNHANDLED, StepResult
from bot.core.messages import Option, Reply
from bot.core.payloads import Action, item
from bot.core.turn import Turn
from bot.reminders import events
from bot.reminders.subscriptions import subscribe as add_subscription
from bot.reminders.subscriptions import subscribed_event_ids, unsubscribe
from bot.time import show, show_day, stored_now
from handlers.menu import menu_options
from knowledge.events import Event

FLOW = "reminders"
REMIND = "s"  # item kinds: an event to be reminded of, a reminder to cancel
UNSUBSCRIBE = "u"


def _title(turn: Turn, event: Event) -> str:
    return event.title.get(turn.lang) or event.title["vi"]


def _when(turn: Turn, event: Event) -> str | None:
    occurrence = event.occurrence(turn.clock.now().astimezone(UTC))
    if occurrence is None:
        return None
    tz = turn.services.config.tz
    start = occurrence[0]
    return show_day(start, tz) if event.all_day else show(start, tz, turn.lang)


async def _coming(turn: Turn) -> list[Event]:
    """The province's events and those of the person's commune."""
    return await events.coming(turn.session, turn.services.config.tz, turn.user.commune_code)


async def _any_event(turn: Turn) -> list[Event]:
    """Every active event: a poster's link or an earlier subscription may name one of
    another commune (the person moved, or read a neighbour's poster)."""
    return await events.every_active(turn.session, turn.services.config.tz)


async def _event(turn: Turn, event_id: str) -> Event | None:
    return next((e for e in await _any_event(turn) if e.id == event_id), None)


async def _subscribed(turn: Turn) -> set[str]:
    return await subscribed_event_ids(turn.session, turn.user.id)


def _my_reminders(turn: Turn) -> Option:
    return Option(turn.t("opt_my_reminders"), payloads.action(Action.MY_REMINDERS))


async def events_menu(turn: Turn) -> list[Reply]:
    """Menu "Sự kiện & nhắc lịch": coming events with a 'Remind me' for each."""
    now = turn.clock.now().astimezone(UTC)
    dated = [(e, e.occurrence(now)) for e in await _coming(turn)]
    dated.sort(key=lambda pair: pair[1][0] if pair[1] else now)  # next occurrence first
    coming = [(e, _when(turn, e)) for e, occurrence in dated if occurrence]
    turn.start(FLOW, "list")
    options = [_my_reminders(turn)]
    if not coming:
        return [turn.say("events_none", options=[*options, *menu_options(turn)])]
    mine = await _subscribed(turn)
    items = [turn.t("event_item", title=_title(turn, e), when=when, place=e.place)
             for e, when in coming]
    remind = [turn.option("opt_remind_me", item(REMIND, e.id), title=_title(turn, e)[:40])
              for e, _ in coming if e.id not in mine]
    return [turn.say("events_list", items="\n".join(items),
                     options=[*remind, *options, *menu_options(turn)])]


async def subscribe(turn: Turn, event_id: str) -> list[Reply]:
    turn.finish()
    event = await _event(turn, event_id)
    when = _when(turn, event) if event else None
    if event is None or when is None:
        return [turn.say("event_over", options=menu_options(turn))]
    if event_id in await _subscribed(turn):
        return [turn.say("remind_already", title=_title(turn, event), options=menu_options(turn))]
    add_subscription(turn.session, turn.user.id, event_id, stored_now(turn.clock))
    return [turn.say("remind_done", title=_title(turn, event), when=when,
                     options=[_my_reminders(turn), *menu_options(turn)])]


async def mine(turn: Turn) -> list[Reply]:
    """/nhaclich: the person's event reminders, each cancellable."""
    mine = await _subscribed(turn)
    subscribed = [e for e in await _any_event(turn) if e.id in mine]
    if not subscribed:
        turn.finish()
        return [turn.say("reminders_none", options=menu_options(turn))]
    turn.start(FLOW, "mine")
    items = [turn.t("reminder_item", title=_title(turn, e), when=_when(turn, e) or "—")
             for e in subscribed]
    options = [turn.option("opt_unsubscribe", item(UNSUBSCRIBE, e.id), title=_title(turn, e)[:40])
               for e in subscribed]
    return [turn.say("reminders_list", items="\n".join(items),
                     options=[*options, *menu_options(turn)])]


async def step(turn: Turn) -> StepResult:
    """Both lists: "Nhắc tôi" (s<id>) subscribes, a cancel (u<id>) unsubscribes."""
    if (event_id := turn.picked(REMIND)) is not None:
        return await subscribe(turn, event_id)
    if (event_id := turn.picked(UNSUBSCRIBE)) is not None:
        return await _unsubscribe(turn, event_id)
    return UNHANDLED


async def _unsubscribe(turn: Turn, event_id: str) -> list[Reply]:
    event = await _event(turn, event_id)
    await unsubscribe(turn.session, turn.user.id, event_id)
    turn.finish()
    title = _title(turn, event) if event else event_id
    return [turn.say("unsubscribed", title=title, options=menu_options(turn))]
