"""The delivery engine: outcomes, pauses, leases and sharing work between workers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.core.messages import Reply
from bot.delivery.engine import DeliveryEngine
from bot.delivery.outbox import enqueue
from bot.delivery.outcome import SENT, Outcome, Result
from bot.storage.models import OutboxMessage, User
from bot.time import FixedClock

from .conftest import TODAY

NOW = TODAY.replace(tzinfo=None)


async def make_users(app, n: int, channel: str = "telegram") -> list[User]:
    async with app.services.sessions() as session, session.begin():
        users = [User(channel=channel, channel_user_id=str(i), chat_id=str(i), language="vi",
                      news_opt_in=True, blocked=False, created_at=NOW, last_seen_at=NOW)
                 for i in range(1, n + 1)]
        session.add_all(users)
        await session.flush()
        for user in users:
            await enqueue(session, user, "test", "t1", Reply(f"Tin {user.id}"), NOW)
    return users


async def rows(app) -> dict[str, OutboxMessage]:
    async with app.services.sessions() as session:
        return {r.chat_id: r for r in (await session.scalars(select(OutboxMessage))).all()}


def engine_for(app, sender, **kw) -> DeliveryEngine:
    engine = DeliveryEngine(app.services.sessions, FixedClock(TODAY), **kw)
    engine.register("telegram", sender)
    return engine


async def test_each_outcome_is_recorded_and_blocked_users_are_flagged(app) -> None:
    await make_users(app, 4)
    outcomes = {"1": SENT, "2": Outcome(Result.BLOCKED),
                "3": Outcome(Result.INVALID, error="chat not found"),
                "4": Outcome(Result.RETRY, error="network")}

    async def sender(chat_id: str, reply: Reply) -> Outcome:
        return outcomes[chat_id]

    assert await engine_for(app, sender).deliver_due() == 4
    state = await rows(app)
    assert state["1"].status == "sent" and state["1"].sent_at is not None
    assert state["2"].status == "blocked"
    assert state["3"].status == "invalid" and state["3"].last_error == "chat not found"
    assert state["4"].status == "pending" and state["4"].attempts == 1
    assert state["4"].not_before > NOW  # backed off
    async with app.services.sessions() as session:
        user = await session.scalar(select(User).where(User.chat_id == "2"))
    assert user.blocked


async def test_a_blocked_user_is_never_tried_again(app) -> None:
    await make_users(app, 1)
    calls = []

    async def sender(chat_id: str, reply: Reply) -> Outcome:
        calls.append(chat_id)
        return Outcome(Result.BLOCKED)

    engine = engine_for(app, sender)
    await engine.deliver_due()
    await engine.deliver_due()
    assert calls == ["1"]


async def test_a_pause_releases_the_rows_and_they_go_out_after_it(app) -> None:
    await make_users(app, 3)
    answers = [Outcome(Result.PAUSE, retry_after=1)]

    async def sender(chat_id: str, reply: Reply) -> Outcome:
        return answers.pop() if answers else SENT

    engine = engine_for(app, sender, in_flight=1)
    await engine.deliver_due()
    assert engine.stats["paused"] == 1
    assert await engine.deliver_due() == 0  # paused: nothing claimed
    await asyncio.sleep(1.1)
    while await engine.deliver_due():
        pass
    assert {r.status for r in (await rows(app)).values()} == {"sent"}


async def test_a_dead_workers_claims_return_after_the_lease(app) -> None:
    await make_users(app, 5)
    never = asyncio.Event()

    async def hangs(chat_id: str, reply: Reply) -> Outcome:
        await never.wait()
        return SENT

    dead = engine_for(app, hangs, lease_seconds=60)
    claimed = await dead.claim()  # claimed, then the worker "dies"
    assert len(claimed) == 5
    sent: list[str] = []

    async def works(chat_id: str, reply: Reply) -> Outcome:
        sent.append(chat_id)
        return SENT

    alive = engine_for(app, works)
    assert await alive.deliver_due() == 0  # still leased
    later = DeliveryEngine(app.services.sessions, FixedClock(TODAY + timedelta(seconds=61)))
    later.register("telegram", works)
    assert await later.deliver_due() == 5
    assert sorted(sent) == ["1", "2", "3", "4", "5"]


async def test_two_workers_share_one_queue_without_sending_anyone_twice(app) -> None:
    await make_users(app, 300)
    counts: dict[str, int] = {}

    async def sender(chat_id: str, reply: Reply) -> Outcome:
        counts[chat_id] = counts.get(chat_id, 0) + 1
        await asyncio.sleep(0)
        return SENT

    first = engine_for(app, sender, batch_size=50)
    second = engine_for(app, sender, batch_size=50)

    async def drain(engine: DeliveryEngine) -> None:
        while await engine.deliver_due():
            pass

    await asyncio.gather(drain(first), drain(second))
    assert len(counts) == 300 and set(counts.values()) == {1}


async def test_a_source_is_queued_once_per_person(app) -> None:
    [user] = await make_users(app, 1)
    async with app.services.sessions() as session, session.begin():
        user = await session.get(User, user.id)
        await enqueue(session, user, "test", "t1", Reply("again"), NOW)
    assert len(await rows(app)) == 1
