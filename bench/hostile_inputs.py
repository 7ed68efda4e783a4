"""The hostile-input suite as a table, on SQLite and PostgreSQL, for closing notes.

    python bench/hostile_inputs.py

Each row: the case, the HTTP status, the start of the reply, and whether it was
answered well; then whether the bystander (who asked questions and booked a seat
during the run) lost anything. The same cases run in tests/test_hostile_inputs.py.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build  # noqa: E402
from bot.channels.web import create_web_app  # noqa: E402
from tests import hostile  # noqa: E402
from tests.conftest import PG_URL, make_config, reset_postgres  # noqa: E402


async def run(name: str, url: str) -> bool:
    app = await build(make_config(url))
    try:
        async with TestClient(TestServer(create_web_app(app))) as client:
            results = await hostile.run_all(client, app)
        lost = await hostile.bystander_lost(app)
    finally:
        await app.close()
    print(f"\n{name}: {len(results)} kinds of hostile input")
    for number, (case, outcome) in enumerate(results, 1):
        verdict = "ok" if outcome.ok else f"FAIL {outcome.why}"
        reply = " ".join(outcome.reply.split())[:58]
        print(f"{number:3d}. {case.name:<42} {outcome.status:3d}  {verdict:<4}  {reply}")
    good = sum(1 for _, outcome in results if outcome.ok)
    print(f"  {good}/{len(results)} answered well; bystander lost: {', '.join(lost) or 'nothing'}")
    return good == len(results) and not lost


async def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        ok = await run("SQLite", f"sqlite+aiosqlite:///{folder}/bot.db")
    try:
        await reset_postgres()
    except Exception as exc:  # no server here: say so, do not pretend
        print(f"\nPostgreSQL: not reachable ({type(exc).__name__}); skipped")
        return 0 if ok else 1
    ok = await run("PostgreSQL", PG_URL) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
