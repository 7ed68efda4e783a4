"""A person opens the chat page in a real (headless) Chromium, taps an option, reads the reply.

Uses Debian's chromium and chromium-driver (installed by .ci/run); never downloads a browser.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import App, build
from bot.channels.web import start_web

from .conftest import Chat, make_config
from .local_server import free_port

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _driver():  # type: ignore[no-untyped-def]
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser test: install chromium and chromium-driver")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=400,800",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(DRIVER), options=options)


@dataclass
class Site:
    """The bot's web server on a free port, and a headless Chromium to visit it."""

    driver: Any
    port: int
    app: App


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    driver = _driver()
    port = free_port()
    app = await build(make_config(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
                                  web={"port": port}))
    runner = await start_web(app, "127.0.0.1", port)
    try:
        yield Site(driver, port, app)
    finally:
        driver.quit()
        await runner.cleanup()
        await app.close()


def _sign_in(driver, link: str):  # type: ignore[no-untyped-def]
    """Open the link from the chat, press "Đăng nhập", land on the dashboard."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    # A page swapped mid-check ("node does not belong to the document") is checked again.
    wait = WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,))
    driver.get(link)
    wait.until(ec.element_to_be_clickable(
        (By.XPATH, "//button[normalize-space()='Đăng nhập']"))).click()
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Tổng quan"))
    return wait


async def test_a_person_taps_an_option_on_the_page_and_sees_the_reply(
        site: Site, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver, port = site.driver, site.port

    def browse() -> str:
        driver.get(f"http://127.0.0.1:{port}/")
        wait = WebDriverWait(driver, 15)
        button = wait.until(ec.element_to_be_clickable(
            (By.XPATH, "//button[normalize-space()='Tiếng Việt']")))
        button.click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "xã, phường nào"))
        field = driver.find_element(By.ID, "text")
        field.send_keys("cam duong\n")
        wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "Phường Cam Đường"))
        driver.save_screenshot(str(tmp_path / "chat.png"))
        return driver.find_element(By.ID, "log").text

    text = await asyncio.get_running_loop().run_in_executor(None, browse)
    assert "trợ lý tự động" in text and "Đã chọn Phường Cam Đường" in text


async def test_an_officer_signs_in_from_the_chat_link_adds_a_session_and_exports_it(
        site: Site, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    from .conftest import Chat
    from .support import grant

    driver, port, app = site.driver, site.port, site.app
    await grant(app, "boss", "province")
    link = (await Chat(app, user="boss").send("/dangnhap"))[0].text.split("\n")[1]
    def work() -> tuple[str, str, str]:
        wait = _sign_in(driver, link)
        dashboard = driver.find_element(By.TAG_NAME, "main").text
        driver.get(f"http://127.0.0.1:{port}/staff/trainings")
        form = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "form.stacked")))
        for name, value in (("id", "zalo-2026-12"), ("title", "Dùng Zalo an toàn"),
                            ("place", "Nhà văn hóa tổ 5")):
            form.find_element(By.NAME, name).send_keys(value)
        for name, value in (("start", "2026-12-10T08:00"), ("end", "2026-12-10T11:00")):
            driver.execute_script("arguments[0].value = arguments[1]",  # datetime-local
                                  form.find_element(By.NAME, name), value)
        form.find_element(By.XPATH, ".//button[@type='submit']").click()
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"),
                                                    "Dùng Zalo an toàn"))
        detail = driver.find_element(By.TAG_NAME, "main").text
        driver.save_screenshot(str(tmp_path / "console.png"))
        csv_link = wait.until(ec.presence_of_element_located(
            (By.LINK_TEXT, "CSV"))).get_attribute("href")
        return dashboard, detail, csv_link, driver.get_cookie("laocai_staff")["value"]

    dashboard, detail, csv_link, cookie = await asyncio.get_running_loop(
        ).run_in_executor(None, work)
    assert "Số liệu toàn tỉnh" in dashboard and "người mới" in dashboard
    assert "10/12/2026" in detail and "Nhà văn hóa tổ 5" in detail
    async with aiohttp.ClientSession(cookies={"laocai_staff": cookie}) as http, \
            http.get(csv_link) as exported:
        body = (await exported.read()).decode("utf-8-sig")
    assert exported.status == 200 and body.startswith("name,phone,status")


def _compose_and_send(driver: Any, port: int, link: str, recipients: int) -> str:
    """Sign in, write the news, preview it for RECIPIENTS people, send; the news page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    wait = _sign_in(driver, link)
    driver.get(f"http://127.0.0.1:{port}/staff/broadcasts")
    wait.until(ec.presence_of_element_located((By.NAME, "text"))).send_keys(
        "Lớp dùng Zalo an toàn, thứ Bảy.")
    driver.find_element(By.XPATH, "//button[normalize-space()='Xem trước']").click()
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "main"),
                                                f"Người nhận: {recipients}"))
    for quiet in driver.find_elements(By.NAME, "quiet_ok"):  # run at night here
        quiet.click()
    wait.until(ec.element_to_be_clickable(
        (By.XPATH, f"//button[normalize-space()='Gửi cho {recipients} người']"))).click()
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Tin số"))
    return str(driver.current_url)


