"""Zalo, end to end against a fake Zalo Bot Platform API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import App, build
from bot.channels.formatting import split_text
from bot.channels.zalo import ZaloChannel, render
from bot.core.messages import Option, Reply
from bot.delivery.engine import DeliveryEngine
from bot.delivery.outcome import SENT
from bot.inbox.worker import workers_for
from bot.storage.models import User
from bot.time import FixedClock

from .conftest import TODAY, make_config
from .fake_zalo import FakeZalo
from .local_server import free_port
from .support import add_session

TOKEN = "zalo-token-123"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    server = FakeZalo(TOKEN)
    await server.start()
    yield server
    await server.stop()


def zalo_config(database_url: str, fake: FakeZalo):
    return make_config(database_url, zalo={"token": TOKEN,
                                           "base_url": f"http://127.0.0.1:{fake.port}/bot"})


@pytest.fixture
async def zalo(
    fake: FakeZalo, database_url: str
) -> AsyncIterator[tuple[FakeZalo, App, ZaloChannel]]:
    config = zalo_config(database_url, fake)
    app = await build(config, clock=FixedClock(TODAY))
    channel = ZaloChannel(app, config.zalo)
    assert await channel.start()
    workers = workers_for(app, [channel])
    workers.start()
    yield fake, app, channel
    await workers.stop()
    await channel.stop()
    await app.close()


async def test_start_and_a_commune_chosen_by_number(zalo) -> None:
    fake, _, _ = zalo
    fake.push("u1", "/start")
    menu = await fake.wait_text("u1", "1. Tiếng Việt")
    assert "Trả lời bằng số" in menu.text
    fake.push("u1", "1")
    await fake.wait_text("u1", "xã, phường nào")
    fake.push("u1", "nam cuong")
    await fake.wait_text("u1", "2. Phường Cam Đường")
    fake.push("u1", "2")
    await fake.wait_text("u1", "Đã chọn Phường Cam Đường")


async def test_an_unaccented_question_is_answered_in_plain_text(zalo) -> None:
    fake, _, _ = zalo
    fake.push("u2", "e 19t dk ten mien id.vn co mat tien ko")
    answer = await fake.wait_text("u2", "18 đến 23 tuổi")
    assert "**" not in answer.text  # no markup Zalo would show literally


async def test_a_stale_number_is_answered_politely(zalo) -> None:
    fake, _, _ = zalo
    fake.push("u3", "id.vn là gì")
    await fake.wait_text("u3", "1. id.vn có miễn phí không?")
    fake.push("u3", "9")
    await fake.wait_text("u3", "Số 9 không có trong danh sách")


async def test_stickers_images_and_protected_senders_get_a_polite_reply(zalo) -> None:
    fake, _, _ = zalo
    fake.push("u4", None, event="message.sticker.received")
    await fake.wait_text("u4", "tin nhắn chữ")
    fake.push("u5", None, event="message.unsupported.received")
    await fake.wait_text("u5", "tin nhắn chữ")


async def test_a_sign_up_with_a_typed_phone_gets_the_calendar_as_text(zalo) -> None:

    fake, app, _ = zalo
    await add_session(app)
    for text, expect in [("/dangky", "1. Ứng dụng AI"), ("1", "Bạn có đồng ý không"),
                         ("1", "Họ và tên"), ("Nguyễn Văn An", "Số điện thoại"),
                         ("0912 345 678", "1. Xác nhận")]:
        mark = len(fake.sent_to("u6"))
        fake.push("u6", text)
        await fake.wait_text("u6", expect, after=mark)
    fake.push("u6", "xác nhận")
    done = await fake.wait_text("u6", "Đăng ký thành công")
    assert "Thời gian: 10:00 ngày 05/12/2026" in done.text


async def test_a_re_sent_update_is_ignored_even_after_a_restart(fake, database_url) -> None:
    config = zalo_config(database_url, fake)
    update = fake.update("u7", "id.vn là gì", message_id="dup-1")
    for round_ in range(2):  # the second round is a fresh process's worth of objects
        app = await build(config, clock=FixedClock(TODAY))
        channel = ZaloChannel(app, config.zalo)
        assert await channel.start()
        workers = workers_for(app, [channel])
        workers.start()
        fake.queue.put_nowait(update)
        fake.queue.put_nowait(update)
        if round_ == 0:
            await fake.wait_text("u7", "cá nhân")
        await asyncio.sleep(1.0)
        await workers.stop()
        await channel.stop()
        await app.close()
    assert len(fake.sent_to("u7")) == 1


async def test_bare_update_bodies_are_accepted_too(zalo) -> None:
    fake, _, _ = zalo
    fake.wrap = False
    fake.push("u8", "xin chào")
    await fake.wait_text("u8", "Xin chào")


async def test_quota_exceeded_backs_off_and_the_message_still_arrives(zalo) -> None:
    fake, _, _ = zalo
    fake.quota_errors = 2
    fake.push("u9", "biz.vn là gì")
    await fake.wait_text("u9", "kinh doanh", limit_seconds=15)


async def test_a_2500_character_answer_is_sent_in_two_messages(zalo) -> None:
    fake, _, channel = zalo
    paragraph = "Nội dung dài. " * 40
    text = "\n\n".join([paragraph] * 5)
    assert 2400 < len(text) < 3000
    assert await channel.reply("u10", Reply(text)) is SENT
    sent = fake.sent_to("u10")
    assert len(sent) == 2 and all(len(c.text) <= 2000 for c in sent)
    assert sent[0].text.endswith("(1/2)") and sent[1].text.endswith("(2/2)")


async def test_notifications_from_the_outbox_reach_zalo_users(zalo) -> None:
    from argparse import Namespace
    from datetime import timedelta

    from bot.training.cli import run

    fake, app, channel = zalo
    fake.push("u11", "/dangky")
    await fake.wait_text("u11", "Báo tôi khi có lớp mới")
    fake.push("u11", "1")
    await fake.wait_text("u11", "Đã ghi nhận")
    start = (TODAY + timedelta(days=9)).strftime("%Y-%m-%d 08:00")
    end = (TODAY + timedelta(days=9)).strftime("%Y-%m-%d 10:00")
    assert await run(app, Namespace(
        training_command="add", id="zl-1", title="Lớp mới Zalo", title_en=None, start=start,
        end=end, place="trực tuyến", link=None, capacity=3, audience="all", deadline=None,
        description="", commune=None)) == 0
    worker = DeliveryEngine(app.services.sessions, app.services.clock, {"zalo": 0})
    worker.register("zalo", channel.deliver)
    assert await worker.deliver_due() == 1
    await fake.wait_text("u11", "Có lớp tập huấn mới")
    assert await worker.deliver_due() == 0  # sent once


def test_numbered_menus_and_splitting() -> None:
    reply = Reply("Chọn:", [Option("Hỏi đáp", "m:faq"), Option("Trang", url="https://x.vn")])
    text = render(reply)
    assert "1. Hỏi đáp" in text and "- Trang: https://x.vn" in text
    assert all(len(p) <= 1900 for p in split_text("a " * 3000, 1900))


async def test_the_client_copes_with_duplicate_server_headers(fake) -> None:
    async with aiohttp.ClientSession() as http, http.post(
        f"http://127.0.0.1:{fake.port}/bot{TOKEN}/getMe", json={}
    ) as response:
        assert response.headers.getall("Server") == ["ZaloEdge", "nginx"]
        assert (await response.json())["result"]["account_name"] == "laocai_bot"


# -- the real process -----------------------------------------------------------------


def _config(folder: Path, fake: FakeZalo, webhook: dict | None = None) -> Path:
    lines = [f"database:\n  url: sqlite+aiosqlite:///{folder / 'bot.db'}",
             f"web:\n  port: {free_port()}",
             f"zalo:\n  base_url: http://127.0.0.1:{fake.port}/bot"]
    if webhook:
        lines[-1] += "\n  mode: webhook\n  webhook:\n" + "".join(
            f"    {k}: {v}\n" for k, v in webhook.items())
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _spawn(config: Path, token: str = TOKEN) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "ZALO_BOT_TOKEN": token})


async def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    loop = asyncio.get_running_loop()
    output, _ = await loop.run_in_executor(None, lambda: proc.communicate(timeout=30))
    return output


async def test_the_real_process_serves_zalo_by_polling(fake, tmp_path: Path) -> None:
    proc = _spawn(_config(tmp_path, fake))
    try:
        fake.push("p1", "/start", message_id="start-1")
        await fake.wait_text("p1", "1. Tiếng Việt", limit_seconds=20)
        fake.push("p1", "/start", message_id="start-1")  # re-sent: ignored
        fake.push("p1", "cach dk ten mien id vn")
        await fake.wait_text("p1", "nhà đăng ký")
        assert sum("1. Tiếng Việt" in c.text for c in fake.sent_to("p1")) == 1
        assert any(c.method == "deleteWebhook" for c in fake.calls)
    finally:
        output = await _stop(proc)
    assert proc.returncode == 0, output
    assert "channel zalo: laocai_bot, long polling" in output and TOKEN not in output


async def test_the_webhook_rejects_a_wrong_secret(fake, tmp_path: Path) -> None:
    port = free_port()
    proc = _spawn(_config(tmp_path, fake, webhook={
        "url": "https://bot.example.vn/zalo", "listen": "127.0.0.1", "port": port,
        "path": "/zalo", "secret_token": "zalo-secret-1"}))
    body = {"ok": True, "result": fake.update("w1", "id.vn là gì")}
    url = f"http://127.0.0.1:{port}/zalo"
    try:
        for _ in range(100):
            if any(c.method == "setWebhook" for c in fake.calls):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=body,
                                 headers={"X-Bot-Api-Secret-Token": "wrong"}) as r:
                assert r.status == 403
            await asyncio.sleep(0.3)
            assert not fake.sent_to("w1")
            async with http.post(url, json=body,
                                 headers={"X-Bot-Api-Secret-Token": "zalo-secret-1"}) as r:
                assert r.status == 200
        await fake.wait_text("w1", "cá nhân")
    finally:
        await _stop(proc)


async def test_a_refused_token_stops_zalo_but_the_web_chat_keeps_running(
    fake, tmp_path: Path
) -> None:
    config = _config(tmp_path, fake)
    web_port = int(config.read_text().split("port: ")[1].split()[0])
    proc = _spawn(config, token="wrong-token")
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{web_port}/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
    finally:
        output = await _stop(proc)
    assert "channel zalo: the bot token was refused (401); channel not started" in output
    assert "channel web" in output and "wrong-token" not in output


async def test_handled_updates_and_sent_replies_are_deleted_after_a_week(zalo) -> None:
    from datetime import timedelta

    from sqlalchemy import func, select

    from bot.reminders.housekeeping import prune
    from bot.storage.models import InboxMessage, OutboxMessage

    fake, app, _ = zalo
    fake.push("u12", "xin chào", message_id="old-1")
    await fake.wait_text("u12", "Xin chào")
    await asyncio.sleep(0.3)  # the reply's outcome is recorded after it is sent
    assert await prune(app.services) == 0
    app.services.clock = FixedClock(TODAY + timedelta(days=8))
    assert await prune(app.services, batch=1) == 2  # the update and its one reply
    async with app.services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboxMessage)) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_a_zalo_user_who_blocked_the_bot_is_flagged_and_left_alone(zalo) -> None:
    fake, app, _ = zalo
    fake.forbidden_chats.add("u12")
    fake.push("u12", "id.vn là gì")
    for _ in range(50):  # the reply meets 403: no retries, the person is marked
        async with app.services.sessions() as session:
            user = await session.scalar(select(User).where(User.channel_user_id == "u12"))
        if user is not None and user.blocked:
            break
        await asyncio.sleep(0.1)
    assert user is not None and user.blocked
    sends = [c for c in fake.calls if c.method == "sendMessage" and c.params["chat_id"] == "u12"]
    assert len(sends) == 1


@pytest.fixture
async def zalo_webhook(fake: FakeZalo, database_url: str) -> AsyncIterator[tuple[App, str]]:
    """A Zalo channel on a webhook, receiving only (no worker): what is stored stays."""
    from .local_server import free_port

    port = free_port()
    config = make_config(database_url, zalo={
        "token": TOKEN, "base_url": f"http://127.0.0.1:{fake.port}/bot", "mode": "webhook",
        "webhook": {"url": "https://bot.example.vn/z", "listen": "127.0.0.1", "port": port,
                    "path": "/z", "secret_token": "s3cret"}})
    app = await build(config, clock=FixedClock(TODAY))
    channel = ZaloChannel(app, config.zalo)
    assert await channel.start()
    yield app, f"http://127.0.0.1:{port}/z"
    await channel.stop()
    await app.close()


async def _post(url: str, body: bytes) -> int:
    async with aiohttp.ClientSession() as http, http.post(
            url, data=body, headers={"X-Bot-Api-Secret-Token": "s3cret",
                                     "Content-Type": "application/json"}) as response:
        return response.status


async def test_a_webhook_update_is_stored_before_zalo_hears_200(fake, zalo_webhook) -> None:
    import json

    from bot.inbox.store import backlog
    from bot.time import stored_now

    app, url = zalo_webhook
    assert await _post(url, json.dumps(fake.update("w1", "id.vn là gì")).encode()) == 200
    async with app.services.sessions() as session:
        waiting = await backlog(session, stored_now(app.services.clock))
    assert waiting.pending == {"zalo": 1}  # stored, waiting for a worker


async def test_a_body_that_is_not_an_update_is_kept_as_failed_and_not_re_sent(
        zalo_webhook) -> None:
    from bot.inbox.store import backlog
    from bot.time import stored_now

    app, url = zalo_webhook
    assert await _post(url, b"{not json") == 200  # Zalo must not re-send it for ever
    assert await _post(url, b'{"event_name": "message.text.received"}') == 200
    async with app.services.sessions() as session:
        waiting = await backlog(session, stored_now(app.services.clock))
    assert waiting.failed == 2 and waiting.pending == {}


async def test_when_the_database_cannot_take_an_update_zalo_hears_503(
        fake, zalo_webhook, monkeypatch) -> None:
    import json

    app, url = zalo_webhook

    async def down(items: object) -> None:
        raise ConnectionRefusedError("the database is restarting")

    monkeypatch.setattr(app, "store_received", down)
    assert await _post(url, json.dumps(fake.update("w2", "id.vn là gì")).encode()) == 503
