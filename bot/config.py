"""Configuration: YAML file + environment overrides, validated into dataclasses.

Operators get one clear line naming the key and the problem (never a traceback),
so a typo in a config file is fixed in seconds by a commune IT officer.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

DEFAULT_DB_URL = "sqlite+aiosqlite:///data/laocai-bot.db"
PACKAGE_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


class ConfigError(Exception):
    """A configuration problem, worded for the operator: 'key: problem'."""


@dataclass
class WebhookConfig:
    url: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    path: str = "/webhook"
    secret_token: str | None = None


@dataclass
class PlatformConfig:
    token: str | None = None
    base_url: str | None = None
    mode: str = "polling"
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    # No longer used (a warning says so): `laocai-bot worker` processes add workers.
    workers: int = 1


@dataclass
class ZaloOAConfig:
    """A Zalo Official Account through its Open API (bot/channels/zalo_oa.py)."""

    app_id: str | None = None
    app_secret: str | None = None  # the Zalo app's secret (OAuth)
    oa_secret_key: str | None = None  # the OA's webhook key (signatures), not the app's
    oa_id: str | None = None  # events for any other OA are ignored
    refresh_token: str | None = None  # only the first; rotated ones live in the database
    api_base_url: str = "https://openapi.zalo.me"
    oauth_base_url: str = "https://oauth.zaloapp.com"
    redirect_uri: str | None = None  # the callback registered in the Zalo app
    webhook: WebhookConfig = field(
        default_factory=lambda: WebhookConfig(port=8445, path="/zalo-oa/webhook"))

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self.app_secret)


@dataclass
class FloodConfig:
    max_messages: int = 20
    window_seconds: float = 10.0
    mute_seconds: float = 30.0


@dataclass
class Config:
    @property
    def public_url(self) -> str:
        """Where people and staff reach the web server: web.public_url, else local."""
        host = "127.0.0.1" if self.web_host in ("0.0.0.0", "::") else self.web_host
        return self.web_public_url or f"http://{host}:{self.web_port}"

    database_url: str = DEFAULT_DB_URL
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_public_url: str = ""  # the bot's address as people reach it; default: local
    # Portal origins allowed to frame the chat (/embed, /widget.js); nothing else may.
    embed_origins: list[str] = field(default_factory=list)
    # Per network address (many phones share one behind a carrier's NAT): new chat
    # identities and messages per minute, each also the largest burst.
    web_new_identities_per_minute: float = 10.0
    web_messages_per_minute: float = 300.0
    # The proxy in front sets X-Forwarded-For: trust its last address as the client's.
    web_behind_proxy: bool = False
    # Broadcasts scheduled inside these local hours ask the sender to confirm.
    quiet_hours: tuple[time, time] = (time(21, 0), time(7, 0))
    # Handoff: when staff answer (local, Monday to Friday), said to people who ask.
    office_hours: tuple[time, time] = (time(7, 30), time(17, 0))
    # Handoff: a question nobody touched for this long is closed (the person is told).
    ticket_close_after: timedelta = timedelta(days=7)
    knowledge_path: Path = PACKAGE_KNOWLEDGE
    timezone: str = "Asia/Ho_Chi_Minh"
    telegram: PlatformConfig = field(default_factory=PlatformConfig)
    zalo: PlatformConfig = field(default_factory=PlatformConfig)
    zalo_oa: ZaloOAConfig = field(default_factory=ZaloOAConfig)
    reminders_before: list[timedelta] = field(
        default_factory=lambda: [timedelta(days=1), timedelta(hours=1)]
    )
    delivery_rates: dict[str, float] = field(
        default_factory=lambda: {"telegram": 25.0, "zalo": 5.0, "zalo_oa": 5.0, "web": 0.0}
    )
    flood: FloodConfig = field(default_factory=FloodConfig)
    max_message_chars: int = 4000
    max_concurrent_turns: int = 8
    delivery_lease_seconds: float = 60.0
    keep_days: float = 7.0  # handled updates and sent messages are pruned after this
    log_level: str = "INFO"
    source: Path | None = None  # the file it was read from; worker processes read it too

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """'1d', '2h', '90s', '30m', '1w' → timedelta."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration like 1d, 2h, 30m or 90s")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def _section(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: must be a mapping of keys, got {type(value).__name__}")
    return value


def _string(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise ConfigError(f"{key}: must be text")
    return str(value)


def _port(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"{key}: must be a port number between 1 and 65535")
    try:
        port = int(value)
    except ValueError:
        raise ConfigError(f"{key}: must be a port number between 1 and 65535") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"{key}: must be a port number between 1 and 65535, got {port}")
    return port


def _positive(value: Any, key: str, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key}: must be a number")
    if value < 0:
        raise ConfigError(f"{key}: must not be negative")
    return float(value)


def _platform(raw: dict[str, Any], name: str) -> PlatformConfig:
    section = _section(raw, name)
    mode = section.get("mode", "polling")
    if mode not in ("polling", "webhook"):
        raise ConfigError(f"{name}.mode: must be 'polling' or 'webhook', got {mode!r}")
    webhook = _webhook(section.get("webhook") or {}, name, f"/{name}/webhook")
    if mode == "webhook" and section.get("token") and not webhook.url:
        raise ConfigError(f"{name}.webhook.url: required when {name}.mode is 'webhook'")
    workers = section.get("workers", 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 16:
        raise ConfigError(f"{name}.workers: must be a whole number from 1 to 16, got {workers!r}")
    return PlatformConfig(
        token=_string(section.get("token"), f"{name}.token"),
        base_url=_string(section.get("base_url"), f"{name}.base_url"),
        mode=mode,
        webhook=webhook,
        workers=workers,
    )


def _webhook(hook: Any, name: str, path: str, port: int = 8443) -> WebhookConfig:
    if not isinstance(hook, dict):
        raise ConfigError(f"{name}.webhook: must be a mapping of keys")
    return WebhookConfig(
        url=_string(hook.get("url"), f"{name}.webhook.url"),
        listen=_string(hook.get("listen"), f"{name}.webhook.listen") or "127.0.0.1",
        port=_port(hook.get("port", port), f"{name}.webhook.port"),
        path=_string(hook.get("path"), f"{name}.webhook.path") or path,
        secret_token=_string(hook.get("secret_token"), f"{name}.webhook.secret_token"),
    )


def _zalo_oa(raw: dict[str, Any]) -> ZaloOAConfig:
    """zalo_oa.*: ids as text (Zalo's ids overflow YAML's integers' meaning), URLs bare."""
    section = _section(raw, "zalo_oa")
    default = ZaloOAConfig().webhook  # its own port and path, defined once above
    oa = ZaloOAConfig(webhook=_webhook(section.get("webhook") or {}, "zalo_oa",
                                       default.path, port=default.port))
    for key in ("app_id", "app_secret", "oa_secret_key", "oa_id", "refresh_token",
                "redirect_uri"):
        setattr(oa, key, _string(section.get(key), f"zalo_oa.{key}"))
    for key in ("api_base_url", "oauth_base_url"):
        url = _string(section.get(key), f"zalo_oa.{key}")
        if url:
            if not re.fullmatch(r"https?://\S+", url):
                raise ConfigError(f"zalo_oa.{key}: must be a URL like https://openapi.zalo.me")
            setattr(oa, key, url.rstrip("/"))
    for key in ("app_id", "oa_id"):
        value = getattr(oa, key)
        if value is not None and not value.isdigit():
            raise ConfigError(f"zalo_oa.{key}: must be the number Zalo shows, got {value!r}")
    return oa


def from_mapping(
    raw: dict[str, Any], env: dict[str, str] | None = None, base: Path | None = None
) -> Config:
    """Build a validated Config from parsed YAML plus environment overrides.

    Relative paths in the file are taken relative to BASE (the file's folder).
    """
    env = dict(os.environ) if env is None else env
    if not isinstance(raw, dict):
        raise ConfigError("config: the file must be a mapping of keys (key: value)")
    cfg = Config()
    database = _section(raw, "database")
    cfg.database_url = _string(database.get("url"), "database.url") or cfg.database_url
    web = _section(raw, "web")
    cfg.web_host = _string(web.get("host"), "web.host") or cfg.web_host
    cfg.web_port = _port(web.get("port", cfg.web_port), "web.port")
    public = (_string(web.get("public_url"), "web.public_url") or "").rstrip("/")
    if public and not _ORIGIN.fullmatch(public):
        raise ConfigError("web.public_url: scheme and host only, like https://chatbot.laocai.gov.vn"
                          " (https://, or http:// locally; the bot is served at the root)")
    cfg.web_public_url = public.lower()
    _read_web(cfg, web)
    _read_knowledge(cfg, raw, base)
    cfg.telegram = _platform(raw, "telegram")
    cfg.zalo = _platform(raw, "zalo")
    cfg.zalo_oa = _zalo_oa(raw)
    _read_reminders(cfg, raw)
    _read_delivery(cfg, raw)
    _read_limits(cfg, raw)
    _read_hours(cfg, raw)
    _read_handoff(cfg, raw)
    _apply_environment(cfg, env)
    _check_zalo_oa(cfg.zalo_oa)  # after the environment, which holds its secrets
    return cfg


def _read_knowledge(cfg: Config, raw: dict[str, Any], base: Path | None) -> None:
    """knowledge.path (relative to the config file) and the time zone."""
    knowledge = _section(raw, "knowledge")
    if knowledge.get("path") is not None:
        cfg.knowledge_path = Path(str(knowledge["path"])).expanduser()
        if base is not None and not cfg.knowledge_path.is_absolute():
            cfg.knowledge_path = base / cfg.knowledge_path
    if not cfg.knowledge_path.is_dir():
        raise ConfigError(f"knowledge.path: folder {cfg.knowledge_path} does not exist")
    tz = raw.get("timezone", cfg.timezone)
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown time zone {tz!r}") from None
    cfg.timezone = str(tz)


def _read_reminders(cfg: Config, raw: dict[str, Any]) -> None:
    reminders = _section(raw, "reminders")
    if "before" in reminders:
        before = reminders["before"]
        if not isinstance(before, list) or not before:
            raise ConfigError("reminders.before: must be a list of durations such as [1d, 2h]")
        try:
            cfg.reminders_before = [parse_duration(item) for item in before]
        except ValueError as exc:
            raise ConfigError(f"reminders.before: {exc}") from None


def _read_delivery(cfg: Config, raw: dict[str, Any]) -> None:
    """delivery.lease_seconds, delivery.keep_days and delivery.<channel>.rate_per_second."""
    delivery = _section(raw, "delivery")
    if "lease_seconds" in delivery:
        cfg.delivery_lease_seconds = _positive(delivery.pop("lease_seconds"),
                                               "delivery.lease_seconds", 60.0) or 60.0
    if "keep_days" in delivery:
        cfg.keep_days = _positive(delivery.pop("keep_days"), "delivery.keep_days", 7.0) or 7.0
    for channel, settings in delivery.items():
        if not isinstance(settings, dict):
            raise ConfigError(f"delivery.{channel}: must be a mapping with rate_per_second")
        cfg.delivery_rates[str(channel)] = _positive(
            settings.get("rate_per_second"),
            f"delivery.{channel}.rate_per_second",
            cfg.delivery_rates.get(str(channel), 0.0),
        )


def _read_hours(cfg: Config, raw: dict[str, Any]) -> None:
    """broadcast.quiet_hours: "21:00-07:00" (local; may span midnight);
    handoff.office_hours: "07:30-17:00" (local, Monday to Friday)."""
    quiet = _hours(_section(raw, "broadcast").get("quiet_hours"), "broadcast.quiet_hours")
    cfg.quiet_hours = quiet or cfg.quiet_hours
    office = _hours(_section(raw, "handoff").get("office_hours"), "handoff.office_hours")
    cfg.office_hours = office or cfg.office_hours


def _read_web(cfg: Config, web: dict[str, Any]) -> None:
    """web.embed_origins, web.limits.*, web.behind_proxy."""
    origins = web.get("embed_origins") or []
    if not isinstance(origins, list) or not all(
            isinstance(o, str) and _ORIGIN.fullmatch(o) for o in origins):
        raise ConfigError("web.embed_origins: a list of origins like https://laocai.gov.vn "
                          "(scheme and host, no path)")
    cfg.embed_origins = [o.lower() for o in origins]
    if origins and not cfg.web_public_url:
        raise ConfigError("web.embed_origins: set web.public_url too, the address portal "
                          "visitors reach the bot at")
    limits = _section(web, "limits")
    cfg.web_new_identities_per_minute = _positive(
        limits.get("new_identities_per_minute"), "web.limits.new_identities_per_minute",
        cfg.web_new_identities_per_minute) or cfg.web_new_identities_per_minute
    cfg.web_messages_per_minute = _positive(
        limits.get("messages_per_minute"), "web.limits.messages_per_minute",
        cfg.web_messages_per_minute) or cfg.web_messages_per_minute
    behind = web.get("behind_proxy", False)
    if not isinstance(behind, bool):
        raise ConfigError("web.behind_proxy: true or false")
    cfg.web_behind_proxy = behind


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?")


def _read_handoff(cfg: Config, raw: dict[str, Any]) -> None:
    """handoff.close_after_days: 7 (a question untouched this long is closed)."""
    days = _positive(_section(raw, "handoff").get("close_after_days"), "handoff.close_after_days",
                     cfg.ticket_close_after.days)
    if days < 1:
        raise ConfigError("handoff.close_after_days: must be at least 1")
    cfg.ticket_close_after = timedelta(days=days)


def _hours(raw: Any, key: str) -> tuple[time, time] | None:
    value = _string(raw, key)
    if not value:
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-", 1))
    except ValueError:
        raise ConfigError(f'{key}: must look like "21:00-07:00"') from None
    return start, end


def _read_limits(cfg: Config, raw: dict[str, Any]) -> None:
    """Flood guard, turns in flight, log level."""
    flood = _section(raw, "flood")
    cfg.flood = FloodConfig(
        max_messages=int(_positive(flood.get("max_messages"), "flood.max_messages", 20)),
        window_seconds=_positive(flood.get("window_seconds"), "flood.window_seconds", 10.0),
        mute_seconds=_positive(flood.get("mute_seconds"), "flood.mute_seconds", 30.0),
    )
    turns = raw.get("max_concurrent_turns", cfg.max_concurrent_turns)
    if isinstance(turns, bool) or not isinstance(turns, int) or turns < 1:
        raise ConfigError("max_concurrent_turns: must be a whole number of at least 1")
    cfg.max_concurrent_turns = turns
    level = str(raw.get("log_level", cfg.log_level)).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"log_level: must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    cfg.log_level = level


def _apply_environment(cfg: Config, env: dict[str, str]) -> None:
    """Secrets and URLs from the environment win over the file."""
    if env.get("TELEGRAM_BOT_TOKEN"):
        cfg.telegram.token = env["TELEGRAM_BOT_TOKEN"]
    if env.get("ZALO_BOT_TOKEN"):
        cfg.zalo.token = env["ZALO_BOT_TOKEN"]
    for variable, key in (("ZALO_OA_APP_SECRET", "app_secret"),
                          ("ZALO_OA_SECRET_KEY", "oa_secret_key"),
                          ("ZALO_OA_REFRESH_TOKEN", "refresh_token")):
        if env.get(variable):
            setattr(cfg.zalo_oa, key, env[variable])
    if env.get("DATABASE_URL"):
        cfg.database_url = env["DATABASE_URL"]
    if not re.match(r"^(sqlite\+aiosqlite|postgresql\+asyncpg)://", cfg.database_url):
        raise ConfigError(
            "database.url: must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
        )


def _check_zalo_oa(oa: ZaloOAConfig) -> None:
    """Once any of it is set, all of it: a half-configured OA fails at start, by name."""
    needed = {"app_id": oa.app_id, "app_secret (or ZALO_OA_APP_SECRET)": oa.app_secret,
              "oa_secret_key (or ZALO_OA_SECRET_KEY)": oa.oa_secret_key, "oa_id": oa.oa_id}
    if any(needed.values()):
        missing = [key for key, value in needed.items() if not value]
        if missing:
            raise ConfigError(f"zalo_oa.{missing[0]}: required to run the Zalo OA channel")


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load from PATH, else $LAOCAI_BOT_CONFIG, else built-in defaults."""
    path = path or os.environ.get("LAOCAI_BOT_CONFIG")
    if not path:
        return from_mapping({})
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"config: file {file} not found")
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"config: {file} is not valid YAML{where}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config: cannot read {file}: {exc}") from None
    config = from_mapping(raw or {}, base=file.resolve().parent)
    config.source = file.resolve()
    return config
