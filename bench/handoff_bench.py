"""How soon the officers of the right commune hear of a question handed to a person.

    python bench/handoff_bench.py [--rounds 20] [--database sqlite|postgres|both]

Twenty communes with two officers each on Telegram (the fake Bot API, in this
process, noting when each message arrives) and a `laocai-bot deliver` worker at the
default Telegram rate, on SQLite and on the local PostgreSQL. First 200 questions
are opened (ten per commune) and delivered: the load. Then, one round per commune,
a resident asks with /hoicanbo; the bench times from the question until both
officers of that commune have the notification, and checks that nobody else got it.
Target: ≤ 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bench.delivery_bench import TOKEN, start_worker, stop  # noqa: E402
from bench.local_postgres import PG_URL, reset_postgres  # noqa: E402
from bot.app import build  # noqa: E402
from bot.config import from_mapping  # noqa: E402
from bot.core.messages import Incoming  # noqa: E402
from bot.storage.models import StaffRole, User  # noqa: E402
from bot.time import stored_now  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

COMMUNES = 20
LOAD = 200


class TimedTelegram(FakeTelegram):
    """The fake Bot API, noting when each chat got each text."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.record = False
        self.arrivals: dict[str, list[tuple[float, str]]] = defaultdict(list)

    async def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        self.arrivals[str(params.get("chat_id"))].append((time.monotonic(),
                                                          str(params.get("text", ""))))
        return await super().api_sendMessage(params)


async def seed(app: Any, codes: list[str]) -> dict[str, list[str]]:
    """Two officers per commune (Telegram chats 1000+), their roles; chat ids by commune."""
    now = stored_now(app.services.clock)
    officers: dict[str, list[str]] = {}
    async with app.services.sessions() as session, session.begin():
        for n, code in enumerate(codes):
            chats = [str(1000 + 2 * n), str(1001 + 2 * n)]
            officers[code] = chats
            await session.execute(insert(User), [
                {"channel": "telegram", "channel_user_id": c, "chat_id": c, "language": "vi",
                 "commune_code": code, "news_opt_in": False, "blocked": False,
                 "created_at": now, "last_seen_at": now} for c in chats])
            await session.execute(insert(StaffRole), [
                {"channel": "telegram", "channel_user_id": c, "role": "commune",
                 "commune_code": code, "granted_at": now} for c in chats])
    return officers


async def ask(app: Any, who: str, text: str) -> str:
    replies = await app.conversation.handle(Incoming("web", who, who, text=text))
    return replies[0].text


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=COMMUNES)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.database != "postgres":
            await run("SQLite", f"sqlite+aiosqlite:///{tmp}/handoff.db", Path(tmp), args.rounds)
        if args.database != "sqlite":
            if await reset_postgres():
                await run("PostgreSQL", PG_URL, Path(tmp), args.rounds)
            else:
                print("PostgreSQL: not reachable, skipped")
    return 0


async def run(name: str, url: str, folder: Path, rounds: int) -> None:
    fake = TimedTelegram(TOKEN)
    await fake.start()
    app = await build(from_mapping({"database": {"url": url}, "log_level": "WARNING"}, env={}))
    codes = [c.code for c in app.services.communes.communes][:COMMUNES]
    officers = await seed(app, codes)
    worker = start_worker(folder, url, fake.port, rate=25.0)
    try:
        for n in range(LOAD):  # the load: 200 open questions
            code = codes[n % COMMUNES]
            await _resident(app, f"load{n}", code)
            await ask(app, f"load{n}", f"/hoicanbo Câu hỏi tải số {n}")
        await _drained(fake, LOAD * 2)
        took, strays = await _rounds(app, fake, codes, officers, rounds)
    finally:
        stop(worker)
        await app.close()
        await fake.stop()
    print(f"{name}: {len(took)} questions with {LOAD} open: officers of the right commune "
          f"told after median {statistics.median(took):.2f} s, worst {max(took):.2f} s "
          f"(target ≤ 5 s); told in another commune: {strays}")


async def _rounds(app: Any, fake: TimedTelegram, codes: list[str],
                  officers: dict[str, list[str]], rounds: int) -> tuple[list[float], int]:
    took: list[float] = []
    strays = 0
    for n in range(rounds):
        code = codes[n % COMMUNES]
        who = f"asker{n}"
        await _resident(app, who, code)
        started = time.monotonic()
        reply = await ask(app, who, f"/hoicanbo Xã mình có lớp học số {n} không?")
        number = reply.split("câu hỏi số ", 1)[1].split(" ", 1)[0]
        marker = f"Câu hỏi số {number} "
        took.append(await _told(fake, officers[code], marker, started))
        strays += sum(1 for c, got in fake.arrivals.items() if c not in officers[code]
                      for _t, text in got if text.startswith(marker))
    return took, strays


async def _resident(app: Any, who: str, code: str) -> None:
    now = stored_now(app.services.clock)
    async with app.services.sessions() as session, session.begin():
        await session.execute(insert(User), [{
            "channel": "web", "channel_user_id": who, "chat_id": who, "language": "vi",
            "commune_code": code, "news_opt_in": False, "blocked": False, "created_at": now,
            "last_seen_at": now}])


async def _told(fake: TimedTelegram, chats: list[str], marker: str, started: float) -> float:
    deadline = started + 60
    while time.monotonic() < deadline:
        times = [next((t for t, text in fake.arrivals.get(c, []) if text.startswith(marker)),
                      None) for c in chats]
        if all(t is not None for t in times):
            return max(t for t in times if t is not None) - started
        await asyncio.sleep(0.02)
    return float("inf")


async def _drained(fake: TimedTelegram, expected: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if sum(len(v) for v in fake.arrivals.values()) >= expected:
            return
        await asyncio.sleep(0.2)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
