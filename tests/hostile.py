"""Hostile and broken inputs against the web chat, shared by the tests and bench/hostile_inputs.py.

Each case sends what an attacker, a broken client or a clumsy person would, and
says what a good answer is. A bystander asks questions and books a seat before
and during the run; afterwards nothing of theirs may be missing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.app import App
from bot.storage.models import QuestionLog, Registration, TrainingSession, User

SESSION_ID = "hostile-" + "x" * 32  # the longest id staff may give (40 characters)
SIGNUP_TITLE = "Lớp kiểm thử đầu vào"


@dataclass
class Outcome:
    status: int
    reply: str = ""
    ok: bool = False
    why: str = ""


@dataclass
class Case:
    name: str
    run: Callable[[TestClient], Awaitable[Outcome]]


_TOKENS: dict[tuple[int, str], str] = {}


async def token_of(client: TestClient, name: str) -> str:
    """The web chat identity of the person called NAME (asked for once per client)."""
    key = (id(client), name)
    if key not in _TOKENS:
        response = await client.post("/api/session", json={})
        _TOKENS[key] = (await response.json())["token"]
    return _TOKENS[key]


async def _read(response: ClientResponse) -> tuple[int, object, str]:
    raw = await response.read()
    try:
        return response.status, json.loads(raw), raw.decode("utf-8", "replace")
    except ValueError:
        return response.status, None, raw.decode("utf-8", "replace")


def _reply_text(body: object) -> str:
    if isinstance(body, dict) and "replies" in body:
        return " / ".join(r["text"] for r in body["replies"])[:160]
    if isinstance(body, dict) and "error" in body:
        return f"error: {body['error']}"
    return repr(body)[:160]


async def post(client: TestClient, body: bytes | str | dict, *,
               content_type: str = "application/json") -> tuple[int, object, str]:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    response = await client.post("/api/message", data=data,
                                 headers={"Content-Type": content_type})
    return await _read(response)


async def say(client: TestClient, who: str, **fields: object) -> tuple[int, object, str]:
    return await post(client, {"token": await token_of(client, who), **fields})


def _options(body: object) -> list[dict]:
    if not isinstance(body, dict):
        return []
    return [o for r in body.get("replies", []) for o in r["options"]]


def _judge(status: int, body: object, raw: str, want: int, must: str = "",
           must_not: tuple[str, ...] = ()) -> Outcome:
    reply = _reply_text(body)
    problems = []
    if status != want:
        problems.append(f"status {status}, want {want}")
    if body is None:
        problems.append("not JSON")
    if "Traceback" in raw or "Internal Server Error" in raw:
        problems.append("traceback or bare 500")
    if must and must not in raw:
        problems.append(f"missing {must!r}")
    problems += [f"contains {bad!r}" for bad in must_not if bad in raw]
    return Outcome(status, reply, not problems, "; ".join(problems))


def text_case(name: str, text: str, must: str = "", must_not: tuple[str, ...] = ()) -> Case:
    async def run(client: TestClient) -> Outcome:
        status, body, raw = await say(client, name, text=text)
        return _judge(status, body, raw, 200, must, must_not)

    return Case(name, run)


def raw_case(name: str, body: bytes | str | dict, want: int,
             content_type: str = "application/json") -> Case:
    """BODY as sent; "TOKEN" in it stands for a real identity's token."""
    async def run(client: TestClient) -> Outcome:
        token = await token_of(client, name)
        sent: bytes | str | dict
        if isinstance(body, dict):
            sent = {k: token if v == "TOKEN" else v for k, v in body.items()}
        elif isinstance(body, bytes):
            sent = body.replace(b"TOKEN", token.encode())
        else:
            sent = body.replace("TOKEN", token)
        status, parsed, raw = await post(client, sent, content_type=content_type)
        return _judge(status, parsed, raw, want)

    return Case(name, run)


def _deep(n: int) -> bytes:
    return b'{"token": "TOKEN", "text": ' + b"[" * n + b"]" * n + b"}"


async def _signup_until(client: TestClient, who: str, step: str) -> object:
    """Walk WHO through the sign-up up to STEP ('name' or 'phone'); the last reply."""
    _, body, _ = await say(client, who, text="/dangky")
    chosen = next(o for o in _options(body) if SIGNUP_TITLE in o["label"])
    _, body, _ = await say(client, who, payload=chosen["payload"])
    agree = next(o for o in _options(body) if "Đồng ý" in o["label"])
    _, body, _ = await say(client, who, payload=agree["payload"])
    if step == "phone":
        _, body, _ = await say(client, who, text="Nguyễn Văn An")
    return body


