"""Telegram throughput: N simulated users each send a question through the fake Bot API.

    python bench/telegram_bench.py [--users 2000] [--repeat 3]

The real `laocai-bot run` process polls a fake Bot API served by this script on
127.0.0.1 (no rate limits). Reports updates handled per second (first update
offered → last reply received) and per-update reply latency (update offered →
its first sendMessage), on SQLite (one process) and on PostgreSQL when
reachable, with one process and with `run` plus one `laocai-bot worker`. Each setup runs
--repeat times; quote the medians (this shared machine's speed drifts).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.local_postgres import PG_URL, reset_postgres  # noqa: E402
from bench.machine_speed import format_speed, loop_ms  # noqa: E402
from bench.sample_questions import QUESTIONS  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.local_server import free_port  # noqa: E402


def spawn_bot(config: Path, database_url: str, command: str = "run"
              ) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "123:BENCH", "DATABASE_URL": database_url}
    return subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), command],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def run_once(label: str, database_url: str, users: int, workers: int = 1
                   ) -> tuple[float, float, float]:
    fake = FakeTelegram("123:BENCH")
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(f"web:\n  port: {free_port()}\nlog_level: WARNING\n"
                          f"telegram:\n  base_url: http://127.0.0.1:{fake.port}\n")
        proc = spawn_bot(config, database_url)
        extra = [spawn_bot(config, database_url, "worker") for _ in range(workers - 1)]
        try:
            await fake.wait_for(lambda c: c.method == "setMyCommands", 30)
            await asyncio.sleep(0.5)
            offered: dict[int, float] = {}
            start = time.monotonic()
            for i in range(users):
                chat = 10_000 + i
                fake.push_text(chat, QUESTIONS[i % len(QUESTIONS)])
                offered[chat] = time.monotonic()
            first_reply: dict[int, float] = {}
            deadline = time.monotonic() + 300
            seen = 0
            while len(first_reply) < users and time.monotonic() < deadline:
                for call in fake.calls[seen:]:
                    if call.method == "sendMessage":
                        chat = int(call.params["chat_id"])
                        first_reply.setdefault(chat, call.at)
                seen = len(fake.calls)
                await asyncio.sleep(0.02)
            elapsed = max(first_reply.values()) - start
            latencies = sorted(first_reply[c] - offered[c] for c in first_reply)
            p50 = statistics.median(latencies)
            p95 = latencies[int(len(latencies) * 0.95) - 1]
            rate = len(first_reply) / elapsed
            print(f"{label:<18} burst: {len(first_reply)}/{users} users answered in "
                  f"{elapsed:.2f} s: {rate:,.0f} updates/s "
                  f"(queueing latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms)",
                  flush=True)
            paced_p50, paced_p95 = await paced(fake, label, rate=100, seconds=5)
            return rate, paced_p50, paced_p95
        finally:
            for process in (proc, *extra):
                process.send_signal(signal.SIGTERM)
                await asyncio.get_running_loop().run_in_executor(None, process.wait)
            await fake.stop()


async def paced(fake: FakeTelegram, label: str, rate: int, seconds: int
                ) -> tuple[float, float]:
    """Updates offered at a steady RATE below capacity: the latency a user feels."""
    offered: dict[int, float] = {}
    base = 50_000
    start = time.monotonic()
    for i in range(rate * seconds):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        fake.push_text(base + i, QUESTIONS[i % len(QUESTIONS)])
        offered[base + i] = time.monotonic()
    deadline = time.monotonic() + 30
    replies: dict[int, float] = {}
    while len(replies) < len(offered) and time.monotonic() < deadline:
        for call in fake.calls:
            if call.method == "sendMessage" and int(call.params["chat_id"]) in offered:
                replies.setdefault(int(call.params["chat_id"]), call.at)
        await asyncio.sleep(0.05)
    latencies = sorted(replies[c] - offered[c] for c in replies)
    p50, p95 = statistics.median(latencies), latencies[int(len(latencies) * 0.95) - 1]
    print(f"{label:<18} paced at {rate}/s for {seconds} s: {len(replies)}/{len(offered)} "
          f"answered; reply latency p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms",
          flush=True)
    return p50, p95


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float, float]]] = {}
    speed: list[float] = []
    for _ in range(args.repeat):  # setups interleaved, so a slow spell hits all of them
        speed.append(loop_ms())
        with tempfile.TemporaryDirectory() as tmp:
            results.setdefault("SQLite", []).append(
                await run_once("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", args.users))
        for workers in (1, 2):
            label = f"PostgreSQL x{workers}"
            if not await reset_postgres():
                print("PostgreSQL: not reachable, skipped")
                break
            results.setdefault(label, []).append(
                await run_once(label, PG_URL, args.users, workers))
    print(f"\nmedians of {args.repeat} runs, {args.users} users per burst "
          f"(machine speed: {format_speed(speed)}):")
    for label, runs in results.items():
        rates = sorted(r[0] for r in runs)
        print(f"  {label:<18} {statistics.median(rates):5.0f} updates/s "
              f"(runs: {', '.join(f'{r:.0f}' for r in rates)}); paced 100/s reply latency "
              f"p50 {statistics.median(r[1] for r in runs) * 1000:.1f} ms, "
              f"p95 {statistics.median(r[2] for r in runs) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
