"""The web chat's JSON API, driven like the page drives it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web import create_web_app

from .support import add_session, web_token


@pytest.fixture
async def client(app) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_web_app(app))) as c:
        c.token = await web_token(c)  # type: ignore[attr-defined]
        yield c


async def send(client: TestClient, **body: object) -> list[dict]:
    response = await client.post("/api/message", json={"token": client.token, **body})
    assert response.status == 200
    return (await response.json())["replies"]


def option(replies: list[dict], label_part: str) -> str:
    for reply in replies:
        for opt in reply["options"]:
            if label_part in opt["label"]:
                return opt["payload"]
    raise AssertionError(label_part)


async def test_a_browser_goes_through_onboarding_by_tapping_and_typing(client) -> None:
    replies = await send(client, text="/start")
    assert "trợ lý tự động" in replies[0]["text"]
    replies = await send(client, payload=option(replies, "Tiếng Việt"))
    replies = await send(client, text="thi tran sa pa")
    assert "Phường Sa Pa" in replies[0]["text"]
    replies = await send(client, payload=option(replies, "Thanh niên"))
    replies = await send(client, payload=option(replies, "Không"))
    assert [o["label"] for o in replies[-1]["options"]][:2] == ["Hỏi đáp", "Đăng ký tập huấn"]


async def test_answers_are_rendered_as_safe_html(client) -> None:
    replies = await send(client, text="<b>id.vn</b> là gì?")
    assert "<b>id.vn</b>" in replies[0]["html"]  # the answer's own bold, not the user's tag
    replies = await send(client, text="<script>alert(1)</script>")
    assert "<script>" not in replies[0]["html"]


async def test_links_in_answers_become_links(client) -> None:
    replies = await send(client, text="bình dân học vụ số học ở đâu")
    assert '<a href="https://binhdanhocvuso.gov.vn"' in replies[0]["html"]


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1,2]", b'{"token": "TOKEN", "text": 5}', b'{"token": "TOKEN", "id": "x"}'],
)
async def test_malformed_requests_get_a_400_with_a_reason(client, body: bytes) -> None:
    response = await client.post("/api/message", data=body.replace(b"TOKEN", client.token.encode()),
                                 headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert "error" in await response.json()


async def test_healthz_checks_the_database(client, app) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    health = await response.json()
    assert health["status"] == "ok"
    assert health["inbox"] == {"pending": {}, "lag_seconds": 0.0, "failed": 0, "parked": 0}
    assert health["outbox"] == {"due": {}, "oldest_due_seconds": 0.0}


async def test_healthz_is_503_when_the_database_is_gone(tmp_path) -> None:
    from bot.app import build

    from .conftest import make_config

    app = await build(make_config(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"))
    from bot.storage.database import create_engine

    await app.engine.dispose()
    app.engine = create_engine("sqlite+aiosqlite:///file:/nonexistent/x.db?mode=ro&uri=true")
    async with TestClient(TestServer(create_web_app(app))) as c:
        response = await c.get("/healthz")
        assert response.status == 503
    await app.close()


async def test_the_page_is_served_in_vietnamese(client) -> None:
    response = await client.get("/")
    body = await response.text()
    assert response.status == 200 and 'lang="vi"' in body and "Trợ lý số tỉnh Lào Cai" in body


async def test_a_browser_signs_up_for_training_and_sees_the_calendar_details(client, app) -> None:

    await add_session(app)
    replies = await send(client, text="/dangky")
    replies = await send(client, payload=option(replies, "Ứng dụng AI"))
    replies = await send(client, payload=option(replies, "Đồng ý"))
    replies = await send(client, text="Nguyễn Văn An")
    assert all(o["payload"] or o["url"] for r in replies for o in r["options"])
    replies = await send(client, text="0912345678")
    replies = await send(client, payload=option(replies, "Xác nhận"))
    assert "Đăng ký thành công" in replies[0]["text"]
    assert "Thời gian: 10:00 ngày 05/12/2026" in replies[0]["attachment"]["text"]


async def test_the_inbox_hands_over_queued_messages_once(client, app) -> None:

    await add_session(app, capacity=1)
    await send(client, text="xin chào")  # the browser user exists
    response = await client.post("/api/inbox", json={"token": client.token})
    assert (await response.json())["replies"] == []
    response = await client.post("/api/inbox", json={"token": "bad id"})
    assert response.status == 401
