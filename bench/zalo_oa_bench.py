"""The Zalo OA channel under a burst: how fast Zalo's webhook calls are acknowledged,
how soon people are answered, and what a broadcast meets.

    python bench/zalo_oa_bench.py [--events 600] [--database sqlite|postgres|both]

A fake Zalo (OAuth server, OA Open API, signed webhook events; tests/fake_zalo_oa.py)
in this process, and the bot's OA channel with one inbox worker, on SQLite and on the
local PostgreSQL. First 200 followers each send three questions at once (EVENTS calls
in all, 50 at a time, each re-sent once as Zalo does after a slow answer): the bench
times each webhook call's 200 — Zalo wants it within about 2 s — and the time until
every question is answered once, quoting its message. Then a broadcast to the 200,
a tenth of them outside Zalo's 7-day window: it counts what was sent, what was marked
unreachable, and how many sends Zalo refused (each outside person once: no loop).
Last, Zalo's OAuth server holds a token refresh while 20 people write (4 s): their
webhook calls must still be acknowledged at once (the refresh holds no database lock).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, update

from bench.local_postgres import PG_URL, reset_postgres
from bot.app import build
from bot.broadcast import store as broadcasts
from bot.channels.zalo_oa import ZaloOAChannel
from bot.config import from_mapping
from bot.core.messages import Reply
from bot.delivery.engine import DeliveryEngine
from bot.inbox.worker import workers_for
from bot.staff.scope import Level
from bot.storage.models import OAuthToken, OutboxStatus, StaffRole, User
from tests.fake_zalo_oa import (
    APP_ID,
    APP_SECRET,
    OA_ID,
    OA_SECRET_KEY,
    FakeZaloOA,
)
from tests.local_server import free_port

FOLLOWERS = 200
QUESTIONS = ("id.vn là gì", "biz.vn miễn phí không", "nghị quyết 57 là gì")


def config(url: str, fake: FakeZaloOA, port: int):  # type: ignore[no-untyped-def]
    base = f"http://127.0.0.1:{fake.port}"
    return from_mapping({"database": {"url": url}, "zalo_oa": {
        "app_id": APP_ID, "app_secret": APP_SECRET, "oa_secret_key": OA_SECRET_KEY,
        "oa_id": OA_ID, "refresh_token": "rt-0", "api_base_url": base, "oauth_base_url": base,
        "webhook": {"port": port}}}, env={})


async def burst(fake: FakeZaloOA, events: int) -> list[float]:
    """EVENTS webhook calls, 50 in flight; each event posted twice. Seconds per call."""
    posts = []
    for n in range(events // 2):
        person = str(100000 + n % FOLLOWERS)
        event = fake.event("user_send_text", person, QUESTIONS[n // FOLLOWERS % 3])
        posts += [event, event]
    gate, times = asyncio.Semaphore(50), []

    async def one(event: dict) -> None:
        async with gate:
            started = time.perf_counter()
            status, _ = await fake.post(event)
            times.append(time.perf_counter() - started)
            assert status == 200, status

    await asyncio.gather(*(one(e) for e in posts))
    return times


async def answered(fake: FakeZaloOA, expected: int, limit: float = 120) -> float:
    started = time.perf_counter()
    while len(fake.sent) < expected and time.perf_counter() - started < limit:
        fake.arrived.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(fake.arrived.wait(), 0.5)
    return time.perf_counter() - started


async def broadcast(app, channel: ZaloOAChannel, fake: FakeZaloOA) -> dict[str, int]:  # type: ignore[no-untyped-def]
    fake.outside_window = {str(100000 + n) for n in range(0, FOLLOWERS, 10)}
    now = app.services.clock.now().replace(tzinfo=None)
    async with app.services.sessions() as session, session.begin():
        await session.execute(update(User).values(news_opt_in=True))
        province = StaffRole(channel="cli", channel_user_id="cli", role=Level.PROVINCE)
        item = await broadcasts.queue(session, "cli", province, broadcasts.Scope(), "Tin thử",
                                      "Tỉnh Lào Cai", now, now)
    engine = DeliveryEngine(app.services.sessions, app.services.clock, {"zalo_oa": 0})
    engine.register("zalo_oa", channel.deliver)
    while await engine.deliver_due():
        pass
    async with app.services.sessions() as session:
        return await broadcasts.counts(session, item.id)


async def during_a_slow_refresh(app, channel: ZaloOAChannel, fake: FakeZaloOA) -> list[float]:  # type: ignore[no-untyped-def]
    """Zalo's OAuth server holds a refresh until 20 people have written, one every
    0.2 s. Seconds each webhook call took."""
    async with app.services.sessions() as session, session.begin():
        await session.execute(update(OAuthToken).values(
            access_expires_at=app.services.clock.now().replace(tzinfo=None)))
    fake.hold, fake.asked = asyncio.Event(), asyncio.Event()
    sending = asyncio.create_task(channel.deliver("100001", Reply("Nhắc lịch")))
    await fake.asked.wait()
    times = []
    for n in range(20):
        started = time.perf_counter()
        status, _ = await fake.post(fake.event("user_send_text", str(300000 + n), "id.vn"))
        times.append(time.perf_counter() - started)
        assert status == 200
        await asyncio.sleep(0.2)
    fake.hold.set()
    await sending
    fake.hold = None
    return sorted(times)


async def run(url: str, label: str, events: int) -> None:
    fake = FakeZaloOA()
    await fake.start()
    port = free_port()
    settings = config(url, fake, port)
    app = await build(settings)
    channel = ZaloOAChannel(app, settings.zalo_oa)
    await channel.start()
    fake.webhook_url = f"http://127.0.0.1:{port}/zalo-oa/webhook"
    workers = workers_for(app, [channel])
    workers.inbox.start()  # what the bot sends on its own is delivered round by round here
    try:
        started = time.perf_counter()
        acks = sorted(await burst(fake, events))
        expected = events // 2
        waited = await answered(fake, expected)
        total = time.perf_counter() - started
        await asyncio.sleep(1.0)  # anything sent twice would arrive by now
        quoted = len({c.params["quoted"] for c in fake.sent if c.params["quoted"]})
        print(f"{label}: {events} webhook calls ({expected} questions, each sent twice): "
              f"200 in median {statistics.median(acks) * 1000:.0f} ms, "
              f"p95 {acks[int(len(acks) * 0.95)] * 1000:.0f} ms, "
              f"max {acks[-1] * 1000:.0f} ms (Zalo wants < 2,000 ms)")
        print(f"{label}: all answered {total:.2f} s after the first call "
              f"({waited:.2f} s after the last 200); {len(fake.sent)} answers for "
              f"{expected} questions, quoting {quoted} distinct messages; "
              f"token refreshes {fake.refreshes}")
        before = len(fake.refusals)
        began = time.perf_counter()
        tally = await broadcast(app, channel, fake)
        print(f"{label}: broadcast to {FOLLOWERS} in {time.perf_counter() - began:.2f} s: "
              f"sent {tally.get(OutboxStatus.SENT, 0)}, unreachable "
              f"{tally.get(OutboxStatus.UNREACHABLE, 0)}, pending "
              f"{tally.get(OutboxStatus.PENDING, 0)}; Zalo refused "
              f"{len(fake.refusals) - before} sends (-230: "
              f"{fake.refusals[before:].count(-230)})")
        async with app.services.sessions() as session:
            assert await session.scalar(select(User).where(User.blocked.is_(True))) is None
        held = await during_a_slow_refresh(app, channel, fake)
        print(f"{label}: while Zalo's OAuth server holds a refresh (4 s), 20 webhook "
              f"calls get their 200 in median {statistics.median(held) * 1000:.0f} ms, "
              f"max {held[-1] * 1000:.0f} ms")
    finally:
        await workers.stop()
        await channel.stop()
        await app.close()
        await fake.stop()


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.database != "postgres":
            await run(f"sqlite+aiosqlite:///{tmp}/bench.db", "SQLite", args.events)
    if args.database != "sqlite":
        if await reset_postgres():
            await run(PG_URL, "PostgreSQL", args.events)
        else:
            print("PostgreSQL: not reachable, skipped")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
