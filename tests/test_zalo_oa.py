"""The Zalo Official Account channel, end to end against a fake Zalo (OAuth server, OA
Open API, and signed webhook events) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from aiohttp import web
from sqlalchemy import func, select

from bot.app import App, build
from bot.broadcast import store as broadcasts
from bot.broadcast.store import Scope
from bot.channels.zalo_oa import ZaloOAChannel
from bot.config import load_config
from bot.core.messages import Reply
from bot.delivery.engine import DeliveryEngine
from bot.delivery.outbox import enqueue
from bot.delivery.outcome import SENT, Result
from bot.inbox.worker import workers_for
from bot.staff.scope import Level
from bot.storage.models import (
    InboxMessage,
    OAuthToken,
    OutboxMessage,
    OutboxStatus,
    StaffRole,
    User,
)
from bot.time import FixedClock
from bot.zalo_oa.cli import read_answer
from bot.zalo_oa.oauth import OAuthClient
from bot.zalo_oa.tokens import Grant, TokenStore

from .conftest import TODAY, make_config
from .fake_zalo_oa import APP_ID, APP_SECRET, OA_ID, OA_SECRET_KEY, FakeZaloOA
from .local_server import free_port, wait_listening
from .test_process import BotProcess, cli, write_config

NOW_MS = int(TODAY.timestamp() * 1000)


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloOA]:
    server = FakeZaloOA()
    await server.start()
    server.clock_ms = NOW_MS
    yield server
    await server.stop()


def oa_settings(fake: FakeZaloOA, port: int, refresh_token: str = "rt-0") -> dict:
    base = f"http://127.0.0.1:{fake.port}"
    return {"app_id": APP_ID, "app_secret": APP_SECRET, "oa_secret_key": OA_SECRET_KEY,
            "oa_id": OA_ID, "refresh_token": refresh_token, "api_base_url": base,
            "oauth_base_url": base, "webhook": {"port": port, "path": "/zalo-oa/webhook"}}


@pytest.fixture
async def oa(fake: FakeZaloOA, database_url: str) -> AsyncIterator[tuple[App, ZaloOAChannel]]:
    port = free_port()
    config = make_config(database_url, zalo_oa=oa_settings(fake, port))
    app = await build(config, clock=FixedClock(TODAY))
    channel = ZaloOAChannel(app, config.zalo_oa)
    assert await channel.start()
    fake.webhook_url = f"http://127.0.0.1:{port}/zalo-oa/webhook"
    workers = workers_for(app, [channel])
    workers.inbox.start()  # what the bot sends on its own is delivered round by round here
    yield app, channel
    await workers.stop()
    await channel.stop()
    await app.close()


async def inbox_rows(app: App) -> int:
    async with app.services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxMessage)) or 0)


async def test_a_new_follower_is_greeted_and_answers_quote_their_message(fake, oa) -> None:
    status, _ = await fake.post(fake.event("follow", "1001"))
    assert status == 200
    greeting = await fake.wait_text("1001", "1. Tiếng Việt")
    assert "Trả lời bằng số" in greeting.text and not greeting.params["quoted"]
    await fake.says("1001", "1")
    await fake.says("1001", "e 19t dk id.vn co mat tien ko")
    answer = await fake.wait_text("1001", "18 đến 23 tuổi")
    assert answer.params["quoted"]  # recipient.message_id: a free reply, not a paid one
    assert "**" not in answer.text


async def test_unsigned_forged_and_malformed_calls_are_refused_and_nothing_is_processed(
        fake, oa) -> None:
    app, _ = oa
    event = fake.event("user_send_text", "1002", "id.vn là gì")
    assert (await fake.post(event, signed=False))[0] == 403
    assert (await fake.post(event, key="guessed-key"))[0] == 403
    tampered = {**event, "sender": {"id": "1003"}}  # signed for one body, sent with another
    raw = json.dumps(event).encode()
    fake_sig = __import__("hashlib").sha256(APP_ID.encode() + raw + event["timestamp"].encode()
                                            + OA_SECRET_KEY.encode()).hexdigest()
    async with __import__("aiohttp").ClientSession() as http, http.post(
            fake.webhook_url, data=json.dumps(tampered).encode(),
            headers={"X-ZEvent-Signature": "mac=" + fake_sig}) as response:
        assert response.status == 403
    for unreadable in (b"<html>not json</html>", b"[1, 2]", b"[" * 200_000):
        assert (await fake.post(unreadable))[0] == 403  # no signature can be checked
    nested = json.dumps({"timestamp": event["timestamp"], "x": [[[[1]]]]}).encode()
    assert (await fake.post(nested[:-2], stamp=event["timestamp"]))[0] == 200  # signed, odd
    await asyncio.sleep(0.5)
    assert await inbox_rows(app) == 0 and fake.sent == []


async def test_a_resent_event_is_answered_once_and_a_replayed_old_one_not_at_all(
        fake, oa) -> None:
    event = fake.event("user_send_text", "1004", "biz.vn là gì")
    for _ in range(3):  # Zalo re-sends what it thinks was not acknowledged
        assert (await fake.post(event))[0] == 200
    await fake.wait_text("1004", "kinh doanh")
    fake.clock_ms = NOW_MS - int(timedelta(hours=7).total_seconds() * 1000)
    status, body = await fake.post(fake.event("user_send_text", "1004", "id.vn là gì"))
    assert status == 200 and "too old" in body
    await asyncio.sleep(1.0)
    assert len(fake.sent_to("1004")) == 1


async def test_other_oas_odd_ids_and_the_oas_own_messages_are_ignored(fake, oa) -> None:
    app, _ = oa
    ignored = [fake.event("user_send_text", "1005", "xin chào", oa_id="111"),
               fake.event("user_send_text", "abc", "xin chào"),
               fake.event("follow", "-1"),
               {**fake.event("user_send_text", "1005", "xin chào"), "event_name": "oa_send_text"},
               {**fake.event("user_send_text", "1005", "x"), "event_name": "user_seen_message"}]
    for event in ignored:
        status, body = await fake.post(event)
        assert status == 200 and "ignored" in body
    await asyncio.sleep(0.5)
    assert await inbox_rows(app) == 0 and fake.sent == []


async def test_a_sticker_or_a_photo_gets_a_polite_ask_for_text(fake, oa) -> None:
    await fake.post(fake.event("user_send_sticker", "1006"))
    reply = await fake.wait_text("1006", "tin nhắn chữ")
    assert reply.params["quoted"]


async def test_an_expired_access_token_is_refreshed_once_and_the_answer_still_goes(
        fake, oa) -> None:
    app, _ = oa
    refreshed = fake.refreshes
    fake.expire_access()  # Zalo revoked it early: the API answers -216
    await fake.says("1007", "id.vn là gì")
    await fake.wait_text("1007", "id.vn")
    assert fake.refusals.count(-216) == 1 and fake.refreshes == refreshed + 1
    async with app.services.sessions() as session:
        row = await session.get(OAuthToken, "zalo_oa")
    assert row is not None and row.refresh_token == f"rt-{fake.refreshes}"


async def test_an_unfollower_gets_nothing_more(fake, oa) -> None:
    app, _ = oa
    await fake.says("1008", "xin chào")
    await fake.wait_text("1008", "Xin chào")
    assert (await fake.post(fake.event("unfollow", "1008")))[0] == 200
    async with app.services.sessions() as session:
        user = await session.scalar(select(User).where(User.channel == "zalo_oa",
                                                       User.channel_user_id == "1008"))
    assert user is not None and user.blocked


async def deliver(app: App, channel: ZaloOAChannel) -> DeliveryEngine:
    engine = DeliveryEngine(app.services.sessions, app.services.clock, {"zalo_oa": 0})
    engine.register("zalo_oa", channel.deliver)
    await engine.deliver_due()
    return engine


async def test_a_broadcast_marks_people_outside_the_7_day_window_and_reports_per_channel(
        fake, oa) -> None:
    app, channel = oa
    for person in ("2001", "2002", "2003"):
        await fake.says(person, "xin chào")
        await fake.wait_text(person, "Xin chào")
    fake.outside_window.add("2002")  # last wrote 8 days ago, in Zalo's eyes
    now = TODAY.replace(tzinfo=None)
    async with app.services.sessions() as session, session.begin():
        people = (await session.scalars(select(User).where(User.channel == "zalo_oa"))).all()
        for person in people:
            person.news_opt_in = True
        sender = next(p for p in people if p.channel_user_id == "2001")
        province = StaffRole(channel="cli", channel_user_id="cli", role=Level.PROVINCE)
        broadcast = await broadcasts.queue(session, "cli", province, Scope(), "Lịch mới",
                                           "Tỉnh Lào Cai", now, now, sender.id)
    engine = await deliver(app, channel)
    assert await engine.deliver_due() == 0  # nothing left to try, no loop on -230
    assert fake.refusals.count(-230) == 1
    assert await broadcasts.finish_done(app.services.sessions, app.services.clock) == 1
    await engine.deliver_due()  # the report to the sender
    report = await fake.wait_text("2001", f"Tin #{broadcast.id} đã gửi xong")
    assert "1 người chưa nhắn cho OA Zalo trong 7 ngày" in report.text
    assert "Theo kênh: Zalo OA 2/3." in report.text


async def test_night_holds_a_reminder_until_morning_without_losing_it(fake, oa) -> None:
    app, channel = oa
    await fake.says("3001", "xin chào")
    await fake.wait_text("3001", "Xin chào")
    fake.night = True
    async with app.services.sessions() as session, session.begin():
        user = await session.scalar(select(User).where(User.channel_user_id == "3001"))
        assert user is not None
        await enqueue(session, user, "test", "night-1", Reply("Nhắc lịch: 08:00 mai"),
                      TODAY.replace(tzinfo=None))
    engine = await deliver(app, channel)
    assert engine.paused_until["zalo_oa"] > 0 and fake.refusals.count(-234) == 1
    async with app.services.sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(
            OutboxMessage.source_id == "night-1"))
    assert row is not None and row.status == OutboxStatus.PENDING  # waits for the morning


async def test_a_long_answer_goes_in_pieces_under_2000_characters_each_quoting(
        fake, oa) -> None:
    _, channel = oa
    msg_id = await fake.says("4001", "xin chào")
    await fake.wait_text("4001", "Xin chào")
    text = "\n\n".join(["Nội dung dài. " * 40] * 5)
    assert await channel.reply("4001", Reply(text), answering=msg_id) is SENT
    pieces = fake.sent_to("4001")[1:]
    assert len(pieces) == 2 and all(len(p.text) <= 2000 and p.params["quoted"] for p in pieces)


async def test_a_refused_refresh_token_stops_sending_but_keeps_what_people_write(
        fake, database_url) -> None:
    port = free_port()
    config = make_config(database_url, zalo_oa=oa_settings(fake, port, "rt-spent"))
    app = await build(config, clock=FixedClock(TODAY))
    channel = ZaloOAChannel(app, config.zalo_oa)
    try:
        assert await channel.start()  # the webhook still takes events
        fake.webhook_url = f"http://127.0.0.1:{port}/zalo-oa/webhook"
        await fake.says("5001", "id.vn là gì")
        assert await inbox_rows(app) == 1
        outcome = await channel.deliver("5001", Reply("x"))
        assert outcome.kind.value == "pause" and fake.sent == []
        status = await app.status()
        token = status["tokens"]["zalo_oa"]  # type: ignore[index]
        assert not token["working"] and "Invalid refresh token" in token["detail"]
    finally:
        await channel.stop()
        await app.close()


# -- the real process -----------------------------------------------------------------


def write_oa_config(folder: Path, fake: FakeZaloOA, hook_port: int) -> tuple[Path, int]:
    """A config file whose zalo_oa section points at FAKE; the secrets come from the
    environment, as the README says to run it."""
    settings = oa_settings(fake, hook_port)
    for secret in ("app_secret", "oa_secret_key", "refresh_token"):
        settings.pop(secret)
    settings["redirect_uri"] = "https://chatbot.laocai.gov.vn/zalo-oa/callback"
    web_port = free_port()
    config = write_config(folder, web_port)
    config.write_text(config.read_text() + yaml.safe_dump({"zalo_oa": settings}))
    return config, web_port


@pytest.fixture
def oa_env(monkeypatch) -> None:
    monkeypatch.setenv("ZALO_OA_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("ZALO_OA_SECRET_KEY", OA_SECRET_KEY)
    monkeypatch.setenv("ZALO_OA_REFRESH_TOKEN", "rt-0")


async def test_after_a_restart_the_spent_refresh_token_in_the_config_is_never_used(
        fake, oa_env, tmp_path: Path) -> None:
    fake.clock_ms = None  # the process runs on the real clock
    hook_port = free_port()
    config, web_port = write_oa_config(tmp_path, fake, hook_port)
    fake.webhook_url = f"http://127.0.0.1:{hook_port}/zalo-oa/webhook"
    for life in range(2):  # ZALO_OA_REFRESH_TOKEN still says rt-0 the second time
        bot = BotProcess(config, web_port)
        try:
            await bot.wait_ready()
            await wait_listening(hook_port)  # the webhook starts after the web chat
            if life == 1:
                fake.expire_access()  # a refresh is needed in the second life too
            await fake.says(f"700{life}", "id.vn là gì")
            await fake.wait_text(f"700{life}", "id.vn", limit_seconds=20)
        finally:
            bot.stop()
    assert fake.presented == ["rt-0", "rt-1"]  # rt-0 once, then only the stored one


async def _authorize(config: Path, answer: Callable[[str], str]) -> tuple[int, str]:
    """`zalo-oa authorize` as an admin runs it: the link read from its output, ANSWER's
    line (given the link) typed back."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "zalo-oa", "authorize",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    assert proc.stdout is not None and proc.stdin is not None
    output = ""
    while "/v4/oa/permission?" not in output:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert line, output
        output += line
    link = output.split("   ", 1)[1].split()[0]
    proc.stdin.write((answer(link) + "\n").encode())
    await proc.stdin.drain()
    rest, _ = await asyncio.wait_for(proc.communicate(), 30)
    return await proc.wait(), output + rest.decode()


