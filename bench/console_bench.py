"""The staff console on a big province: every page and CSV, p95 render time.

    python bench/console_bench.py [--people 100000] [--questions 1000000] [--rounds 15]

Seeds PEOPLE across the 99 communes and QUESTIONS logged over the last 90 days (with the commune and
local day the bot stores with each)
(plus 20 sessions with 4,000 registrations) into a fresh SQLite file and, when
reachable, the local PostgreSQL; then signs in a province officer and a commune
officer and asks for each page ROUNDS times through the real web app (aiohttp on
127.0.0.1), quoting p50 and p95 per page. The target is p95 ≤ 300 ms. PostgreSQL
gets the VACUUM ANALYZE its autovacuum would run after such a load (without it the
province dashboard's p95 was 274 ms instead of 133); SQLite gets nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.local_postgres import PG_URL, reset_postgres  # noqa: E402
from bench.machine_speed import format_speed, loop_ms  # noqa: E402
from bot.app import App, build  # noqa: E402
from bot.channels.web import create_web_app  # noqa: E402
from bot.config import from_mapping  # noqa: E402
from bot.staff import signin  # noqa: E402
from bot.storage.models import (  # noqa: E402
    QuestionLog,
    Registration,
    StaffRole,
    TrainingSession,
    User,
)
from bot.time import local_day, stored_now  # noqa: E402

CHANNELS = ("zalo", "zalo", "web", "telegram")
GROUPS = ("youth", "business", "staff", "other", None)
OUTCOMES = ("answer",) * 7 + ("suggest",) * 2 + ("fallback",)
TOPICS = [f"topic-{n}" for n in range(60)]
CHUNK = 20_000


async def seed(app: App, people: int, questions: int) -> str:
    """The province's rows; returns a session id with registrants."""
    rng = random.Random(57)
    codes = [c.code for c in app.services.communes.communes]
    now = stored_now(app.services.clock)
    homes = [rng.choice(codes) for _ in range(people)]  # user id i + 1 lives in homes[i]
    async with app.engine.begin() as conn:
        for start in range(0, people, CHUNK):
            await conn.execute(insert(User), [
                {"channel": rng.choice(CHANNELS), "channel_user_id": f"p{i}",
                 "chat_id": f"p{i}", "language": "vi", "commune_code": homes[i],
                 "audience": rng.choice(GROUPS), "news_opt_in": rng.random() < 0.4,
                 "blocked": False, "created_at": now - timedelta(days=rng.random() * 120),
                 "last_seen_at": now - timedelta(days=rng.random() * 60)}
                for i in range(start, min(start + CHUNK, people))])
    async with app.engine.begin() as conn:
        for start in range(0, questions, CHUNK):
            rows = []
            for _ in range(min(CHUNK, questions - start)):
                outcome = rng.choice(OUTCOMES)
                text = f"câu hỏi số {rng.randrange(5000)}"
                user_id, asked = rng.randrange(1, people + 1), now - timedelta(
                    days=rng.random() * 90)
                rows.append({"user_id": user_id, "text": text, "normalised": text,
                             "outcome": outcome,
                             "topic": rng.choice(TOPICS) if outcome == "answer" else None,
                             "score": rng.random(), "created_at": asked,
                             "commune_code": homes[user_id - 1],  # as the bot logs them
                             "local_day": local_day(asked)})
            await conn.execute(insert(QuestionLog), rows)
    async with app.engine.begin() as conn:
        await conn.execute(insert(TrainingSession), [
            {"id": f"s-{n}", "title_vi": f"Lớp {n}", "title_en": f"Class {n}", "audience": "all",
             "description_vi": "", "description_en": "", "starts_at": now + timedelta(days=n),
             "ends_at": now + timedelta(days=n, hours=3), "place": "Hội trường",
             "commune_code": None, "capacity": 150, "seats_taken": 0, "extra_fields": [],
             "status": "open", "source": "cli", "updated_at": now} for n in range(20)])
        await conn.execute(insert(Registration), [
            {"session_id": f"s-{n % 20}", "user_id": n + 1, "full_name": f"Người {n}",
             "phone": "0912345678", "extra": {}, "created_at": now,
             "status": "confirmed" if n // 20 < 150 else "waitlisted"} for n in range(4000)])
    return "s-0"


async def cookie_for(app: App, role: StaffRole) -> str:
    now = stored_now(app.services.clock)
    async with app.services.sessions() as session, session.begin():
        session.add(role)
        await session.flush()
        token = await signin.issue_link(session, role, now)
        assert token
        opened = await signin.use_link(session, token, now)
        assert opened
        return opened.cookie


PAGES = ["/staff/", "/staff/?format=csv", "/staff/broadcasts", "/staff/events",
         "/staff/people", "/staff/people?format=csv",
         "/staff/questions", "/staff/questions?outcome=fallback&format=csv",
         "/staff/trainings", "/staff/trainings/s-0", "/staff/trainings/s-0?format=csv"]


async def measure(app: App, rounds: int) -> dict[str, list[float]]:
    commune = app.services.communes.communes[0].code
    cookies = {"province": await cookie_for(app, StaffRole(
                   channel="web", channel_user_id="boss", role="province")),
               "commune": await cookie_for(app, StaffRole(
                   channel="web", channel_user_id="officer", role="commune",
                   commune_code=commune))}
    times: dict[str, list[float]] = {}
    async with TestClient(TestServer(create_web_app(app))) as client:
        await composer(client, cookies["province"], rounds, times)
        for who, cookie in cookies.items():
            pages = PAGES + (["/staff/audit"] if who == "province" else [])
            for _ in range(rounds):
                for page in pages:
                    started = time.perf_counter()
                    response = await client.get(page, cookies={"laocai_staff": cookie},
                                                allow_redirects=False)
                    await response.read()
                    assert response.status == 200, (page, response.status)
                    times.setdefault(f"{who:<8} {page}", []).append(
                        (time.perf_counter() - started) * 1000)
    return times


async def composer(client: TestClient, cookie: str, rounds: int,
                   times: dict[str, list[float]]) -> None:
    """The broadcast composer's preview: the exact recipients for the whole province."""
    page = await (await client.get("/staff/broadcasts", cookies={"laocai_staff": cookie})).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    for _ in range(rounds):
        started = time.perf_counter()
        response = await client.post("/staff/broadcasts/preview",
                                     data={"csrf": csrf, "text": "Tin thử", "target": "everyone"},
                                     cookies={"laocai_staff": cookie})
        body = await response.text()
        assert response.status == 200 and "Gửi cho" in body, response.status
        times.setdefault("province POST /staff/broadcasts/preview (everyone)", []).append(
            (time.perf_counter() - started) * 1000)


def report(label: str, times: dict[str, list[float]]) -> float:
    worst = 0.0
    print(f"\n{label}: ms per page (p50 / p95)")
    for page, samples in times.items():
        samples.sort()
        p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
        worst = max(worst, p95)
        print(f"  {page:<58} {statistics.median(samples):7.1f} / {p95:7.1f}")
    print(f"  worst p95: {worst:.1f} ms")
    return worst


async def run(label: str, url: str, people: int, questions: int, rounds: int) -> None:
    app = await build(from_mapping({"database": {"url": url}, "log_level": "WARNING"},
                                   env={}))
    try:
        started = time.perf_counter()
        await seed(app, people, questions)
        print(f"{label}: seeded {people:,} people and {questions:,} questions in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        if url.startswith("postgresql"):  # what autovacuum does after such a load
            async with app.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE"))
        report(label, await measure(app, rounds))
    finally:
        await app.close()


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    print(f"machine speed: {format_speed([loop_ms()])}")
    if args.only != "postgres":
        with tempfile.TemporaryDirectory() as tmp:
            await run("SQLite", f"sqlite+aiosqlite:///{tmp}/console.db", args.people,
                      args.questions, args.rounds)
    if args.only != "sqlite":
        if await reset_postgres():
            await run("PostgreSQL", PG_URL, args.people, args.questions, args.rounds)
        else:
            print("PostgreSQL: not reachable, skipped")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
