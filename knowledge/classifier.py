"""The learned scorer: character n-gram TF-IDF with a linear classifier, trained on the KB.

It sees what the lexical matcher misses — words cut short or run together,
endings of long words, phrasing shared across a topic's variants — and gives a
probability per topic plus one for "none of these" (trained on
knowledge/out_of_scope.yaml). scikit-learn fits it; serving needs only numpy:
importing scikit-learn costs about 120 MB of memory and 0.75 s, so training
runs in a child process (`python -m knowledge.train_classifier`) and the bot
loads the fitted arrays from a cache file named by a hash of everything that
shaped them. A changed YAML file means a new hash, so the model is rebuilt.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

OUT_OF_SCOPE = "__out_of_scope__"
MODEL_VERSION = "2"  # bump when features or training change, to invalidate caches
CHAR_NGRAMS = (2, 5)
TRAIN_SECONDS = 120


def features(normalised: str) -> list[str]:
    """Words, word pairs and character n-grams of each word (with its edges marked)."""
    words = normalised.split()
    out = [f"w:{w}" for w in words]
    out.extend(f"b:{a}_{b}" for a, b in itertools.pairwise(words))
    low, high = CHAR_NGRAMS
    for word in words:
        padded = f" {word} "
        for n in range(low, min(high, len(padded)) + 1):
            out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return out


@dataclass(frozen=True)
class Prediction:
    topics: dict[str, float]  # probability per topic, the out-of-scope class left out
    out_of_scope: float


class LearnedScorer:
    """A fitted model as plain arrays: vocabulary → idf, class weights, intercepts."""

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray, coef: np.ndarray,
                 intercept: np.ndarray, classes: Sequence[str]) -> None:
        self.index = {feat: i for i, feat in enumerate(vocabulary)}
        self.idf = idf.astype(np.float64)
        self.coef_t = np.ascontiguousarray(coef.T, dtype=np.float64)  # features × classes
        self.intercept = intercept.astype(np.float64)
        self.classes = list(classes)
        self.oos_index = self.classes.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in self.classes else -1

    def predict(self, normalised: str) -> Prediction:
        counts = Counter(f for f in features(normalised) if f in self.index)
        if not counts:
            return Prediction({}, 1.0)
        idx = np.fromiter((self.index[f] for f in counts), dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64,
                         count=len(counts))
        values = tf * self.idf[idx]
        values /= np.linalg.norm(values) or 1.0
        logits = values @ self.coef_t[idx] + self.intercept
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        topics = {c: float(p) for c, p in zip(self.classes, probs, strict=True)
                  if c != OUT_OF_SCOPE}
        oos = float(probs[self.oos_index]) if self.oos_index >= 0 else 0.0
        return Prediction(topics, oos)

    @classmethod
    def from_file(cls, path: Path) -> LearnedScorer:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["vocabulary"].tolist(), data["idf"], data["coef"],
                       data["intercept"], data["classes"].tolist())


def fingerprint(docs: Sequence[str], labels: Sequence[str]) -> str:
    digest = hashlib.sha256(MODEL_VERSION.encode())
    for doc, label in zip(docs, labels, strict=True):
        digest.update(f"{label}\x1f{doc}\x1e".encode())
    return digest.hexdigest()[:20]


def cache_dir() -> Path:
    configured = os.environ.get("LAOCAI_BOT_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "laocai-bot"


def _train_in_child(docs: Sequence[str], labels: Sequence[str], out: Path) -> None:
    payload = json.dumps({"docs": list(docs), "labels": list(labels)})
    subprocess.run(
        [sys.executable, "-m", "knowledge.train_classifier", str(out)],
        input=payload.encode(), check=True, timeout=TRAIN_SECONDS,
        cwd=str(Path(__file__).resolve().parent.parent), capture_output=True,
    )


def _cached_model(docs: Sequence[str], labels: Sequence[str], folder: Path) -> Path:
    path = folder / f"classifier-{fingerprint(docs, labels)}.npz"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
            partial = Path(tmp) / path.name
            _train_in_child(docs, labels, partial)
            os.replace(partial, path)  # atomic: a concurrent loader sees all or nothing
    return path


def load_or_train(docs: Sequence[str], labels: Sequence[str]) -> LearnedScorer | None:
    """The model for these training texts, from the cache or trained now; None if it fails.

    An unwritable cache folder falls back to the temporary folder. Failing to
    train must not stop the bot: the lexical matcher still answers.
    """
    try:
        try:
            path = _cached_model(docs, labels, cache_dir())
        except PermissionError:
            path = _cached_model(docs, labels, Path(tempfile.gettempdir()) / "laocai-bot")
        return LearnedScorer.from_file(path)
    except (OSError, ValueError, KeyError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        log.warning("FAQ classifier unavailable, lexical matching only: %s %s",
                    type(exc).__name__, detail.decode(errors="replace")[-300:])
        return None
