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

from bot.zalo_oa.tokens import CredentialsRejected, Grant, RefreshRefused

TOKEN_PATH = "/v4/oa/access_token"
PERMISSION_PATH = "/v4/oa/permission"
TIMEOUT = aiohttp.ClientTimeout(total=10)
# A refusal that names the token or the code spends the authorisation; any other (a
# wrong app id or secret) is the configuration's, and the stored token stays usable.
TOKEN_WORDS = ("refresh", "token", "grant", "code", "expired")
DEFAULT_LIFETIME = 3600.0  # seconds, when Zalo's expires_in cannot be read


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
        grant = await self._grant({"grant_type": "authorization_code", "code": code,
                                   "code_verifier": verifier})
        if grant.refresh_token is None:
            raise RefreshRefused("Zalo OAuth answered without a refresh token")
        return grant

    async def refresh(self, refresh_token: str) -> Grant:
        return await self._grant({"grant_type": "refresh_token",
                                  "refresh_token": refresh_token})

    async def _grant(self, form: dict[str, str]) -> Grant:
        """Zalo's answer read: a pair, a refusal (RefreshRefused), or trouble worth trying
        again later (ConnectionError: a server error, a proxy's page, a cut connection)."""
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http, http.post(
                self.url, data={"app_id": self.app_id, **form},
                headers={"secret_key": self.app_secret}) as response:
            try:
                body: Any = await response.json(content_type=None)
            except ValueError:
                body = None
            status = response.status
        if status >= 500 or status == 429 or not isinstance(body, dict):
            raise ConnectionError(f"Zalo OAuth: HTTP {status}, no usable answer")
        if not body.get("access_token"):
            said = [body[k] for k in ("error_description", "error_reason", "error_name",
                                      "message", "error") if body.get(k)]
            if not said:  # neither a pair nor a refusal: not Zalo's answer, try again
                raise ConnectionError(f"Zalo OAuth: HTTP {status}, an empty answer")
            reason = str(said[0])
            if not any(word in reason.lower() for word in TOKEN_WORDS):
                raise CredentialsRejected(f"Zalo OAuth rejected the app: {reason}")
            raise RefreshRefused(f"Zalo OAuth refused: {reason}")
        return Grant(str(body["access_token"]),
                     str(body["refresh_token"]) if body.get("refresh_token") else None,
                     timedelta(seconds=_seconds(body.get("expires_in"))))


def _seconds(value: Any) -> float:
    """`expires_in` is a string of seconds; an odd one gives an hour, and the token is
    refreshed sooner rather than lost."""
    try:
        seconds = float(str(value))
    except ValueError:
        return DEFAULT_LIFETIME
    return seconds if 0 < seconds < 10 * 86400 else DEFAULT_LIFETIME
