"""What a dialog step may return, and the one way a flow runs its step table.

A flow declares its steps as a table, step name → short async function, in the
spirit of python-telegram-bot's `ConversationHandler(states=...)` and aiogram's
`StatesGroup`. A step that does not want the message (a question typed instead
of a choice) returns `UNHANDLED`, like aiogram's `UNHANDLED`: the router ends the
dialog and gives the text to the FAQ, so no flow repeats that hand-over.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Final

from bot.core.messages import Reply

if TYPE_CHECKING:
    from bot.core.turn import Turn


class Unhandled(enum.Enum):
    UNHANDLED = "unhandled"


UNHANDLED: Final = Unhandled.UNHANDLED
StepResult = list[Reply] | Unhandled
Step = Callable[["Turn"], Awaitable[StepResult]]
FlowHandler = Step


async def run_step(turn: Turn, steps: Mapping[str, Step]) -> StepResult:
    """The current step of STEPS; a step that no longer exists (after an upgrade) lets go."""
    handler = steps.get(turn.state.step or "")
    return UNHANDLED if handler is None else await handler(turn)
