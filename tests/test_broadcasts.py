"""Broadcasts and roles: commune staff reach their own commune and nobody else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.broadcast.store import Scope, final_report, finish_done, queue
from bot.channels.formatting import to_telegram_html
from bot.core.messages import Reply
from bot.delivery.engine import DeliveryEngine
from bot.delivery.outcome import SENT, Outcome, Result
from bot.storage.models import AuditEntry, Broadcast, OutboxMessage, StaffRole, User
from bot.time import FixedClock

from .conftest import TODAY, Chat
from .support import CAM_DUONG, SA_PA, grant, people, schedule_for_the_province

NOW = TODAY.replace(tzinfo=None)


async def recipients(app) -> set[str]:
    async with app.services.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.source_kind == "broadcast"))).all()
    return {r.chat_id for r in rows}


async def test_someone_without_a_role_gets_a_polite_refusal(app) -> None:
    chat = Chat(app)
    await chat.send("/broadcast")
    assert "chỉ dành cho cán bộ" in chat.text()


async def test_a_commune_officer_reaches_the_opted_in_people_of_their_commune(app) -> None:
    await people(app)
    await grant(app, "officer", "commune", CAM_DUONG)
    chat = Chat(app, user="officer")
    await chat.send("/broadcast")
    assert "Phường Cam Đường" in chat.text()
    await chat.send("Họp dân lúc 8 giờ sáng thứ Bảy tại nhà văn hóa.")
    await chat.press("Gửi ngay")
    assert "gửi tới **1 người**" in chat.text()
    await chat.press("Xác nhận")
    assert "Đã xếp hàng tin #1 tới 1 người" in chat.text()
    assert await recipients(app) == {"r1"}
    async with app.services.sessions() as session:
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "broadcast"))
    assert audit.actor == "web:officer" and audit.detail["recipients"] == 1


async def test_a_commune_officer_cannot_reach_another_commune(app) -> None:
    await people(app)
    await grant(app, "officer", "commune", CAM_DUONG)
    async with app.services.sessions() as session, session.begin():
        role = await session.scalar(select(StaffRole))
        for scope in (Scope(communes=(SA_PA,)), Scope(), Scope(communes=(CAM_DUONG, SA_PA)),
                      Scope(session="any")):
            with pytest.raises(PermissionError):
                await queue(session, "web:officer", role, scope, "x", "x", NOW, NOW)
    assert await recipients(app) == set()


async def test_forged_target_options_do_not_widen_a_commune_officers_reach(app) -> None:
    await people(app)
    await grant(app, "officer", "commune", CAM_DUONG)
    chat = Chat(app, user="officer")
    await chat.send("/broadcast")
    for forged in ("d:000000:all", "d:000000:communes", "m:broadcast"):
        await chat.send(payload=forged)
    await chat.send("Tin thử")
    await chat.press("Gửi ngay")
    await chat.press("Xác nhận")
    assert await recipients(app) == {"r1"}


async def test_a_role_revoked_mid_dialog_sends_nothing(app) -> None:
    await people(app)
    await grant(app, "officer", "commune", CAM_DUONG)
    chat = Chat(app, user="officer")
    await chat.send("/broadcast")
    await chat.send("Tin sẽ không đi")
    await chat.press("Gửi ngay")
    async with app.services.sessions() as session, session.begin():
        role = await session.scalar(select(StaffRole))
        await session.delete(role)
    await chat.press("Xác nhận")
    assert "không còn hiệu lực" in chat.text()
    assert await recipients(app) == set()


async def test_province_staff_pick_communes_by_name_and_schedule(app) -> None:
    await people(app)
    await grant(app, "boss", "province")
    chat = Chat(app, user="boss")
    await chat.send("/broadcast")
    await chat.press("Một hoặc vài")
    await chat.send("cam duong")
    await chat.press("Thêm xã/phường khác")
    await chat.send("sa pa")
    await chat.press("Xong")
    await chat.send("Lịch tập huấn mới đã có.")
    await chat.press("Hẹn giờ")
    await chat.send("8h00 25/11")
    assert "08:00 ngày 25/11/2026" in chat.text() and "**2 người**" in chat.text()
    await chat.press("Xác nhận")
    async with app.services.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert {r.chat_id for r in rows} == {"r1", "r3"}
    assert rows[0].not_before.strftime("%Y-%m-%d %H:%M") == "2026-11-25 01:00"  # 08:00 local


async def test_province_staff_reach_a_group_across_the_province(app) -> None:
    await people(app)
    await grant(app, "boss", "province")
    chat = Chat(app, user="boss")
    await chat.send("/broadcast")
    await chat.press("Một nhóm")
    await chat.press("Doanh nghiệp")
    await chat.send("Tin cho doanh nghiệp")
    await chat.press("Gửi ngay")
    await chat.press("Xác nhận")
    assert await recipients(app) == {"r3"}


async def test_a_past_time_is_refused(app) -> None:
    await grant(app, "boss", "province")
    chat = Chat(app, user="boss")
    await chat.send("/broadcast")
    await chat.press("Toàn tỉnh")
    await chat.send("x")
    await chat.press("Hẹn giờ")
    await chat.send("08:00 01/01/2020")
    assert "đã qua" in chat.text()


async def test_a_broadcast_can_be_stopped_midway(app) -> None:
    await people(app)
    await grant(app, "boss", "province")
    chat = Chat(app, user="boss")
    await chat.send("/broadcast")
    await chat.press("Toàn tỉnh")
    await chat.send("Tin toàn tỉnh")
    await chat.press("Gửi ngay")
    await chat.press("Xác nhận")
    await chat.send("/broadcasts")
    assert "#1" in chat.text() and "0/2 đã gửi" in chat.text()
    await chat.press("Dừng tin #1")
    assert "2 tin chưa gửi được giữ lại" in chat.text()
    async with app.services.sessions() as session:
        statuses = {r.status for r in (await session.scalars(select(OutboxMessage))).all()}
        assert (await session.get(Broadcast, 1)).status == "cancelled"
    assert statuses == {"cancelled"}


async def test_delivered_broadcasts_carry_stop_news_and_the_sender_gets_a_report(app) -> None:
    await people(app)
    await grant(app, "boss", "province")
    chat = Chat(app, user="boss")
    await chat.send("/broadcast")
    await chat.press("Toàn tỉnh")
    await chat.send("<b>Không</b> phải mã HTML")
    await chat.press("Gửi ngay")
    await chat.press("Xác nhận")
    seen: list[Reply] = []

    async def sender(chat_id: str, reply: Reply) -> Outcome:
        seen.append(reply)
        return SENT if chat_id == "r1" else Outcome(Result.BLOCKED)

    engine = DeliveryEngine(app.services.sessions, FixedClock(TODAY))
    engine.register("telegram", sender)
    assert await engine.deliver_due() == 2
    assert "Tắt tin" in [o.label for o in seen[0].options]
    assert "tắt tin" in seen[0].text
    assert "&lt;b&gt;Không&lt;/b&gt;" in to_telegram_html(seen[0].text)  # inert
    assert await finish_done(app.services.sessions, FixedClock(TODAY)) == 1
    report = await app.conversation.waiting("web", "boss")
    assert "1/2 người nhận được, 1 đã chặn bot" in report[0].text


async def test_typing_tat_tin_stops_commune_news(app) -> None:
    chat = Chat(app, user="resident")
    await chat.send("/start c_02671")
    await chat.press("Tiếng Việt")
    await chat.press("Bỏ qua")
    await chat.press("Có, nhận tin")
    await chat.send("tắt tin")
    assert "Đã tắt tin" in chat.text()
    async with app.services.sessions() as session:
        user = await session.scalar(select(User).where(User.channel_user_id == "resident"))
    assert user.news_opt_in is False


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=60)


def test_staff_roles_and_a_cli_broadcast_are_audited(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(f"database:\n  url: sqlite+aiosqlite:///{tmp_path / 'b.db'}\n")
    assert cli(config, "staff", "grant", "--channel", "zalo", "--user", "z1", "--role",
               "commune", "--commune", "02671").returncode == 0
    bad = cli(config, "staff", "grant", "--channel", "zalo", "--user", "z2", "--role",
              "commune", "--commune", "12345")
    assert bad.returncode == 2 and "99" in bad.stderr
    guessed = cli(config, "staff", "grant", "--channel", "web", "--user", "12345678", "--role",
                  "province")  # a web chat id is an issued token, shown by /myid
    assert guessed.returncode == 2 and "/myid" in guessed.stderr
    listed = cli(config, "staff", "list")
    assert "z1" in listed.stdout and "Phường Cam Đường" in listed.stdout
    assert "revoked" in cli(config, "staff", "revoke", "--channel", "zalo", "--user",
                            "z1").stdout
    sent = cli(config, "broadcast", "send", "--all", "--text", "Xin chào", "--yes", "--no-wait")
    assert sent.returncode == 0 and "0 recipients" in sent.stdout
    unconfirmed = cli(config, "broadcast", "send", "--commune", "02671", "--text", "x")
    assert unconfirmed.returncode == 0  # nobody to send to: nothing to confirm


async def test_the_sender_of_a_big_broadcast_hears_how_it_is_going(app) -> None:
    from datetime import timedelta

    await grant(app, "boss", "province")
    async with app.services.sessions() as session, session.begin():
        for i in range(120):
            session.add(User(channel="telegram", channel_user_id=f"p{i}", chat_id=f"p{i}",
                             language="vi", commune_code=CAM_DUONG, news_opt_in=True,
                             blocked=False, created_at=NOW, last_seen_at=NOW))
    chat = Chat(app, user="boss")
    await chat.send("/broadcast")
    await chat.press("Toàn tỉnh")
    await chat.send("Tin lớn")
    await chat.press("Gửi ngay")
    await chat.press("Xác nhận")
    later = FixedClock(TODAY + timedelta(seconds=70))
    await finish_done(app.services.sessions, later)
    await finish_done(app.services.sessions, later)  # same minute: no second message
    app.services.clock = later
    progress = await app.conversation.waiting("web", "boss")
    assert len(progress) == 1 and "đã gửi 0/120" in progress[0].text


@pytest.mark.parametrize("when", ["00:00 01/01/0001", "0001-01-01T00:00+05:00",
                                  "9999-12-31T23:59-12:00", "9999-12-31T20:00+00:00"])
async def test_a_time_at_the_edge_of_the_calendar_is_re_asked_not_crashed(app, when) -> None:
    chat = await schedule_for_the_province(app, "Họp dân.", when)
    assert "Mình chưa hiểu thời gian" in chat.text()




def test_the_senders_report_names_every_channel_biggest_first_and_knows_no_unknown_one() -> None:
    item = Broadcast(id=7, recipients=6)
    per = {"web": {"sent": 1}, "terminal": {"sent": 1}, "zalo_oa": {"sent": 2, "unreachable": 1},
           "new_platform": {"sent": 1}}
    report = final_report("vi", item, per)
    assert report.startswith("Tin #7 đã gửi xong: 5/6 người nhận được")
    assert "Theo kênh: Zalo OA 2/3, Trang web 1/1, Dòng lệnh 1/1, new_platform 1/1." in report
    assert "1 người chưa nhắn cho OA Zalo" in report
    assert "chưa nhắn cho OA" not in final_report("vi", item, {"web": {"sent": 6}})
