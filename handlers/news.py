"""Commune news settings: see, turn on or off, change commune."""

from __future__ import annotations

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


async def step(turn: Turn) -> list[Reply]:
    if turn.state.step == "status":
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
        turn.finish()  # typed text while looking at settings is a new question
        turn.pass_on = True
        return []
    if commune_picker.reads_as_question(turn):
        turn.finish()
        turn.pass_on = True
        return []
    code, replies = commune_picker.pick(turn)
    if replies:
        return replies
    if code:
        turn.user.commune_code = code
        if turn.data.get("then_opt_in"):
            turn.user.news_opt_in = True
    turn.start(FLOW, "status")
    return [_status(turn)]
