"""The durable inbox: what people send is stored first, answered in order, never lost."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.messages import Incoming, Reply
from bot.delivery.engine import DeliveryEngine
from bot.delivery.outbox import REPLY_SOURCE
from bot.delivery.outcome import SENT, Outcome, Result
from bot.inbox import store
from bot.inbox.worker import InboxWorker
from bot.storage.models import InboxMessage, InboxStatus, OutboxMessage, OutboxStatus
from bot.time import stored_now

CHANNEL = "zalo"


class Phone:
    """The platform as far as a worker can tell: it records what each chat receives."""

    def __init__(self) -> None:
        self.got: dict[str, list[str]] = {}
        self.answer: Outcome = SENT

    async def reply(self, chat_id: str, reply: Reply, answering: str | None = None) -> Outcome:
        if self.answer is SENT:
            self.got.setdefault(chat_id, []).append(reply.text)
        return self.answer

    deliver = reply


def worker(app, phone: Phone, name: str = "w1", lease: float = 60) -> InboxWorker:
    delivery = DeliveryEngine(app.services.sessions, app.services.clock, {CHANNEL: 0})
    delivery.register(CHANNEL, phone.deliver)
    inbox = InboxWorker(app.conversation, delivery, app.arrived, worker_id=name,
                        lease_seconds=lease)
    inbox.register(CHANNEL, phone.reply)
    return inbox


async def arrive(app, chat: str, *texts: str, first_id: int = 1) -> None:
    """A receiver stores a batch, as it does before telling the platform it arrived."""
    await app.store_received([
        store.Received(CHANNEL, chat, f"{chat}-{first_id + n}",
                       Incoming(CHANNEL, chat, chat, text=t, message_id=f"{chat}-{first_id + n}"))
        for n, t in enumerate(texts)])


async def drain(inbox: InboxWorker) -> None:
    while await inbox.round():
        pass


async def statuses(app) -> list[str]:
    async with app.services.sessions() as session:
        return list(await session.scalars(select(InboxMessage.status).order_by(InboxMessage.id)))


async def test_three_questions_are_answered_in_the_order_they_were_asked(app) -> None:
    phone = Phone()
    await arrive(app, "an", "id.vn là gì", "biz.vn là gì", "nghị quyết 57 là gì")
    await drain(worker(app, phone))
    answers = phone.got["an"]
    assert len(answers) >= 3 and "cá nhân" in answers[0] and "22/12/2024" in answers[-1]
    assert await statuses(app) == [InboxStatus.DONE] * 3


async def test_a_platform_re_sending_an_update_gets_one_answer(app) -> None:
    phone = Phone()
    await arrive(app, "binh", "id.vn là gì")
    await arrive(app, "binh", "id.vn là gì")  # the same platform id, stored again
    await drain(worker(app, phone))
    assert len(phone.got["binh"]) == 1 and await statuses(app) == [InboxStatus.DONE]


async def test_a_chats_next_message_waits_until_the_answer_to_the_last_has_left(app) -> None:
    phone = Phone()
    await arrive(app, "chi", "id.vn là gì", "biz.vn là gì")
    now = stored_now(app.services.clock)
    async with app.services.sessions() as session, session.begin():
        claimed = await store.claim(session, "w1", [CHANNEL], now, timedelta(minutes=1), 10)
    assert [c.incoming.text for c in claimed] == ["id.vn là gì"]  # one per chat at a time
    # w1 runs the turn, then dies before its reply leaves: the reply waits in the outbox.
    phone.answer = Outcome(Result.RETRY)
    await worker(app, phone, "w1")._one(claimed[0])  # its outcome never recorded
    async with app.services.sessions() as session, session.begin():
        later = await store.claim(session, "w2", [CHANNEL], now, timedelta(minutes=1), 10)
    assert later == []  # "biz.vn" must not overtake the unsent answer to "id.vn"


async def test_a_turn_that_keeps_failing_is_parked_and_the_person_told(app, monkeypatch) -> None:
    phone = Phone()
    original = app.conversation.turn

    async def broken(incoming: Incoming, finish=None):  # type: ignore[no-untyped-def]
        if incoming.text == "boom":
            raise RuntimeError("a bug in a handler")
        return await original(incoming, finish)

    monkeypatch.setattr(app.conversation, "turn", broken)
    await arrive(app, "dung", "boom", "id.vn là gì")
    inbox = worker(app, phone)
    for _ in range(3):  # each try waits a little longer than the last
        await drain(inbox)
        app.services.clock.moment += timedelta(seconds=10)
    assert await statuses(app) == [InboxStatus.PARKED, InboxStatus.DONE]
    said = phone.got["dung"]
    assert "có lỗi xảy ra" in said[0]
    assert "cá nhân" in said[1]  # the chat's later message still went on


async def test_a_malformed_body_is_kept_as_failed_and_never_retried(app) -> None:
    await app.store_received([store.Received(CHANNEL, "", None, raw="{not json",
                                             problem="no message in the update")])
    phone = Phone()
    await drain(worker(app, phone))
    assert await statuses(app) == [InboxStatus.FAILED] and phone.got == {}
    async with app.services.sessions() as session:
        backlog = await store.backlog(session, stored_now(app.services.clock))
    assert backlog.failed == 1 and backlog.pending == {}


async def test_a_dead_workers_update_is_taken_by_another_after_its_lease(app) -> None:
    await arrive(app, "em", "id.vn là gì")
    now = stored_now(app.services.clock)
    async with app.services.sessions() as session, session.begin():
        assert await store.claim(session, "dead", [CHANNEL], now, timedelta(seconds=30), 10)
    phone = Phone()
    survivor = worker(app, phone, "w2")
    assert await survivor.round() == 0  # still leased to the dead worker
    app.services.clock.moment += timedelta(seconds=31)
    await drain(survivor)
    assert "cá nhân" in phone.got["em"][0]


async def test_the_answers_a_crash_interrupted_are_sent_by_the_delivery_engine(app) -> None:
    phone = Phone()
    await arrive(app, "gia", "id.vn là gì")
    inbox = worker(app, phone, lease=30)
    phone.answer = Outcome(Result.RETRY)  # the platform is down while the worker answers
    await drain(inbox)
    async with app.services.sessions() as session:
        pending = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.source_kind == REPLY_SOURCE,
            OutboxMessage.status == OutboxStatus.PENDING))
    assert pending and phone.got == {}
    phone.answer = SENT
    await inbox.delivery.deliver_due()
    assert "cá nhân" in phone.got["gia"][0]


@pytest.mark.parametrize("chats", [40])
async def test_many_chats_at_once_each_in_order(app, chats: int) -> None:
    phone = Phone()
    for n in range(chats):
        await arrive(app, f"p{n}", "xin chào", "id.vn là gì")
    inbox = worker(app, phone)
    await asyncio.wait_for(drain(inbox), 60)
    for n in range(chats):
        said = phone.got[f"p{n}"]
        assert "cá nhân" in said[-1] and "cá nhân" not in said[0]


async def test_status_names_the_workers_seen_and_a_clean_stop_takes_one_off(app) -> None:
    inbox = worker(app, Phone(), "w-status")
    inbox.start()
    for _ in range(50):
        if (await app.status())["workers"]:
            break
        await asyncio.sleep(0.05)
    [seen] = (await app.status())["workers"]
    assert seen["id"] == "w-status" and seen["pid"] > 0
    await inbox.stop()
    assert (await app.status())["workers"] == []


async def test_a_stored_message_an_upgrade_cannot_read_is_set_aside_not_retried(app) -> None:
    await arrive(app, "hoa", "id.vn là gì")
    async with app.services.sessions() as session, session.begin():
        row = await session.scalar(select(InboxMessage))
        row.payload = {**row.payload, "field_of_an_older_version": 1}
    await arrive(app, "hoa", "biz.vn là gì", first_id=2)
    phone = Phone()
    inbox = worker(app, phone)
    await drain(inbox)  # sets the unreadable one aside
    await drain(inbox)  # the next claim takes the chat's next message
    assert await statuses(app) == [InboxStatus.FAILED, InboxStatus.DONE]
    assert "kinh doanh" in phone.got["hoa"][0]  # the chat's next message went on
