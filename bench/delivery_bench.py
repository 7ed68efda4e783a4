"""Delivery engine measurements against the fake Telegram Bot API (run in its own process).

    python bench/delivery_bench.py [a b c d]

(a) Telegram defaults (25/s), 3,000 recipients, the fake enforcing 30/s:
    achieved rate vs the configured one, and 429s received.
(b) limits lifted, 10,000 recipients: engine throughput on SQLite and PostgreSQL.
(c) `kill -9` of the worker at about half of 10,000 recipients, then a restart:
    lost and duplicated messages.
(d) two worker processes on PostgreSQL share one 10,000-recipient queue: messages
    sent twice, and each worker's share.
Workers are real `laocai-bot deliver` processes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from bot.storage import migrate  # noqa: E402
from bot.storage.database import create_engine  # noqa: E402
from bot.storage.models import OutboxMessage, User  # noqa: E402

TOKEN = "123:DELIVERY"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def start_fake(max_per_second: int | None = None) -> tuple[subprocess.Popen[str], int]:
    args = [sys.executable, str(ROOT / "bench" / "fake_bot_api.py"), TOKEN]
    if max_per_second:
        args.append(str(max_per_second))
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    return proc, int(proc.stdout.readline())


async def stats(port: int) -> dict:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/stats") as r:
        return await r.json()


async def queue_broadcast(url: str, recipients: int) -> None:
    """A fresh database with RECIPIENTS Telegram users and one outbox row each."""
    if url.startswith("postgresql"):
        import asyncpg

        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        await conn.close()
    engine = create_engine(url)
    await migrate.upgrade(engine)
    now = datetime.now(UTC).replace(tzinfo=None)
    async with engine.begin() as conn:
        await conn.execute(insert(User), [
            {"channel": "telegram", "channel_user_id": str(i), "chat_id": str(i),
             "language": "vi", "news_opt_in": True, "blocked": False, "created_at": now,
             "last_seen_at": now} for i in range(1, recipients + 1)])
        ids = (await conn.execute(select(User.id, User.chat_id))).all()
        await conn.execute(insert(OutboxMessage), [
            {"source_kind": "broadcast", "source_id": "bench", "user_id": uid,
             "channel": "telegram", "chat_id": chat,
             "payload": {"text": "Tin của xã: lịch tiêm phòng tuần sau.",
                         "options": [["Tắt tin", "m:stopnews", None]]},
             "not_before": now, "status": "pending", "attempts": 0, "created_at": now}
            for uid, chat in ids])
    await engine.dispose()


def start_worker(folder: Path, url: str, fake_port: int, rate: float, lease: int = 60,
                 name: str = "w") -> subprocess.Popen[bytes]:
    config = folder / f"{name}.yaml"
    config.write_text(
        f"telegram:\n  base_url: http://127.0.0.1:{fake_port}\n"
        f"delivery:\n  lease_seconds: {lease}\n  telegram:\n    rate_per_second: {rate}\n"
        "log_level: WARNING\n")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "deliver"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def pending(url: str) -> int:
    engine = create_engine(url)
    async with engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.status == "pending"))
    await engine.dispose()
    return int(count or 0)


async def wait_sent(port: int, target: int, url: str, limit: float = 600) -> dict:
    """Until every recipient has the message AND the outbox has nothing left pending
    (re-sends of a crashed worker's batch come after its lease runs out)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        current = await stats(port)
        if current["chats"] >= target and await pending(url) == 0:
            await asyncio.sleep(0.5)
            return await stats(port)
        await asyncio.sleep(0.2)
    return await stats(port)


def stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


async def case_a(tmp: Path) -> None:
    n, configured = 3000, 25.0
    url = f"sqlite+aiosqlite:///{tmp / 'a.db'}"
    await queue_broadcast(url, n)
    fake, port = start_fake(max_per_second=30)
    worker = start_worker(tmp, url, port, configured)
    try:
        result = await wait_sent(port, n, url)
    finally:
        stop(worker, fake)
    rate = (result["sent"] - 1) / result["seconds"]
    print(f"(a) Telegram defaults, {n} recipients, fake enforcing 30/s: {result['chats']} "
          f"delivered in {result['seconds']:.1f} s = {rate:.2f}/s of {configured:.0f}/s "
          f"configured ({rate / configured:.1%}); 429s received: {result['rejected_429']}")


async def case_b(tmp: Path, label: str, url: str) -> None:
    n = 10000
    await queue_broadcast(url, n)
    fake, port = start_fake()
    worker = start_worker(tmp, url, port, 0)
    try:
        result = await wait_sent(port, n, url)
    finally:
        stop(worker, fake)
    print(f"(b) limits lifted, {label}: {result['chats']} delivered in {result['seconds']:.2f} s "
          f"= {result['sent'] / result['seconds']:,.0f} messages/s; "
          f"duplicates {result['duplicates']}")


async def case_c(tmp: Path) -> None:
    n, lease = 10000, 5
    url = f"sqlite+aiosqlite:///{tmp / 'c.db'}"
    await queue_broadcast(url, n)
    fake, port = start_fake()
    worker = start_worker(tmp, url, port, 0, lease=lease)
    try:
        # Mid-batch (batches are 200): a crash at a batch boundary would flatter the count.
        while (await stats(port))["chats"] < n // 2 + 100:  # noqa: ASYNC110 - polls a process
            await asyncio.sleep(0.02)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        at_kill = await stats(port)
        worker = start_worker(tmp, url, port, 0, lease=lease)
        result = await wait_sent(port, n, url)
    finally:
        stop(worker, fake)
    print(f"(c) kill -9 at {at_kill['chats']} of {n}, restart (lease {lease} s): "
          f"lost {n - result['chats']}, duplicates {result['duplicates']} "
          f"(messages sent twice: in flight at the crash)")


async def case_d(tmp: Path) -> None:
    n = 10000
    await queue_broadcast(PG_URL, n)
    fake, port = start_fake()
    workers = [start_worker(tmp, PG_URL, port, 0, name=f"w{i}") for i in range(2)]
    try:
        result = await wait_sent(port, n, PG_URL)
    finally:
        stop(*workers, fake)
    engine = create_engine(PG_URL)
    async with engine.connect() as conn:
        shares = (await conn.execute(select(OutboxMessage.leased_by, func.count())
                                     .group_by(OutboxMessage.leased_by))).all()
    await engine.dispose()
    print(f"(d) two workers on PostgreSQL, {n} recipients: {result['chats']} delivered in "
          f"{result['seconds']:.2f} s; sent twice: {result['duplicates']}; shares: "
          + ", ".join(f"{count}" for _, count in sorted(shares, key=lambda s: -s[1])))


async def main() -> int:
    wanted = set(sys.argv[1:]) or {"a", "b", "c", "d"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "b" in wanted:
            await case_b(folder, "SQLite", f"sqlite+aiosqlite:///{folder / 'b.db'}")
            await case_b(folder, "PostgreSQL", PG_URL)
        if "c" in wanted:
            await case_c(folder)
        if "d" in wanted:
            await case_d(folder)
        if "a" in wanted:
            await case_a(folder)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
