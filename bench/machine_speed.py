"""A fixed pure-Python loop, timed: shows how fast this shared machine runs right now.

Throughput figures taken minutes apart on the same machine have differed by a
third; printing this next to them tells a slow spell from a slow change.
"""

from __future__ import annotations

import statistics
import time


def loop_ms(repeat: int = 3) -> float:
    """Median milliseconds of `sum(range(10_000_000))` (about 130-210 ms here)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        sum(range(10_000_000))
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def format_speed(samples: list[float]) -> str:
    shown = ", ".join(f"{s:.0f}" for s in samples)
    return f"reference loop {statistics.median(samples):.0f} ms, runs {shown}"
