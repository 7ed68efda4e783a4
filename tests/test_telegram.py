"""Telegram, end to end through python-telegram-bot and a fake Bot API on 127.0.0.1."""

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
from bot.channels.formatting import split_text, to_telegram_html
from bot.channels.telegram import TelegramChannel
from bot.inbox.worker import workers_for
from bot.storage.models import User
from bot.time import FixedClock

from .conftest import TODAY, make_config
from .fake_telegram import Call, FakeTelegram
from .local_server import free_port
from .support import CAM_DUONG, NOW, add_session
from .test_handoff import officer

TOKEN = "123:TEST"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def telegram(
    fake: FakeTelegram, database_url: str
) -> AsyncIterator[tuple[FakeTelegram, App]]:
    config = make_config(database_url, telegram={"token": TOKEN,
                                                 "base_url": f"http://127.0.0.1:{fake.port}"})
    app = await build(config, clock=FixedClock(TODAY))
    channel = TelegramChannel(app, config.telegram)
    assert await channel.start()
    workers = workers_for(app, [channel])
    workers.start()
    yield fake, app
    await workers.stop()
    await channel.stop()
    await app.close()


def button(call: Call, label_part: str) -> str:
    for b in call.buttons:
        if label_part in b["text"]:
            return b["callback_data"]
    raise AssertionError(f"{label_part!r} not in {[b['text'] for b in call.buttons]}")


async def test_start_sets_the_command_menu_in_vietnamese_and_english(telegram) -> None:
    fake, _ = telegram
    commands = [c for c in fake.calls if c.method == "setMyCommands"]
    assert {c.params.get("language_code") for c in commands} == {None, "en"}
    assert any(c["command"] == "forget" for c in commands[0].params["commands"])


async def test_onboarding_with_a_typed_commune_then_an_unaccented_question(telegram) -> None:
    fake, app = telegram
    fake.push_text(501, "/start")
    welcome = await fake.wait_text(501, "Bạn muốn dùng ngôn ngữ nào")
    fake.push_callback(501, button(welcome, "Tiếng Việt"))
    await fake.wait_text(501, "xã, phường nào")
    fake.push_text(501, "ban phiet")
    chosen = await fake.wait_text(501, "Phường Lào Cai")
    assert "<b>Phường Lào Cai</b>" in chosen.text  # formatted as Telegram HTML
    mark = len(fake.calls)
    fake.push_text(501, "e 19t dk ten mien id.vn co mat tien ko")
    answer = await fake.wait_text(501, "18 đến 23 tuổi", after=mark)
    assert answer.params["parse_mode"] == "HTML"
    assert any(c.method == "answerCallbackQuery" for c in fake.calls)
    async with app.services.sessions() as session:
        user = await session.scalar(select(User).where(User.channel_user_id == "501"))
    assert user.commune_code == "02647" and user.display_name == "User501"


async def test_a_suggestion_button_is_pressed_and_answers(telegram) -> None:
    fake, _ = telegram
    fake.push_text(502, "ten mien")
    suggest = await fake.wait_text(502, "Có phải bạn muốn hỏi")
    pressed = next(b for b in suggest.buttons if b["text"].startswith("biz.vn"))
    fake.push_callback(502, pressed["callback_data"])
    await fake.wait_text(502, "tương đương")


async def test_a_stale_button_is_answered_and_explained(telegram) -> None:
    fake, _ = telegram
    fake.push_callback(503, "d:abcdef:vi")
    await fake.wait_text(503, "không còn hiệu lực")
    await fake.wait_for(lambda c: c.method == "answerCallbackQuery")


async def test_a_sticker_gets_a_please_write_text_reply(telegram) -> None:
    fake, _ = telegram
    fake.push_sticker(504)
    await fake.wait_text(504, "tin nhắn chữ")


async def test_a_5000_character_message_is_answered(telegram) -> None:
    fake, _ = telegram
    fake.push_text(505, "bình dân học vụ số là gì " + "ạ" * 5000)
    await fake.wait_text(505, "dài quá")
    await fake.wait_text(505, "binhdanhocvuso.gov.vn")


async def test_a_deep_link_from_a_poster_names_the_commune(telegram) -> None:
    fake, _ = telegram
    fake.push_text(506, "/start c_02671")
    await fake.wait_text(506, "Phường Cam Đường")


async def test_html_in_a_question_is_sent_back_inert(telegram) -> None:
    fake, _ = telegram
    fake.push_text(507, "<b>bold</b> & <script>")
    call = await fake.wait_for(lambda c: c.method == "sendMessage"
                               and int(c.params["chat_id"]) == 507)
    assert "<script>" not in call.text


