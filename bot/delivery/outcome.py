"""What one send to a platform came to, in the platform-neutral words the bot acts on.

Each channel has one classifier from its platform's errors to an `Outcome`, used
both for replies (sent now, retried here by `with_retries`) and for deliveries
(one attempt; the engine retries, pauses the channel or marks the row).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


class Result(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # the person blocked the bot, or it was removed from the group
    INVALID = "invalid"  # the platform refused this message: sending it again will not help
    # Outside the platform's window for messages the bot starts (Zalo OA: no interaction
    # in 7 days): not sent, not retried; they are reachable again once they write.
    UNREACHABLE = "unreachable"
    RETRY = "retry"  # network trouble or a server error: try again later
    PAUSE = "pause"  # the platform asked us to slow down: wait, then try again


FINAL = frozenset({Result.SENT, Result.BLOCKED, Result.INVALID, Result.UNREACHABLE})


@dataclass(frozen=True)
class Outcome:
    kind: Result
    retry_after: float = 0.0  # seconds a PAUSE asked for; 0 when the platform did not say
    error: str = ""  # the platform's words, for the outbox row (never message text)


SENT = Outcome(Result.SENT)


async def with_retries(attempt: Callable[[], Awaitable[Outcome]], attempts: int,
                       delay: float, max_delay: float = 30.0) -> Outcome:
    """A reply to someone waiting: wait as long as a PAUSE asks (else back off, as on
    RETRY), stop at a final outcome or after ATTEMPTS; returns the last outcome. A PAUSE
    longer than MAX_DELAY is returned at once: the delivery engine waits it out, not the
    person's turn."""
    outcome = await attempt()
    for _ in range(attempts - 1):
        if outcome.kind in FINAL or outcome.retry_after > max_delay:
            break
        await asyncio.sleep(outcome.retry_after or delay)
        delay = min(delay * 2, max_delay)
        outcome = await attempt()
    return outcome


async def in_turn(attempt: Callable[[T], Awaitable[Outcome]], pieces: Iterable[T],
                  attempts: int, delay: float) -> Outcome:
    """One reply sent as several PIECES (long text, a file after it), in order, each
    retried as above; stops at the first that was not sent and returns its outcome."""
    for piece in pieces:
        outcome = await with_retries(lambda p=piece: attempt(p), attempts, delay)
        if outcome is not SENT:
            return outcome
    return SENT
