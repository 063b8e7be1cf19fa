"""Classifier evaluation against hand codes, on hand-computed cases."""

import pytest

from issue_assets.analysis.evaluation import evaluate


def test_evaluation_by_hand():
    truth = ["runtime_error", "runtime_error", "data", "data", "other"]
    predicted = ["runtime_error", "data", "data", "data", "runtime_error"]
    result = evaluate(truth, predicted)
    assert result.n == 5 and result.accuracy == pytest.approx(0.6)
    per_class = result.per_class.set_index("category")
    # runtime_error: precision 1/2, recall 1/2; data: precision 2/3, recall 1; other: 0.
    assert per_class.loc["runtime_error", ["precision", "recall"]].tolist() == [0.5, 0.5]
    assert per_class.loc["data", "precision"] == pytest.approx(2 / 3) and per_class.loc["data", "recall"] == 1
    assert per_class.loc["code_bug", "support"] == 0
    # Macro-F1 over the three coded classes: (0.5 + 0.8 + 0) / 3.
    assert result.macro_f1 == pytest.approx(1.3 / 3)
    assert result.confusion.loc["other", "runtime_error"] == 1 and result.confusion.to_numpy().sum() == 5
    # Kappa: observed 0.6; chance (2*2 + 2*3 + 1*0) / 25 = 0.4; (0.6 - 0.4) / 0.6.
    assert result.kappa == pytest.approx(1 / 3)
    assert "accuracy 0.600" in result.summary()


def test_evaluation_rejects_bad_input():
    with pytest.raises(ValueError, match="2 hand codes but 1"):
        evaluate(["data", "data"], ["data"])
    with pytest.raises(ValueError, match="not taxonomy ids: bug"):
        evaluate(["bug"], ["data"])
    with pytest.raises(ValueError, match="nothing"):
        evaluate([], [])
