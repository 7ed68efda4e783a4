"""Start-up time, idle memory and web chat round trip of the real `laocai-bot run`.

    python bench/startup_bench.py

Start-up: from process spawn to the first 200 on /healthz, on a fresh SQLite
file each time (so migrations run), median of 5. Idle RSS: read from /proc
after 3 s idle. Round trip: 500 sequential POST /api/message on loopback.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.local_server import free_port  # noqa: E402

# The round trips come from one address: lift the per-address limits for them.
LIFTED = "  limits: {new_identities_per_minute: 1000, messages_per_minute: 100000}\n"


def start(folder: Path, web: str = LIFTED) -> tuple[subprocess.Popen[bytes], int]:
    """`laocai-bot run` on SQLite in FOLDER, on a free port; WEB: more web: keys."""
    port = free_port()
    config = folder / "config.yaml"
    config.write_text(f"database:\n  url: sqlite+aiosqlite:///{folder / 'bot.db'}\n"
                      f"web:\n  port: {port}\n{web}log_level: WARNING\n")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "run"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port


async def wait_ready(port: int, limit_seconds: float = 30) -> None:
    deadline = time.monotonic() + limit_seconds
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.01)
    raise RuntimeError("not ready")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def round_trips(port: int, n: int = 500) -> list[float]:
    times = []
    async with aiohttp.ClientSession() as http:
        messages = ["id.vn là gì", "e 19t dk ten mien id.vn co mat tien ko", "xin chào",
                    "gia vang hom nay"]
        tokens = []
        for _ in range(20):  # twenty browsers
            async with http.post(f"http://127.0.0.1:{port}/api/session", json={}) as r:
                tokens.append((await r.json())["token"])
        for i in range(n):
            body = {"token": tokens[i % 20], "text": messages[i % 4]}
            t0 = time.perf_counter()
            async with http.post(f"http://127.0.0.1:{port}/api/message", json=body) as r:
                await r.read()
            times.append(time.perf_counter() - t0)
    return times


async def main() -> int:
    startups = []
    for _ in range(5):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            proc, port = start(Path(tmp))
            await wait_ready(port)
            startups.append(time.perf_counter() - t0)
            proc.terminate()
            proc.wait()
    print(f"start-up to ready (SQLite, fresh database): median {statistics.median(startups):.2f} s "
          f"over 5 runs {[round(s, 2) for s in startups]}")
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start(Path(tmp))
        try:
            await wait_ready(port)
            await asyncio.sleep(3)
            print(f"idle RSS: {rss_mb(proc.pid):.1f} MB")
            times = sorted(await round_trips(port))
            p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95)]
            print(f"web chat round trip (loopback, {len(times)} requests, FAQ questions): "
                  f"p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
            print(f"RSS after the round trips: {rss_mb(proc.pid):.1f} MB")
        finally:
            proc.terminate()
            proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
