"""/mydata shows everything the bot keeps about a person; /forget removes all of it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.core.turn import MAX_PAYLOAD_BYTES
from bot.storage.models import (
    AuditEntry,
    Broadcast,
    EventSubscription,
    OutboxMessage,
    QuestionLog,
    SessionWatch,
    StaffRole,
    User,
)

from .conftest import Chat
from .support import people, schedule_for_the_province


async def test_mydata_lists_reminders_watches_ratings_and_the_questions_themselves(app) -> None:
    chat = Chat(app)
    await chat.send("id.vn có miễn phí không")
    await chat.press("Hữu ích")
    await chat.send("giá lúa hôm nay")
    await chat.send("/nhaclich")
    await chat.send("/mydata")
    text = chat.text()
    assert "Số câu hỏi đã lưu: 2" in text
    assert "Số lần đánh giá câu trả lời hoặc chọn gợi ý: 1" in text
    assert "Nhắc lịch sự kiện: không có" in text
    assert "id.vn có miễn phí không" in text and "giá lúa hôm nay" in text
    assert text.index("giá lúa hôm nay") < text.index("id.vn có miễn phí không")  # newest first
    assert "ngày 23/11/2026" in text  # when, in local time


async def test_mydata_pages_through_many_questions(app) -> None:
    chat = Chat(app)
    for n in range(12):
        await chat.send(f"câu hỏi thử số {n} về thời tiết")
    await app.services.question_log.flush()
    await chat.send("/mydata")
    assert "câu hỏi thử số 11" in chat.text() and "câu hỏi thử số 1 " not in chat.text()
    await chat.press("Xem thêm câu hỏi")
    assert "trang 2" in chat.text()
    assert "câu hỏi thử số 1 về" in chat.text() and "câu hỏi thử số 0 về" in chat.text()


async def test_forget_by_a_staff_member_warns_revokes_the_role_and_stops_broadcasts(app) -> None:
    await people(app)
    chat = await schedule_for_the_province(app, "Họp dân lúc 8h.", "8h00 25/11")
    await chat.press("Xác nhận")
    await chat.send("id.vn là gì")
    await chat.send("/mydata")
    assert "Vai trò cán bộ: province" in chat.text() and "chưa gửi: 1" in chat.text()
    await chat.send("/forget")
    assert "thu hồi vai trò cán bộ" in chat.text() and "dừng 1 tin" in chat.text()
    await chat.press("Xóa hết")
    async with app.services.sessions() as session:
        assert await session.scalar(select(StaffRole).where(
            StaffRole.channel_user_id == "boss")) is None
        broadcast = await session.scalar(select(Broadcast))
        assert broadcast.status == "cancelled"
        pending = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.source_kind == "broadcast", OutboxMessage.status == "pending"))
        assert pending == 0
        actions = set(await session.scalars(select(AuditEntry.action)))
        assert {"role_revoke", "broadcast_cancel"} <= actions
        assert await session.scalar(select(User).where(User.channel_user_id == "boss")) is None


async def test_forget_leaves_no_row_about_the_person(app) -> None:
    chat = Chat(app)
    await chat.send("id.vn có miễn phí không")
    await chat.press("Chưa đúng ý")
    await chat.send("/nhaclich")
    await app.services.question_log.flush()
    await chat.send("/forget")
    await chat.press("Xóa hết")
    async with app.services.sessions() as session:
        for table in (User, QuestionLog, EventSubscription, SessionWatch):
            assert await session.scalar(select(func.count()).select_from(table)) == 0, table


def test_a_payload_over_64_bytes_fails_when_built_not_in_production() -> None:
    from types import SimpleNamespace

    from bot.core.turn import Turn

    turn = Turn.__new__(Turn)
    turn._nonce = "abcdef"
    turn.emitted_dialog_options = False
    turn.state = SimpleNamespace(nonce="")
    fits = "s" + "9" * (MAX_PAYLOAD_BYTES - len("d:abcdef:") - 1)
    assert len(turn.raw_option("ok", fits).payload.encode()) == MAX_PAYLOAD_BYTES
    with pytest.raises(ValueError, match="64 bytes"):
        turn.raw_option("too long", fits + "9")
