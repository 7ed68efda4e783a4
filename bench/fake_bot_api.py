"""Run the fake Telegram Bot API alone (for benchmarks that need it in another process).

    python bench/fake_bot_api.py TOKEN [MAX_PER_SECOND]   → prints the port, serves until killed
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_telegram import FakeTelegram


async def main() -> None:
    fake = FakeTelegram(sys.argv[1])
    fake.record = False
    if len(sys.argv) > 2:
        fake.max_per_second = int(sys.argv[2])
    await fake.start()
    print(fake.port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