async def test_an_admin_authorises_again_after_zalo_refused_the_token(
        fake, oa_env, tmp_path: Path) -> None:
    config, _ = write_oa_config(tmp_path, fake, free_port())
    fake.live.clear()  # the stored refresh token has expired: Zalo refuses it
    app = await build(load_config(config))
    channel = ZaloOAChannel(app, app.config.zalo_oa)
    await channel.start(receive=False)
    await channel.stop()
    await app.close()
    assert "SENDING STOPPED" in cli("--config", str(config), "status").stdout

    code, output = await _authorize(config, lambda link: link.replace("code_challenge", "x"))
    assert code == 1 and "no code" in output  # pasted the wrong thing: nothing changes
    code, output = await _authorize(
        config, lambda link: fake.admin_allows(link).replace("state=", "state=old"))
    assert code == 1 and "another authorisation" in output
    code, output = await _authorize(config, fake.admin_allows)
    assert code == 0 and f"authorised OA {OA_ID}" in output, output
    assert "code_challenge=" in output and "code_verifier" not in output
    assert "SENDING STOPPED" not in cli("--config", str(config), "status").stdout
    app = await build(load_config(config))
    try:
        async with app.services.sessions() as session:
            row = await session.get(OAuthToken, "zalo_oa")
        assert row is not None and row.refused is None and row.refresh_token in fake.live
    finally:
        await app.close()


