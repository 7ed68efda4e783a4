"""`laocai-bot`: run the bot, chat in a terminal, ask the FAQ, check the knowledge base.

The global option --config PATH goes before the command (it is accepted after it too).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.catalogue import text as catalogue_text
from bot.config import Config, ConfigError, load_config, parse_duration
from bot.storage.database import DatabaseError
from bot.time import SystemClock, local_today

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app import App

log = logging.getLogger("laocai_bot")


def _split_config(argv: list[str]) -> tuple[str | None, list[str]]:
    """Take --config PATH / --config=PATH from anywhere in argv."""
    path, rest, i = None, [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--config" and i + 1 < len(argv):
            path, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--config="):
            path = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    return path, rest


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="laocai-bot",
        description="Lào Cai digital outreach bot. Global option: --config PATH "
        "(or $LAOCAI_BOT_CONFIG).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the web chat, configured chat platforms and a worker")
    run.add_argument("--no-worker", action="store_true",
                     help="receive only (behind a load balancer); `laocai-bot worker` processes "
                          "answer what is stored")
    sub.add_parser("worker", aliases=["deliver"],
                   help="answer stored updates and deliver, receiving nothing (add any number "
                        "next to `run` on PostgreSQL)")
    sub.add_parser("status", help="what waits: inbox lag, outbox backlog per channel")
    chat = sub.add_parser("chat", help="chat with the bot in this terminal")
    chat.add_argument("--user", default="local", help="terminal user id (default: local)")
    ask = sub.add_parser("ask", help="ask the FAQ matcher a question")
    ask.add_argument("question", nargs="?", help="the question (or use --stdin)")
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.add_argument("--lang", choices=("vi", "en"), help="answer language (default: detected)")
    ask.add_argument("--stdin", action="store_true", help="one question per line on stdin")
    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kb_sub.add_parser("check", help="validate the knowledge files")
    export = kb_sub.add_parser("export", help="write the live knowledge (with console edits) "
                               "back into the YAML files")
    export.add_argument("--to", help="write into this folder instead of the knowledge folder")
    unanswered = kb_sub.add_parser("unanswered", help="most frequent unanswered questions")
    unanswered.add_argument("--since", default="7d", help="how far back, e.g. 7d, 24h")
    feedback = kb_sub.add_parser("feedback", help="answers rated helpful / not helpful, per topic")
    feedback.add_argument("--since", default="30d", help="how far back, e.g. 30d, 24h")
    qr = sub.add_parser("qr", help="a poster: QR code of the bot's deep link with a caption")
    target = qr.add_mutually_exclusive_group(required=True)
    target.add_argument("--commune", help="commune/ward code, e.g. 02671")
    target.add_argument("--session", help="training session id")
    target.add_argument("--event", help="event id")
    qr.add_argument("--channel", choices=("telegram",), default="telegram")
    qr.add_argument("-o", "--output", required=True, help="PNG file to write")
    from bot.training.cli import add_parser as add_training_parser

    add_training_parser(sub)
    from bot.broadcast.cli import add_parsers as add_staff_parsers

    add_staff_parsers(sub)
    from bot.zalo_oa.cli import add_parser as add_zalo_oa_parser

    add_zalo_oa_parser(sub)
    db = sub.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply database migrations")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    config_path, rest = _split_config(list(sys.argv[1:] if argv is None else argv))
    args = _parser().parse_args(rest)
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    configure_logging(config.log_level)
    from knowledge.kb import KnowledgeError

    try:
        if args.command == "run":
            return _run_loop(_run(config, work=not args.no_worker))
        if args.command in ("worker", "deliver"):
            return _run_loop(_run(config, receive=False))
        if args.command == "status":
            return asyncio.run(_status(config))
        if args.command == "chat":
            return asyncio.run(_chat(config, args.user))
        if args.command == "ask":
            return _ask(config, args)
        if args.command == "kb" and args.kb_command == "check":
            from bot.faq.check import check

            return check(config)
        if args.command == "kb" and args.kb_command == "export":
            return asyncio.run(_kb_export(config, args.to))
        if args.command == "kb" and args.kb_command == "unanswered":
            return asyncio.run(_kb_report(config, args.since, _print_unanswered))
        if args.command == "kb" and args.kb_command == "feedback":
            return asyncio.run(_kb_report(config, args.since, _print_feedback))
        if args.command == "training":
            from bot.training.cli import run as training

            return asyncio.run(_with_app(config, training, args))
        if args.command in ("staff", "broadcast"):
            from bot.broadcast.cli import broadcast, staff

            command = staff if args.command == "staff" else broadcast
            return asyncio.run(_with_app(config, command, args))
        if args.command == "zalo-oa":
            from bot.zalo_oa.cli import authorize

            return asyncio.run(_with_app(config, authorize, args))
        if args.command == "qr":
            return asyncio.run(_qr(config, args))
        if args.command == "db":
            return asyncio.run(_db_upgrade(config))
    except KnowledgeError as exc:
        print("knowledge error: the bot cannot start until these are fixed:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        print(f"database error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 2


def configure_logging(level: str | int) -> None:
    """The bot's own lines at LEVEL; libraries that would log secrets kept at WARNING."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # HTTP clients log request URLs, and chat-platform URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # Database drivers log statement parameters at DEBUG: people's messages.
    for name in ("aiosqlite", "asyncpg", "sqlalchemy.engine"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from bot.channels.web import quiet_malformed_requests

    quiet_malformed_requests()  # a malformed request: one line, not its bytes


def settle_heap() -> None:
    """Exempt what startup built (modules, knowledge index) from garbage collection.

    Otherwise every full collection walks that whole heap again while messages wait.
    """
    gc.collect()
    gc.freeze()


def _run_loop(main: Coroutine[Any, Any, int]) -> int:
    """uvloop where available: a faster event loop for the long-running bot."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.run(main)
    return uvloop.run(main)


async def _run(config: Config, receive: bool = True, work: bool = True) -> int:
    """`run` (receivers, web, one worker) or, with RECEIVE false, `worker` (answers what
    the receivers stored and delivers; no receiver)."""
    from bot.app import build
    from bot.channels.web import start_web

    started = time.perf_counter()
    app = await build(config)
    runner = None
    if receive:
        runner = await start_web(app, config.web_host, config.web_port)
        log.info("channel web: chat page at http://%s:%d/", config.web_host, config.web_port)
    from bot.channels.base import start_configured
    from bot.inbox.worker import workers_for

    channels = await start_configured(app, config, receive)
    workers = workers_for(app, channels)
    if work:
        workers.start()
    from bot.broadcast.store import monitor
    from bot.reminders.scheduler import scheduler

    background = [asyncio.create_task(monitor(app.services.sessions, app.services.clock))]
    if app.watcher is not None:  # knowledge decisions made in the console, on every process
        background.append(asyncio.create_task(app.watcher.run()))
    if receive:
        background.append(asyncio.create_task(scheduler(app.services)))
    settle_heap()
    log.info("ready in %.2f s", time.perf_counter() - started)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")
    for task in background:
        task.cancel()
    await asyncio.gather(*background, return_exceptions=True)
    # The worker finishes the turns in hand; what the receivers store after that waits,
    # durable, in the inbox for the next start (or another worker).
    await workers.stop()
    for channel in channels:
        await channel.stop()
    if runner is not None:
        await runner.cleanup()
    await app.close()
    return 0


async def _status(config: Config) -> int:
    from sqlalchemy.exc import DBAPIError

    from bot.app import build

    app = await build(config, upgrade=False)
    try:
        status = await app.status()
    except DBAPIError as exc:
        if "no such table" not in str(exc) and "does not exist" not in str(exc):
            raise
        print("status: the database has no tables yet: start the bot once, or run "
              "`laocai-bot db upgrade`", file=sys.stderr)
        return 1
    finally:
        await app.close()
    inbox, outbox = status["inbox"], status["outbox"]
    assert isinstance(inbox, dict) and isinstance(outbox, dict)
    print(f"inbox: {sum(inbox['pending'].values())} pending "
          f"({_per_channel(inbox['pending'])}), oldest waiting {inbox['lag_seconds']} s; "
          f"{inbox['failed']} unreadable, {inbox['parked']} parked")
    print(f"outbox: {sum(outbox['due'].values())} due ({_per_channel(outbox['due'])}), "
          f"oldest waiting {outbox['oldest_due_seconds']} s")
    workers = status["workers"]
    assert isinstance(workers, list)
    for name, token in status["tokens"].items():  # type: ignore[union-attr]
        if token["working"]:
            print(f"{name}: authorised; {token['detail']}")
        else:
            since = f" since {token['since']} UTC" if token["since"] else ""
            print(f"{name}: SENDING STOPPED{since}: {token['detail']}; an OA admin must run "
                  "`laocai-bot zalo-oa authorize`")
    print(f"workers seen in the last minute: {len(workers)}")
    for worker in workers:
        print(f"  {worker['id']} on {worker['host']} (pid {worker['pid']}), "
              f"{worker['seen_seconds_ago']} s ago")
    return 0


def _per_channel(counts: dict[str, int]) -> str:
    return ", ".join(f"{channel} {n}" for channel, n in sorted(counts.items())) or "none"


async def _chat(config: Config, user: str) -> int:
    from bot.app import build
    from bot.channels.terminal import chat

    logging.getLogger().setLevel(logging.WARNING)
    app = await build(config)
    try:
        await chat(app, user)
    finally:
        await app.close()
    return 0


def _ask(config: Config, args: argparse.Namespace) -> int:
    """The knowledge the workers answer with (console edits included); on a fresh checkout
    without a database, the files alone."""
    from bot.faq.live import read_live
    from knowledge.matcher import ANSWER, SUGGEST

    kb = asyncio.run(read_live(config))
    today = local_today(SystemClock(), config.tz)
    if args.stdin:
        questions = [line.rstrip("\n") for line in sys.stdin]
    elif args.question is not None:
        questions = [args.question]
    else:
        print("ask: give a question, or --stdin", file=sys.stderr)
        return 2
    for question in questions:
        match = kb.matcher.match(question)
        lang = args.lang or kb.detect_language(question)
        if match.outcome == ANSWER and match.topic:
            answer = kb.topics[match.topic].answer_for(lang, today)
        elif match.outcome == SUGGEST:
            answer = catalogue_text(lang, "faq_suggest") + "\n" + "\n".join(
                f"- {kb.topics[t].questions[lang][0]}" for t in match.suggestions
            )
        else:
            answer = catalogue_text(lang, "faq_fallback")
        record = {
            "q": question,
            "outcome": match.outcome,
            "topic": match.topic if match.outcome == ANSWER else None,
            "score": round(match.score, 4),
            "suggestions": match.suggestions if match.outcome == SUGGEST else [],
            "answer": answer,
        }
        if args.json:
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            print(f"[{record['outcome']} {record['topic'] or ''} {record['score']}]\n{answer}\n")
    return 0


async def _kb_export(config: Config, to: str | None) -> int:
    from bot.faq.live import read_live
    from knowledge.export import export

    kb = await read_live(config)
    folder = config.knowledge_path
    written = await asyncio.to_thread(export, folder, kb, Path(to) if to else folder)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print("nothing to export: the files hold the live knowledge")
    return 0


async def _kb_report(config: Config, since: str,
                     report: Callable[[AsyncSession, datetime, str], Awaitable[None]]) -> int:
    """Run REPORT over the question log of the last SINCE (e.g. 7d)."""
    from bot.storage import migrate
    from bot.storage.database import create_engine, session_factory
    from bot.storage.models import utcnow

    try:
        window: timedelta = parse_duration(since)
    except ValueError as exc:
        print(f"kb: --since: {exc}", file=sys.stderr)
        return 2
    engine = create_engine(config.database_url)
    await migrate.upgrade(engine)
    try:
        async with session_factory(engine)() as session:
            await report(session, utcnow() - window, since)
    finally:
        await engine.dispose()
    return 0


async def _print_unanswered(session: AsyncSession, start: datetime, since: str) -> None:
    from sqlalchemy import func, select

    from bot.faq.followups import choices_since
    from bot.storage.models import QuestionLog

    rows = (
        await session.execute(
            select(QuestionLog.normalised, func.count().label("n"))
            .where(QuestionLog.outcome.in_(("fallback", "suggest")))
            .where(QuestionLog.created_at >= start)
            .group_by(QuestionLog.normalised)
            .order_by(func.count().desc(), QuestionLog.normalised)
            .limit(50)
        )
    ).all()
    if not rows:
        print(f"No unanswered questions in the last {since}.")
    for normalised, count in rows:
        print(f"{count:5d}  {normalised}")
    choices = await choices_since(session, start)
    if choices:
        print("\nSuggestions people picked (asked → chose; confirm as new variants):")
    for normalised, topic, count in choices:
        print(f"{count:5d}  {normalised}  →  {topic}")


async def _print_feedback(session: AsyncSession, start: datetime, since: str) -> None:
    from bot.faq.followups import feedback_since

    rows = await feedback_since(session, start)
    if not rows:
        print(f"No answers rated in the last {since}.")
    for row in rows:
        print(f"{row.topic:<32} helpful {row.helpful:4d}  not helpful {row.unhelpful:4d}")
        for question in row.unhelpful_questions[:10]:
            print(f"      👎 {question}")


async def _with_app(config: Config, command: Callable[[App, argparse.Namespace],
                                                      Awaitable[int]],
                    args: argparse.Namespace) -> int:
    """A one-off command (training, staff, broadcast, zalo-oa) over the built app,
    closed however it ends."""
    from bot.app import build

    app = await build(config)
    try:
        return await command(app, args)
    finally:
        await app.close()


async def _qr(config: Config, args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.core.deeplinks import DeepLink
    from bot.posters import deep_link, make_poster

    if args.commune:
        from bot.app import load_knowledge

        _, communes = load_knowledge(config)
        commune = communes.get(args.commune)
        if commune is None:
            print(f"qr: --commune: no commune or ward with code {args.commune}", file=sys.stderr)
            return 2
        payload, caption = DeepLink.COMMUNE.link(commune.code), commune.name
    elif args.session:
        payload, caption = DeepLink.TRAINING.link(args.session), args.session
    else:
        payload, caption = DeepLink.EVENT.link(args.event), args.event
    if len(payload) > 64:
        print("qr: the id is too long for a Telegram deep link (64 characters)", file=sys.stderr)
        return 2
    if not config.telegram.token:
        print("qr: needs telegram.token (or TELEGRAM_BOT_TOKEN) to read the bot's username",
              file=sys.stderr)
        return 2
    from bot.channels.telegram import bot_username

    link = deep_link(await bot_username(config.telegram), payload)
    make_poster(link, caption, Path(args.output))
    print(f"{args.output}: {link}")
    return 0


async def _db_upgrade(config: Config) -> int:
    from bot.storage import migrate
    from bot.storage.database import create_engine

    engine = create_engine(config.database_url)
    await migrate.upgrade(engine)
    await engine.dispose()
    print("database is at the newest revision")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

