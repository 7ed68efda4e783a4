"""The systemd units in deploy/ start commands the CLI really has."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from bot.cli import _parser, _split_config

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))


def _unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(path.read_text())
    return unit


def test_there_is_a_unit_for_the_receivers_and_one_for_more_workers() -> None:
    assert {p.name for p in UNITS} == {"laocai-bot.service", "laocai-bot-worker@.service"}


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_runs_a_real_command_restarts_and_stops_gently(path: Path) -> None:
    service = _unit(path)["Service"]
    for key in ("ExecStartPre", "ExecStart"):
        if key not in service:
            continue
        program, *argv = shlex.split(service[key])
        assert program.endswith("/laocai-bot")
        config, rest = _split_config(argv)
        assert config == "/etc/laocai-bot/config.yaml"
        _parser().parse_args(rest)  # exits (SystemExit) on an unknown command or option
    assert service["Restart"] == "always" and service["KillSignal"] == "SIGTERM"
    assert "EnvironmentFile" in service  # tokens and the database URL stay out of the unit


def test_the_worker_unit_starts_a_worker_without_receivers() -> None:
    start = _unit(DEPLOY / "laocai-bot-worker@.service")["Service"]["ExecStart"]
    assert shlex.split(start)[-1] == "worker"