async def test_odd_but_signed_events_are_acknowledged_and_dropped_not_retried(fake, oa) -> None:
    app, _ = oa
    odd = [{**fake.event("user_send_text", "8001", "x"), "recipient": "579745863508352884"},
           {**fake.event("user_send_text", "8001", "x"), "sender": ["8001"]},
           fake.event("user_send_text", "١٣١٣", "x"),  # digits, but not Zalo's
           fake.event("user_send_text", "9" * 40, "x")]
    for event in odd:
        status, body = await fake.post(event)
        assert status == 200 and "ignored" in body, body
    await asyncio.sleep(0.5)
    assert await inbox_rows(app) == 0


async def test_a_server_clock_minutes_behind_zalo_still_answers(fake, oa) -> None:
    fake.clock_ms = NOW_MS + 10 * 60 * 1000  # Zalo's events look ten minutes early
    await fake.says("8101", "biz.vn là gì")
    await fake.wait_text("8101", "kinh doanh")


async def test_a_late_repeat_of_an_old_unfollow_does_not_silence_a_new_follower(
        fake, oa) -> None:
    app, _ = oa
    fake.clock_ms = NOW_MS - 60_000
    old_unfollow = fake.event("unfollow", "8201")
    fake.clock_ms = NOW_MS
    await fake.post(fake.event("follow", "8201"))
    await fake.wait_text("8201", "1. Tiếng Việt")
    assert (await fake.post(old_unfollow))[0] == 200  # Zalo re-sends it a minute late
    async with app.services.sessions() as session:
        user = await session.scalar(select(User).where(User.channel_user_id == "8201"))
    assert user is not None and not user.blocked


