"""Per-user flood control: a burst gets one polite warning, then silence for a while.

Kept in memory on purpose: losing it on restart costs nothing.
"""

from __future__ import annotations

from collections import deque
from enum import Enum

from bot.config import FloodConfig


class Verdict(Enum):
    OK = "ok"
    WARN = "warn"
    MUTED = "muted"


class FloodGuard:
    def __init__(self, config: FloodConfig) -> None:
        self.config = config
        self.recent: dict[tuple[str, str], deque[float]] = {}
        self.muted_until: dict[tuple[str, str], float] = {}

    def check(self, key: tuple[str, str], now: float) -> Verdict:
        until = self.muted_until.get(key)
        if until is not None:
            if now < until:
                return Verdict.MUTED
            del self.muted_until[key]
            self.recent.pop(key, None)
        window = self.recent.setdefault(key, deque())
        window.append(now)
        while window and now - window[0] > self.config.window_seconds:
            window.popleft()
        if len(window) > self.config.max_messages:
            self.muted_until[key] = now + self.config.mute_seconds
            return Verdict.WARN
        if len(self.recent) > 50_000:  # forget idle users so memory stays flat
            for stale in [k for k, q in self.recent.items() if now - q[-1] > 60]:
                del self.recent[stale]
        return Verdict.OK