def signup_case(name: str, step: str, value: str | None = None, payload: str | None = None,
                must: str = "") -> Case:
    async def run(client: TestClient) -> Outcome:
        body = await _signup_until(client, name, step)
        if payload is not None:
            nonce = next(o["payload"] for o in _options(body)).split(":")[1]
            status, parsed, raw = await say(client, name, payload=payload.format(nonce=nonce))
        else:
            status, parsed, raw = await say(client, name, text=value)
        return _judge(status, parsed, raw, 200, must)

    return Case(name, run)


def cases() -> list[Case]:
    long_question = ("Tôi kể chuyện bản tôi. " * 260) + "Cho hỏi nghị quyết 57 là gì?"
    return [
        text_case("NUL byte in text", "id.vn\x00 là gì", must="cá nhân"),
        raw_case("lone surrogate in JSON", b'{"token": "TOKEN", "text": "a\\ud800b"}',
                 200),
        text_case("lone surrogate echoed at a prompt", "/start \ud800"),
        text_case("bidi override characters", "\u202eid.vn là gì\u202c", must="cá nhân",
                  must_not=("\u202e",)),
        text_case("ANSI escape and control characters", "\x1b[31m id.vn\x07 là gì\x08",
                  must="cá nhân", must_not=("\x1b", "\x07")),
        text_case("zero-width characters between letters", "i\u200bd\u200c.vn là g\u2060ì"),
        raw_case("5,000-digit number", b'{"token": "TOKEN", "text": "a", "x": '
                 + b"9" * 5000 + b"}", 400),
        raw_case("huge float", b'{"token": "TOKEN", "x": 1' + b"0" * 400 + b".5}", 400),
        raw_case("NaN and Infinity constants", b'{"token": "TOKEN", "x": NaN}', 400),
        raw_case("JSON nested 20,000 deep", _deep(20000), 400),
        raw_case("unknown charset", b'{"token": "TOKEN", "text": "a"}', 415,
                 "application/json; charset=klingon"),
        raw_case("Latin-1 bytes", '{"token": "TOKEN", "text": "đ"}'.encode("utf-16"),
                 400),
        raw_case("text/plain cross-site form", b'{"token": "TOKEN", "text": "a"}', 415,
                 "text/plain"),
        raw_case("urlencoded form", b"token=TOKEN&text=a", 415,
                 "application/x-www-form-urlencoded"),
        raw_case("empty body", b"", 400),
        raw_case("JSON null", b"null", 400),
        raw_case("JSON array", b"[1, 2, 3]", 400),
        raw_case("missing token", {"text": "xin chào"}, 401),
        raw_case("token the server never issued", {"token": "w1_" + "A" * 22, "text": "a"}, 401),
        raw_case("old self-chosen id as a token", {"token": "browser-0001", "text": "a"}, 401),
        raw_case("token with markup", {"token": "<script>x</script>", "text": "a"}, 401),
        raw_case("text is a number", {"token": "TOKEN", "text": 5}, 400),
        raw_case("text is an object", {"token": "TOKEN", "text": {"a": 1}}, 400),
        raw_case("payload over 64 characters", {"token": "TOKEN", "payload": "m" * 65},
                 400),
        raw_case("body over 64 KB", {"token": "TOKEN", "text": "a" * 70000}, 413),
        raw_case("duplicate keys", b'{"token": "TOKEN", "text": "a", "text": "b"}', 200),
        Case("forged payloads of every kind", _forged_payloads),
        text_case("5,000 characters, question at the end", long_question, must="22/12/2024"),
        text_case("only emoji", "😀😀😀🙏"),
        text_case("only spaces and newlines", " \n\n \t "),
        text_case("script tag", "<script>alert(1)</script>", must_not=("<script>",)),
        text_case("SQL injection", "'; DROP TABLE users; --"),
        text_case("Arabic and Chinese", "مرحبا 你好 id.vn"),
        text_case("ALL CAPS question", "ĐĂNG KÝ ID.VN CÓ MẤT PHÍ KHÔNG", must="31/12/2025"),
        text_case("repeated letters", "id.vn có miễn phí khônggggg", must="31/12/2025"),
        text_case("numbers written as words", "em mười chín tuổi đăng ký id.vn có mất tiền không",
                  must="31/12/2025"),
        text_case("mixed Vietnamese and English", "cho em hỏi how to register id.vn ạ"),
        text_case("only a greeting", "alo alo", must="Xin chào"),
        text_case("only thanks", "cảm ơn nhiều nha"),
        signup_case("formula typed as a name", "name", value='=HYPERLINK("http://x","Bấm")',
                    must="chỉ gồm chữ cái"),
        signup_case("landline instead of a mobile", "phone", value="024 3825 1234",
                    must="số máy bàn"),
        signup_case("foreign phone number", "phone", value="+1 415 555 2671",
                    must="di động Việt Nam"),
        signup_case("forged choice value x99", "name", payload="d:{nonce}:x99",
                    must="không có trong danh sách"),
        signup_case("forged choice value x-1", "name", payload="d:{nonce}:x-1",
                    must="không có trong danh sách"),
        signup_case("forged session id", "name", payload="d:{nonce}:s999",
                    must="không có trong danh sách"),
        get_case("unknown route", "/api/nothing", 404),
        get_case("wrong method", "/api/message", 405),
        raw_case("message id with markup", {"token": "x", "id": "<b>", "text": "a"}, 400),
        get_case("inbox read with GET", "/api/inbox?client_id=%00%ff", 405),
        Case("chat page security headers", _page_headers),
    ]


