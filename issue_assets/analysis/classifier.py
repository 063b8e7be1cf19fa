"""The issue classifier of the product: the learned model shipped in ``models/issue_classifier.npz``
(``learned``; the codebook rules' scores are among its features), or a project's own, or the rules
alone (``rules``) when the package holds no model. An issue without any word (empty, or code only)
is ``other`` either way, as the codebook says.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from issue_assets.analysis import processes
from issue_assets.analysis.learned import LearnedClassifier, rule_rows
from issue_assets.analysis.rules import label_from_scores, rule_scores
from issue_assets.analysis.text import split_code

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "issue_classifier.npz"
_WORD = re.compile(r"\w", re.UNICODE)


@lru_cache(maxsize=1)
def default_model() -> LearnedClassifier | None:
    """The shipped learned classifier, or None when the package holds none."""
    if not DEFAULT_MODEL.exists():
        return None
    return LearnedClassifier.load(DEFAULT_MODEL)


def classify_frame(frame: pd.DataFrame, title: str = "title", body: str = "body",
                   method: str = "default", model: LearnedClassifier | None = None,
                   workers: int = 1) -> pd.DataFrame:
    """``category``, ``confidence`` and ``evidence`` for each row of ``frame`` (same index).

    ``method``: ``default`` (``model`` when given, e.g. a project's own classifier; else the shipped
    learned model; else the rules) or ``rules``. ``workers`` > 1 labels a large frame in that many
    processes (the labels are the same)."""
    if method not in ("default", "rules"):
        raise ValueError(f"method must be 'default' or 'rules', got {method!r}")
    if workers > 1 and len(frame) >= processes.PARALLEL_MIN_ROWS:
        return processes.in_processes(classify_frame, frame[[title, body]], workers,
                            lambda part: (part, title, body, method, model))
    titles = frame[title].fillna("").astype(str).tolist()
    bodies = frame[body].fillna("").astype(str).tolist()
    scored = [rule_scores(t, b) for t, b in zip(titles, bodies, strict=True)]
    labels = [label_from_scores(t, scores, hits) for t, (scores, hits) in zip(titles, scored, strict=True)]
    categories = [x.category for x in labels]
    confidence = [x.confidence for x in labels]
    evidence = [x.evidence for x in labels]
    model = (model or default_model()) if method == "default" else None
    if model is not None and titles:
        predicted, probability = model.predict(titles, bodies, rule_rows([scores for scores, _ in scored]))
        for i, (rule, t, b) in enumerate(zip(labels, titles, bodies, strict=True)):
            if not _WORD.search(t) and not split_code(b)[0].strip():
                categories[i], confidence[i], evidence[i] = "other", 1.0, "no words: other by the codebook"
                continue
            categories[i], confidence[i] = predicted[i], round(float(probability[i]), 4)
            evidence[i] = f"model p={confidence[i]:.2f}; rules: {rule.category}" + (
                f" ({rule.evidence})" if rule.evidence else "")
    return pd.DataFrame({"category": categories, "confidence": confidence, "evidence": evidence}, index=frame.index)
