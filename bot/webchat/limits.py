"""Limits per network address for the web chat: new identities, and messages.

A token bucket per address and kind, in this process's memory (several receivers
behind a proxy each hold their own share). The per-person flood guard of the core
still applies on top. Memory stays flat: idle addresses are forgotten.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_ADDRESSES = 100_000


@dataclass(frozen=True)
class Rate:
    count: float  # this many…
    per_seconds: float  # …in this long, with bursts up to COUNT


class Bucket:
    __slots__ = ("at", "level")

    def __init__(self, level: float, at: float) -> None:
        self.level, self.at = level, at


class AddressLimit:
    """One kind of action, limited per address."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.buckets: dict[str, Bucket] = {}

    def wait(self, address: str, now: float) -> int:
        """0 when ADDRESS may act now (and it counts); else seconds to wait."""
        refill = self.rate.count / self.rate.per_seconds
        bucket = self.buckets.get(address)
        if bucket is None:
            if len(self.buckets) >= MAX_ADDRESSES:
                self._forget_idle(now)
            bucket = self.buckets[address] = Bucket(self.rate.count, now)
        bucket.level = min(self.rate.count, bucket.level + (now - bucket.at) * refill)
        bucket.at = now
        if bucket.level >= 1:
            bucket.level -= 1
            return 0
        return max(1, math.ceil((1 - bucket.level) / refill))

    def _forget_idle(self, now: float) -> None:
        """Addresses whose bucket is full again are the same as never seen."""
        full = self.rate.per_seconds
        for address in [a for a, b in self.buckets.items() if now - b.at >= full]:
            del self.buckets[address]
        if len(self.buckets) >= MAX_ADDRESSES:  # under attack from everywhere: start over
            self.buckets.clear()
