"""How well predicted categories agree with hand codes: accuracy, macro-F1, per-class precision and
recall, the confusion matrix (scikit-learn's metrics, over the 13 taxonomy ids so that a class the
classifier never predicts still counts in the macro average) and Cohen's kappa (``annotation.agreement``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from issue_assets.analysis.annotation import agreement
from issue_assets.analysis.taxonomy import CATEGORIES


@dataclass(frozen=True)
class Evaluation:
    n: int
    accuracy: float
    macro_f1: float
    kappa: float
    per_class: pd.DataFrame  # category, precision, recall, f1, support
    confusion: pd.DataFrame  # rows: hand code, columns: predicted

    def summary(self) -> str:
        return f"n = {self.n}: accuracy {self.accuracy:.3f}, macro-F1 {self.macro_f1:.3f}, kappa {self.kappa:.3f}"


def evaluate(truth: Sequence[str], predicted: Sequence[str]) -> Evaluation:
    """Compare predictions with hand codes (same order, taxonomy ids)."""
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        precision_recall_fscore_support,
    )

    truth, predicted = list(truth), list(predicted)
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} hand codes but {len(predicted)} predictions")
    if not truth:
        raise ValueError("nothing to evaluate")
    unknown = sorted((set(truth) | set(predicted)) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"not taxonomy ids: {', '.join(unknown)}")
    labels = list(CATEGORIES)
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels,
                                                                     zero_division=0)
    per_class = pd.DataFrame({"category": labels, "precision": precision, "recall": recall, "f1": f1,
                              "support": support})
    confusion = pd.DataFrame(confusion_matrix(truth, predicted, labels=labels), index=labels, columns=labels)
    confusion.index.name, confusion.columns.name = "coded", "predicted"
    # Macro-F1 over the classes present in the hand codes: a class absent from the sample has no recall.
    present = [label for label in labels if label in set(truth)]
    kappa = agreement(truth, predicted).kappa  # the one Cohen's kappa of the project (NaN when undefined)
    return Evaluation(
        n=len(truth), accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0)),
        kappa=kappa, per_class=per_class, confusion=confusion,
    )


def calibration_error(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error: the mean |accuracy - confidence| over equal-width confidence bins,
    weighted by the share of predictions in each bin (0 is perfectly calibrated)."""
    import numpy as np

    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if not len(confidence):
        return float("nan")
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(error)
