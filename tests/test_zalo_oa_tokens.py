"""Zalo OA tokens: the refresh token works once, so a new one is stored before it is
used, two callers never refresh at once, and a restart never uses the spent one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web

from bot.app import App, build
from bot.storage.models import OAuthToken
from bot.time import FixedClock
from bot.zalo_oa.oauth import OAuthClient
from bot.zalo_oa.tokens import CredentialsRejected, RefreshRefused, TokenStore, token_state

from .conftest import TODAY, make_config
from .fake_zalo_oa import APP_ID, APP_SECRET, FakeZaloOAuth


@pytest.fixture
async def oauth() -> AsyncIterator[FakeZaloOAuth]:
    server = FakeZaloOAuth()
    await server.start()
    yield server
    await server.stop()


def store_of(app, oauth: FakeZaloOAuth, seed: str | None = "rt-0") -> TokenStore:
    client = OAuthClient(f"http://127.0.0.1:{oauth.port}", APP_ID, APP_SECRET)
    return TokenStore(app.services, client.refresh, seed)


async def stored(app) -> OAuthToken:
    async with app.services.sessions() as session:
        row = await session.get(OAuthToken, "zalo_oa")
    assert row is not None
    return row


async def test_the_first_token_is_refreshed_and_the_new_pair_stored_before_use(app, oauth):
    tokens = store_of(app, oauth)
    assert await tokens.access_token() == "at-1"
    assert (await stored(app)).refresh_token == "rt-1"
    assert await tokens.access_token() == "at-1"  # still valid: no second refresh
    app.services.clock = FixedClock(TODAY + timedelta(seconds=90000))  # about to expire
    assert await tokens.access_token() == "at-2" and oauth.refreshes == 2


async def test_a_restart_uses_the_stored_token_never_the_spent_one_from_the_config(app, oauth):
    await store_of(app, oauth).access_token()  # rt-0 spent, rt-1 stored
    restarted = store_of(app, oauth, seed="rt-0")  # the config still says rt-0
    assert await restarted.refresh(spent="at-1") == "at-2"
    assert "rt-0" in oauth.spent and (await stored(app)).refresh_token == "rt-2"


async def test_callers_that_find_the_token_expired_together_refresh_it_once(app, oauth):
    tokens = store_of(app, oauth)
    got = await asyncio.gather(*(tokens.access_token() for _ in range(5)))
    assert got == ["at-1"] * 5 and oauth.refreshes == 1


async def test_a_refused_refresh_stops_asking_and_says_to_authorise_again(app, oauth):
    oauth.live.clear()  # an admin revoked the app, or the token lay unused for months
    tokens = store_of(app, oauth)
    with pytest.raises(RefreshRefused, match="Invalid refresh token"):
        await tokens.access_token()
    assert "Invalid refresh token" in (await stored(app)).refused
    with pytest.raises(RefreshRefused):
        await tokens.access_token()
    assert oauth.refreshes == 0  # not asked again


async def test_a_network_failure_mid_refresh_leaves_the_stored_pair_consistent(app, oauth):
    tokens = store_of(app, oauth)
    await tokens.access_token()
    oauth.drop_next = True
    with pytest.raises((aiohttp.ClientError, ConnectionError)):
        await tokens.refresh(spent="at-1")
    row = await stored(app)
    assert (row.access_token, row.refresh_token, row.refused) == ("at-1", "rt-1", None)


async def second_process(database_url: str) -> App:
    return await build(make_config(database_url), clock=FixedClock(TODAY))


async def test_two_processes_refreshing_at_once_use_the_single_use_token_once(
        app, oauth, database_url):
    """On PostgreSQL, where several processes send: the row lock makes it once."""
    if not database_url.startswith("postgresql"):
        return await _two_processes_on_sqlite_leave_the_stored_pair_usable(app, oauth,
                                                                         database_url)
    other = await second_process(database_url)
    try:
        first, second = store_of(app, oauth), store_of(other, oauth)
        got = await asyncio.gather(first.access_token(), second.access_token())  # seeding too
        assert got == ["at-1", "at-1"] and oauth.presented == ["rt-0"]
        got = await asyncio.gather(first.refresh(spent="at-1"), second.refresh(spent="at-1"))
        assert got == ["at-2", "at-2"] and oauth.presented == ["rt-0", "rt-1"]
        assert (await stored(app)).refused is None
    finally:
        await other.close()


async def _two_processes_on_sqlite_leave_the_stored_pair_usable(app, oauth, database_url):
    """SQLite runs one sending process (the README); if two race anyway, Zalo takes the
    token once and the stored pair is the winner's, never marked refused."""
    other = await second_process(database_url)
    try:
        first, second = store_of(app, oauth), store_of(other, oauth)
        await asyncio.gather(first.access_token(), second.access_token(),
                             return_exceptions=True)
        row = await stored(app)
        assert row.refused is None and row.refresh_token in oauth.live
        assert await first.access_token() == row.access_token
    finally:
        await other.close()


@pytest.mark.parametrize("answer", [
    lambda: web.Response(status=502, text="<html>Bad gateway</html>", content_type="text/html"),
    lambda: web.json_response({"error": -1, "error_description": "Internal error"}, status=500),
    lambda: web.json_response({"message": "Too many requests"}, status=429),
    lambda: web.json_response({}),  # neither a pair nor a refusal
])
async def test_a_server_error_at_zalo_is_tried_again_later_not_taken_as_a_refusal(
        app, oauth, answer):
    oauth.canned = answer()
    tokens = store_of(app, oauth)
    with pytest.raises(ConnectionError):
        await tokens.access_token()
    row = await _row(app)
    assert row is None or row.refused is None
    assert await tokens.access_token() == "at-1"  # rt-0 was never spent


async def test_an_answer_without_a_new_refresh_token_or_lifetime_keeps_what_works(app, oauth):
    oauth.expires_in = None
    oauth.omit_refresh = True
    tokens = store_of(app, oauth)
    assert await tokens.access_token() == "at-1"
    row = await stored(app)
    assert row.refresh_token == "rt-0"  # nothing new came: the stored one stays
    assert row.access_expires_at == TODAY.replace(tzinfo=None) + timedelta(hours=1)


async def _row(app) -> OAuthToken | None:
    async with app.services.sessions() as session:
        return await session.get(OAuthToken, "zalo_oa")


async def test_a_wrong_app_secret_is_the_configurations_fault_and_spends_nothing(app, oauth):
    typo = OAuthClient(f"http://127.0.0.1:{oauth.port}", APP_ID, "app-secret-typo")
    with pytest.raises(CredentialsRejected, match="bad app"):
        await TokenStore(app.services, typo.refresh, "rt-0").access_token()
    row = await _row(app)
    assert row is None or row.refused is None
    assert await store_of(app, oauth).access_token() == "at-1"  # fixed: rt-0 still works


async def test_status_tells_a_stored_but_unused_token_from_a_working_one(app, oauth):
    typo = OAuthClient(f"http://127.0.0.1:{oauth.port}", APP_ID, "app-secret-typo")
    with pytest.raises(CredentialsRejected):
        await TokenStore(app.services, typo.refresh, "rt-0").access_token()
    state = (await app.status())["tokens"]
    assert state == {} or "not used yet" in state["zalo_oa"]["detail"]
    async with app.services.sessions() as session:
        assert "not used yet" in (await token_state(session, seeded=True)).detail
    await store_of(app, oauth).access_token()
    async with app.services.sessions() as session:
        assert "valid until" in (await token_state(session, seeded=True)).detail