async def test_429_is_waited_out_and_the_message_still_arrives(telegram) -> None:
    fake, _ = telegram
    fake.too_many, fake.retry_after = 1, 1
    fake.push_text(508, "id.vn là gì")
    await fake.wait_text(508, "cá nhân", limit_seconds=15)


async def test_a_dropped_connection_to_telegram_is_retried_and_the_answer_arrives(
    telegram,
) -> None:
    fake, _ = telegram
    fake.broken = 1
    fake.push_text(905, "id.vn là gì")

    def answers() -> list[Call]:
        return [call for call in fake.sent_to(905) if "id.vn" in call.text]

    # The fake records the attempt it cut off; the answer arrives on the retry.
    await fake.wait_for(lambda _call: len(answers()) == 2, limit_seconds=15)
    assert fake.broken == 0
    assert answers()[0].text == answers()[1].text


async def test_a_user_who_blocked_the_bot_is_flagged(telegram) -> None:
    fake, app = telegram
    fake.push_text(509, "xin chào")
    await fake.wait_text(509, "Xin chào")
    fake.push_blocked(509)

    async def flagged() -> bool:
        async with app.services.sessions() as session:
            user = await session.scalar(select(User).where(User.channel_user_id == "509"))
            return bool(user and user.blocked)

    for _ in range(50):
        if await flagged():
            break
        await asyncio.sleep(0.1)
    assert await flagged()


async def test_a_403_on_send_flags_the_user_as_blocked(telegram) -> None:
    fake, app = telegram
    fake.forbidden_chats.add(510)
    fake.push_text(510, "xin chào")
    await fake.wait_for(lambda c: c.method == "sendMessage" and int(c.params["chat_id"]) == 510)
    for _ in range(50):
        async with app.services.sessions() as session:
            user = await session.scalar(select(User).where(User.channel_user_id == "510"))
        if user and user.blocked:
            break
        await asyncio.sleep(0.1)
    assert user.blocked


async def test_in_a_group_the_bot_answers_only_when_addressed(telegram) -> None:
    fake, _ = telegram
    fake.push_text(511, "id.vn là gì", chat_id=-900, chat_type="group")
    fake.push_text(511, "@laocai_test_bot id.vn là gì", chat_id=-900, chat_type="group")
    await fake.wait_text(-900, "cá nhân")
    await asyncio.sleep(0.3)
    assert len(fake.sent_to(-900)) == 1


def test_long_answers_split_at_paragraphs_under_the_limit() -> None:
    text = "\n\n".join(f"Đoạn {i} " + "chữ " * 300 for i in range(8))
    pieces = split_text(text, 4000)
    assert len(pieces) > 1 and all(len(p) <= 4000 for p in pieces)
    assert all(p.startswith("Đoạn") for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")


def test_markup_is_escaped_before_bold_is_applied() -> None:
    assert to_telegram_html("**a** <b>x</b> & y") == "<b>a</b> &lt;b&gt;x&lt;/b&gt; &amp; y"


# -- the real process -----------------------------------------------------------------


def _config(folder: Path, fake_port: int, web_port: int, webhook: dict | None = None,
            database_url: str | None = None) -> Path:
    url = database_url or f"sqlite+aiosqlite:///{folder / 'bot.db'}"
    lines = [f"database:\n  url: {url}",
             f"web:\n  port: {web_port}",
             f"telegram:\n  base_url: http://127.0.0.1:{fake_port}"]
    if webhook:
        lines[-1] += "\n  mode: webhook\n  webhook:\n" + "".join(
            f"    {k}: {v}\n" for k, v in webhook.items())
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def _stop(proc: subprocess.Popen[str]) -> str:
    """SIGTERM and wait without blocking the loop that serves the fake Bot API."""
    proc.send_signal(signal.SIGTERM)
    loop = asyncio.get_running_loop()
    output, _ = await loop.run_in_executor(None, lambda: proc.communicate(timeout=30))
    return output


def _run(config: Path, *command: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config),
                             *(command or ("run",))],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN})
    return proc


async def test_the_real_process_serves_telegram_by_long_polling(fake, tmp_path: Path) -> None:
    proc = _run(_config(tmp_path, fake.port, free_port()))
    try:
        fake.push_text(601, "/start c_02647")
        await fake.wait_text(601, "Phường Lào Cai", limit_seconds=20)
        fake.push_text(601, "cach dk ten mien id vn")
        await fake.wait_text(601, "nhà đăng ký", limit_seconds=10)
        assert any(c.method == "deleteWebhook" for c in fake.calls)
    finally:
        output = await _stop(proc)
    assert proc.returncode == 0, output
    assert "channel telegram: @laocai_test_bot, long polling" in output
    assert TOKEN not in output  # the token never reaches the log


