"""The live knowledge: files deployed by developers and console edits, which one wins,
`laocai-bot ask` answering what the workers answer, and `kb export` writing it back."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bot.app import build
from bot.faq import revisions
from bot.faq.live import edits
from knowledge.export import export
from knowledge.kb import load, load_shared
from knowledge.overlay import Edit, Edits, fingerprint, load_live

from .conftest import ROOT, make_config
from .test_process import cli

ID_VN = "domain.idvn.free"
EDITED = "Câu trả lời do cán bộ tỉnh sửa: 18, 23, 2 năm, 31/12/2025."
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC).replace(tzinfo=None)


def knowledge_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


def edited(raw: dict) -> dict:
    return {**raw, "answer": {**raw["answer"], "vi": EDITED}}


def test_a_console_edit_wins_until_developers_deploy_a_changed_file(tmp_path: Path) -> None:
    folder = knowledge_copy(tmp_path)
    raw = load_shared(folder).topics[ID_VN].raw
    edit = Edits(topics={ID_VN: Edit(edited(raw), fingerprint(raw))})
    assert load_live(folder, edit).topics[ID_VN].answer["vi"] == EDITED
    domains = folder / "topics" / "domains.yaml"
    domains.write_text(domains.read_text(encoding="utf-8").replace(
        "id.vn có miễn phí không\n", "id.vn có miễn phí không vậy\n", 1), encoding="utf-8")
    live = load_live(folder, edit)  # the file's version of the topic changed: the file wins
    assert live.topics[ID_VN].answer["vi"] != EDITED
    assert "id.vn có miễn phí không vậy" in live.topics[ID_VN].questions["vi"]
    assert live.set_aside == {ID_VN: "file_changed"}


def test_an_edit_that_no_longer_loads_is_set_aside_not_fatal(tmp_path: Path) -> None:
    folder = knowledge_copy(tmp_path)
    raw = load_shared(folder).topics[ID_VN].raw
    broken = {**raw, "related": ["topic.that.was.removed"]}
    live = load_live(folder, Edits(topics={ID_VN: Edit(broken, fingerprint(raw))}))
    assert live.set_aside == {ID_VN: "invalid"} and ID_VN in live.topics


def config_for(tmp_path: Path, url: str, folder: Path) -> str:
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: {url}\nknowledge:\n  path: {folder}\n")
    return str(config)


async def save_edit(url: str, folder: Path) -> None:
    """A province officer's edit, as the console saves it."""
    app = await build(make_config(url, knowledge={"path": str(folder)}))
    try:
        raw = app.services.kb.topics[ID_VN].raw
        async with app.services.sessions() as session, session.begin():
            await revisions.save(session, ID_VN, edited(raw), raw, fingerprint(raw), 0,
                                 "boss", NOW)
        await app.watcher.refresh()
        assert app.services.kb.topics[ID_VN].answer["vi"] == EDITED
    finally:
        await app.close()


async def test_ask_answers_with_the_console_edits_like_the_workers(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    folder = knowledge_copy(tmp_path)
    await save_edit(url, folder)
    result = cli("--config", config_for(tmp_path, url, folder), "ask", "id.vn có miễn phí không")
    assert result.returncode == 0 and EDITED in result.stdout, result.stderr


async def test_kb_export_writes_the_live_knowledge_and_keeps_the_comments(
        tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    folder = knowledge_copy(tmp_path)
    await save_edit(url, folder)
    before = {p.name: p.read_bytes() for p in (folder / "topics").glob("*.yaml")}
    config = config_for(tmp_path, url, folder)
    result = cli("--config", config, "kb", "export")
    assert result.returncode == 0 and "domains.yaml" in result.stdout, result.stderr
    after = {p.name: p.read_bytes() for p in (folder / "topics").glob("*.yaml")}
    assert [n for n in before if before[n] != after[n]] == ["domains.yaml"]
    text = after["domains.yaml"].decode()
    assert text.startswith(before["domains.yaml"].decode().split("\n", 1)[0])  # comments kept
    assert load(folder).topics[ID_VN].answer["vi"].strip() == EDITED
    assert yaml.safe_load(text)["topics"][1]["review_by"] is not None
    again = cli("--config", config, "kb", "export")  # the files now hold the live knowledge
    assert "nothing to export" in again.stdout


async def test_the_watcher_reads_edits_and_inbox_decisions_in_one_go(app) -> None:
    async with app.services.sessions() as session:
        assert (await edits(session)).empty
    assert export(app.config.knowledge_path, app.services.kb, app.config.knowledge_path) == []
