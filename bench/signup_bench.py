"""500 simulated people complete the sign-up dialog at the same time, SQLite then PostgreSQL.

    python bench/signup_bench.py [--users 500] [--capacity 300]

Each person: /dangky → pick the session → consent → name → phone → confirm,
all concurrently through the conversation core. Reports the completion time
and checks that nothing was lost or duplicated: exactly one active
registration per person, exactly `capacity` confirmed seats, the rest waiting
with positions 1…N without gaps.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.local_postgres import PG_URL, reset_postgres  # noqa: E402
from bot.app import App, build  # noqa: E402
from bot.config import from_mapping  # noqa: E402
from bot.core.messages import Incoming  # noqa: E402
from bot.storage.models import Registration, TrainingSession  # noqa: E402
from bot.training.store import waitlist_position  # noqa: E402


async def person(app: App, n: int) -> float:
    user = f"p{n:04d}"
    started = time.perf_counter()

    async def say(text: str | None = None, payload: str | None = None) -> list:
        return await app.conversation.handle(Incoming("web", user, user, text=text,
                                                      payload=payload))

    def pick(replies: list, label: str) -> str:
        return next(o.payload for r in replies for o in r.options if label in o.label)

    replies = await say("/dangky")
    replies = await say(payload=pick(replies, "Bench"))
    replies = await say(payload=pick(replies, "Đồng ý"))
    await say(f"Người Thử Số {chr(65 + n % 26)}")
    replies = await say(f"09{n:08d}")
    await say(payload=pick(replies, "Xác nhận"))
    return time.perf_counter() - started


async def run(label: str, url: str, users: int, capacity: int) -> None:
    app = await build(from_mapping({"database": {"url": url}}, env={}))
    now = datetime.now(UTC).replace(tzinfo=None)
    async with app.services.sessions() as session, session.begin():
        session.add(TrainingSession(
            id="bench", title_vi="Bench lớp", title_en="Bench class", audience="all",
            description_vi="", description_en="", starts_at=now + timedelta(days=7),
            ends_at=now + timedelta(days=7, hours=2), place="trực tuyến", capacity=capacity,
            seats_taken=0, extra_fields=[], status="open", source="cli", updated_at=now))
    started = time.perf_counter()
    durations = await asyncio.gather(*(person(app, n) for n in range(users)))
    elapsed = time.perf_counter() - started
    async with app.services.sessions() as session:
        active = (await session.scalars(select(Registration).where(
            Registration.status.in_(("confirmed", "waitlisted"))))).all()
        per_user = await session.execute(select(Registration.user_id, func.count())
                                         .group_by(Registration.user_id))
        duplicates = sum(1 for _, count in per_user if count > 1)
        confirmed = sum(1 for r in active if r.status == "confirmed")
        positions = sorted([await waitlist_position(session, r) for r in active
                            if r.status == "waitlisted"])
        seats = (await session.get(TrainingSession, "bench")).seats_taken
    lost = users - len({r.user_id for r in active})
    gapless = positions == list(range(1, len(positions) + 1))
    print(f"{label:<10} {users} people, 6 messages each, all at once: done in {elapsed:.2f} s "
          f"({users * 6 / elapsed:,.0f} messages/s); per person median "
          f"{statistics.median(durations):.2f} s")
    print(f"{'':<10} lost {lost}, duplicated {duplicates}; confirmed {confirmed} "
          f"(capacity {capacity}, seats_taken {seats}), waiting {len(positions)} with "
          f"positions 1…{len(positions)} {'without gaps' if gapless else 'WITH GAPS'}")
    await app.close()


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--capacity", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await run("SQLite", f"sqlite+aiosqlite:///{tmp}/b.db", args.users, args.capacity)
    if not await reset_postgres():
        print("PostgreSQL: not reachable, skipped")
        return 0
    await run("PostgreSQL", PG_URL, args.users, args.capacity)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
