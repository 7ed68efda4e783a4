"""Zalo Official Account channel, on the OA Open API v3 (webhook in, `message/cs` out).

Translation only, like the other channels; what is particular to the OA:
- the webhook is signed (`X-ZEvent-Signature`: "mac=" + SHA-256 of app id + raw body +
  timestamp + OA secret key), so anything unsigned is refused before it is read;
- an answer quotes the person's message (`recipient.message_id`): that is what Zalo
  counts as a free reply; what the bot starts goes by `user_id` and meets Zalo's
  windows, which become neutral outcomes (`UNREACHABLE`, a pause until morning);
- the access token rotates (bot/zalo_oa/tokens.py); an expired one is refreshed once
  and the call retried. A refused refresh stops this channel's sending only: events
  are still stored, and go out once an admin authorises again.
Numbered menus and splitting are the Zalo Bot Platform's (bot/channels/zalo.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import App
from bot.channels.base import PlatformChannel, serve_webhook
from bot.channels.zalo import pieces, without_menu
from bot.config import ZaloOAConfig
from bot.core.messages import Incoming, Reply
from bot.delivery.outcome import SENT, Outcome, Result, in_turn
from bot.inbox.store import Received
from bot.time import VIETNAM
from bot.zalo_oa.oauth import OAuthClient
from bot.zalo_oa.tokens import CredentialsRejected, NoToken, RefreshRefused, TokenStore

log = logging.getLogger(__name__)
CHANNEL = "zalo_oa"
SEND_PATH = "/v3.0/oa/message/cs"
SIGNATURE_HEADER = "X-ZEvent-Signature"
REPLY_ATTEMPTS = 4
FIRST_BACKOFF = 1.0
TIMEOUT = aiohttp.ClientTimeout(total=15)
# An event older than this is a replay (Zalo re-sends within minutes); newer ones that
# arrive twice are caught by their msg_id in the inbox.
REPLAY_WINDOW = timedelta(hours=6)
CLOCK_SKEW = timedelta(minutes=5)
LATE_UNFOLLOW = timedelta(minutes=10)
REFUSED_PAUSE = 600.0  # seconds between looks at a token an admin must renew

# Zalo's error codes (HTTP 200, a negative "error"), by what the bot does about them.
TOKEN_EXPIRED = frozenset({-216, -220})  # refresh once, call again
FRESH_TOKEN_REFUSED = 1  # ours: still -216 with a token just refreshed
OUT_OF_WINDOW = frozenset({-230, -232})  # no interaction in 7 days: until they write
NIGHT = -234  # nothing delivered 22:00–06:00
MORNING_HOUR = 6
SLOW_DOWN = {-32: 60.0, -211: 3600.0}  # rate limit, out of quota: seconds to wait
GONE = frozenset({-213, -227})  # not following any more, banned or inactive
TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"?(\d{1,16})"?')
MAX_EVENT = 1024 * 1024
IGNORED_EVENTS = frozenset({"user_received_message", "user_seen_message", "user_submit_info"})


class OAError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code, self.message = code, message


def until_morning(now: datetime) -> float:
    """Seconds from NOW to the next 06:00 in Vietnam."""
    local = now.astimezone(VIETNAM)
    morning = local.replace(hour=MORNING_HOUR, minute=0, second=0, microsecond=0)
    if morning <= local:
        morning += timedelta(days=1)
    return (morning - local).total_seconds()


def classify(exc: OAError, now: datetime) -> Outcome:
    """One send's error, read the same way for answers and for what the bot starts."""
    if exc.code == FRESH_TOKEN_REFUSED:
        return Outcome(Result.PAUSE, retry_after=REFUSED_PAUSE, error=str(exc)[:200])
    if exc.code in OUT_OF_WINDOW:
        return Outcome(Result.UNREACHABLE, error=str(exc)[:200])
    if exc.code == NIGHT:
        return Outcome(Result.PAUSE, retry_after=until_morning(now))
    if exc.code in SLOW_DOWN:
        return Outcome(Result.PAUSE, retry_after=SLOW_DOWN[exc.code])
    if exc.code in GONE:
        return Outcome(Result.BLOCKED)
    if exc.code < 0:  # -201 bad parameters, -244 refused this kind, other refusals
        return Outcome(Result.INVALID, error=str(exc)[:200])
    return Outcome(Result.RETRY, error=str(exc)[:200])  # network, 5xx, not JSON


