"""The conversation core as people meet it, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import build
from bot.storage.models import DialogState, QuestionLog, User
from bot.time import FixedClock

from .conftest import TODAY, Chat, make_config


async def _user(app, user_id: str = "u1") -> User | None:
    async with app.services.sessions() as session:
        return await session.scalar(select(User).where(User.channel_user_id == user_id))


async def test_a_new_user_is_greeted_as_an_automated_assistant_and_onboarded(app) -> None:
    chat = Chat(app)
    await chat.send("/start")
    assert "trợ lý tự động" in chat.text()
    await chat.press("Tiếng Việt")
    assert "xã, phường nào" in chat.text()
    await chat.send("cam duong")
    assert "Phường Cam Đường" in chat.text()
    await chat.press("Doanh nghiệp")
    await chat.press("Có, nhận tin")
    assert "Hỏi đáp" in chat.options() and "Quyền riêng tư" in chat.options()
    user = await _user(app)
    assert (user.commune_code, user.audience, user.news_opt_in) == ("02671", "business", True)


async def test_an_old_commune_name_typed_without_accents_is_understood(app) -> None:
    chat = Chat(app)
    await chat.send("/start")
    await chat.press("Bỏ qua")
    await chat.send("xa ban phiet")
    assert "Phường Lào Cai" in chat.text()


async def test_an_ambiguous_name_offers_a_choice_and_the_choice_sticks(app) -> None:
    chat = Chat(app)
    await chat.send("/start")
    await chat.press("Bỏ qua")
    await chat.send("Nam Cường")
    assert any("Cam Đường" in o for o in chat.options())
    await chat.press("Cam Đường")
    assert "Phường Cam Đường" in chat.text()
    assert (await _user(app)).commune_code == "02671"


async def test_a_deep_link_preselects_the_commune_and_names_it(app) -> None:
    chat = Chat(app)
    await chat.send("/start c_02671")
    assert "Bạn ở **Phường Cam Đường**" in chat.text()
    await chat.press("Tiếng Việt")
    assert "Bạn là ai" in chat.text()  # the commune step is skipped


async def test_numbers_and_option_words_pick_options_like_buttons(app) -> None:
    chat = Chat(app)
    await chat.send("/start")
    await chat.send("2")  # English
    assert "Which commune" in chat.text()
    await chat.send("skip")
    assert "Who are you" in chat.text()


async def test_a_number_outside_the_list_is_answered_politely(app) -> None:
    chat = Chat(app)
    await chat.send("/start")
    await chat.send("7")
    assert "từ 1 đến 3" in chat.text()
    assert len(chat.options()) == 3


async def test_a_button_pressed_twice_is_a_stale_choice_and_changes_nothing(app) -> None:
    chat = Chat(app)
    await chat.send("/start")
    english = chat.payload("English")
    await chat.send(payload=english)
    await chat.send(payload=english)
    assert "no longer valid" in chat.text()
    async with app.services.sessions() as session:
        user = await _user(app)
        state = await session.get(DialogState, user.id)
    assert state.step == "commune"  # still where the first press left them


async def test_a_button_from_a_finished_dialog_or_a_forged_one_is_rejected(app) -> None:
    chat = Chat(app)
    await chat.send("/start")
    old = chat.payload("Tiếng Việt")
    await chat.send("/cancel")
    await chat.send(payload=old)
    assert "không còn hiệu lực" in chat.text()
    await chat.send(payload="f:not.a.topic")
    assert "không còn hiệu lực" in chat.text()
    await chat.send(payload="d:zzzzzz:yes")
    assert "không còn hiệu lực" in chat.text()


async def test_a_youth_asks_in_unaccented_vietnamese_and_gets_the_idvn_answer(app) -> None:
    chat = Chat(app)
    await chat.send("e 19t dk ten mien id.vn co mat tien ko")
    assert "18 đến 23 tuổi" in chat.text() and "đã kết thúc" in chat.text()
    await app.services.question_log.flush()  # written in batches, within a second
    async with app.services.sessions() as session:
        log = await session.scalar(select(QuestionLog))
    assert (log.outcome, log.topic) == ("answer", "domain.idvn.free")


async def test_an_english_question_gets_an_english_answer(app) -> None:
    chat = Chat(app)
    await chat.send("What is an id.vn domain?")
    assert "individuals" in chat.text()


async def test_an_unknown_question_gets_an_apology_the_menu_and_is_logged(app) -> None:
    chat = Chat(app)
    await chat.send("cách nấu thắng cố ngon")
    assert "chưa có câu trả lời" in chat.text() and "Hỏi đáp" in chat.options()
    await app.services.question_log.flush()
    async with app.services.sessions() as session:
        assert await session.scalar(select(QuestionLog.outcome)) == "fallback"


async def test_a_suggestion_button_answers_that_topic(app) -> None:
    chat = Chat(app)
    await chat.send("ten mien")  # which one? id.vn, biz.vn, the province's target…
    assert "Có phải bạn muốn hỏi" in chat.text()
    await chat.press("biz.vn là gì")
    assert "biz.vn" in chat.text() and "kinh doanh" in chat.text()


async def test_the_weather_is_not_mistaken_for_a_topic(app) -> None:
    chat = Chat(app)
    await chat.send("thoi tiet sa pa")
    assert "chưa có câu trả lời" in chat.text()


async def test_stickers_empty_text_and_emoji_get_a_clear_answer(app) -> None:
    chat = Chat(app)
    await chat.send(unsupported=True)
    assert "tin nhắn chữ" in chat.text()
    for text in ("", "   ", "😀😀", "\u200b"):
        await chat.send(text)
        assert "Mình chưa thấy nội dung" in chat.text()


async def test_a_5000_character_message_is_answered_from_its_first_part(app) -> None:
    chat = Chat(app)
    await chat.send("id.vn là gì " + "a" * 5000)
    assert "dài quá" in chat.text()


async def test_unknown_commands_list_the_real_ones(app) -> None:
    chat = Chat(app)
    await chat.send("/xoa_het_di")
    assert "/start" in chat.text() and "/forget" in chat.text()


async def test_mydata_shows_what_is_stored_in_vietnamese_local_time(app) -> None:
    chat = Chat(app)
    await chat.send("/start c_02671")
    await chat.send("/mydata")
    text = chat.text()
    assert "Phường Cam Đường" in text
    assert "10:00 ngày 23/11/2026" in text  # 03:00 UTC shown in Asia/Ho_Chi_Minh


async def test_forget_asks_first_then_deletes_everything(app) -> None:
    chat = Chat(app)
    await chat.send("id.vn là gì")
    await chat.send("/forget")
    await chat.press("Giữ lại")
    assert await _user(app) is not None
    await chat.send("/forget")
    await chat.press("Xóa hết")
    assert "Đã xóa" in chat.text()
    assert await _user(app) is None
    await app.services.question_log.flush()  # a question still waiting to be logged is gone too
    async with app.services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(QuestionLog)) == 0


async def test_flood_gets_one_warning_then_silence(database_url: str) -> None:
    config = make_config(database_url, flood={"max_messages": 3, "window_seconds": 10,
                                              "mute_seconds": 30})
    app = await build(config, clock=FixedClock(TODAY))
    try:
        chat = Chat(app)
        replies = [await chat.send("xin chào") for _ in range(6)]
        assert all(replies[:3])
        assert "nhanh quá" in replies[3][0].text
        assert replies[4] == [] and replies[5] == []
    finally:
        await app.close()


async def test_the_dialog_resumes_at_the_same_step_after_a_restart(database_url: str) -> None:
    first = await build(make_config(database_url), clock=FixedClock(TODAY))
    chat = Chat(first)
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    await first.close()
    second = await build(make_config(database_url), clock=FixedClock(TODAY))
    try:
        resumed = Chat(second)
        await resumed.send("sa pa")  # the commune step's answer, not an FAQ question
        assert "Đã chọn **Phường Sa Pa**" in resumed.text()
        user = await _user(second)
        assert user.commune_code == "03006"
    finally:
        await second.close()


async def test_a_read_only_database_gets_a_polite_answer(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    app = await build(make_config(f"sqlite+aiosqlite:///{path}"), clock=FixedClock(TODAY))
    await Chat(app).send("/start")
    await app.close()
    read_only = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
    app = await build(make_config(read_only), clock=FixedClock(TODAY), upgrade=False)
    try:
        replies = await Chat(app, user="new-user").send("xin chào")
        assert "sự cố khi lưu dữ liệu" in replies[0].text
        replies = await Chat(app, user="u1").send("id.vn là gì")
        assert "sự cố khi lưu dữ liệu" in replies[0].text
    finally:
        await app.close()


async def test_a_commune_that_matches_nothing_is_re_asked_and_can_be_skipped(app) -> None:
    chat = Chat(app)
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    await chat.send("Thành phố Hồ Chí Minh quận 1")
    assert "chưa tìm thấy" in chat.text() and "Bỏ qua" in chat.options()
    await chat.send("bac ha")  # the step is still open: a second try works
    assert "Đã chọn **Xã Bắc Hà**" in chat.text()


async def test_an_empty_message_at_the_commune_step_re_asks_the_commune(app) -> None:
    chat = Chat(app)
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    await chat.send("  \u200b ")
    assert "xã, phường nào" in chat.text()


async def test_a_question_typed_at_the_commune_prompt_is_answered_not_searched(app) -> None:
    chat = Chat(app)
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    assert "xã, phường nào" in chat.text()
    await chat.send("id.vn là gì vậy ad?")
    assert "chưa tìm thấy xã" not in chat.text() and "cá nhân" in chat.text()
    await chat.send("nghị quyết 57 là gì")  # and the next one too: no trap
    assert "22/12/2024" in chat.text()


async def test_a_long_story_with_the_question_at_the_end_is_answered(app) -> None:
    chat = Chat(app)
    story = "Hôm nay tôi đi chợ về muộn và ngồi kể chuyện với bà con trong bản. " * 80
    await chat.send(story + "Cho tôi hỏi nghị quyết 57 là gì?")
    assert "dài quá" in chat.text() and "22/12/2024" in chat.text()


async def test_the_rating_can_be_typed_as_the_emoji_or_the_words(app) -> None:
    from bot.storage.models import QuestionFollowup

    chat = Chat(app)
    await chat.send("id.vn có miễn phí không")
    await chat.send("👍")
    assert "Cảm ơn" in chat.text()
    await chat.send("biz.vn là gì")
    await chat.send("chưa đúng ý")
    async with app.services.sessions() as session:
        kinds = sorted(await session.scalars(select(QuestionFollowup.kind)))
    assert kinds == ["helpful", "unhelpful"]


async def test_greetings_and_thanks_carry_no_rating(app) -> None:
    chat = Chat(app)
    await chat.send("xin chào")
    assert not any("Hữu ích" in o for o in chat.options())
    await chat.send("cảm ơn nhé")
    assert not any("Hữu ích" in o for o in chat.options())


async def _dialog(app, user_id: str = "u1") -> DialogState | None:
    async with app.services.sessions() as session:
        return await session.scalar(select(DialogState).join(User).where(
            User.channel_user_id == user_id))


@pytest.mark.parametrize("opening", [
    ["/start", "Tiếng Việt", "Bỏ qua"],  # onboarding, at "who are you"
    ["/start", "Tiếng Việt"],  # onboarding, at the commune
    ["/lang"],
    ["/nhaclich"],  # nothing subscribed: no dialog, the question still answered
    ["/menu", "Sự kiện"],
    ["/menu", "Tin của xã"],
])
async def test_a_question_typed_in_the_middle_of_any_dialog_is_answered(app, opening) -> None:
    chat = Chat(app)
    await chat.send(opening[0])
    for label in opening[1:]:
        await chat.press(label)
    await chat.send("nghị quyết 57 là gì")
    assert "22/12/2024" in chat.text()
    dialog = await _dialog(app)
    assert dialog is None or dialog.flow is None


async def test_a_dialog_saved_at_a_step_that_no_longer_exists_lets_go(app) -> None:
    chat = Chat(app)
    await chat.send("/start")
    async with app.services.sessions() as session, session.begin():
        dialog = await session.scalar(select(DialogState))
        dialog.step = "a-step-from-an-older-version"
    await chat.send("nghị quyết 57 là gì")
    assert "22/12/2024" in chat.text()
    assert (await _dialog(app)).flow is None
