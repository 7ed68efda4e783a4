"""The conversation core alone: turns per second and CPU per turn, no chat platform.

    python bench/core_bench.py [--users 1500] [--repeat 3]

N new users each ask one FAQ question through `Conversation.handle` (concurrently,
as a channel would hand them over), then the same users ask again. Separates the
core's cost (storage, matching, dialog state) from the channel's in
bench/telegram_bench.py. SQLite, then PostgreSQL when reachable.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.local_postgres import PG_URL, reset_postgres  # noqa: E402
from bench.machine_speed import format_speed, loop_ms  # noqa: E402
from bench.sample_questions import QUESTIONS  # noqa: E402
from bot.app import App, build  # noqa: E402
from bot.catalogue import text  # noqa: E402
from bot.config import from_mapping  # noqa: E402
from bot.core.messages import Incoming  # noqa: E402

FAILED = {text("vi", "storage_error"), text("vi", "internal_error")}


async def wave(app: App, users: int, round_no: int) -> tuple[float, float]:
    """All users' turns at once; (turns per second, CPU ms per turn)."""

    async def one(i: int) -> None:
        user = str(10_000 + i)
        replies = await app.conversation.handle(Incoming(
            "telegram", user, user, text=QUESTIONS[i % len(QUESTIONS)],
            message_id=f"{round_no}-{i}"))
        assert replies and replies[0].text not in FAILED, replies[0].text

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(users)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return users / wall, cpu * 1000 / users


async def run_once(url: str, users: int) -> tuple[tuple[float, float], tuple[float, float]]:
    app = await build(from_mapping({"database": {"url": url}, "log_level": "WARNING"}, env={}))
    try:
        first = await wave(app, users, 1)
        again = await wave(app, users, 2)
        await app.services.question_log.flush()
        return first, again
    finally:
        await app.close()


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[tuple[tuple[float, float], tuple[float, float]]]] = {}
    speed: list[float] = []
    for _ in range(args.repeat):  # interleaved, so a slow spell hits both databases
        speed.append(loop_ms())
        with tempfile.TemporaryDirectory() as tmp:
            results.setdefault("SQLite", []).append(
                await run_once(f"sqlite+aiosqlite:///{tmp}/bench.db", args.users))
        if await reset_postgres():
            results.setdefault("PostgreSQL", []).append(await run_once(PG_URL, args.users))
        else:
            print("PostgreSQL: not reachable, skipped")
    print(f"medians of {args.repeat} runs, {args.users} users, one FAQ question each "
          f"(machine speed: {format_speed(speed)}):")
    for label, runs in results.items():
        for name, index in (("new users", 0), ("same users again", 1)):
            rates = sorted(r[index][0] for r in runs)
            cpu = statistics.median(r[index][1] for r in runs)
            print(f"  {label:<11} {name:<17} {statistics.median(rates):5.0f} turns/s "
                  f"(runs: {', '.join(f'{r:.0f}' for r in rates)}), {cpu:.2f} ms CPU/turn")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
