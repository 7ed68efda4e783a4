"""The real `laocai-bot` process: start, health, clean stop, crash recovery, CLI contract."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from .conftest import ROOT
from .local_server import free_port


def write_config(folder: Path, port: int, **extra: str) -> Path:
    config = folder / "config.yaml"
    lines = [f"database:\n  url: sqlite+aiosqlite:///{folder / 'bot.db'}",
             f"web:\n  host: 127.0.0.1\n  port: {port}"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    config.write_text("\n".join(lines) + "\n")
    return config


class BotProcess:
    def __init__(self, config: Path, port: int) -> None:
        self.port = port
        self.token = ""  # the web chat identity, asked for on the first message
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "run"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=config.parent,
        )

    async def wait_ready(self, limit_seconds: float = 20) -> None:
        deadline = time.monotonic() + limit_seconds
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(self.proc.stdout.read())
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError("bot did not become ready")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()

    async def send(self, **body: object) -> list[dict]:
        """A message from this test's browser (its identity asked for the first time)."""
        base = f"http://127.0.0.1:{self.port}"
        async with aiohttp.ClientSession() as http:
            if not self.token:
                async with http.post(f"{base}/api/session", json={}) as r:
                    self.token = (await r.json())["token"]
            async with http.post(f"{base}/api/message",
                                 json={"token": self.token, **body}) as r:
                assert r.status == 200
                return (await r.json())["replies"]


@pytest.fixture
def bot_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


async def test_run_serves_the_web_chat_and_stops_cleanly_on_sigterm(bot_dir: Path) -> None:
    port = free_port()
    bot = BotProcess(write_config(bot_dir, port), port)
    try:
        await bot.wait_ready()
        bot.proc.send_signal(signal.SIGTERM)
        output, _ = bot.proc.communicate(timeout=15)
        assert bot.proc.returncode == 0
        assert "channel web" in output and "stopping" in output
        assert "Traceback" not in output
    finally:
        if bot.proc.poll() is None:
            bot.proc.kill()


async def test_a_form_interrupted_by_kill_9_continues_at_the_same_step(bot_dir: Path) -> None:
    port = free_port()
    config = write_config(bot_dir, port)
    bot = BotProcess(config, port)
    try:
        await bot.wait_ready()
        replies = await bot.send(text="/start")
        language = next(o["payload"] for r in replies for o in r["options"]
                        if o["label"] == "Tiếng Việt")
        replies = await bot.send(payload=language)
        assert "xã, phường nào" in replies[-1]["text"]
        os.kill(bot.proc.pid, signal.SIGKILL)
        bot.proc.wait(timeout=10)
        bot.proc.stdout.close()
        browser = bot.token  # the same browser comes back
        bot = BotProcess(config, port)
        bot.token = browser
        await bot.wait_ready()
        replies = await bot.send(text="bac ha")
        assert "Đã chọn Xã Bắc Hà" in replies[0]["text"]
    finally:
        bot.stop()


def cli(*args: str, cwd: Path | None = None, stdin: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, input=stdin, timeout=60,
                          env={**os.environ, **(env or {})})


def test_an_invalid_config_value_names_the_key_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("web:\n  port: eighty\n")
    result = cli("--config", str(config), "run")
    assert result.returncode == 2
    assert result.stderr.strip() == "config error: web.port: must be a port number between " \
                                    "1 and 65535"


def test_a_corrupt_config_file_names_the_line(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("web:\n  port: 8080\n  host: [oops\n")
    result = cli("run", "--config", str(config))  # accepted after the command too
    assert result.returncode == 2 and "not valid YAML at line" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    result = cli("run", env={"LAOCAI_BOT_CONFIG": str(tmp_path / "nope.yaml")})
    assert result.returncode == 2 and "not found" in result.stderr


def test_ask_stdin_answers_one_json_line_per_question_in_order(tmp_path: Path) -> None:
    questions = "id.vn là gì\ngia vang hom nay\nhow do I register id.vn\n\n"
    result = cli("ask", "--json", "--stdin", stdin=questions, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["q"] for r in rows] == ["id.vn là gì", "gia vang hom nay",
                                      "how do I register id.vn", ""]
    assert rows[0]["outcome"] == "answer" and rows[0]["topic"] == "domain.idvn.what"
    assert rows[1]["outcome"] != "answer" and rows[1]["topic"] is None
    assert rows[2]["topic"] == "domain.idvn.register" and "registrar" in rows[2]["answer"]
    assert set(rows[0]) == {"q", "outcome", "topic", "score", "suggestions", "answer"}
    assert not (tmp_path / "data").exists()  # no database needed


def test_db_upgrade_and_kb_unanswered(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    assert cli("db", "upgrade", env=env).returncode == 0
    result = cli("kb", "unanswered", "--since", "7d", env=env)
    assert result.returncode == 0 and "No unanswered" in result.stdout


async def test_kb_unanswered_counts_what_people_asked_that_the_bot_could_not_answer(
    tmp_path: Path,
) -> None:
    from bot.app import build

    from .conftest import Chat, make_config

    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    app = await build(make_config(url))
    for user in ("a", "b", "c"):
        await Chat(app, user=user).send("lịch cắt điện tuần này")
    await Chat(app, user="d").send("id.vn là gì")
    await app.close()
    result = cli("kb", "unanswered", "--since", "1d", env={"DATABASE_URL": url})
    assert result.returncode == 0
    first = result.stdout.splitlines()[0].split()
    assert first[0] == "3" and "cat dien" in result.stdout
    assert "id.vn" not in result.stdout


async def test_a_sign_up_interrupted_by_kill_9_resumes_at_the_phone_step(bot_dir: Path) -> None:
    port = free_port()
    config = write_config(bot_dir, port)
    start = time.strftime("%Y-%m-%d 08:00", time.localtime(time.time() + 30 * 86400))
    end = time.strftime("%Y-%m-%d 11:00", time.localtime(time.time() + 30 * 86400))
    added = cli("--config", str(config), "training", "add", "--id", "k9", "--title",
                "Lớp thử", "--start", start, "--end", end, "--place", "trực tuyến",
                "--capacity", "5")
    assert added.returncode == 0, added.stderr
    bot = BotProcess(config, port)
    try:
        await bot.wait_ready()

        def pick(replies: list[dict], label: str) -> str:
            return next(o["payload"] for r in replies for o in r["options"] if label in o["label"])

        replies = await bot.send(text="/dangky")
        replies = await bot.send(payload=pick(replies, "Lớp thử"))
        replies = await bot.send(payload=pick(replies, "Đồng ý"))
        replies = await bot.send(text="Nguyễn Văn An")
        assert "Số điện thoại" in replies[-1]["text"]
        os.kill(bot.proc.pid, signal.SIGKILL)
        bot.proc.wait(timeout=10)
        bot.proc.stdout.close()
        browser = bot.token  # the same browser comes back
        bot = BotProcess(config, port)
        bot.token = browser
        await bot.wait_ready()
        replies = await bot.send(text="0912345678")
        assert "Họ tên: Nguyễn Văn An" in replies[-1]["text"]
    finally:
        bot.stop()


def test_status_before_the_database_exists_says_what_to_do(tmp_path: Path) -> None:
    config = write_config(tmp_path, free_port())
    result = cli("--config", str(config), "status")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "db upgrade" in result.stderr
