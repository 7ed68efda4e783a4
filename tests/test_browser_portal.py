"""The chat on the provincial portal, in Debian's headless Chromium: the one script
tag on a page of another origin, accessibility checked with axe-core, and a message
typed offline that is sent once when the connection returns."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.app import App, build
from bot.channels.web import start_web
from bot.storage.models import QuestionLog

from .conftest import make_config
from .local_server import free_port
from .test_browser import _driver

pytestmark = pytest.mark.browser
LAUNCHER = "//button[normalize-space()='Hỏi trợ lý số']"
AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
PORTAL_PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>Cổng thông tin điện tử tỉnh Lào Cai</title></head><body><main>
<h1>Cổng thông tin điện tử tỉnh Lào Cai</h1><p>Tin tức, thủ tục hành chính.</p></main>
<script src="{bot}/widget.js" defer data-commune="02671"
        data-title="Hỏi đáp chuyển đổi số"></script>
<script src="{bot}/widget.js" defer></script>
</body></html>"""


@dataclass
class Portal:
    driver: Any
    bot: str  # the bot's origin
    page: str  # the portal page's address, on another origin
    app: App


@pytest.fixture
async def portal(tmp_path: Path) -> AsyncIterator[Portal]:
    driver = _driver()
    bot_port, portal_port = free_port(), free_port()
    bot, portal_origin = f"http://127.0.0.1:{bot_port}", f"http://localhost:{portal_port}"
    app = await build(make_config(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", web={
        "port": bot_port, "public_url": bot, "embed_origins": [portal_origin]}))
    runner = await start_web(app, "127.0.0.1", bot_port)
    site_app = web.Application()

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text=PORTAL_PAGE.format(bot=bot), content_type="text/html")

    site_app.router.add_get("/", page)
    portal_runner = web.AppRunner(site_app)
    await portal_runner.setup()
    await web.TCPSite(portal_runner, "127.0.0.1", portal_port).start()
    try:
        yield Portal(driver, bot, f"{portal_origin}/", app)
    finally:
        driver.quit()
        await portal_runner.cleanup()
        await runner.cleanup()
        await app.close()


async def test_the_portals_one_script_tag_opens_the_chat_and_a_question_is_answered(
        portal: Portal, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = portal.driver

    def visit() -> tuple[int, str, str]:
        driver.get(portal.page)
        wait = WebDriverWait(driver, 15)
        launcher = wait.until(ec.element_to_be_clickable((By.XPATH, LAUNCHER)))
        launchers = len(driver.find_elements(By.XPATH, LAUNCHER))
        launcher.send_keys(Keys.ENTER)  # by keyboard
        wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
        wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "Phường Cam Đường"))
        title = driver.find_element(By.ID, "title").text
        driver.find_element(By.ID, "text").send_keys("e 19t dk id.vn co mat tien ko\n")
        wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "31/12/2025"))
        answer = driver.find_element(By.ID, "log").text
        driver.find_element(By.ID, "text").send_keys(Keys.ESCAPE)  # closes the panel
        driver.switch_to.default_content()
        wait.until(ec.invisibility_of_element_located((By.TAG_NAME, "iframe")))
        assert driver.switch_to.active_element == launcher  # focus is back on the button
        driver.save_screenshot(str(tmp_path / "portal.png"))
        return launchers, title, answer

    launchers, title, answer = await asyncio.get_running_loop().run_in_executor(None, visit)
    assert launchers == 1  # the script included twice adds one launcher
    assert title == "Hỏi đáp chuyển đổi số"
    assert "miễn phí" in answer


