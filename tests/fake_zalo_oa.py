"""A fake Zalo OAuth v4 server on 127.0.0.1, with Zalo's rules: each refresh token
works once and answers a new pair; errors come as HTTP 200 with a negative code. FakeZaloOA
adds the OA Open API and a Zalo that posts signed webhook events."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web

from tests.local_server import Call, LocalServer, wait_for_text

APP_ID, APP_SECRET = "1234567890", "app-secret"
OA_ID, OA_SECRET_KEY = "579745863508352884", "oa-secret-key"


class FakeZaloOAuth(LocalServer):
    def __init__(self) -> None:
        self.live = {"rt-0"}  # refresh tokens that still work (the first one an admin got)
        self.spent: set[str] = set()
        self.serial = itertools.count(1)
        self.refreshes = 0
        self.drop_next = False  # take the refresh, then drop the connection
        self.expires_in: str | None = "90000"
        self.canned: web.Response | None = None  # answered once instead of anything else
        self.omit_refresh = False  # a pair without its refresh token (seen in the wild)
        self.hold: asyncio.Event | None = None  # a slow Zalo: answers once this is set
        self.asked = asyncio.Event()  # set when a refresh arrives
        self.presented: list[str] = []  # every refresh token a refresh was asked with
        self.codes: dict[str, str] = {}  # authorisation code → the PKCE challenge it was for

    def admin_allows(self, permission_url: str) -> str:
        """What Zalo does when an OA admin allows: a code bound to the link's challenge."""
        query = parse_qs(urlsplit(permission_url).query)
        code = f"code-{len(self.codes) + 1}"
        self.codes[code] = query["code_challenge"][0]
        return (f"{query['redirect_uri'][0]}?code={code}&oa_id={OA_ID}"
                f"&state={query['state'][0]}")

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v4/oa/access_token", self.token)
        await self.serve(app)
        return f"http://127.0.0.1:{self.port}"

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if self.canned is not None:
            canned, self.canned = self.canned, None
            return canned
        if request.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
            return web.json_response({"error": -14003, "error_description": "bad app"})
        if form.get("grant_type") == "authorization_code":
            return self._exchange(str(form.get("code")), str(form.get("code_verifier")))
        old = str(form.get("refresh_token", ""))
        self.presented.append(old)
        self.asked.set()
        if self.hold is not None:
            await self.hold.wait()
        if form.get("grant_type") != "refresh_token" or old not in self.live:
            return web.json_response({"error": -14014,
                                      "error_description": "Invalid refresh token"})
        self.live.discard(old)
        self.spent.add(old)
        self.refreshes += 1
        n = next(self.serial)
        self.live.add(f"rt-{n}")
        if self.drop_next:  # Zalo rotated it, but the answer never arrives
            self.drop_next = False
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=502)
        return self._pair(n)

    def _pair(self, n: int) -> web.Response:
        pair: dict[str, Any] = {"access_token": f"at-{n}", "refresh_token": f"rt-{n}",
                                "expires_in": self.expires_in}
        if self.omit_refresh:
            del pair["refresh_token"]
            self.live.add(self.presented[-1])  # the old one keeps working then
        return web.json_response({k: v for k, v in pair.items() if v is not None})

    def _exchange(self, code: str, verifier: str) -> web.Response:
        """A code works once, with the verifier whose S256 hash its link carried."""
        challenge = self.codes.pop(code, None)
        digest = hashlib.sha256(verifier.encode()).digest()
        if challenge != base64.urlsafe_b64encode(digest).rstrip(b"=").decode():
            return web.json_response({"error": -14019, "error_description": "Invalid code"})
        n = next(self.serial)
        self.live.add(f"rt-{n}")
        return self._pair(n)


