"""The question log is written in batches, and never outlives the user who asked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from bot.faq.question_log import LoggedQuestion
from bot.storage.models import QuestionLog, User

from .conftest import Chat


def _question(user_id: int, text: str) -> LoggedQuestion:
    return LoggedQuestion(user_id=user_id, text=text, normalised=text, outcome="fallback",
                          topic=None, score=0.1, created_at=datetime(2026, 11, 23, 3))


async def _logged(app) -> list[str]:
    async with app.services.sessions() as session:
        return list(await session.scalars(select(QuestionLog.text).order_by(QuestionLog.id)))


async def test_questions_of_many_people_reach_the_log_in_one_write(app) -> None:
    for n in range(5):
        await Chat(app, user=f"p{n}").send(f"giá lúa hôm nay ở xã {n}")
    assert await _logged(app) == []  # still waiting: the replies did not wait for the log
    await app.services.question_log.flush()
    assert len(await _logged(app)) == 5


async def test_mydata_counts_a_question_that_is_still_waiting_to_be_logged(app) -> None:
    chat = Chat(app)
    await chat.send("giá lúa hôm nay")
    await chat.send("/mydata")
    assert "Số câu hỏi đã lưu: 1" in chat.text()


async def test_a_question_of_someone_deleted_before_the_write_is_dropped_not_the_batch(
    app,
) -> None:
    await Chat(app, user="stays").send("giá lúa hôm nay")
    async with app.services.sessions() as session:
        stays = await session.scalar(select(User.id).where(User.channel_user_id == "stays"))
        gone = (await session.scalar(select(func.max(User.id)))) + 100
    app.services.question_log.add(_question(gone, "hỏi rồi xóa tài khoản"))
    await app.services.question_log.flush()
    assert await _logged(app) == ["giá lúa hôm nay"]
    assert stays is not None


async def test_questions_waiting_at_shutdown_are_written(app) -> None:
    await Chat(app).send("giá lúa hôm nay")
    await app.services.question_log.close()
    assert await _logged(app) == ["giá lúa hôm nay"]