async def test_an_officer_sends_news_to_their_commune_and_watches_it_go_out(
        site: Site, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from bot.delivery.engine import DeliveryEngine
    from bot.delivery.outcome import SENT

    from .conftest import Chat
    from .support import CAM_DUONG, grant, people

    driver, port, app = site.driver, site.port, site.app
    delivered: list[str] = []

    async def phone(chat_id: str, _reply: object) -> object:
        delivered.append(chat_id)
        return SENT

    engine = DeliveryEngine(app.services.sessions, app.services.clock, {"telegram": 0})
    engine.register("telegram", phone)
    await people(app)  # r1 of Cam Đường takes news
    await grant(app, "officer", "commune", CAM_DUONG)
    link = (await Chat(app, user="officer").send("/dangnhap"))[0].text.split("\n")[1]
    try:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, _compose_and_send, driver, port, link, 1)
        engine.start()

        def watch() -> str:  # the page's own script updates the count, no reload
            WebDriverWait(driver, 20).until(
                ec.text_to_be_present_in_element((By.ID, "n-sent"), "1"))
            return driver.find_element(By.ID, "progress").text

        counts = await loop.run_in_executor(None, watch)
        assert delivered == ["r1"] and "Đã gửi" in counts
    finally:
        await engine.stop()


async def test_an_unanswered_question_becomes_a_way_to_ask_on_every_process(
        site: Site, tmp_path: Path) -> None:
    """The province turns an unsure question into a variant in the inbox; `ask` and a
    second running bot process answer it afterwards, without a restart."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    from .support import CAM_DUONG, grant
    from .test_console_inbox import UNSURE, asked_in
    from .test_process import BotProcess, cli, write_config

    driver, port, app = site.driver, site.port, site.app
    await asked_in(app, CAM_DUONG, "sv1", UNSURE)
    await grant(app, "boss", "province")
    link = (await Chat(app, user="boss").send("/dangnhap"))[0].text.split("\n")[1]
    other_port = free_port()
    other = BotProcess(write_config(tmp_path, other_port), other_port)  # same bot.db
    try:
        await other.wait_ready()
        assert (await other.send(text=UNSURE))[0]["text"].count("31/12/2025") == 0

        def add_variant() -> None:
            wait = _sign_in(driver, link)
            driver.get(f"http://127.0.0.1:{port}/staff/questions/inbox")
            row = wait.until(ec.presence_of_element_located(
                (By.XPATH, f"//tr[td[contains(., '{UNSURE[:30]}')]]")))
            topic = row.find_element(By.NAME, "topic")
            topic.find_element(By.XPATH, ".//option[@value='domain.idvn.free']").click()
            row.find_element(By.XPATH, ".//button[@value='variant']").click()
            wait.until(ec.presence_of_element_located((By.TAG_NAME, "h1")))

        await asyncio.get_running_loop().run_in_executor(None, add_variant)
        answered = await _answered_within(other, UNSURE, seconds=10)
        assert "31/12/2025" in answered
        asked = cli("--config", str(tmp_path / "config.yaml"), "ask", "--json", UNSURE)
        assert '"topic": "domain.idvn.free"' in asked.stdout, asked.stderr
    finally:
        other.stop()


async def _answered_within(bot: Any, question: str, seconds: float) -> str:
    """The other process polls the console's decisions: ask until it knows, or time out."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        text = (await bot.send(text=question))[0]["text"]
        if "31/12/2025" in text or asyncio.get_running_loop().time() > deadline:
            return text
        await asyncio.sleep(0.5)


