"""Asking for a commune/ward: typed in any form, confirmed from a short list when unsure.

Used by onboarding, the news settings and /broadcast; the caller's flow decides
what happens after (`then`).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.flow import UNHANDLED, StepResult
from bot.core.messages import Reply
from bot.core.payloads import item
from bot.core.turn import Turn
from knowledge.focus import focus

SKIP = "skip"
COMMUNE = "c"  # item kind: a commune of the offered list, by its code
RETRY = "retry"


def ask(turn: Turn) -> Reply:
    return turn.say("ask_commune", options=[turn.option("opt_skip", SKIP)])


def label(turn: Turn, code: str, old: str | None) -> str:
    commune = turn.services.communes.get(code)
    assert commune is not None
    if old:
        return turn.t("commune_was_formed_from", commune=commune.name, old=old.title())
    return commune.name


def pick(turn: Turn) -> tuple[str | None, list[Reply]]:
    """Returns (chosen code or None, replies). No code and no replies means skipped."""
    if turn.choice is not None:
        if turn.choice == SKIP:
            return None, []
        if turn.choice == RETRY:
            return None, [ask(turn)]
        code = turn.picked(COMMUNE)
        if code and turn.services.communes.get(code):
            return code, []
        return None, [ask(turn)]
    if not any(ch.isalnum() for ch in turn.text):
        return None, [ask(turn)]
    result = turn.services.communes.search(turn.text)
    if result.sure:
        return result.communes[0].code, []
    if not result.communes:
        return None, [
            turn.say("commune_not_found", options=[turn.option("opt_skip", SKIP)],
                     text=turn.text[:60])
        ]
    options = [
        turn.raw_option(label(turn, c.code, result.via_old_name.get(c.code)), item(COMMUNE, c.code))
        for c in result.communes
    ]
    options.append(turn.option("commune_none_of_these", RETRY))
    options.append(turn.option("opt_skip", SKIP))
    return None, [turn.say("commune_choices", options=options)]


def step(turn: Turn, then: Callable[[Turn, str | None], list[Reply]]) -> StepResult:
    """A flow's commune step: a question goes to the FAQ, an unclear name is asked
    again, and a commune picked (or None, skipped) goes on to THEN."""
    if reads_as_question(turn):
        return UNHANDLED
    code, replies = pick(turn)
    return replies or then(turn, code)


def reads_as_question(turn: Turn) -> bool:
    """Typed text that names no commune but asks something: the FAQ should have it,
    or the person is stuck at "which commune?" forever."""
    if turn.choice is not None or not turn.text or not focus(turn.text).questions:
        return False  # no question clause: a commune name, searched by `pick`
    return not turn.services.communes.search(turn.text).communes


def name(turn: Turn, code: str | None) -> str:
    commune = turn.services.communes.get(code) if code else None
    return commune.name if commune else turn.t("no_commune")