async def _forged_payloads(client: TestClient) -> Outcome:
    replies = []
    for payload in ("m:nothing", "f:no.such.topic", "d:abcdef:x", "s:zz:domain.idvn.free",
                    "v:00aa11bb:maybe:domain.idvn.free", ":::", "d:"):
        status, body, raw = await say(client, "forged", payload=payload)
        outcome = _judge(status, body, raw, 200, "không còn hiệu lực")
        if not outcome.ok:
            return Outcome(status, outcome.reply, False, f"{payload}: {outcome.why}")
        replies.append(outcome.reply)
    return Outcome(200, replies[0], True)


def get_case(name: str, path: str, want: int) -> Case:
    async def run(client: TestClient) -> Outcome:
        status, body, raw = await _read(await client.get(path))
        return _judge(status, body, raw, want)

    return Case(name, run)


async def _page_headers(client: TestClient) -> Outcome:
    response = await client.get("/")
    policy = response.headers.get("Content-Security-Policy", "")
    sniff = response.headers.get("X-Content-Type-Options", "")
    ok = response.status == 200 and "default-src 'none'" in policy and sniff == "nosniff"
    return Outcome(response.status, f"CSP {policy[:40]}…, nosniff={sniff}", ok,
                   "" if ok else "missing headers")


async def add_signup_session(app: App) -> None:
    now = app.services.clock.now().replace(tzinfo=None)
    async with app.services.sessions() as session, session.begin():
        session.add(TrainingSession(
            id=SESSION_ID, title_vi=SIGNUP_TITLE, title_en="Input test class", audience="all",
            description_vi="", description_en="", starts_at=now + timedelta(days=9),
            ends_at=now + timedelta(days=9, hours=2), deadline=None, place="Hội trường",
            capacity=500, seats_taken=0, extra_fields=[], status="open", source="cli",
            updated_at=now))


BYSTANDER_QUESTIONS = ("id.vn là gì", "biz.vn có miễn phí không", "ngày chuyển đổi số")


async def bystander_before(client: TestClient) -> None:
    """Someone else asks questions and books a seat while the attack goes on."""
    for question in BYSTANDER_QUESTIONS:
        await say(client, "bystander", text=question)
    _, body, _ = await say(client, "bystander", text="/dangky")
    chosen = next(o for o in _options(body) if SIGNUP_TITLE in o["label"])
    _, body, _ = await say(client, "bystander", payload=chosen["payload"])
    _, body, _ = await say(client, "bystander", payload=next(
        o["payload"] for o in _options(body) if "Đồng ý" in o["label"]))
    await say(client, "bystander", text="Trần Thị Bình")
    _, body, _ = await say(client, "bystander", text="0987654321")
    await say(client, "bystander", payload=next(
        o["payload"] for o in _options(body) if "Xác nhận" in o["label"]))


async def bystander_lost(app: App) -> list[str]:
    """What of the bystander's is missing after the run (empty: nothing)."""
    await app.services.question_log.flush()
    async with app.services.sessions() as session:
        user_id = await session.scalar(select(User.id).where(
            User.channel_user_id.in_([t for (_, who), t in _TOKENS.items()
                                      if who == "bystander"])))
        asked = await session.scalar(select(func.count()).select_from(QuestionLog)
                                     .where(QuestionLog.user_id == user_id))
        booked = await session.scalar(select(func.count()).select_from(Registration).where(
            Registration.user_id == user_id, Registration.status == "confirmed"))
    lost = []
    if asked != len(BYSTANDER_QUESTIONS):
        lost.append(f"questions logged {asked} of {len(BYSTANDER_QUESTIONS)}")
    if booked != 1:
        lost.append("registration")
    return lost


async def run_all(client: TestClient, app: App) -> list[tuple[Case, Outcome]]:
    _TOKENS.clear()  # a run's people are its own
    await add_signup_session(app)
    await bystander_before(client)
    results = []
    for case in cases():
        try:
            outcome = await case.run(client)
        except Exception as exc:  # a case that cannot even run is a failure, not a crash
            outcome = Outcome(0, "", False, f"{type(exc).__name__}: {exc}")
        results.append((case, outcome))
    return results
