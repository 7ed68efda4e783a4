"""After an answer: a light 👍 / 👎, and staff see which suggestion people picked."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.faq.followups import (
    MAX_TOPIC_ID,
    FollowupKind,
    choices_since,
    feedback_since,
    parse,
    rating_payload,
    suggestion_payload,
)
from bot.storage.models import QuestionFollowup

from .conftest import TODAY, Chat
from .support import add_session


async def _followups(app) -> list[QuestionFollowup]:
    async with app.services.sessions() as session:
        return list(await session.scalars(select(QuestionFollowup)))


async def test_an_answer_offers_a_rating_that_never_blocks_the_next_question(app) -> None:
    chat = Chat(app)
    await chat.send("id.vn có miễn phí không")
    assert "31/12/2025" in chat.text()
    assert "👍 Hữu ích" in chat.options() and "👎 Chưa đúng ý" in chat.options()
    await chat.send("nghị quyết 57 là gì")  # ignores the rating and asks on
    assert "22/12/2024" in chat.text()
    assert await _followups(app) == []


async def test_a_thumbs_down_is_stored_with_its_question_for_the_feedback_report(app) -> None:
    chat = Chat(app)
    await chat.send("id.vn có miễn phí không")
    await chat.press("Chưa đúng ý")
    assert "ghi lại" in chat.text()
    await app.services.question_log.flush()
    rows = await _followups(app)
    assert [(r.kind, r.topic) for r in rows] == [(FollowupKind.UNHELPFUL, "domain.idvn.free")]
    async with app.services.sessions() as session:
        report = await feedback_since(session, TODAY.replace(tzinfo=None) - timedelta(days=30))
    assert report[0].topic == "domain.idvn.free" and report[0].unhelpful == 1
    assert report[0].unhelpful_questions == ["id.vn có miễn phí không"]


async def test_a_rating_pressed_twice_counts_once(app) -> None:
    chat = Chat(app)
    await chat.send("id.vn có miễn phí không")
    payload = chat.payload("Hữu ích")
    await chat.send(payload=payload)
    assert "Cảm ơn" in chat.text()
    await chat.send(payload=payload)
    assert "không còn hiệu lực" in chat.text()
    assert len(await _followups(app)) == 1


async def test_a_picked_suggestion_is_shown_and_logged_as_asked_x_chose_y(app) -> None:
    chat = Chat(app)
    await chat.send("tên miền")
    suggestions = [o for r in chat.last for o in r.options if o.payload.startswith("s:")]
    assert len(suggestions) >= 2, chat.options()
    await chat.send(payload=suggestions[0].payload)
    picked = suggestions[0].payload.rsplit(":", 1)[1]
    assert chat.text() == app.services.kb.topics[picked].answer_for("vi", TODAY.date())
    await app.services.question_log.flush()
    async with app.services.sessions() as session:
        pairs = await choices_since(session, TODAY.replace(tzinfo=None) - timedelta(days=1))
    assert pairs == [("ten mien", picked, 1)]


async def test_forged_follow_up_payloads_get_the_polite_answer(app) -> None:
    chat = Chat(app)
    for forged in ("v:zzzz:y:domain.idvn.free", "v:0011aabb:maybe:domain.idvn.free",
                   "s:0011aabb:no.such.topic", "s:", "v:0011aabb:y:" + "x" * 500):
        await chat.send(payload=forged)
        assert "không còn hiệu lực" in chat.text(), forged
    assert await _followups(app) == []


def test_follow_up_payloads_fit_telegrams_64_bytes_for_the_longest_topic_id() -> None:
    topic = "t" * MAX_TOPIC_ID
    payloads = (suggestion_payload("0011aabb", topic), rating_payload("0011aabb", False, topic))
    for payload in payloads:
        assert len(payload.encode()) <= 64
        kind, _, rest = payload.partition(":")
        assert parse(kind, rest) is not None


async def test_kb_feedback_prints_helpful_and_not_helpful_per_topic(app, tmp_path: Path) -> None:
    url = str(app.engine.url)
    if not url.startswith("sqlite"):
        return  # the CLI reads the same tables on PostgreSQL; one database is enough here
    chat = Chat(app)
    await chat.send("id.vn có miễn phí không")
    await chat.press("Hữu ích")
    await chat.send("ngày chuyển đổi số là ngày nào")
    await chat.press("Chưa đúng ý")
    await app.services.question_log.flush()
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: {url}\n", encoding="utf-8")
    command = [sys.executable, "-m", "bot", "--config", str(config), "kb", "feedback",
               "--since", "3650d"]
    result = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True,
                                     timeout=60)
    assert result.returncode == 0, result.stderr
    assert "domain.idvn.free" in result.stdout and "helpful    1" in result.stdout
    assert "👎 ngày chuyển đổi số là ngày nào" in result.stdout


async def test_nobody_can_rate_or_pick_on_someone_elses_behalf(app) -> None:
    victim, attacker = Chat(app, user="victim01"), Chat(app, user="attacker1")
    await victim.send("id.vn có miễn phí không")
    stolen = victim.payload("Chưa đúng ý")
    await attacker.send("xin chào")
    await attacker.send(payload=stolen)
    assert "không còn hiệu lực" in attacker.text()
    await attacker.send(payload="v:0badc0de:n:domain.idvn.free")
    assert "không còn hiệu lực" in attacker.text()
    await victim.press("Hữu ích")  # the victim's own rating still counts
    assert [(r.kind, r.topic) for r in await _followups(app)] == [
        (FollowupKind.HELPFUL, "domain.idvn.free")]


async def test_a_number_outside_the_list_keeps_the_steps_buttons_working(app) -> None:

    await add_session(app)
    chat = Chat(app)
    await chat.send("/dangky")
    await chat.send("9")
    assert "không có trong danh sách" in chat.text()
    await chat.press("Ứng dụng AI")
    assert "Bạn có đồng ý không" in chat.text()