async def test_the_webhook_rejects_a_wrong_secret_and_accepts_the_right_one(
    fake, tmp_path: Path
) -> None:
    hook_port = free_port()
    config = _config(tmp_path, fake.port, free_port(), webhook={
        "url": "https://bot.example.vn/tg", "listen": "127.0.0.1", "port": hook_port,
        "path": "/tg", "secret_token": "s3cret-token"})
    proc = _run(config)
    update = {"update_id": 77, "message": {
        "message_id": 1, "date": 0, "chat": {"id": 602, "type": "private", "first_name": "A"},
        "from": FakeTelegram.user(602), "text": "id.vn là gì"}}
    url = f"http://127.0.0.1:{hook_port}/tg"
    try:
        await fake.wait_for(lambda c: c.method == "setWebhook", limit_seconds=20)
        set_hook = next(c for c in fake.calls if c.method == "setWebhook")
        assert set_hook.params["secret_token"] == "s3cret-token"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update) as r:
                assert r.status == 403
            async with http.post(url, json=update,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as r:
                assert r.status == 403
            await asyncio.sleep(0.3)
            assert not fake.sent_to(602)
            async with http.post(url, json=update,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}) as r:
                assert r.status == 200
        await fake.wait_text(602, "cá nhân", limit_seconds=10)
    finally:
        await _stop(proc)


async def test_a_poster_qr_code_is_made_for_a_commune(fake, tmp_path: Path) -> None:
    config = _config(tmp_path, fake.port, free_port())
    out = tmp_path / "poster.png"
    loop = asyncio.get_running_loop()
    result = await loop.run_in_executor(None, lambda: subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "qr", "--commune", "02671",
         "-o", str(out)], capture_output=True, text=True, timeout=60,
        env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}))
    assert result.returncode == 0, result.stderr
    assert "https://t.me/laocai_test_bot?start=c_02671" in result.stdout
    from PIL import Image

    with Image.open(out) as image:
        assert image.format == "PNG" and image.height > image.width  # code + caption


def test_the_poster_encodes_the_deep_link() -> None:
    import segno

    from bot.posters import deep_link

    link = deep_link("laocai_test_bot", "c_02671")
    assert link == "https://t.me/laocai_test_bot?start=c_02671"
    assert segno.make(link, error="m").designator  # encodable at error level M


async def test_updates_with_nobody_to_answer_are_skipped_and_the_next_one_answered(
        telegram) -> None:
    """A channel post has nobody to answer; a poll missing a field a newer Bot API made
    required cannot even be read: neither holds up the question behind them."""
    from bot.inbox.store import backlog
    from bot.time import stored_now

    fake, app = telegram
    fake.push(channel_post={"message_id": 3, "date": 0, "text": "tin kênh",
                            "chat": {"id": -100123, "type": "channel", "title": "Kênh"}})
    fake.push(poll={"id": "p1", "question": "?", "options": [], "total_voter_count": 0,
                    "is_closed": False, "is_anonymous": True, "type": "regular",
                    "allows_multiple_answers": False})
    fake.push_text(513, "id.vn là gì")
    await fake.wait_text(513, "cá nhân")
    assert not fake.sent_to(-100123)
    async with app.services.sessions() as session:  # the poll PTB cannot read is kept
        waiting = await backlog(session, stored_now(app.services.clock))
    assert waiting.failed == 1 and waiting.pending == {}


async def test_edited_messages_are_answered_like_new_ones(telegram) -> None:
    fake, _ = telegram
    fake.push(edited_message={
        "message_id": 5, "date": 0, "edit_date": 1,
        "chat": {"id": 512, "type": "private", "first_name": "U"},
        "from": FakeTelegram.user(512), "text": "biz.vn là gì"})
    await fake.wait_text(512, "kinh doanh")


async def test_one_users_messages_are_answered_in_order(telegram) -> None:
    fake, _ = telegram
    questions = ["id.vn là gì", "biz.vn là gì", "nghị quyết 57 là gì", "xin chào"]
    expected = ["cá nhân", "kinh doanh", "Bộ Chính trị", "Xin chào"]
    for q in questions:
        fake.push_text(513, q)
    await fake.wait_text(513, expected[-1])
    texts = [c.text for c in fake.sent_to(513)]
    positions = [next(i for i, t in enumerate(texts) if e in t) for e in expected]
    assert positions == sorted(positions)


