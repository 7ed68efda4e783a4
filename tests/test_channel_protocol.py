"""Every platform channel is the same small thing to the rest of the bot."""

from __future__ import annotations

import asyncio
import inspect
from datetime import UTC, datetime, timedelta

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels import telegram, zalo, zalo_oa
from bot.channels.base import PLATFORMS, Channel
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_oa import ZaloOAChannel
from bot.delivery.outcome import SENT, Outcome, Result, with_retries


def test_each_platform_channel_has_the_protocols_name_start_stop_reply_and_deliver() -> None:
    for cls, name in ((TelegramChannel, "telegram"), (ZaloChannel, "zalo"),
                      (ZaloOAChannel, "zalo_oa")):
        assert cls.name == name
        for method in ("start", "stop", "reply", "deliver"):
            assert inspect.iscoroutinefunction(getattr(cls, method)), (cls, method)
        assert "receive" in inspect.signature(cls.start).parameters
        assert set(inspect.signature(cls.deliver).parameters) >= {"chat_id", "reply"}
        assert "answering" in inspect.signature(cls.reply).parameters


def test_run_starts_channels_from_one_table() -> None:
    assert set(PLATFORMS) == {"telegram", "zalo", "zalo_oa"}
    assert Channel.__name__ == "Channel"


@pytest.mark.parametrize(("error", "kind"), [
    (RetryAfter(timedelta(seconds=3)), Result.PAUSE),
    (Forbidden("Forbidden: bot was blocked by the user"), Result.BLOCKED),
    (BadRequest("Bad Request: chat not found"), Result.INVALID),
    (TimedOut(), Result.RETRY),
    (NetworkError("Bad Gateway"), Result.RETRY),
])
def test_telegram_errors_read_the_same_for_replies_and_deliveries(error, kind) -> None:
    assert telegram.classify(error).kind is kind


def test_telegram_says_how_long_to_wait_and_that_is_kept() -> None:
    assert telegram.classify(RetryAfter(timedelta(seconds=3))).retry_after == 3


@pytest.mark.parametrize(("code", "kind"), [
    (429, Result.PAUSE), (403, Result.BLOCKED), (400, Result.INVALID), (404, Result.INVALID),
    (0, Result.RETRY), (502, Result.RETRY), (401, Result.RETRY),
])
def test_zalo_errors_read_the_same_for_replies_and_deliveries(code, kind) -> None:
    assert zalo.classify(zalo.ZaloError(code, "…")).kind is kind


# 23:00 in Lào Cai (16:00 UTC): Zalo delivers nothing until 06:00, seven hours on.
LATE = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(("code", "kind", "wait"), [
    (-230, Result.UNREACHABLE, 0), (-232, Result.UNREACHABLE, 0),  # no interaction in 7 days
    (-234, Result.PAUSE, 7 * 3600),  # night: until the morning
    (-32, Result.PAUSE, 60), (-211, Result.PAUSE, 3600),  # rate limit, out of quota
    (-213, Result.BLOCKED, 0), (-227, Result.BLOCKED, 0),  # unfollowed, banned
    (-201, Result.INVALID, 0), (-244, Result.INVALID, 0),  # bad parameters, refused kind
    (zalo_oa.FRESH_TOKEN_REFUSED, Result.PAUSE, 600),  # -216 again right after a refresh
    (0, Result.RETRY, 0), (502, Result.RETRY, 0),  # network, server error
])
def test_zalo_oa_errors_read_the_same_for_replies_and_deliveries(code, kind, wait) -> None:
    outcome = zalo_oa.classify(zalo_oa.OAError(code, "…"), LATE)
    assert outcome.kind is kind and outcome.retry_after == wait


async def test_a_reply_does_not_wait_out_a_night_long_pause(monkeypatch) -> None:
    """The person's turn hands it to the delivery engine instead of holding a worker."""
    calls = 0

    async def night() -> Outcome:
        nonlocal calls
        calls += 1
        return Outcome(Result.PAUSE, retry_after=7 * 3600)

    assert (await with_retries(night, 5, 0.01)).kind is Result.PAUSE and calls == 1


async def test_a_reply_waits_out_a_pause_and_backs_off_then_stops_at_a_final_answer(
        monkeypatch) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    answers = iter([Outcome(Result.PAUSE, retry_after=7), Outcome(Result.PAUSE),
                    Outcome(Result.RETRY), Outcome(Result.BLOCKED), SENT])

    async def attempt() -> Outcome:
        return next(answers)

    outcome = await with_retries(attempt, attempts=6, delay=1)
    assert outcome.kind is Result.BLOCKED  # final: the SENT after it is never tried
    assert waits == [7, 2, 4]  # the platform's number, else doubling back-off


async def test_a_delivery_makes_one_attempt_and_leaves_the_rest_to_the_engine() -> None:
    calls = 0

    async def attempt() -> Outcome:
        nonlocal calls
        calls += 1
        return Outcome(Result.RETRY)

    assert (await with_retries(attempt, attempts=1, delay=1)).kind is Result.RETRY
    assert calls == 1
