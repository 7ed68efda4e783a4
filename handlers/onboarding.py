"""/start: greeting, then language → commune → who you are → news opt-in, each skippable."""

from __future__ import annotations

from bot.core.deeplinks import DeepLink
from bot.core.deeplinks import parse as parse_deep_link
from bot.core.flow import UNHANDLED, Step, StepResult, run_step
from bot.core.messages import Reply
from bot.core.turn import Turn
from handlers import commune_picker
from handlers.menu import menu_options
from knowledge.audience import LABEL_KEYS, PERSON_GROUPS

FLOW = "onboarding"
LANGUAGE_FLOW = "language"
AUDIENCES = tuple((group.value, LABEL_KEYS[group]) for group in PERSON_GROUPS)


def _ask_language(turn: Turn) -> Reply:
    return turn.say("ask_language", options=[
        turn.option("opt_vi", "vi"), turn.option("opt_en", "en"), turn.option("opt_skip", "skip"),
    ])


def _ask_audience(turn: Turn) -> Reply:
    options = [turn.option(key, value) for value, key in AUDIENCES]
    options.append(turn.option("opt_skip", "skip"))
    return turn.say("ask_audience", options=options)


def _ask_news(turn: Turn) -> Reply:
    return turn.say("ask_news", options=[
        turn.option("opt_yes_news", "yes"), turn.option("opt_no_news", "no"),
    ])


async def _training_poster(turn: Turn, session_id: str) -> list[Reply]:
    """A poster for a training session: straight to its sign-up."""
    from handlers import training_signup

    return [turn.say("welcome"), *await training_signup.start(turn, session_id)]


async def _event_poster(turn: Turn, event_id: str) -> list[Reply]:
    """A poster for an event: the reminder is set at once."""
    from handlers import reminders

    return [turn.say("welcome"), *await reminders.subscribe(turn, event_id)]


# Deep links that leave onboarding for a feature; a commune link stays in it.
POSTERS = {DeepLink.TRAINING: _training_poster, DeepLink.EVENT: _event_poster}


async def start(turn: Turn) -> list[Reply]:
    kind, value = parse_deep_link(turn.text.strip())
    if kind in POSTERS:
        return await POSTERS[kind](turn, value)
    replies = [turn.say("welcome")]
    preset = None
    if kind is DeepLink.COMMUNE:
        commune = turn.services.communes.get(value)
        if commune:
            turn.user.commune_code = preset = commune.code
            replies.append(turn.say("welcome_commune", commune=commune.name))
    turn.start(FLOW, "language", preset_commune=preset)
    replies.append(_ask_language(turn))
    return replies


async def step(turn: Turn) -> StepResult:
    """Every message of onboarding: the current step from STEPS."""
    return await run_step(turn, STEPS)


async def _language_step(turn: Turn) -> StepResult:
    """Vietnamese or English (or skip); a typed question is answered instead."""
    if turn.choice is None:
        return UNHANDLED
    if turn.choice in ("vi", "en"):
        turn.user.language = turn.choice
    return _after_language(turn)


async def _commune_step(turn: Turn) -> StepResult:
    """The commune typed by name (old names too); a question is answered, set it later."""
    return commune_picker.step(turn, _commune_chosen)


def _commune_chosen(turn: Turn, code: str | None) -> list[Reply]:
    prefix = []
    if code:
        turn.user.commune_code = code
        prefix = [turn.say("commune_set", commune=commune_picker.name(turn, code))]
    turn.goto("audience")
    return [*prefix, _ask_audience(turn)]


async def _audience_step(turn: Turn) -> StepResult:
    """Who the person is (student, household business, …), or skip."""
    if turn.choice is None:
        return UNHANDLED
    if turn.choice in dict(AUDIENCES):
        turn.user.audience = turn.choice
    if turn.user.commune_code:
        turn.goto("news")
        return [_ask_news(turn)]
    return _done(turn)


async def _news_step(turn: Turn) -> StepResult:
    """Commune news yes or no, asked only once the commune is known."""
    if turn.choice is None:
        return UNHANDLED
    turn.user.news_opt_in = turn.choice == "yes"
    return _done(turn)


# The dialog, one place: step name → what happens to the message at that step.
STEPS: dict[str, Step] = {
    "language": _language_step,
    "commune": _commune_step,
    "audience": _audience_step,
    "news": _news_step,
}


def _after_language(turn: Turn) -> list[Reply]:
    if turn.data.get("preset_commune"):
        turn.goto("audience")
        return [_ask_audience(turn)]
    turn.goto("commune")
    return [commune_picker.ask(turn)]


def _done(turn: Turn) -> list[Reply]:
    turn.finish()
    return [turn.say("onboarding_done", options=menu_options(turn))]


async def language(turn: Turn) -> list[Reply]:
    """/lang: switch at once when given (/lang en), else offer both."""
    wanted = turn.text.strip().lower()[:2]
    if wanted in ("vi", "en"):
        turn.user.language = wanted
        turn.finish()
        return [turn.say("language_set", options=menu_options(turn))]
    turn.start(LANGUAGE_FLOW, "choose")
    return [turn.say("ask_language", options=[turn.option("opt_vi", "vi"),
                                              turn.option("opt_en", "en")])]


async def language_step(turn: Turn) -> StepResult:
    """/lang's one step: a choice sets it; a question typed instead is answered."""
    if turn.choice is None and turn.text:
        return UNHANDLED
    if turn.choice in ("vi", "en"):
        turn.user.language = turn.choice
        turn.finish()
        return [turn.say("language_set", options=menu_options(turn))]
    return [turn.say("ask_language", options=[turn.option("opt_vi", "vi"),
                                              turn.option("opt_en", "en")])]
