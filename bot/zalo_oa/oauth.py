"""Zalo's OAuth v4 server: the admin's authorisation link (PKCE), exchanging the code
it brings back, and refreshing a token.

Errors come as HTTP 200 with a negative "error"; `expires_in` is a string of seconds.
A refused grant raises RefreshRefused; a network failure raises aiohttp's error and
changes nothing stored.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.zalo_oa.tokens import Grant, RefreshRefused

TOKEN_PATH = "/v4/oa/access_token"
PERMISSION_PATH = "/v4/oa/permission"
TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True)
class Consent:
    """One authorisation attempt: the link the admin opens, and what checks its answer."""

    url: str
    verifier: str  # PKCE: kept here, only its hash travels in the link
    state: str


def consent(base_url: str, app_id: str, redirect_uri: str) -> Consent:
    """The OA admin's link (PKCE with S256, a random state against forged callbacks)."""
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    query = urlencode({"app_id": app_id, "redirect_uri": redirect_uri,
                       "code_challenge": challenge, "state": state})
    return Consent(f"{base_url.rstrip('/')}{PERMISSION_PATH}?{query}", verifier, state)


class OAuthClient:
    def __init__(self, base_url: str, app_id: str, app_secret: str) -> None:
        self.url = base_url.rstrip("/") + TOKEN_PATH
        self.app_id, self.app_secret = app_id, app_secret

    async def exchange(self, code: str, verifier: str) -> Grant:
        """The admin's authorisation code (valid 10 minutes) for the first pair."""
        return await self._grant({"grant_type": "authorization_code", "code": code,
                                  "code_verifier": verifier})

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
