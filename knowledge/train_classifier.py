"""Fit the FAQ classifier with scikit-learn and save it as arrays numpy can read.

    python -m knowledge.train_classifier OUT.npz < {"docs": [...], "labels": [...]}

Run in a child process by knowledge.classifier, so the bot never imports
scikit-learn (about 120 MB); bench/calibrate_faq.py calls `fit` directly.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.classifier import LearnedScorer, features

REGULARISATION = 8.0  # LogisticRegression's C, chosen by cross-validation (bench/calibrate_faq.py)


def fit(docs: Sequence[str], labels: Sequence[str],
        c: float = REGULARISATION) -> dict[str, np.ndarray]:
    """TF-IDF over `features`, then multinomial logistic regression: the fitted arrays."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=1)
    matrix = vectorizer.fit_transform(docs)
    model = LogisticRegression(C=c, solver="saga", tol=1e-3, max_iter=300, random_state=0)
    model.fit(matrix, list(labels))
    vocabulary = np.array(vectorizer.get_feature_names_out(), dtype=str)
    return {
        "vocabulary": vocabulary,
        "idf": vectorizer.idf_.astype(np.float32),
        "coef": model.coef_.astype(np.float32),
        "intercept": model.intercept_.astype(np.float32),
        "classes": np.array(model.classes_, dtype=str),
    }


def scorer(arrays: dict[str, np.ndarray]) -> LearnedScorer:
    return LearnedScorer(arrays["vocabulary"].tolist(), arrays["idf"], arrays["coef"],
                         arrays["intercept"], arrays["classes"].tolist())


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    data = json.loads(sys.stdin.buffer.read())
    arrays = fit(data["docs"], data["labels"])
    with out.open("wb") as handle:
        np.savez(handle, **arrays)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
