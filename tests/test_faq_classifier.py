"""The learned scorer: served without scikit-learn, rebuilt when the knowledge changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.config import PACKAGE_KNOWLEDGE
from knowledge import classifier
from knowledge import kb as knowledge_base
from knowledge.classifier import OUT_OF_SCOPE, fingerprint, load_or_train
from knowledge.normalise import normalise
from knowledge.train_classifier import fit, scorer

DOCS = ["id.vn la gi", "ten mien id.vn mien phi khong", "nghi quyet 57 la gi",
        "muc tieu nghi quyet 57", "gia vang hom nay", "thoi tiet sa pa"]
LABELS = ["domain", "domain", "nq57", "nq57", OUT_OF_SCOPE, OUT_OF_SCOPE]


def test_the_served_probabilities_equal_scikit_learns() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    served = scorer(fit(DOCS, LABELS))
    vectorizer = TfidfVectorizer(analyzer=classifier.features, sublinear_tf=True)
    model = LogisticRegression(C=8.0, solver="saga", tol=1e-3, max_iter=300, random_state=0)
    model.fit(vectorizer.fit_transform(DOCS), LABELS)
    for text in ("id.vn co mat phi khong", "nghi quyet 57", "bitcoin"):
        want = dict(zip(model.classes_, model.predict_proba(vectorizer.transform([text]))[0],
                        strict=True))
        got = served.predict(text)
        assert got.out_of_scope == pytest.approx(want[OUT_OF_SCOPE], abs=1e-4)
        for topic, probability in got.topics.items():
            assert probability == pytest.approx(want[topic], abs=1e-4)


def test_text_with_no_known_feature_is_out_of_scope() -> None:
    served = scorer(fit(DOCS, LABELS))
    assert served.predict("").out_of_scope == 1.0
    assert served.predict("ЖЖЖ").topics == {}


def test_a_changed_variant_gets_a_new_model(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LAOCAI_BOT_CACHE", str(tmp_path))
    first = load_or_train(DOCS, LABELS)
    assert first is not None and len(list(tmp_path.glob("classifier-*.npz"))) == 1
    load_or_train(DOCS, LABELS)  # unchanged: read from the cache
    assert len(list(tmp_path.glob("classifier-*.npz"))) == 1
    changed = [*DOCS[:-1], "ngay chuyen doi so"]
    assert fingerprint(changed, LABELS) != fingerprint(DOCS, LABELS)
    load_or_train(changed, LABELS)
    assert len(list(tmp_path.glob("classifier-*.npz"))) == 2


def test_if_training_fails_the_bot_answers_with_the_lexical_matcher(monkeypatch, caplog) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise subprocess.CalledProcessError(1, "train", stderr=b"no scikit-learn here")

    monkeypatch.setenv("LAOCAI_BOT_CACHE", "/nonexistent/never")
    monkeypatch.setattr(classifier, "_train_in_child", broken)
    monkeypatch.setattr(classifier, "_cached_model",
                        lambda docs, labels, folder: broken())
    topics, _, refusals, _ = knowledge_base.read_folder(PACKAGE_KNOWLEDGE)
    kb = knowledge_base.build(topics, refusals=refusals)
    assert kb.matcher.learned is None
    assert "lexical matching only" in caplog.text
    assert kb.matcher.match("id.vn có miễn phí không").topic == "domain.idvn.free"


def test_the_bot_process_never_imports_scikit_learn() -> None:
    code = ("import sys; from bot.config import PACKAGE_KNOWLEDGE; from knowledge import kb; "
            "k = kb.load(PACKAGE_KNOWLEDGE); k.matcher.match('id.vn là gì'); "
            "assert k.matcher.learned is not None; print('sklearn' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip() == "False", result.stderr


def test_the_shipped_model_knows_every_topic() -> None:
    kb = knowledge_base.load_shared(PACKAGE_KNOWLEDGE)
    assert kb.matcher.learned is not None
    assert set(kb.matcher.learned.classes) == {*kb.topics, OUT_OF_SCOPE}
    predicted = kb.matcher.learned.predict(normalise("ngày chuyển đổi số quốc gia"))
    assert max(predicted.topics, key=predicted.topics.__getitem__) == "campaign.digital_day"
    assert np.isclose(sum(predicted.topics.values()) + predicted.out_of_scope, 1.0)
