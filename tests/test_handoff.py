"""A person behind the bot: a citizen's question goes to their commune's team, who are
told in their chat app and answer with /traloi; nobody else hears of it."""

from __future__ import annotations

from sqlalchemy import select

from bot.delivery.outbox import from_payload
from bot.handoff.notify import SOURCE
from bot.storage.models import OutboxMessage, Ticket, TicketMessage, User

from .conftest import Chat
from .support import CAM_DUONG, NOW, SA_PA, grant

QUESTION = "Phường mình có lớp tin học cho người cao tuổi không ạ?"


async def resident(app, user: str, commune: str | None) -> Chat:
    async with app.services.sessions() as session, session.begin():
        session.add(User(channel="web", channel_user_id=user, chat_id=user, language="vi",
                         commune_code=commune, news_opt_in=False, blocked=False,
                         audience="youth", created_at=NOW, last_seen_at=NOW))
    return Chat(app, user=user)


async def officer(app, user: str, commune: str | None, role: str = "commune") -> Chat:
    """A staff member who has talked to the bot on Telegram (so it can write to them)."""
    async with app.services.sessions() as session, session.begin():
        session.add(User(channel="telegram", channel_user_id=user, chat_id=user,
                         language="vi", commune_code=commune, news_opt_in=False,
                         blocked=False, created_at=NOW, last_seen_at=NOW))
    await grant(app, user, role, commune, channel="telegram")
    return Chat(app, user=user, channel="telegram")


async def told(app) -> dict[str, list[str]]:
    """What the handoff queued, by recipient."""
    async with app.services.sessions() as session:
        rows = await session.execute(
            select(User.channel_user_id, OutboxMessage.payload)
            .join(User, User.id == OutboxMessage.user_id)
            .where(OutboxMessage.source_kind == SOURCE).order_by(OutboxMessage.id))
        out: dict[str, list[str]] = {}
        for user, payload in rows:
            out.setdefault(user, []).append(from_payload(payload).text)
        return out


async def test_a_question_reaches_every_officer_of_the_commune_and_no_other(app):
    await officer(app, "cd1", CAM_DUONG)
    await officer(app, "cd2", CAM_DUONG)
    await officer(app, "sp1", SA_PA)
    await officer(app, "boss", None, role="province")
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")
    assert "Đã gửi câu hỏi số 1 cho cán bộ Phường Cam Đường" in citizen.text()
    queued = await told(app)
    assert set(queued) == {"cd1", "cd2"}  # not Sa Pa, not the province: the commune has staff
    assert QUESTION in queued["cd1"][0] and "/traloi 1" in queued["cd1"][0]
    assert "Thanh niên" in queued["cd1"][0]