async def test_a_token_zalo_refuses_right_after_issuing_it_pauses_instead_of_looping(
        fake, oa) -> None:
    _, channel = oa
    fake.refuse_every_token = True
    outcome = await channel.deliver("8301", Reply("x"))
    assert outcome.kind is Result.PAUSE and outcome.retry_after == 600
    assert fake.refreshes == 2  # the first token, and one refresh: not one per retry


async def test_an_answer_that_is_not_zalos_is_not_taken_for_sent(fake, oa) -> None:
    _, channel = oa
    fake.api_canned = web.json_response({"message": "not found"}, status=404)
    assert (await channel.deliver("8401", Reply("x"))).kind is Result.RETRY


async def test_a_bot_started_before_anyone_authorised_starts_sending_once_they_do(
        fake, database_url) -> None:
    port = free_port()
    settings = oa_settings(fake, port)
    del settings["refresh_token"]
    config = make_config(database_url, zalo_oa=settings)
    app = await build(config, clock=FixedClock(TODAY))
    channel = ZaloOAChannel(app, config.zalo_oa)
    try:
        assert await channel.start()  # listening, so nothing people write is lost
        fake.webhook_url = f"http://127.0.0.1:{port}/zalo-oa/webhook"
        await fake.says("8501", "id.vn là gì")
        assert await inbox_rows(app) == 1
        assert (await channel.deliver("8501", Reply("x"))).kind is Result.PAUSE
        assert (await app.status())["tokens"] == {  # what `status` prints
            "zalo_oa": {"working": False, "detail": "never authorised", "since": None}}
        client = OAuthClient(settings["oauth_base_url"], APP_ID, APP_SECRET)
        await TokenStore(app.services, client.refresh, None).replace(
            Grant("at-admin", "rt-admin", timedelta(hours=25)))
        fake.access = "at-admin"
        assert await channel.deliver("8501", Reply("x")) is SENT
        assert (await app.status())["tokens"]["zalo_oa"]["working"]  # type: ignore[index]
    finally:
        await channel.stop()
        await app.close()


