"""Zalo's OAuth v4 server: refreshing a token (exchanging an admin's authorisation
code comes with `laocai-bot zalo-oa authorize`).

Errors come as HTTP 200 with a negative "error"; `expires_in` is a string of seconds.
A refused grant raises RefreshRefused; a network failure raises aiohttp's error and
changes nothing stored.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp

from bot.zalo_oa.tokens import Grant, RefreshRefused

TOKEN_PATH = "/v4/oa/access_token"
TIMEOUT = aiohttp.ClientTimeout(total=10)


class OAuthClient:
    def __init__(self, base_url: str, app_id: str, app_secret: str) -> None:
        self.url = base_url.rstrip("/") + TOKEN_PATH
        self.app_id, self.app_secret = app_id, app_secret

    async def refresh(self, refresh_token: str) -> Grant:
        return await self._grant({"grant_type": "refresh_token",
                                  "refresh_token": refresh_token})

    async def _grant(self, form: dict[str, str]) -> Grant:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http, http.post(
                self.url, data={"app_id": self.app_id, **form},
                headers={"secret_key": self.app_secret}) as response:
            body: Any = await response.json(content_type=None)
        if not isinstance(body, dict):  # a proxy's error page: try again later
            raise ConnectionError("Zalo OAuth: an answer that is not JSON")
        if body.get("error") or "access_token" not in body:
            reason = body.get("error_description") or body.get("error")
            raise RefreshRefused(f"Zalo OAuth refused: {reason}")
        try:
            seconds = int(str(body.get("expires_in", "")))
        except ValueError:
            raise RefreshRefused("Zalo OAuth answered without expires_in") from None
        return Grant(str(body["access_token"]), str(body["refresh_token"]),
                     timedelta(seconds=seconds))