class FakeZaloOA(FakeZaloOAuth):
    """The OAuth server and the OA Open API on one port, plus a Zalo that posts signed
    webhook events to the bot. The API keeps Zalo's rules: only the latest access token
    works (-216 otherwise), a reply must quote a message the person sent, people outside
    the 7-day window give -230, night gives -234, unfollowers -213, text over 2,000
    characters -201."""

    def __init__(self) -> None:
        super().__init__()
        self.access: str | None = None  # the one access token the API accepts
        self.sent: list[Call] = []
        self.refusals: list[int] = []  # API calls refused, by code
        self.inbound: dict[str, str] = {}  # msg_id → the person who sent it
        self.outside_window: set[str] = set()
        self.unfollowed: set[str] = set()
        self.night = False
        self.rate_limited = 0  # answer -32 this many times
        self.refuse_every_token = False  # -216 even for a token just issued
        self.api_canned: web.Response | None = None  # answered once instead
        self.arrived = asyncio.Event()
        self.clock_ms: int | None = None  # the events' timestamps; None: real time
        self.webhook_url = ""
        self.ids = itertools.count(1)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v4/oa/access_token", self.token_and_remember)
        app.router.add_post("/v3.0/oa/message/cs", self.message)
        await self.serve(app)
        return f"http://127.0.0.1:{self.port}"

    async def token_and_remember(self, request: web.Request) -> web.Response:
        response = await self.token(request)
        body = json.loads(response.text or "{}")
        if "access_token" in body:
            self.access = body["access_token"]
        return response

    def expire_access(self) -> None:
        self.access = None

    def _refuse(self, code: int, message: str) -> web.Response:
        self.refusals.append(code)
        return web.json_response({"error": code, "message": message})

    async def message(self, request: web.Request) -> web.Response:
        if self.api_canned is not None:
            canned, self.api_canned = self.api_canned, None
            return canned
        if (not self.access or request.headers.get("access_token") != self.access
                or self.refuse_every_token):
            return self._refuse(-216, "Access token is invalid")
        body = await request.json()
        recipient, text = body["recipient"], body["message"]["text"]
        user = (self.inbound.get(recipient["message_id"], "") if "message_id" in recipient
                else recipient.get("user_id", ""))
        if not user:
            return self._refuse(-201, "Parameters are invalid")
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return self._refuse(-32, "Rate limit")
        if user in self.unfollowed:
            return self._refuse(-213, "User has not followed OA")
        if "user_id" in recipient and user in self.outside_window:
            return self._refuse(-230, "User has not interacted with OA in past 7 days")
        if self.night:
            return self._refuse(-234, "Cannot send message at night")
        if len(text) > 2000:
            return self._refuse(-201, "Message is too long")
        self.sent.append(Call("cs", {"user": user, "text": text,
                                     "quoted": recipient.get("message_id")}))
        self.arrived.set()
        return web.json_response({"error": 0, "message": "Success",
                                  "data": {"message_id": f"out{next(self.ids)}",
                                           "user_id": user}})

    # -- Zalo posting events to the bot ---------------------------------------------

    def event(self, name: str, user: str, text: str | None = None,
              msg_id: str | None = None, oa_id: str = OA_ID) -> dict[str, Any]:
        stamp = str(self.clock_ms if self.clock_ms is not None else int(time.time() * 1000))
        event: dict[str, Any] = {"app_id": APP_ID, "event_name": name, "timestamp": stamp,
                                 "user_id_by_app": "9" + user}
        if name in ("follow", "unfollow"):
            event.update(oa_id=oa_id, follower={"id": user}, source="oa_profile")
            return event
        msg_id = msg_id or f"msg{next(self.ids)}"
        self.inbound[msg_id] = user
        event.update(sender={"id": user}, recipient={"id": oa_id},
                     message={"msg_id": msg_id, **({"text": text} if text else {})})
        return event

    async def post(self, event: dict[str, Any] | bytes, key: str = OA_SECRET_KEY,
                   signed: bool = True, stamp: str = "") -> tuple[int, str]:
        """Post EVENT to the bot's webhook as Zalo would: the raw bytes, signed (raw
        bytes with STAMP as their timestamp)."""
        raw = event if isinstance(event, bytes) else json.dumps(event).encode()
        stamp = stamp if isinstance(event, bytes) else str(event.get("timestamp", ""))
        headers = {"Content-Type": "application/json"}
        if signed:
            digest = hashlib.sha256(APP_ID.encode() + raw + stamp.encode() + key.encode())
            headers["X-ZEvent-Signature"] = "mac=" + digest.hexdigest()
        async with aiohttp.ClientSession() as http, http.post(
                self.webhook_url, data=raw, headers=headers) as response:
            return response.status, await response.text()

    async def says(self, user: str, text: str, **kw: Any) -> str:
        event = self.event("user_send_text", user, text, **kw)
        status, _ = await self.post(event)
        assert status == 200
        return event["message"]["msg_id"]

    def sent_to(self, user: str) -> list[Call]:
        return [c for c in self.sent if c.params["user"] == user]

    async def wait_text(self, user: str, fragment: str, after: int = 0,
                        limit_seconds: float = 10.0) -> Call:
        return await wait_for_text(lambda: self.sent_to(user), self.arrived, fragment, after,
                                   limit_seconds, user)
