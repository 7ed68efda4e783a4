"""The knowledge files: complete, factual per the contract, and validated with clear errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.config import PACKAGE_KNOWLEDGE
from knowledge import kb as knowledge_base
from knowledge.normalise import fold

CONTRACT = yaml.safe_load((PACKAGE_KNOWLEDGE / "required-topics.yaml").read_text("utf-8"))
TOPICS, PROBLEMS = knowledge_base.read_topics(PACKAGE_KNOWLEDGE)


def test_the_shipped_knowledge_base_has_no_problems() -> None:
    assert PROBLEMS == []


@pytest.mark.parametrize("item", CONTRACT["topics"], ids=lambda i: i["id"])
def test_every_required_topic_states_its_facts_in_both_languages(item: dict) -> None:
    topic = TOPICS[item["id"]]
    assert topic.answer["vi"].strip() and topic.answer["en"].strip()
    for fact in item.get("must_mention") or []:
        assert fold(str(fact)) in fold(topic.answer["vi"]), fact
        for dated in topic.dated_answers:
            assert fold(str(fact)) in fold(dated.text["vi"]), (fact, dated.until)
    assert len(topic.questions["vi"]) >= 8
    assert len(topic.questions["en"]) >= 2


def test_no_invented_phone_numbers() -> None:
    import re

    for topic in TOPICS.values():
        for text in topic.answer.values():
            assert not re.search(r"\b0\d{2,3}[ .]?\d{3}[ .]?\d{3,4}\b", text), topic.id


def _copy_kb(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(PACKAGE_KNOWLEDGE, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    folder = _copy_kb(tmp_path)
    (folder / "topics" / "broken.yaml").write_text("topics:\n  - id: x\n    answer: [unclosed\n")
    with pytest.raises(knowledge_base.KnowledgeError) as err:
        knowledge_base.load(folder)
    assert any("broken.yaml: line" in p for p in err.value.problems)


def test_a_missing_field_names_file_topic_and_field(tmp_path: Path) -> None:
    folder = _copy_kb(tmp_path)
    (folder / "topics" / "extra.yaml").write_text(
        "topics:\n  - id: extra.topic\n    category: x\n"
        "    questions: {vi: [a], en: [b]}\n    answer: {vi: 'chỉ tiếng Việt'}\n",
        encoding="utf-8",
    )
    with pytest.raises(knowledge_base.KnowledgeError) as err:
        knowledge_base.load(folder)
    assert any("extra.yaml: topic extra.topic: answer.en: missing" in p
               for p in err.value.problems)


def _cli(*args: str, env_config: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "bot", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_kb_check_passes_on_the_shipped_files() -> None:
    result = _cli("kb", "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_kb_check_fails_and_run_refuses_to_start_on_a_broken_file(tmp_path: Path) -> None:
    folder = _copy_kb(tmp_path)
    (folder / "topics" / "broken.yaml").write_text("topics: [\n")
    config = tmp_path / "config.yaml"
    config.write_text(f"knowledge:\n  path: {folder}\ndatabase:\n  url: "
                      f"sqlite+aiosqlite:///{tmp_path}/x.db\n")
    check = _cli("--config", str(config), "kb", "check")
    assert check.returncode != 0 and "broken.yaml" in check.stdout
    run = _cli("run", "--config", str(config))
    assert run.returncode == 2
    assert "broken.yaml: line" in run.stderr and "Traceback" not in run.stderr
