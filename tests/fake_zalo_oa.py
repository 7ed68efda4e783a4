"""A fake Zalo OAuth v4 server on 127.0.0.1, with Zalo's rules: each refresh token
works once and answers a new pair; errors come as HTTP 200 with a negative code."""

from __future__ import annotations

import itertools

from aiohttp import web

from tests.local_server import LocalServer

APP_ID, APP_SECRET = "1234567890", "app-secret"


class FakeZaloOAuth(LocalServer):
    def __init__(self) -> None:
        self.live = {"rt-0"}  # refresh tokens that still work (the first one an admin got)
        self.spent: set[str] = set()
        self.serial = itertools.count(1)
        self.refreshes = 0
        self.drop_next = False  # take the refresh, then drop the connection
        self.expires_in = "90000"

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v4/oa/access_token", self.token)
        await self.serve(app)
        return f"http://127.0.0.1:{self.port}"

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if request.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
            return web.json_response({"error": -14003, "error_description": "bad app"})
        old = str(form.get("refresh_token", ""))
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
        return web.json_response({"access_token": f"at-{n}", "refresh_token": f"rt-{n}",
                                  "expires_in": self.expires_in})