async def test_a_sign_up_on_telegram_offers_the_contact_button_and_sends_the_ics(telegram) -> None:

    fake, app = telegram
    await add_session(app)
    fake.push_text(520, "/dangky")
    listing = await fake.wait_text(520, "đang nhận đăng ký")
    fake.push_callback(520, button(listing, "Ứng dụng AI"))
    consent = await fake.wait_text(520, "Bạn có đồng ý không")
    fake.push_callback(520, button(consent, "Đồng ý"))
    await fake.wait_text(520, "Họ và tên")
    fake.push_text(520, "Nguyễn Văn An")
    ask_phone = await fake.wait_text(520, "Số điện thoại")
    keyboard = ask_phone.params["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_contact"] is True
    fake.push_text(520, "0912 345 678")  # typing still works
    summary = await fake.wait_text(520, "kiểm tra lại")
    fake.push_callback(520, button(summary, "Xác nhận"))
    await fake.wait_text(520, "Đăng ký thành công")
    document = await fake.wait_for(lambda c: c.method == "sendDocument")
    assert document.params["document"]["filename"] == "ai-2026-12.ics"
    assert b"BEGIN:VEVENT" in document.params["document"]["content"]


async def _workers_that_answered(database_url: str) -> set[str]:
    from bot.storage.database import create_engine
    from bot.storage.models import InboxMessage

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return set((await conn.execute(select(InboxMessage.leased_by).distinct())).scalars())
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_worker_killed_mid_burst_loses_nothing_and_another_answers_in_order(
    fake, tmp_path: Path, postgres_url: str,
) -> None:
    config = _config(tmp_path, fake.port, free_port(), database_url=postgres_url)
    config.write_text(config.read_text() + "delivery:\n  lease_seconds: 3\n")
    receiver = _run(config, "run", "--no-worker")  # stores, answers nothing
    first = _run(config, "worker")
    second = None
    questions = ["id.vn là gì", "biz.vn là gì", "nghị quyết 57 là gì", "xin chào"]
    expected = ["cá nhân", "kinh doanh", "Bộ Chính trị", "Xin chào"]
    chats = range(720, 780)
    try:
        await fake.wait_for(lambda c: c.method == "setMyCommands", limit_seconds=60)
        for question in questions:
            for chat in chats:
                fake.push_text(chat, question)
        await fake.wait_text(chats[0], expected[0], limit_seconds=60)
        first.kill()  # kill -9 with turns and replies in flight
        second = _run(config, "worker")
        for chat in chats:
            await fake.wait_text(chat, expected[-1], limit_seconds=90)
        for chat in chats:  # every chat got its four answers, in the order it asked
            texts = [c.text for c in fake.sent_to(chat)]
            positions = [next(i for i, t in enumerate(texts) if e in t) for e in expected]
            assert positions == sorted(positions), (chat, texts)
        assert len(await _workers_that_answered(postgres_url)) == 2  # both took part
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                await _stop(proc)
        output = await _stop(receiver)
    assert receiver.returncode == 0, output


async def test_the_old_telegram_workers_setting_is_explained_and_one_process_answers(
    fake, sqlite_url: str, caplog: pytest.LogCaptureFixture,
) -> None:
    config = make_config(sqlite_url, telegram={"token": TOKEN, "workers": 2,
                                               "base_url": f"http://127.0.0.1:{fake.port}"})
    app = await build(config, clock=FixedClock(TODAY))
    channel = TelegramChannel(app, config.telegram)
    assert await channel.start()
    workers = workers_for(app, [channel])
    workers.start()
    try:
        fake.push_text(801, "id.vn là gì")
        await fake.wait_text(801, "cá nhân")
    finally:
        await workers.stop()
        await channel.stop()
        await app.close()
    assert "telegram.workers is no longer used" in caplog.text


async def test_an_officer_answers_a_question_by_replying_to_its_notification(telegram) -> None:
    """Where officers are: a swipe-reply to the notification answers it, no command."""
    fake, app = telegram
    await officer(app, "730", CAM_DUONG)
    async with app.services.sessions() as session, session.begin():
        session.add(User(channel="telegram", channel_user_id="731", chat_id="731",
                         language="vi", commune_code=CAM_DUONG, news_opt_in=False,
                         blocked=False, created_at=NOW, last_seen_at=NOW))
    fake.push_text(731, "/hoicanbo Phường có lớp tin học cho người cao tuổi không?")
    notification = await fake.wait_text(730, "/traloi 1")
    fake.push_text(730, "Có ạ, 8:00 thứ Bảy tại nhà văn hoá tổ 5.", reply_to=notification)
    answer = await fake.wait_text(731, "8:00 thứ Bảy")
    assert "cán bộ Phường Cam Đường" in answer.text
    await fake.wait_text(730, "Đã gửi câu trả lời cho câu hỏi số 1")
    fake.push_text(731, "Cảm ơn ạ", reply_to=answer)  # the citizen's reply is no answer
    await fake.wait_text(731, "Đã thêm vào câu hỏi số 1")  # joins the ticket as a follow-up
