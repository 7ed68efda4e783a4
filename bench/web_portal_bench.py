"""The portal widget's weight and the web chat's per-address limits, on a real server.

    python bench/web_portal_bench.py

Starts `laocai-bot run` (SQLite, default limits) and measures:
- first load: the bytes of /widget.js and of the chat document /embed, as sent and
  gzip-compressed (what a proxy in front usually sends). Target: ≤ 60 KB together.
- a burst of 600 new identities from one address at once: how many the server
  issued, how many it refused with 429 and Retry-After, and how long it took.
- a burst of 1,000 messages from one address within seconds against the default
  300 per minute: how many were answered and refused.
"""

from __future__ import annotations

import asyncio
import gzip
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.startup_bench import start, wait_ready  # noqa: E402

TARGET_BYTES = 60 * 1024


async def first_load(http: aiohttp.ClientSession, base: str) -> None:
    total = packed = 0
    for path in ("/widget.js", "/embed"):
        async with http.get(base + path) as r:
            body = await r.read()
        total, packed = total + len(body), packed + len(gzip.compress(body))
        print(f"  {path:<11} {len(body):>6} bytes, {len(gzip.compress(body)):>5} gzipped")
    verdict = "within" if total <= TARGET_BYTES else "OVER"
    print(f"first load: {total} bytes ({packed} gzipped), {verdict} the 60 KB target")


async def burst(http: aiohttp.ClientSession, url: str, bodies: list[dict]) -> tuple[Counter, float]:
    async def one(body: dict) -> int:
        async with http.post(url, json=body) as r:
            await r.read()
            assert r.status != 429 or r.headers.get("Retry-After"), "429 without Retry-After"
            return r.status

    started = time.perf_counter()
    statuses = Counter(await asyncio.gather(*(one(b) for b in bodies)))
    return statuses, time.perf_counter() - started


async def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start(Path(tmp), web="  embed_origins: [https://laocai.gov.vn]\n"
                                            "  public_url: https://chatbot.laocai.gov.vn\n")
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_ready(port)
            connector = aiohttp.TCPConnector(limit=100)
            async with aiohttp.ClientSession(connector=connector) as http:
                await first_load(http, base)
                seen, took = await burst(http, f"{base}/api/session", [{}] * 600)
                print(f"600 new identities from one address at once, in {took:.2f} s: "
                      f"issued {seen[200]}, refused with 429 {seen[429]} (limit: 10 a minute)")
                await asyncio.sleep(60)  # the identity bucket fills again
                async with http.post(f"{base}/api/session", json={}) as r:
                    token = (await r.json())["token"]
                bodies = [{"token": token, "text": "id.vn là gì"}] * 1000
                seen, took = await burst(http, f"{base}/api/message", bodies)
                print(f"1,000 messages from one address in {took:.2f} s: answered {seen[200]}, "
                      f"refused with 429 {seen[429]} (limit: 300 a minute)")
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
