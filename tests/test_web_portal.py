"""The web chat as the provincial portal embeds it: identities the server issues,
limits per address, a widget only the listed portals may frame, answers once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import App, build
from bot.channels.web import create_web_app
from bot.storage.models import InboxMessage, QuestionLog, User
from bot.time import FixedClock

from .conftest import TODAY, make_config
from .support import NOW, web_token

PORTAL = "https://laocai.gov.vn"


@pytest.fixture
async def portal(database_url: str) -> AsyncIterator[tuple[TestClient, App]]:
    """The bot as configured for the portal, with small per-address limits."""
    config = make_config(database_url, web={
        "embed_origins": [PORTAL], "public_url": "https://chat.laocai.gov.vn",
        "limits": {"new_identities_per_minute": 3, "messages_per_minute": 30}})
    app = await build(config, clock=FixedClock(TODAY))
    async with TestClient(TestServer(create_web_app(app))) as client:
        yield client, app
    await app.close()


async def say(client: TestClient, token: str, **body: object) -> tuple[int, dict]:
    response = await client.post("/api/message", json={"token": token, **body})
    return response.status, await response.json()


async def test_a_forged_token_gets_a_new_identity_and_reads_nothing_of_the_owner(portal):
    client, _app = portal
    owner = await web_token(client)
    await say(client, owner, text="/dangky")
    forged = "w1_" + ("A" * 22)
    status, body = await say(client, forged, text="/mydata")
    assert status == 401 and body["session"] == "unknown"
    response = await client.post("/api/session", json={"token": forged})
    issued = await response.json()
    assert issued["fresh"] and issued["token"] not in (forged, owner)
    assert len(issued["token"]) == 25  # w1_ and 16 random bytes
    response = await client.post("/api/session", json={"token": owner})
    assert await response.json() == {"token": owner, "fresh": False}


async def test_a_browser_of_the_old_page_is_moved_to_an_issued_token_once(portal):
    client, app = portal
    async with app.services.sessions() as session, session.begin():
        session.add(User(channel="web", channel_user_id="browser-0001", chat_id="browser-0001",
                         language="vi", commune_code="02671", news_opt_in=True,
                         blocked=False, created_at=NOW, last_seen_at=NOW))
    moved = await (await client.post("/api/session", json={"client_id": "browser-0001"})).json()
    assert not moved["fresh"] and moved["token"].startswith("w1_")
    _, body = await say(client, moved["token"], text="/mydata")
    assert "Phường Cam Đường" in body["replies"][0]["text"]  # their own data, kept
    again = await (await client.post("/api/session", json={"client_id": "browser-0001"})).json()
    assert again["fresh"] and again["token"] != moved["token"]  # bound once only
    status, _ = await say(client, "browser-0001", text="/mydata")
    assert status == 401  # a self-chosen id reads nothing any more


async def test_new_identities_from_one_address_are_limited_politely(portal):
    client, _app = portal
    for _ in range(3):
        assert (await client.post("/api/session", json={})).status == 200
    refused = await client.post("/api/session", json={})
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "error" in await refused.json()


async def test_a_message_retried_after_a_lost_answer_is_answered_once(portal):
    client, app = portal
    token = await web_token(client)
    first = await say(client, token, text="id.vn có miễn phí không", id="msg-00000001")
    again = await say(client, token, text="id.vn có miễn phí không", id="msg-00000001")
    assert first == again and "31/12/2025" in first[1]["replies"][0]["text"]
    await app.services.question_log.flush()
    async with app.services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(QuestionLog)) == 1
        kept = await session.scalar(select(InboxMessage.payload))
    assert kept == {}  # only the id is kept, not what was written
    # Another receiver, which did not see the first answer, does not answer it twice.
    async with TestClient(TestServer(create_web_app(app))) as second:
        status, body = await say(second, token, text="id.vn có miễn phí không", id="msg-00000001")
    assert status == 200 and body["replies"] == []


async def test_only_the_listed_portal_may_frame_the_chat(portal):
    client, _app = portal
    embedded = await client.get("/embed?lang=en")
    policy = embedded.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {PORTAL}" in policy and "'unsafe-inline'" not in policy
    assert 'lang="en"' in await embedded.text()
    page = await client.get("/")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    for name in ("X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy"):
        assert name in page.headers and name in embedded.headers
    script = await client.get("/widget.js")
    source = await script.text()
    assert script.content_type == "text/javascript"
    assert '"https://chat.laocai.gov.vn"' in source and "Hỏi trợ lý số" in source
    assert "__laocaiBotWidget" in source  # included twice: one launcher


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/nothing", 404), ("GET", "/api/message", 405), ("PUT", "/api/session", 405)])
async def test_every_error_is_json(portal, method: str, path: str, status: int):
    client, _app = portal
    response = await client.request(method, path)
    assert response.status == status and "error" in await response.json()
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_post_from_another_site_as_text_plain_is_refused(portal):
    client, _app = portal
    token = await web_token(client)
    response = await client.post("/api/message", data=f'{{"token": "{token}", "text": "a"}}',
                                 headers={"Content-Type": "text/plain"})
    assert response.status == 415


def test_the_message_limit_refills_with_time() -> None:
    from bot.webchat.limits import AddressLimit, Rate

    limit = AddressLimit(Rate(2, 60))
    assert [limit.wait("10.0.0.1", 0.0) for _ in range(3)] == [0, 0, 30]
    assert limit.wait("10.0.0.2", 0.0) == 0  # another address has its own
    assert limit.wait("10.0.0.1", 31.0) == 0  # half a minute later: one more


async def test_oversized_headers_and_a_stalled_body_are_cut_off_without_a_traceback(
        portal, caplog):
    import asyncio
    import logging

    from bot.channels import web as web_channel

    client, _app = portal
    caplog.set_level(logging.DEBUG)
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n")
    await writer.drain()
    status = await reader.readline()
    writer.close()
    assert status.split()[1] in (b"400", b"431")
    web_channel.READ_SECONDS = 0.3  # a body that stops half-way
    try:
        reader, writer = await asyncio.open_connection(client.host, client.port)
        writer.write(b"POST /api/message HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 100\r\n\r\n{\"tok")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(2000), 5)
        writer.close()
    finally:
        web_channel.READ_SECONDS = 10.0
    assert b" 408 " in answer.split(b"\r\n", 1)[0] and b'"error"' in answer
    assert "Traceback" not in caplog.text


async def test_a_web_officers_token_never_shows_in_the_console_or_the_audit_log(app, browser):
    from .support import grant
    from .test_console import signed_in

    token = await web_token(browser)  # a staff member who uses the web chat
    await grant(app, token, "province", channel="web")
    await signed_in(app, browser, token)  # /dangnhap in the web chat, then the link
    audit = await (await browser.get("/staff/audit")).text()
    assert "web:#" in audit and token not in audit


async def test_one_persons_message_id_never_blocks_anothers(portal):
    client, _app = portal
    first, second = await web_token(client), await web_token(client)
    await say(client, first, text="/menu", id="same-id-0001")
    _, body = await say(client, second, text="id.vn là gì", id="same-id-0001")
    assert body["replies"] and "id.vn" in body["replies"][0]["text"]


def test_behind_a_proxy_the_last_forwarded_address_counts_and_ipv6_by_its_64() -> None:
    from types import SimpleNamespace

    from aiohttp.test_utils import make_mocked_request
    from multidict import CIMultiDict

    from bot.channels.web import WebLimits

    config = SimpleNamespace(web_new_identities_per_minute=1, web_messages_per_minute=1,
                             web_behind_proxy=True)
    limits = WebLimits(SimpleNamespace(config=config))  # type: ignore[arg-type]
    headers = CIMultiDict([("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "10.0.0.7")])
    assert limits.address(make_mocked_request("POST", "/", headers=headers)) == "10.0.0.7"
    v6 = CIMultiDict([("X-Forwarded-For", "2001:db8:1:2:aaaa::1")])
    assert limits.address(make_mocked_request("POST", "/", headers=v6)) == "2001:db8:1:2::/64"


async def test_the_api_is_lenient_in_what_is_harmless_and_quick_to_refuse_the_rest(portal):
    client, _app = portal
    token = await web_token(client)
    upper = await client.post("/api/message", data=f'{{"token": "{token}", "text": "xin chào"}}',
                              headers={"Content-Type": "application/json; charset=UTF-8"})
    assert upper.status == 200
    wrong = await client.get("/api/session")
    assert wrong.status == 405 and wrong.headers["Allow"] == "POST"
    huge = await client.post("/api/message", data=b"{}", headers={
        "Content-Type": "application/json", "Content-Length": "100000000"})
    assert huge.status == 413


async def test_myid_shows_a_web_chat_person_their_token_with_a_warning(portal):
    client, _app = portal
    token = await web_token(client)
    _, body = await say(client, token, text="/myid")
    assert token in body["replies"][0]["text"] and "Đừng chia sẻ" in body["replies"][0]["text"]
