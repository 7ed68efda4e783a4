"""What the staff console adds to the idle memory of `laocai-bot run`.

    python bench/console_memory.py OLD_TREE [--runs 3]

Starts `run` from OLD_TREE (a checkout without the console, e.g. a git worktree of
05ea834) and from this tree, interleaved, on a fresh SQLite file each; asks for the
console's sign-in and signed-out pages (so its templates are compiled), waits 3 s
idle, and reads VmRSS from /proc. Prints the medians and the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.startup_bench import rss_mb, wait_ready  # noqa: E402
from tests.local_server import free_port  # noqa: E402


def spawn(tree: Path, config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "run"],
                            cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def idle_rss(tree: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        config = Path(tmp) / "config.yaml"
        config.write_text(f"database:\n  url: sqlite+aiosqlite:///{tmp}/bot.db\n"
                          f"web:\n  port: {port}\nlog_level: WARNING\n")
        proc = spawn(tree, config)
        try:
            await wait_ready(port, 60)
            async with aiohttp.ClientSession() as http:
                for path in ("/staff/login/x", "/staff/signed-out", "/staff/"):
                    async with http.get(f"http://127.0.0.1:{port}{path}") as r:
                        await r.read()
            await asyncio.sleep(3)
            return rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait()


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("old_tree", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    old, new = [], []
    for _ in range(args.runs):
        old.append(await idle_rss(args.old_tree.resolve()))
        new.append(await idle_rss(ROOT))
    o, n = statistics.median(old), statistics.median(new)
    print(f"idle RSS, median of {args.runs}: without the console {o:.1f} MB "
          f"(runs {', '.join(f'{x:.1f}' for x in old)}); with it {n:.1f} MB "
          f"(runs {', '.join(f'{x:.1f}' for x in new)}); the console adds {n - o:+.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