def signature(app_id: str, body: bytes, timestamp: str, key: str) -> str:
    """What Zalo puts in X-ZEvent-Signature: plain SHA-256 over the concatenation."""
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + key.encode())
    return "mac=" + digest.hexdigest()


class OAApi:
    """`POST {api}/v3.0/oa/message/cs` with the `access_token` header; an expired token
    is refreshed once and the call made again."""

    def __init__(self, base_url: str, tokens: TokenStore, http: aiohttp.ClientSession) -> None:
        self.url = base_url.rstrip("/") + SEND_PATH
        self.tokens, self.http = tokens, http

    async def send(self, recipient: dict[str, str], text: str) -> None:
        body = {"recipient": recipient, "message": {"text": text}}
        token = await self.tokens.access_token()
        code, message = await self._post(token, body)
        if code in TOKEN_EXPIRED:
            token = await self.tokens.refresh(spent=token)
            code, message = await self._post(token, body)
            if code in TOKEN_EXPIRED:  # a token Zalo itself just issued: not ours to fix
                raise OAError(FRESH_TOKEN_REFUSED, message)
        if code != 0:
            raise OAError(code, message)

    async def _post(self, token: str, body: dict[str, Any]) -> tuple[int, str]:
        try:
            async with self.http.post(self.url, json=body, headers={"access_token": token},
                                      timeout=TIMEOUT) as response:
                answer: Any = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise OAError(0, f"network: {type(exc).__name__}") from None
        except ValueError:
            raise OAError(response.status, "an answer that is not JSON") from None
        if not isinstance(answer, dict) or "error" not in answer or response.status >= 300:
            raise OAError(response.status, "unexpected answer")  # a wrong api_base_url too
        try:
            return int(answer["error"]), str(answer.get("message", ""))[:200]
        except (TypeError, ValueError):
            raise OAError(response.status, "unexpected error code") from None


def _id(value: Any) -> str:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _number(value: str) -> bool:
    """Zalo's ids: ASCII digits, at most 32 of them."""
    return value.isascii() and value.isdigit() and len(value) <= 32


