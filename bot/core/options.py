"""The option model shared by every channel.

Buttons carry payloads; channels without buttons (Zalo, terminal) show numbered
lines, and the user answers with the number or the option's words. The options
of the last reply are remembered per user so both ways map back to a payload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.messages import Option
from knowledge.normalise import fold

_NUMBER = re.compile(r"^\s*(?:so\s*)?(\d{1,3})\s*[.)]?\s*$")


@dataclass(frozen=True)
class Typed:
    payload: str | None = None
    stale_number: int | None = None  # the user typed a number outside the list


def remembered(options: list[Option]) -> list[list[str]]:
    return [[o.label, o.payload] for o in options if o.payload]


def resolve_typed(text: str, stored: list[list[str]]) -> Typed:
    if not stored:
        return Typed()
    number = _NUMBER.match(fold(text))
    if number:
        index = int(number.group(1))
        if 1 <= index <= len(stored):
            return Typed(payload=stored[index - 1][1])
        return Typed(stale_number=index)
    wanted = " ".join(fold(text).split())
    for label, payload in stored:
        if " ".join(fold(label).split()) == wanted:
            return Typed(payload=payload)
    return _loosely(text, stored)


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text)))


def _loosely(text: str, stored: list[list[str]]) -> Typed:
    """The label's words without its emoji ("hữu ích" for "👍 Hữu ích"), or the emoji alone."""
    wanted = _words(text)
    symbols = text.strip()
    for label, payload in stored:
        if wanted and _words(label) == wanted:
            return Typed(payload=payload)
        if not wanted and symbols and label.strip().startswith(symbols):
            return Typed(payload=payload)
    return Typed()


def numbered(options: list[Option]) -> str:
    """Options as numbered lines, for channels without buttons; links listed after.

    Numbers count only options with a payload, matching `remembered`.
    """
    choices = [o for o in options if o.payload]
    lines = [f"{i}. {o.label}" for i, o in enumerate(choices, 1)]
    lines += [f"- {o.label}: {o.url}" for o in options if o.url and not o.payload]
    return "\n".join(lines)
