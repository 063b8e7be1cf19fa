"""A classifier trained on a project's own coded issues, compared with the shipped one on the same issues
(the ``project_classifier`` asset writes it only when it is better)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from issue_assets.analysis.classifier import classify_frame
from issue_assets.analysis.evaluation import evaluate
from issue_assets.analysis.learned import LearnedClassifier, train_with_scores


@dataclass(frozen=True)
class ProjectComparison:
    """A classifier trained on a project's own codes against the shipped one, on the same coded issues."""

    coded: int
    project_accuracy: float  # cross-validated: each issue predicted by a model that did not see it
    project_macro_f1: float
    default_accuracy: float  # the shipped model, which never saw these issues
    default_macro_f1: float
    note: str | None = None  # why no project model could be trained

    @property
    def project_is_better(self) -> bool:
        return self.project_macro_f1 > self.default_macro_f1

    def as_metadata(self) -> dict:
        return {"coded_issues": self.coded, "project_cv_accuracy": round(self.project_accuracy, 4),
                "project_cv_macro_f1": round(self.project_macro_f1, 4),
                "default_accuracy": round(self.default_accuracy, 4),
                "default_macro_f1": round(self.default_macro_f1, 4), "uses_project_model": self.project_is_better,
                "note": self.note or ""}


def compare_with_default(titles: Sequence[str], bodies: Sequence[str], labels: Sequence[str],
                         default: LearnedClassifier | None, c: float = 10.0,
                         folds: int = 5) -> tuple[ProjectComparison, LearnedClassifier | None]:
    """Cross-validate a project classifier on its coded issues and compare it with ``default`` (the
    rules when None) by macro-F1. Returns the comparison and the project model trained on every coded
    issue, or None when the project's codes are too few to train on (then the comparison says so
    with NaN scores)."""
    titles, bodies, labels = list(titles), list(bodies), list(labels)
    frame = pd.DataFrame({"title": titles, "body": bodies})
    baseline = classify_frame(frame, model=default, method="default" if default is not None else "rules")
    default_result = evaluate(labels, baseline["category"])
    try:
        model, scores, classes = train_with_scores(titles, bodies, labels, c, folds, seed=0)
    except ValueError as exc:
        nan = float("nan")
        return ProjectComparison(len(labels), nan, nan, default_result.accuracy, default_result.macro_f1,
                                 str(exc)), None
    project_result = evaluate(labels, [classes[i] for i in scores.argmax(axis=1)])
    comparison = ProjectComparison(len(labels), project_result.accuracy, project_result.macro_f1,
                                   default_result.accuracy, default_result.macro_f1)
    return comparison, model