def event_time(body: dict[str, Any]) -> datetime | None:
    """The event's `timestamp` (epoch milliseconds, a string or a number)."""
    try:
        return datetime.fromtimestamp(int(str(body.get("timestamp"))) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


class ZaloOAChannel(PlatformChannel):
    """The Channel protocol (bot/channels/base.py) on one Zalo Official Account."""

    name = CHANNEL
    config: ZaloOAConfig

    def __init__(self, app: App, config: ZaloOAConfig) -> None:
        super().__init__(app, config)
        oauth = OAuthClient(config.oauth_base_url, config.app_id or "", config.app_secret or "")
        self.tokens = TokenStore(app.services, oauth.refresh, config.refresh_token)
        self.api: OAApi | None = None
        self.told_refused: str | None = None  # the kind of problem last logged

    # -- lifecycle --------------------------------------------------------------

    async def start(self, receive: bool = True) -> bool:
        """Started even without a usable token: events are stored meanwhile, and sending
        begins once an admin authorises (no restart). Nothing here may stop the bot's
        other channels from starting."""
        try:
            await self.tokens.access_token()
        except (NoToken, RefreshRefused, CredentialsRejected) as exc:
            self._refused(exc)
        except Exception as exc:
            log.warning("channel zalo_oa: no token from Zalo's OAuth server yet (%s); it is "
                        "asked again when a message goes out", type(exc).__name__)
        self.http = aiohttp.ClientSession()
        self.api = OAApi(self.config.api_base_url, self.tokens, self.http)
        if receive:
            hook = self.config.webhook
            self.runner = await serve_webhook(hook, self._on_webhook)
            log.info("channel zalo_oa: OA %s, webhook on %s:%d%s", self.config.oa_id,
                     hook.listen, hook.port, hook.path)
        else:
            log.info("channel zalo_oa: OA %s, sending only", self.config.oa_id)
        return True

    def _refused(self, exc: Exception) -> None:
        """One clear line per process (again after sending worked in between); `laocai-bot
        status` repeats it from the database."""
        if self.told_refused == type(exc).__name__:
            return
        self.told_refused = type(exc).__name__
        if isinstance(exc, CredentialsRejected):
            log.error("channel zalo_oa: %s; sending paused: check zalo_oa.app_id and "
                      "ZALO_OA_APP_SECRET, or authorise again if that is right", exc)
            return
        hint = (" (ZALO_OA_REFRESH_TOKEN is read only into an empty table)"
                if self.config.refresh_token else "")
        log.error("channel zalo_oa: no usable refresh token (%s); sending stopped until an "
                  "OA admin runs `laocai-bot zalo-oa authorize`%s", exc, hint)

    # -- events in --------------------------------------------------------------

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Checked, then stored before the 200 (Zalo re-sends what was not acknowledged);
        the turn itself runs afterwards in the inbox worker."""
        raw = await request.read()
        if not self._signed(raw, request.headers.get(SIGNATURE_HEADER, "")):
            log.warning("zalo_oa: a webhook call without a valid signature refused")
            return web.json_response({"error": "bad signature"}, status=403)
        try:
            body: Any = json.loads(raw)
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):  # signed by Zalo, yet unreadable: do not ask again
            log.warning("zalo_oa: a signed webhook body that is not an event ignored")
            return web.json_response({"ok": True, "ignored": "not an event"})
        ignored = self._ignored(body)
        if ignored:
            return web.json_response({"ok": True, "ignored": ignored})
        if body.get("event_name") == "unfollow":
            return await self._unfollowed(self._person(body), event_time(body))
        item = self.received(body)
        return await self.store_or_503([item] if item else [])

    def _signed(self, raw: bytes, given: str) -> bool:
        """Checked before the body is parsed: nobody unsigned gets a parser's attention.
        The signed timestamp is the body's; each candidate in the raw bytes is tried."""
        key, app_id = self.config.oa_secret_key or "", self.config.app_id or ""
        given_bytes = given.strip().lower().encode("ascii", "replace")
        stamps = dict.fromkeys(m.decode() for m in TIMESTAMP.findall(raw[:MAX_EVENT]))
        return bool(key) and any(
            hmac.compare_digest(given_bytes, signature(app_id, raw, stamp, key).encode())
            for stamp in list(stamps)[:3])

    def _ignored(self, body: dict[str, Any]) -> str:
        """Why a signed event is acknowledged and dropped: '' when it is for us."""
        event = str(body.get("event_name", ""))
        if event in IGNORED_EVENTS or event.startswith("oa_send_"):
            return "not a person's message"
        recipient = body.get("recipient")
        oa = _id(body.get("oa_id")) or (_id(recipient.get("id"))
                                        if isinstance(recipient, dict) else "")
        if self.config.oa_id and oa != self.config.oa_id:
            log.warning("zalo_oa: an event for another OA ignored")
            return "another OA"
        sent = event_time(body)
        if sent is None:
            return "no timestamp"
        if not self._in_time(sent):
            return "too old"
        if not _number(self._person(body)):
            log.warning("zalo_oa: an event whose person id is not a number ignored")
            return "bad person id"
        return ""

    def _in_time(self, sent: datetime) -> bool:
        """Within the replay window either way (a clock behind Zalo's is warned of, not
        punished: a replay inside the window is caught by its msg_id)."""
        skew = (sent - self.app.services.clock.now()).total_seconds()
        if abs(skew) > REPLAY_WINDOW.total_seconds():
            log.warning("zalo_oa: an event %d minutes %s this server's clock ignored "
                        "(a replay, or a wrong clock)", abs(skew) // 60,
                        "ahead of" if skew > 0 else "behind")
            return False
        if skew > CLOCK_SKEW.total_seconds():
            log.warning("zalo_oa: events arrive %d minutes ahead of this server's clock; "
                        "check its time (NTP)", skew // 60)
        return True

    @staticmethod
    def _person(body: dict[str, Any]) -> str:
        event = str(body.get("event_name", ""))
        holder = body.get("follower") if event in ("follow", "unfollow") else body.get("sender")
        return _id((holder or {}).get("id")) if isinstance(holder, dict) else ""

    async def _unfollowed(self, person: str, at: datetime | None) -> web.Response:
        """Nobody to answer: recorded at once, so nothing more is sent to them. Not when
        they wrote after it, or when it comes minutes late: a re-sent old unfollow must
        not silence someone who followed again (Zalo's -213 marks a real one anyway)."""
        if at is None or self.app.services.clock.now() - at > LATE_UNFOLLOW:
            log.info("zalo_oa: an unfollow more than %s old left to Zalo's -213",
                     LATE_UNFOLLOW)
            return web.json_response({"ok": True, "ignored": "late unfollow"})
        try:
            await self.app.conversation.set_blocked(CHANNEL, person, True, unless_seen_after=at)
        except Exception as exc:
            log.error("zalo_oa: unfollow not stored (%s); answering 503", type(exc).__name__)
            return web.json_response({"error": "try again"}, status=503)
        return web.json_response({"ok": True})

    def received(self, body: dict[str, Any]) -> Received | None:
        """The inbox's row for one checked event: a text, a follow (the greeting), or
        anything else a person sent (a polite "please write")."""
        event, person = str(body.get("event_name", "")), self._person(body)
        message = body.get("message") if isinstance(body.get("message"), dict) else {}
        msg_id = _id(message.get("msg_id"))[:128] or None
        if event == "follow":
            return Received(CHANNEL, person, f"follow:{person}:{body.get('timestamp')}",
                            Incoming(CHANNEL, person, person, text="/start"))
        if not event.startswith("user_send_") or msg_id is None:
            return None
        text = message.get("text")
        if event == "user_send_text" and isinstance(text, str) and text.strip():
            incoming = Incoming(CHANNEL, person, person, text=text, message_id=msg_id)
        else:  # images, stickers, files, locations, links…
            incoming = Incoming(CHANNEL, person, person, unsupported=True, message_id=msg_id)
        return Received(CHANNEL, person, msg_id, incoming)

    # -- messages out -----------------------------------------------------------

    async def reply(self, chat_id: str, reply: Reply, answering: str | None = None) -> Outcome:
        """An answer quoting the person's message (a free reply), retried here."""
        to = {"message_id": answering} if answering else {"user_id": chat_id}
        return await self._send(to, pieces(reply), REPLY_ATTEMPTS)

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        """What the bot starts (reminders, broadcasts, notifications): one attempt; the
        engine owns retries and pauses."""
        return await self._send({"user_id": chat_id}, pieces(without_menu(reply)), 1)

    async def _send(self, to: dict[str, str], texts: list[str], attempts: int) -> Outcome:
        return await in_turn(lambda text: self._attempt(to, text), texts, attempts,
                             FIRST_BACKOFF)

    async def _attempt(self, to: dict[str, str], text: str) -> Outcome:
        assert self.api is not None
        try:
            await self.api.send(to, text)
        except OAError as exc:
            if exc.code == FRESH_TOKEN_REFUSED:
                log.error("zalo_oa: Zalo refuses the access token it has just issued; "
                          "sending paused")
            elif exc.code < 0:
                log.info("zalo_oa: Zalo answered %s", exc)  # their code, never the text
            return classify(exc, self.app.services.clock.now())
        except (RefreshRefused, NoToken, CredentialsRejected) as exc:
            self._refused(exc)
            return Outcome(Result.PAUSE, retry_after=REFUSED_PAUSE)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:  # during a refresh
            return Outcome(Result.RETRY, error=f"token refresh: {type(exc).__name__}")
        if self.told_refused:
            self.told_refused = None
            log.info("channel zalo_oa: sending again")
        return SENT
