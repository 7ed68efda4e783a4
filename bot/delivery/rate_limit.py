"""A token bucket per channel: sends spread evenly at the rate, without bursts.

A one-second burst allowance looks harmless, but 25 saved-up tokens plus 25 new
ones put 50 messages into the first second and Telegram answers 429 above ~30.
"""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    def __init__(self, rate_per_second: float, burst: float = 1.0) -> None:
        self.rate = rate_per_second
        self.capacity = burst
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = asyncio.Lock()

    async def acquire(self) -> None:
        if self.rate <= 0:  # 0 means no limit
            return
        async with self.lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)
