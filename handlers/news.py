"""Commune news settings: see, turn on or off, change commune."""

from __future__ import annotations

from bot.core.flow import UNHANDLED, Step, StepResult, run_step
from bot.core.messages import Reply
from bot.core.turn import Turn
from handlers import commune_picker
from handlers.menu import menu_options

FLOW = "news"


def _status(turn: Turn) -> Reply:
    user = turn.user
    toggle = ("news_turn_off", "off") if user.news_opt_in else ("news_turn_on", "on")
    return turn.say(
        "news_status",
        options=[turn.option(*toggle), turn.option("news_change_commune", "change")],
        commune=commune_picker.name(turn, user.commune_code),
        state=turn.t("news_on" if user.news_opt_in else "news_off"),
    )


async def settings(turn: Turn) -> list[Reply]:
    turn.start(FLOW, "status")
    return [_status(turn)]


async def stop_news(turn: Turn) -> list[Reply]:
    """The one-tap 'Tắt tin' under every broadcast."""
    turn.user.news_opt_in = False
    return [turn.say("news_now_off", options=menu_options(turn))]


async def step(turn: Turn) -> StepResult:
    """Every message of the news settings: the current step from STEPS."""
    return await run_step(turn, STEPS)


async def _status_step(turn: Turn) -> StepResult:
    """Turn news off or on (asking the commune first if unknown), or change the commune."""
    if turn.choice == "off":
        turn.user.news_opt_in = False
        turn.finish()
        return [turn.say("news_now_off", options=menu_options(turn))]
    if turn.choice == "on":
        if not turn.user.commune_code:
            turn.goto("commune")
            turn.remember(then_opt_in=True)
            return [turn.say("news_need_commune"), commune_picker.ask(turn)]
        turn.user.news_opt_in = True
        turn.finish()
        return [turn.say("news_now_on", options=menu_options(turn))]
    if turn.choice == "change":
        turn.goto("commune")
        return [commune_picker.ask(turn)]
    return UNHANDLED  # typed text while looking at the settings is a new question


async def _commune_step(turn: Turn) -> StepResult:
    """The commune typed by name; then back to the settings, news on if that was asked."""
    return commune_picker.step(turn, _commune_chosen)


def _commune_chosen(turn: Turn, code: str | None) -> list[Reply]:
    if code:
        turn.user.commune_code = code
        if turn.data.get("then_opt_in"):
            turn.user.news_opt_in = True
    turn.start(FLOW, "status")
    return [_status(turn)]


# The dialog, one place: step name → what happens to the message at that step.
STEPS: dict[str, Step] = {"status": _status_step, "commune": _commune_step}