async def test_a_bad_edit_is_refused_with_its_reason_and_an_edit_can_be_undone(
        site: Site, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    from .support import grant

    driver, port, app = site.driver, site.port, site.app
    await grant(app, "boss", "province")
    link = (await Chat(app, user="boss").send("/dangnhap"))[0].text.split("\n")[1]
    old = app.services.kb.topics["domain.idvn.free"].answer["vi"]
    extra = "Cán bộ tỉnh bổ sung: hỏi nhà đăng ký về lệ phí hiện hành."

    def edit(wait: Any, text: str) -> str:
        """Type TEXT as the answer, save, and read the next page once it has replaced this."""
        field = wait.until(ec.presence_of_element_located((By.NAME, "answer_vi")))
        driver.execute_script("arguments[0].value = arguments[1]", field, text)
        for tick in driver.find_elements(By.NAME, "confirm"):  # notes read: save anyway
            tick.click()
        driver.find_element(By.XPATH, "//button[@value='save']").click()
        wait.until(ec.staleness_of(field))
        return wait.until(ec.presence_of_element_located((By.TAG_NAME, "main"))).text

    def work() -> tuple[str, str]:
        wait = _sign_in(driver, link)
        driver.get(f"http://127.0.0.1:{port}/staff/knowledge/topic/domain.idvn.free")
        refused = edit(wait, "id.vn miễn phí cho người 18 đến 23 tuổi.")
        noted = edit(wait, old + "\n" + extra)  # the 2025 dated answer is past: a note
        assert "Đã lưu" in noted or "Đã lưu" in edit(wait, old + "\n" + extra), noted
        undo = driver.find_element(By.XPATH, "//button[normalize-space()='Hoàn tác thay đổi này']")
        undo.click()
        wait.until(ec.staleness_of(undo))
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "khôi phục"))
        driver.save_screenshot(str(tmp_path / "knowledge.png"))
        return refused, driver.find_element(By.TAG_NAME, "main").text

    refused, history = await asyncio.get_running_loop().run_in_executor(None, work)
    assert "Chưa lưu" in refused and "phải nêu: 2 nam" in refused
    assert "khôi phục bản trước thay đổi #1" in history
    reply = await Chat(app, user="u9").send("id.vn có miễn phí không")
    assert extra not in reply[0].text and "31/12/2025" in reply[0].text


