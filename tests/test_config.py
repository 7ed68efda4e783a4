"""Configuration: documented keys load, bad values are named, secrets come from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, from_mapping, load_config, parse_duration

from .conftest import ROOT


def test_the_example_config_documents_loadable_keys() -> None:
    config = load_config(ROOT / "config.example.yaml")
    assert config.web_port == 8080 and config.timezone == "Asia/Ho_Chi_Minh"
    assert config.knowledge_path == ROOT / "knowledge"
    assert config.reminders_before == [timedelta(days=1), timedelta(hours=1)]
    assert config.delivery_rates["telegram"] == 25
    assert config.ticket_close_after == timedelta(days=7)


def test_no_file_means_embedded_defaults() -> None:
    config = from_mapping({}, env={})
    assert config.database_url.startswith("sqlite+aiosqlite:///")
    assert (config.web_host, config.web_port) == ("127.0.0.1", 8080)
    assert config.telegram.token is None


def test_environment_overrides_secrets_and_urls() -> None:
    config = from_mapping(
        {"telegram": {"token": "from-file"}},
        env={"TELEGRAM_BOT_TOKEN": "from-env", "ZALO_BOT_TOKEN": "z",
             "DATABASE_URL": "postgresql+asyncpg://u@h/db"},
    )
    assert config.telegram.token == "from-env" and config.zalo.token == "z"
    assert config.database_url == "postgresql+asyncpg://u@h/db"


def test_the_zalo_oa_secrets_come_from_the_environment_and_the_rest_has_defaults() -> None:
    config = from_mapping({"zalo_oa": {"app_id": 1234567890, "oa_id": "579745863508352884"}},
                          env={"ZALO_OA_APP_SECRET": "a", "ZALO_OA_SECRET_KEY": "k",
                               "ZALO_OA_REFRESH_TOKEN": "r"})
    oa = config.zalo_oa
    assert oa.configured and oa.app_id == "1234567890"
    assert (oa.app_secret, oa.oa_secret_key) == ("a", "k")
    assert oa.refresh_token == "r" and oa.api_base_url == "https://openapi.zalo.me"
    assert oa.webhook.path == "/zalo-oa/webhook" and not from_mapping({}, env={}).zalo_oa.configured


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"web": {"port": 70000}}, "web.port:"),
        ({"telegram": {"mode": "push"}}, "telegram.mode:"),
        ({"telegram": {"workers": 0}}, "telegram.workers:"),
        ({"telegram": {"workers": "two"}}, "telegram.workers:"),
        ({"reminders": {"before": ["soon"]}}, "reminders.before:"),
        ({"timezone": "Mars/Olympus"}, "timezone:"),
        ({"database": {"url": "mysql://x"}}, "database.url:"),
        ({"delivery": {"telegram": {"rate_per_second": -1}}}, "delivery.telegram.rate_per_second"),
        ({"telegram": {"token": "t", "mode": "webhook"}}, "telegram.webhook.url:"),
        ({"knowledge": {"path": "/no/such/folder"}}, "knowledge.path:"),
        ({"handoff": {"close_after_days": 0}}, "handoff.close_after_days:"),
        ({"web": {"public_url": "https://laocai.gov.vn/chat"}}, "web.public_url:"),
        ({"web": {"embed_origins": ["https://laocai.gov.vn"]}}, "web.embed_origins:"),
        ({"web": {"embed_origins": ["https://laocai.gov.vn/page"],
                  "public_url": "https://chat.laocai.gov.vn"}}, "web.embed_origins:"),
        ({"handoff": {"office_hours": "late"}}, "handoff.office_hours:"),
        ({"zalo_oa": {"app_id": "123"}}, "zalo_oa.app_secret"),
        ({"zalo_oa": {"app_id": "123", "app_secret": "s", "oa_secret_key": "k"}},
         "zalo_oa.oa_id:"),
        ({"zalo_oa": {"app_id": "my app"}}, "zalo_oa.app_id:"),
        ({"zalo_oa": {"api_base_url": "openapi.zalo.me"}}, "zalo_oa.api_base_url:"),
    ],
)
def test_each_bad_value_is_named_by_its_key(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        from_mapping(raw, env={})
    assert str(err.value).startswith(message)


def test_durations() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("2h") == timedelta(hours=2)
    with pytest.raises(ValueError):
        parse_duration("2 days")


def test_a_file_that_is_not_a_mapping_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(bad)