async def test_the_chat_and_the_launcher_have_no_serious_accessibility_problems(
        portal: Portal, tmp_path: Path) -> None:
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must check accessibility: `make test` installs axe-core with npm")
        pytest.skip("axe-core is not installed (cd tests/a11y && npm ci)")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver, axe = portal.driver, AXE.read_text("utf-8")

    def check(url: str, ready: str, press: str = "") -> list[dict[str, Any]]:
        driver.get(url)
        found = WebDriverWait(driver, 15).until(
            ec.presence_of_element_located((By.XPATH, ready)))
        if press:  # the chat opened over the portal page
            found.click()
            WebDriverWait(driver, 15).until(ec.visibility_of_element_located((By.XPATH, press)))
        driver.execute_script(axe)
        return driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
            " 'best-practice']}).then(r => done(r.violations.map(v => ({id: v.id,"
            " impact: v.impact, nodes: v.nodes.length}))));")

    def run() -> dict[str, list[dict[str, Any]]]:
        driver.set_script_timeout(30)
        found = {
            "/": check(f"{portal.bot}/", "//div[contains(@class,'bot')]"),
            "/embed": check(f"{portal.bot}/embed", "//div[contains(@class,'bot')]"),
            "portal + launcher": check(portal.page, LAUNCHER),
            "portal, chat open": check(portal.page, LAUNCHER, press="//iframe"),
        }
        driver.set_window_size(200, 400)  # 200 % zoom of a 400 px wide phone
        found["/ at 200 %"] = check(f"{portal.bot}/", "//div[contains(@class,'bot')]")
        return found

    found = await asyncio.get_running_loop().run_in_executor(None, run)
    (tmp_path / "axe.json").write_text(json.dumps(found, indent=1))
    print("axe-core violations by page:", json.dumps(found, ensure_ascii=False))
    serious = {page: [v for v in found[page] if v["impact"] in ("serious", "critical")]
               for page in found}
    assert serious == {page: [] for page in found}


async def test_a_message_typed_offline_is_sent_once_when_the_connection_returns(
        portal: Portal) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = portal.driver

    def offline_then_online() -> tuple[str, str]:
        driver.get(f"{portal.bot}/")
        wait = WebDriverWait(driver, 15)
        wait.until(ec.presence_of_element_located((By.XPATH, "//div[contains(@class,'bot')]")))
        driver.set_network_conditions(offline=True, latency=0, throughput=0)
        driver.find_element(By.ID, "text").send_keys("id.vn có miễn phí không\n")
        wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "Mất kết nối"))
        waiting = driver.find_element(By.ID, "log").text
        driver.set_network_conditions(offline=False, latency=0, throughput=1_000_000)
        driver.execute_script("window.dispatchEvent(new Event('online'))")
        wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "31/12/2025"))
        return waiting, driver.find_element(By.ID, "log").text

    waiting, after = await asyncio.get_running_loop().run_in_executor(None, offline_then_online)
    assert "đang chờ gửi" in waiting and "đang chờ gửi" not in after
    await portal.app.services.question_log.flush()
    async with portal.app.services.sessions() as session:
        asked = await session.scalar(select(func.count()).select_from(QuestionLog))
    assert asked == 1  # exactly once


async def test_a_reload_keeps_the_conversation_of_this_tab_and_its_choices_stay_live(
        portal: Portal) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = portal.driver

    def ask_then_reload() -> tuple[str, int, int]:
        driver.get(f"{portal.bot}/")
        wait = WebDriverWait(driver, 15)
        wait.until(ec.element_to_be_clickable((By.XPATH, "//div[contains(@class,'bot')]")))
        driver.find_element(By.ID, "text").send_keys("id.vn có miễn phí không\n")
        wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "31/12/2025"))
        live = len([b for b in driver.find_elements(By.CSS_SELECTOR, ".options button")
                    if b.is_enabled()])
        driver.refresh()
        wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "31/12/2025"))
        old = len([b for b in driver.find_elements(By.CSS_SELECTOR, ".options button")
                   if b.is_enabled()])
        return driver.find_element(By.ID, "log").text, live, old

    text, live, old = await asyncio.get_running_loop().run_in_executor(None, ask_then_reload)
    assert "id.vn có miễn phí không" in text and "31/12/2025" in text
    assert live > 0 and old == 0  # restored choices are shown, not offered again