@pytest.mark.parametrize(("pasted", "expected"), [
    ("https://x.vn/cb?code=abc123&oa_id=5797&state=s1", ("abc123", "5797")),
    ('  "https://x.vn/cb?code=abc123&state=s1"  ', ("abc123", None)),  # quoted, padded
    ("abcdefgh1234", ("abcdefgh1234", None)),  # the code alone
    ("https://x.vn/cb?error=access_denied&state=s1", "did not give a code"),
    ("https://x.vn/cb?code=abc123", "another authorisation"),  # no state: not ours
    ("https://x.vn/cb?code=abc123&state=s0", "another authorisation"),
    ("https://x.vn/cb?oa_id=5797&state=s1", "no code"),
    ("", "no code"), ("mã là abc", "no code"),
])
def test_what_an_admin_pastes_back_is_read_or_refused_by_name(pasted, expected) -> None:
    answer = read_answer(pasted, "s1")
    assert answer == expected if isinstance(expected, tuple) else expected in answer


async def test_a_slow_zalo_oauth_server_does_not_hold_up_what_people_write(fake, oa) -> None:
    app, channel = oa
    fake.expire_access()
    async with app.services.sessions() as session, session.begin():
        row = await session.get(OAuthToken, "zalo_oa")
        assert row is not None
        row.access_expires_at = TODAY.replace(tzinfo=None)  # due for a refresh
    fake.hold = asyncio.Event()
    fake.asked.clear()
    sending = asyncio.create_task(channel.deliver("9001", Reply("Nhắc lịch")))
    await asyncio.wait_for(fake.asked.wait(), 10)  # the refresh now waits on Zalo
    rows = await inbox_rows(app)
    status, _ = await fake.post(fake.event("user_send_text", "9002", "id.vn là gì"))
    assert status == 200 and await inbox_rows(app) == rows + 1  # stored meanwhile
    assert not sending.done()
    fake.hold.set()
    assert await sending is SENT


async def test_an_unfollow_that_arrives_minutes_late_is_left_to_zalos_own_answer(
        fake, oa) -> None:
    _, channel = oa
    await fake.says("8601", "xin chào")
    await fake.wait_text("8601", "Xin chào")
    fake.clock_ms = NOW_MS - 15 * 60 * 1000
    status, body = await fake.post(fake.event("unfollow", "8601"))
    assert status == 200 and "late unfollow" in body
    fake.unfollowed.add("8601")  # if they did leave, the next message finds out
    assert (await channel.deliver("8601", Reply("x"))).kind is Result.BLOCKED
