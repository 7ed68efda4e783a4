"""Training sign-up as people and staff meet it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.storage.models import OutboxMessage, TrainingSession, User

from .conftest import TODAY, Chat
from .support import NOW, add_session, registrations, sign_up


async def test_a_shop_owner_books_a_seat_and_gets_a_calendar_file(app) -> None:
    await add_session(app)
    chat = Chat(app)
    await sign_up(chat)
    assert "Đăng ký thành công" in chat.text()
    attachment = chat.last[0].attachment
    event = Calendar.from_ical(attachment.content).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Ứng dụng AI cho hộ kinh doanh"
    assert "10:00 ngày 05/12/2026" in attachment.text_fallback  # 03:00 UTC shown locally
    [registration] = await registrations(app)
    assert (registration.full_name, registration.phone, registration.status) == (
        "Nguyễn Văn An", "+84912345678", "confirmed")
    async with app.services.sessions() as session:
        user = await session.scalar(select(User))
    assert user.consent_at is not None


async def test_nothing_personal_is_kept_when_consent_is_refused(app) -> None:
    await add_session(app)
    chat = Chat(app)
    await chat.send("/dangky")
    await chat.press("Ứng dụng AI")
    await chat.press("Không đồng ý")
    assert "không lưu" in chat.text()
    assert await registrations(app) == []


@pytest.mark.parametrize(
    ("typed", "problem"),
    [("   ", "chưa nhập tên"), ("x" * 200, "dài quá"), ("12345", "chỉ gồm chữ cái"),
     ("😀😀", "chỉ gồm chữ cái")],
)
async def test_a_bad_name_is_re_asked_and_nothing_is_lost(app, typed: str, problem: str) -> None:
    await add_session(app)
    chat = Chat(app)
    await chat.send("/dangky")
    await chat.press("Ứng dụng AI")
    await chat.press("Đồng ý")
    await chat.send(typed)
    assert problem in chat.text()
    await chat.send("Lò Văn Páo")
    assert "Số điện thoại" in chat.text()


@pytest.mark.parametrize(
    ("typed", "problem"),
    [("abc", "chưa đúng"), ("+1 415 555 2671", "chỉ nhận số di động Việt Nam"),
     ("0912", "chưa đúng"), ("024 3825 1234", "số máy bàn"), ("0214 3840 123", "số máy bàn")],
)
async def test_a_bad_phone_is_re_asked_and_keeps_the_name(app, typed: str, problem: str) -> None:
    await add_session(app)
    chat = Chat(app)
    await sign_up(chat, phone=typed, confirm=False)
    assert problem in chat.text()
    await chat.send("+84 912 345 678")
    assert "Họ tên: Nguyễn Văn An" in chat.text()


async def test_cancel_leaves_cleanly_at_any_step(app) -> None:
    await add_session(app)
    chat = Chat(app)
    await chat.send("/dangky")
    await chat.press("Ứng dụng AI")
    await chat.press("Đồng ý")
    await chat.send("Nguyễn Văn An")
    await chat.send("/cancel")
    assert "Đã hủy" in chat.text()
    await chat.send("0912345678")  # now just a message, not a phone for a form
    assert await registrations(app) == []


async def test_a_second_attempt_shows_the_existing_registration(app) -> None:
    await add_session(app)
    chat = Chat(app)
    await sign_up(chat)
    await chat.send("/dangky")
    await chat.press("Ứng dụng AI")
    assert "đã đăng ký lớp" in chat.text()
    assert len(await registrations(app)) == 1


async def test_the_next_sign_up_offers_last_times_name_and_phone(app) -> None:
    await add_session(app, "first")
    await add_session(app, "second", days=20)
    chat = Chat(app)
    await chat.send("/dangky")
    await chat.send(payload=chat.payload("Ứng dụng AI"))
    await chat.press("Đồng ý")
    await chat.send("Trần Thị Bình")
    await chat.send("0987654321")
    await chat.press("Xác nhận")
    await chat.send("/dangky")
    await chat.send(payload=chat.last[0].options[1].payload)  # the other session
    await chat.press("Đồng ý")
    assert "Trần Thị Bình" in chat.text()
    await chat.press("Dùng tên này")
    assert "+84987654321" in chat.text()
    await chat.press("Dùng số này")
    assert "Họ tên: Trần Thị Bình" in chat.text()


async def test_extra_fields_are_asked_and_validated(app) -> None:
    extra = [{"key": "employees", "label": {"vi": "Số lao động", "en": "Employees"},
              "type": "number", "min": 1, "max": 500, "required": True},
             {"key": "sector", "label": {"vi": "Lĩnh vực", "en": "Sector"}, "type": "choice",
              "choices": ["Nông nghiệp", "Du lịch"], "required": True}]
    await add_session(app, extra=extra)
    chat = Chat(app)
    await sign_up(chat, confirm=False)
    assert "Số lao động" in chat.text()
    await chat.send("nhiều lắm")
    assert "nhập một số" in chat.text()
    await chat.send("12")
    await chat.press("Du lịch")
    assert "Lĩnh vực: Du lịch" in chat.text()
    await chat.press("Xác nhận")
    [registration] = await registrations(app)
    assert registration.extra == {"employees": 12, "sector": "Du lịch"}


async def test_two_people_taking_the_last_seat_at_once_get_one_seat_and_one_wait(app) -> None:
    await add_session(app, capacity=1)
    first, second = Chat(app, user="a"), Chat(app, user="b")
    for chat in (first, second):
        await sign_up(chat, confirm=False)
    await asyncio.gather(first.press("Xác nhận"), second.press("Xác nhận"))
    statuses = sorted(r.status for r in await registrations(app))
    assert statuses == ["confirmed", "waitlisted"]
    texts = first.text() + second.text()
    assert "Đăng ký thành công" in texts and "vị trí 1" in texts
    async with app.services.sessions() as session:
        assert (await session.get(TrainingSession, "ai-2026-12")).seats_taken == 1


async def test_cancelling_frees_the_seat_for_the_first_waiting_who_is_told(app) -> None:
    await add_session(app, capacity=1)
    anna, binh = Chat(app, user="anna"), Chat(app, user="binh")
    await sign_up(anna)
    await sign_up(binh, name="Lê Văn Bình")
    assert "vị trí 1" in binh.text()
    await anna.send("/lichcuatoi")
    await anna.press("Hủy: Ứng dụng AI")
    await anna.press("Hủy đăng ký")
    assert "Đã hủy đăng ký" in anna.text()
    statuses = {r.full_name: r.status for r in await registrations(app)}
    assert statuses == {"Nguyễn Văn An": "cancelled", "Lê Văn Bình": "confirmed"}
    inbox = await app.conversation.waiting("web", "binh")
    assert len(inbox) == 1 and "đã có chỗ cho bạn" in inbox[0].text


async def test_a_forged_cancel_cannot_touch_someone_elses_registration(app) -> None:
    await add_session(app)
    owner, other = Chat(app, user="owner"), Chat(app, user="other")
    await sign_up(owner)
    [registration] = await registrations(app)
    await other.send("/lichcuatoi")
    await other.send(payload=f"d:{'0' * 6}:c{registration.id}")
    assert "không còn hiệu lực" in other.text()
    assert (await registrations(app))[0].status == "confirmed"


async def test_a_session_closed_mid_dialog_gets_a_polite_message_and_the_list(app) -> None:
    await add_session(app)
    chat = Chat(app)
    await chat.send("/dangky")
    await chat.press("Ứng dụng AI")
    await chat.press("Đồng ý")
    async with app.services.sessions() as session, session.begin():
        (await session.get(TrainingSession, "ai-2026-12")).status = "closed"
    await chat.send("Nguyễn Văn An")
    assert "không còn nhận đăng ký" in chat.text()
    assert "chưa có lớp" in chat.text()


async def test_no_open_session_lists_past_ones_and_offers_to_tell_when_one_opens(app) -> None:
    chat = Chat(app)
    await chat.send("tôi muốn đăng ký tập huấn")
    text = chat.text()
    assert "chưa có lớp tập huấn nào" in text
    assert "Tập huấn chuyển đổi số cho doanh nghiệp nhỏ và vừa (01/10/2025 – 31/10/2025)" in text
    await chat.press("Báo tôi khi có lớp mới")
    assert "Đã ghi nhận" in chat.text()


async def test_registration_closes_at_the_deadline(app) -> None:
    await add_session(app, deadline=NOW - timedelta(hours=1))
    chat = Chat(app)
    await chat.send("/dangky")
    assert "chưa có lớp" in chat.text()


async def test_a_poster_deep_link_opens_that_sessions_sign_up(app) -> None:
    await add_session(app)
    chat = Chat(app)
    await chat.send("/start t_ai-2026-12")
    assert "đồng ý" in chat.text().lower() and "Sở Khoa học" in chat.text()


async def test_forget_cancels_registrations_and_blanks_their_personal_fields(app) -> None:
    await add_session(app, capacity=1)
    anna, binh = Chat(app, user="anna"), Chat(app, user="binh")
    await sign_up(anna)
    await sign_up(binh, name="Lê Văn Bình")
    await anna.send("/forget")
    await anna.press("Xóa hết")
    rows = await registrations(app)
    assert rows[0].full_name is None and rows[0].phone is None and rows[0].status == "cancelled"
    assert rows[1].status == "confirmed"  # the person waiting got the seat


# -- staff CLI --------------------------------------------------------------------------


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"database:\n  url: sqlite+aiosqlite:///{tmp_path / 'bot.db'}\n")
    return path


def test_staff_add_list_and_export_a_session(config_file: Path, tmp_path: Path) -> None:
    start = (datetime.now() + timedelta(days=30)).strftime("%Y-%m-%d 08:00")
    end = (datetime.now() + timedelta(days=30)).strftime("%Y-%m-%d 11:00")
    added = cli(config_file, "training", "add", "--id", "cds-2027", "--title",
                "Chuyển đổi số cho hộ kinh doanh", "--start", start, "--end", end,
                "--place", "trực tuyến", "--capacity", "30", "--audience", "business")
    assert added.returncode == 0, added.stderr
    listed = cli(config_file, "training", "list")
    assert "cds-2027" in listed.stdout and "past" in listed.stdout  # October 2025 too
    line = next(x for x in listed.stdout.splitlines() if x.startswith("cds-2027"))
    assert line.split()[5:8] == ["0", "30", "0"]  # taken, free, waiting
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"list.{fmt}"
        done = cli(config_file, "training", "export", "--session", "cds-2027",
                   "--format", fmt, "-o", str(out))
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "list.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_staff_get_clear_errors_for_bad_times(config_file: Path) -> None:
    bad = cli(config_file, "training", "add", "--id", "x", "--title", "X", "--start",
              "tomorrow", "--end", "later", "--place", "p", "--capacity", "3")
    assert bad.returncode == 2 and "YYYY-MM-DD HH:MM" in bad.stderr


async def test_the_export_lists_people_in_the_order_they_signed_up(app, tmp_path: Path) -> None:
    from bot.training.cli import EXPORT_COLUMNS, export_rows
    from bot.training.export import write_csv, write_xlsx

    await add_session(app, capacity=1)
    await sign_up(Chat(app, user="a"))
    await sign_up(Chat(app, user="b"), name="Lê Văn Bình", phone="0987654321")
    async with app.services.sessions() as session:
        training = await session.get(TrainingSession, "ai-2026-12")
        rows = await export_rows(app, session, training)
    write_csv(tmp_path / "x.csv", list(EXPORT_COLUMNS), rows)
    write_xlsx(tmp_path / "x.xlsx", list(EXPORT_COLUMNS), rows, "ai-2026-12")
    with (tmp_path / "x.csv").open(encoding="utf-8-sig") as handle:
        table = list(csv.DictReader(handle))
    assert [(r["name"], r["status"], r["waitlist_position"]) for r in table] == [
        ("Nguyễn Văn An", "confirmed", ""), ("Lê Văn Bình", "waitlisted", "1")]
    sheet = load_workbook(tmp_path / "x.xlsx").active
    assert sheet["A1"].value == "name" and sheet["A1"].font.bold
    assert sheet["B3"].value == "+84987654321"


async def test_adding_a_session_tells_the_people_waiting_for_one(app, config_file) -> None:
    chat = Chat(app)
    await chat.send("/dangky")
    await chat.press("Báo tôi khi có lớp mới")
    from argparse import Namespace

    from bot.training.cli import run

    start = (TODAY + timedelta(days=10)).strftime("%Y-%m-%d 08:00")
    end = (TODAY + timedelta(days=10)).strftime("%Y-%m-%d 11:00")
    args = Namespace(training_command="add", id="new-1", title="Lớp mới", title_en=None,
                     start=start, end=end, place="trực tuyến", link=None, capacity=5,
                     audience="all", deadline=None, description="", commune=None)
    assert await run(app, args) == 0
    async with app.services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    inbox = await app.conversation.waiting("web", "u1")
    assert "Có lớp tập huấn mới" in inbox[0].text


async def test_mydata_shows_the_registrations_name_and_phone(app) -> None:
    await add_session(app)
    chat = Chat(app)
    await sign_up(chat)
    await chat.send("/mydata")
    assert "Nguyễn Văn An, +84912345678" in chat.text() and "đã có chỗ" in chat.text()