async def test_an_officer_stops_a_broadcast_mid_way(site: Site, tmp_path: Path) -> None:
    """Forty people of the commune take news; after five are sent the officer presses
    stop: the rest are cancelled, never sent, and the page says so."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from bot.delivery.engine import DeliveryEngine
    from bot.delivery.outcome import SENT
    from bot.storage.models import User

    from .support import CAM_DUONG, NOW, grant

    driver, port, app = site.driver, site.port, site.app
    delivered: list[str] = []
    gate = asyncio.Event()

    async def phone(chat_id: str, _reply: object) -> object:
        if len(delivered) >= 5:
            await gate.wait()  # a slow network after the first batch: time to stop
        delivered.append(chat_id)
        return SENT

    async with app.services.sessions() as session, session.begin():
        for n in range(40):
            session.add(User(channel="telegram", channel_user_id=f"p{n}", chat_id=f"p{n}",
                             language="vi", commune_code=CAM_DUONG, news_opt_in=True,
                             blocked=False, created_at=NOW, last_seen_at=NOW))
    await grant(app, "officer", "commune", CAM_DUONG)
    link = (await Chat(app, user="officer").send("/dangnhap"))[0].text.split("\n")[1]
    engine = DeliveryEngine(app.services.sessions, app.services.clock, {"telegram": 0},
                            batch_size=5, in_flight=1)
    engine.register("telegram", phone)
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, _compose_and_send, driver, port, link, 40)
        engine.start()

        def stop() -> None:
            wait = WebDriverWait(driver, 20)
            wait.until(ec.text_to_be_present_in_element((By.ID, "n-sent"), "5"))
            driver.find_element(By.XPATH, "//button[normalize-space()='Dừng gửi phần còn lại']"
                                ).click()
            wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Tin số"))

        await loop.run_in_executor(None, stop)
        gate.set()

        def cancelled() -> str:
            WebDriverWait(driver, 20).until(
                lambda d: int(d.find_element(By.ID, "n-cancelled").text or 0) > 0)
            return driver.find_element(By.ID, "progress").text

        counts = await loop.run_in_executor(None, cancelled)
        assert "Đã hủy" in counts
        await asyncio.sleep(1)  # whatever was in flight has landed
        assert 5 <= len(delivered) < 40
    finally:
        gate.set()
        await engine.stop()


async def test_an_officer_answers_a_question_with_a_ready_answer(site: Site, tmp_path: Path
                                                                 ) -> None:
    """A resident hands a question to Cam Đường's officers; one of them signs in, keeps a
    ready answer, inserts it into the question's answer box, adds a line and sends."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    from .support import CAM_DUONG, grant
    from .test_handoff import QUESTION, resident, told

    driver, port, app = site.driver, site.port, site.app
    await grant(app, "cd_web", "commune", CAM_DUONG)
    link = (await Chat(app, user="cd_web").send("/dangnhap"))[0].text.split("\n")[1]
    await (await resident(app, "r1", CAM_DUONG)).send(f"/hoicanbo {QUESTION}")
    base = f"http://127.0.0.1:{port}/staff/tickets"

    def work() -> str:
        wait = _sign_in(driver, link)
        driver.get(f"{base}/replies")
        driver.find_element(By.NAME, "title").send_keys("Lớp người cao tuổi")
        driver.find_element(By.NAME, "text").send_keys("Lớp học 8:00 thứ Bảy tại tổ 5.")
        add = driver.find_element(By.XPATH, "//button[normalize-space()='Thêm mẫu']")
        add.click()
        wait.until(ec.staleness_of(add))  # the page after the save, not the form
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "Lớp người cao tuổi"))
        driver.get(f"{base}/1")
        insert = driver.find_element(By.XPATH, "//button[normalize-space()='Chèn mẫu']")
        insert.click()
        wait.until(ec.staleness_of(insert))
        box = wait.until(ec.presence_of_element_located((By.NAME, "text")))
        box.send_keys(" Bác mang theo điện thoại nhé.")
        driver.find_element(By.XPATH, "//button[normalize-space()='Gửi câu trả lời']").click()
        wait.until(ec.staleness_of(box))
        driver.save_screenshot(str(tmp_path / "ticket.png"))
        return driver.find_element(By.TAG_NAME, "main").text

    page = await asyncio.get_running_loop().run_in_executor(None, work)
    assert "đã trả lời" in page
    assert (await told(app))["r1"] == ["Trả lời câu hỏi số 1 của bạn — cán bộ Phường Cam Đường:"
                                       "\nLớp học 8:00 thứ Bảy tại tổ 5. Bác mang theo điện "
                                       "thoại nhé."]
