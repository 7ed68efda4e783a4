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


def test_a_broken_lexicon_is_named_with_file_and_line_by_kb_check_and_run(tmp_path: Path) -> None:
    folder = _copy_kb(tmp_path)
    lexicon = folder / "lexicon.yaml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + "\nsynonyms:\n  dang ky: ghi danh\n",
                       encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(f"knowledge:\n  path: {folder}\ndatabase:\n  url: "
                      f"sqlite+aiosqlite:///{tmp_path}/x.db\n")
    lines = lexicon.read_text(encoding="utf-8").splitlines()
    line = len(lines)  # the bad group is the file's last line
    check = _cli("--config", str(config), "kb", "check")
    assert check.returncode != 0
    assert f"lexicon.yaml:{line}: synonyms.dang ky: must be a list" in check.stdout
    run = _cli("run", "--config", str(config))
    assert run.returncode == 2 and f"lexicon.yaml:{line}:" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_lexicon_syntax_error_names_the_line(tmp_path: Path) -> None:
    folder = _copy_kb(tmp_path)
    (folder / "lexicon.yaml").write_text("abbreviations:\n  ko: khong\n  dk: [dang ky\n")
    with pytest.raises(knowledge_base.KnowledgeError) as err:
        knowledge_base.load(folder)
    assert any("lexicon.yaml: line" in p and "YAML syntax error" in p for p in err.value.problems)


def test_staff_teach_the_bot_a_new_word_in_the_lexicon(tmp_path: Path) -> None:
    folder = _copy_kb(tmp_path)
    lexicon = folder / "lexicon.yaml"
    before = knowledge_base.load(folder).matcher.match("cho hỏi về zzmien id.vn")
    lexicon.write_text(lexicon.read_text(encoding="utf-8").replace(
        "spelling:\n", "spelling:\n  zzmien: \"ten mien\"\n", 1), encoding="utf-8")
    after = knowledge_base.load(folder).matcher.match("cho hỏi về zzmien id.vn")
    assert "zzmien" in " ".join(t for t, _ in before.ranked) or before.score < after.score
    assert after.outcome == "answer" and after.topic == "domain.idvn.what"
    knowledge_base.load(PACKAGE_KNOWLEDGE)  # put the shipped lexicon back for later tests


def test_kb_check_reports_thin_topics_unsourced_dates_and_numbers_that_differ() -> None:
    from bot.faq.check import topic_problems

    topic = knowledge_base.Topic(
        id="demo.topic", category="demo", file="demo.yaml",
        questions={"vi": ["một câu"], "en": ["one"]},
        answer={"vi": "Hạn chót 31/12/2025, phí 50.000 đồng.",
                "en": "Deadline 31/12/2025, fee 60,000 VND."},
    )
    errors, warnings = topic_problems(topic)
    assert any("source:" in e for e in errors)
    assert any("different numbers" in w and "50000" in w and "60000" in w for w in warnings)
    assert any("questions.vi: 1 variants, write at least 15" in w for w in warnings)
    assert any("questions.en: 1 variants, write at least 4" in w for w in warnings)


def test_every_topic_has_15_vietnamese_and_4_english_variants() -> None:
    for topic in TOPICS.values():
        assert len(topic.questions["vi"]) >= 15, topic.id
        assert len(topic.questions["en"]) >= 4, topic.id


def test_vietnamese_and_english_answers_state_the_same_numbers() -> None:
    from bot.faq.check import topic_problems

    for topic in TOPICS.values():
        _, warnings = topic_problems(topic)
        assert not [w for w in warnings if "different numbers" in w], topic.id