async def test_follow_ups_join_the_ticket_and_the_bot_does_not_talk_over_the_team(app):
    await officer(app, "cd1", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send("/hoicanbo")
    assert "Bạn muốn hỏi cán bộ điều gì" in citizen.text()
    await citizen.send(QUESTION)
    await citizen.send("id.vn có miễn phí không")  # for the team now, not the FAQ
    assert "Đã thêm vào câu hỏi số 1" in citizen.text()
    await citizen.send("xong")
    await citizen.send("id.vn có miễn phí không")
    assert "31/12/2025" in citizen.text()  # the bot answers again
    async with app.services.sessions() as session:
        texts = list(await session.scalars(select(TicketMessage.text)))
    assert texts == [QUESTION, "id.vn có miễn phí không"]
    assert len((await told(app))["cd1"]) == 2


async def test_the_first_officer_to_answer_takes_it_and_the_answer_reaches_the_person(app):
    cd1 = await officer(app, "cd1", CAM_DUONG)
    cd2 = await officer(app, "cd2", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")
    await cd1.send("/traloi 1 Có ạ, thứ Bảy 8:00 tại nhà văn hóa tổ 5.")
    assert "Đã gửi câu trả lời cho câu hỏi số 1" in cd1.text()
    answer = (await told(app))["r1"]
    assert answer == ["Trả lời câu hỏi số 1 của bạn — cán bộ Phường Cam Đường:\n"
                      "Có ạ, thứ Bảy 8:00 tại nhà văn hóa tổ 5."]
    await cd2.send("/traloi 1 Vâng, có lớp.")
    assert "đã có cán bộ khác nhận" in cd2.text()
    await cd1.send("/traloi 1 Có ạ, thứ Bảy 8:00 tại nhà văn hóa tổ 5.")  # sent twice
    assert "không gửi lại" in cd1.text() and len((await told(app))["r1"]) == 1
    async with app.services.sessions() as session:
        ticket = await session.get(Ticket, 1)
    assert ticket.status == "answered" and ticket.assigned_to == "telegram:cd1"


async def test_another_communes_officer_cannot_answer_even_with_the_right_number(app):
    sp1 = await officer(app, "sp1", SA_PA)
    await officer(app, "cd1", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")
    for forged in ("1", "#1", "2", "999999999"):
        await sp1.send(f"/traloi {forged} Xin chào")
        assert "Không có câu hỏi số" in sp1.text()
    assert "r1" not in await told(app)


async def test_bad_replies_are_explained(app):
    cd1 = await officer(app, "cd1", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")
    for text in ("/traloi", "/traloi 1", "/traloi abc Có ạ", "/traloi 1    "):
        await cd1.send(text)
        assert "Cách trả lời: /traloi" in cd1.text(), text
    await citizen.send("/traloi 1 tự trả lời")
    assert "dành cho cán bộ" in citizen.text()


async def test_a_person_without_a_commune_is_answered_by_the_province(app):
    await officer(app, "cd1", CAM_DUONG)
    boss = await officer(app, "boss", None, role="province")
    citizen = await resident(app, "r9", None)
    await citizen.send(f"/hoicanbo {QUESTION}")
    assert "cho cán bộ tỉnh" in citizen.text()
    assert set(await told(app)) == {"boss"}
    await boss.send("/traloi 1 Xin mời đến UBND xã gần nhất.")
    assert "cán bộ tỉnh:\nXin mời" in (await told(app))["r9"][0]


async def test_the_fallback_offers_a_person_and_sends_the_question_just_asked(app):
    await officer(app, "cd1", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send("giá vé xe khách Lào Cai đi Hà Nội bao nhiêu")
    await citizen.press("Gửi câu hỏi này cho cán bộ")
    assert "Đã gửi câu hỏi số 1" in citizen.text()
    assert "giá vé xe khách" in (await told(app))["cd1"][0]


async def test_at_most_three_open_questions_and_forget_deletes_them(app):
    await officer(app, "cd1", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    for n in range(3):
        await citizen.send(f"/hoicanbo câu hỏi số {n}")
        await citizen.send("xong")
    await citizen.send("/hoicanbo câu thứ tư")
    assert "đang có 3 câu hỏi chờ" in citizen.text()
    await citizen.send("/forget")
    await citizen.press("Xóa")
    async with app.services.sessions() as session:
        assert not list(await session.scalars(select(Ticket)))


async def test_an_officer_leaving_hands_their_questions_to_the_province(app):
    cd1 = await officer(app, "cd1", CAM_DUONG)
    boss = await officer(app, "boss", None, role="province")
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")
    await cd1.send("/traloi 1 Để tôi hỏi lại và trả lời bạn sau.")
    await citizen.send("Vâng, cảm ơn anh.")  # a follow-up: the ticket is open again
    await cd1.send("/forget")
    await cd1.press("Xóa")
    async with app.services.sessions() as session:
        ticket = await session.get(Ticket, 1)
    assert ticket.assigned_to is None and ticket.commune_code is None  # Cam Đường has nobody
    await boss.send("/traloi 1 Lớp cho người cao tuổi: thứ Bảy 8:00.")
    assert "cán bộ tỉnh:\nLớp cho người cao tuổi" in (await told(app))["r1"][-1]


async def test_an_answer_to_a_person_who_blocked_the_bot_closes_the_question(app):
    cd1 = await officer(app, "cd1", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")
    await app.conversation.set_blocked("web", "r1", True)
    await cd1.send("/traloi 1 Có ạ.")
    assert "đã chặn bot" in cd1.text() and "r1" not in await told(app)
    async with app.services.sessions() as session:
        assert (await session.get(Ticket, 1)).status == "closed"


async def test_mydata_lists_the_questions_sent_to_officers(app):
    await officer(app, "cd1", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")
    await citizen.send("xong")
    await citizen.send("/mydata")
    assert "Câu hỏi gửi cán bộ: số 1 (đang chờ trả lời)" in citizen.text()


async def test_outside_office_hours_the_person_is_told_when_to_expect_an_answer(app):
    from bot.time import FixedClock

    from .conftest import TODAY

    await officer(app, "cd1", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")  # Monday 10:00 in Lào Cai
    assert "thường trả lời trong ngày làm việc" in citizen.text()
    app.services.clock = FixedClock(TODAY.replace(hour=14))  # 21:00 local
    await citizen.send("xong")
    await citizen.send("/hoicanbo một câu khác")
    assert "ngoài giờ làm việc (07:30–17:00" in citizen.text()


async def test_a_reply_to_a_notification_answers_only_within_the_officers_own_commune(app):
    await officer(app, "cd1", CAM_DUONG)
    sa_pa = await officer(app, "sp1", SA_PA)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")
    notification = (await told(app))["cd1"][0]
    await sa_pa.send("Có ạ", reply_to=notification)  # a forwarded or forged notification
    assert "Không có câu hỏi số 1" in sa_pa.text()
    await sa_pa.send("id.vn có miễn phí không", reply_to="Chào bạn!")  # any other message
    assert "31/12/2025" in sa_pa.text()  # is answered as usual


async def test_a_question_nobody_answers_for_a_week_is_closed_and_the_person_told(app):
    from datetime import timedelta

    from bot.handoff.expiry import close_stale
    from bot.time import FixedClock

    from .conftest import TODAY

    cd1 = await officer(app, "cd1", CAM_DUONG)
    waiting, answered = await resident(app, "r1", CAM_DUONG), await resident(app, "r2", CAM_DUONG)
    await waiting.send(f"/hoicanbo {QUESTION}")
    await answered.send("/hoicanbo Lớp học ở đâu ạ?")
    await cd1.send("/traloi 2 Ở nhà văn hoá tổ 5.")
    app.services.clock = FixedClock(TODAY + timedelta(days=6))
    late = await resident(app, "r3", CAM_DUONG)
    await late.send("/hoicanbo Còn chỗ không ạ?")  # asked a day before the sweep
    app.services.clock = FixedClock(TODAY + timedelta(days=7, hours=1))
    assert await close_stale(app.services) == 2
    assert await close_stale(app.services) == 0  # another process's sweep closes nothing
    async with app.services.sessions() as session:
        states = dict((await session.execute(select(Ticket.id, Ticket.status))).all())
    assert states == {1: "closed", 2: "closed", 3: "open"}
    queued = await told(app)
    assert len([t for t in queued["r1"] if "chưa được cán bộ trả lời sau 7 ngày" in t]) == 1
    assert not any("sau 7 ngày" in t for t in queued["r2"])  # answered: simply done
    await waiting.send("id.vn có miễn phí không")  # the bot answers again
    assert "31/12/2025" in waiting.text()


async def test_asking_for_a_real_person_in_words_or_from_the_menu_leads_to_an_officer(app):
    await officer(app, "cd1", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send("cho toi gap can bo xa de hoi")
    await citizen.press("Gửi câu hỏi cho cán bộ")
    assert "Bạn muốn hỏi cán bộ điều gì" in citizen.text()
    await citizen.send("/menu")
    await citizen.press("Hỏi cán bộ xã/phường")
    assert "Bạn muốn hỏi cán bộ điều gì" in citizen.text()
    await citizen.send(QUESTION)
    assert "Đã gửi câu hỏi số 1" in citizen.text()


# -- what a probe as an attacker and as a new user found, kept fixed ---------------------

async def test_a_question_quoting_a_reply_command_cannot_redirect_the_officers_answer(app):
    cd1 = await officer(app, "cd1", CAM_DUONG)
    victim, attacker = await resident(app, "r1", CAM_DUONG), await resident(app, "r2", CAM_DUONG)
    await victim.send(f"/hoicanbo {QUESTION}")
    await attacker.send("/hoicanbo Cho hỏi\nTrả lời: /traloi 1 <nội dung>\nthủ tục sổ đỏ?")
    notification = (await told(app))["cd1"][-1]
    await cd1.send("Anh mang giấy tờ đến UBND.", reply_to=notification)
    assert "Đã gửi câu trả lời cho câu hỏi số 2" in cd1.text()
    assert not any("giấy tờ" in t for t in (await told(app)).get("r1", []))
    await cd1.send("/traloi")
    await cd1.send("3 Có ạ", reply_to=cd1.text())  # a reply to the usage help answers nothing
    assert "Đã gửi" not in cd1.text()
    await cd1.send("/traloi ² Có ạ")
    assert "Cách trả lời" in cd1.text()


async def test_the_province_officer_who_took_a_communes_question_hears_its_follow_ups(app):
    await officer(app, "cd1", CAM_DUONG)
    boss = await officer(app, "boss", None, role="province")
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")
    await boss.send("/traloi 1 Có ạ, để tỉnh trả lời.")
    await citizen.send("Lớp học ở địa chỉ nào ạ?")
    assert "Lớp học ở địa chỉ nào" in (await told(app))["boss"][-1]


async def test_thanks_and_polite_endings_close_the_exchange_without_reopening_it(app):
    cd1 = await officer(app, "cd1", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")
    await citizen.send("   ")
    assert "cán bộ sẽ đọc cùng câu hỏi số 1" in citizen.text()  # still with the officers
    await cd1.send("/traloi 1 Có ạ, 8:00 thứ Bảy.")
    await citizen.send("Cảm ơn ạ!")
    assert "Cảm ơn bạn" in citizen.text()
    async with app.services.sessions() as session:
        assert await session.scalar(select(Ticket.status)) == "answered"
    answer = (await told(app))["r1"][-1]
    await citizen.send("Thế có cần mang máy tính không ạ?", reply_to=answer)
    assert "Đã thêm vào câu hỏi số 1" in citizen.text()  # a reply to the answer rejoins it
    await citizen.send("Xong ạ")
    assert "Cán bộ vẫn sẽ trả lời" in citizen.text()


async def test_answered_questions_do_not_count_against_the_limit_of_three(app):
    cd1 = await officer(app, "cd1", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    for n in range(1, 4):
        await citizen.send(f"/hoicanbo Câu hỏi thứ {n}")
        await citizen.send("xong")
        await cd1.send(f"/traloi {n} Trả lời {n}")
    await citizen.send("/hoicanbo Câu hỏi thứ tư")
    assert "Đã gửi câu hỏi số 4" in citizen.text()


async def test_a_follow_up_left_unanswered_is_closed_with_a_word_to_the_person(app):
    from datetime import timedelta

    from bot.handoff.expiry import close_stale
    from bot.time import FixedClock

    from .conftest import TODAY

    cd1 = await officer(app, "cd1", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")
    await cd1.send("/traloi 1 Để tôi hỏi lại.")
    await citizen.send("Vậy khi nào có trả lời ạ?")
    app.services.clock = FixedClock(TODAY + timedelta(days=8))
    assert await close_stale(app.services) == 1
    assert "chưa được cán bộ trả lời" in (await told(app))["r1"][-1]


async def test_a_long_answer_goes_whole_and_the_rest_of_the_team_hears_it_is_taken(app):
    cd1 = await officer(app, "cd1", CAM_DUONG)
    await officer(app, "cd2", CAM_DUONG)
    citizen = await resident(app, "r1", CAM_DUONG)
    await citizen.send(f"/hoicanbo {QUESTION}")
    long_answer = "Lịch các lớp học trong tháng như sau. " * 135  # about 5,000 characters
    await cd1.send(f"/traloi 1\n{long_answer}")
    assert "Đã gửi câu trả lời cho câu hỏi số 1" in cd1.text()
    queued = await told(app)
    assert long_answer.strip() in queued["r1"][-1]  # whole; each channel splits it
    assert "Câu hỏi số 1 đã có" in queued["cd2"][-1] and "không cần trả lời" in queued["cd2"][-1]
    assert not any("đã có" in t for t in queued["cd1"])
    await cd1.send("/traloi 1 " + "x" * 10_001)
    assert "dài quá 10000 ký tự" in cd1.text()
