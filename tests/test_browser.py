"""A person opens the chat page in a real (headless) Chromium, taps an option, reads the reply.

Uses Debian's chromium and chromium-driver (installed by .ci/run); never downloads a browser.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from bot.app import build
from bot.channels.web import start_web

from .conftest import make_config
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


async def test_a_person_taps_an_option_on_the_page_and_sees_the_reply(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = _driver()
    port = free_port()
    app = await build(make_config(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"))
    runner = await start_web(app, "127.0.0.1", port)
    try:
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
    finally:
        driver.quit()
        await runner.cleanup()
        await app.close()
