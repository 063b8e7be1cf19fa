"""The learned classifier: training, calibration, storage as plain arrays, and its errors."""

import random

import numpy as np
import pytest

from issue_assets.analysis import learned
from issue_assets.analysis.evaluation import calibration_error
from issue_assets.emulator.texts import CATEGORY_WEIGHTS, issue_text


@pytest.fixture(scope="module")
def corpus():
    rng = random.Random(3)
    titles, bodies, labels = [], [], []
    for category in CATEGORY_WEIGHTS:
        for _ in range(12):
            title, body = issue_text(rng, category, "owner")
            titles.append(title)
            bodies.append(body or "")
            labels.append(category)
    return titles, bodies, labels


@pytest.fixture(scope="module")
def model(corpus):
    return learned.train(*corpus, folds=3)


def test_training_learns_the_categories_and_calibrates(model, corpus):
    titles, bodies, labels = corpus
    predicted, confidence = model.predict(titles, bodies)
    assert np.mean(np.array(predicted) == np.array(labels)) > 0.8  # the training issues themselves
    assert ((confidence > 0) & (confidence <= 1)).all() and 0.05 <= model.temperature <= 20
    assert sorted(model.classes) == sorted(set(labels))
    assert model.predict([], []) == ([], pytest.approx(np.zeros(0)))


def test_cross_validated_scores_cover_every_issue_and_class(corpus):
    scores, classes = learned.cross_validated_scores(*corpus, folds=3)
    assert scores.shape == (len(corpus[0]), len(set(corpus[2]))) and np.isfinite(scores).all()
    accuracy = np.mean(np.array(classes)[scores.argmax(1)] == np.array(corpus[2]))
    assert accuracy > 1 / len(classes) * 3  # far better than chance on issues it was not trained on


def test_model_round_trips_through_plain_arrays(model, corpus, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = learned.LearnedClassifier.load(path)
    titles, bodies, _ = corpus
    assert loaded.classes == model.classes and loaded.temperature == pytest.approx(model.temperature)
    assert loaded.predict_proba(titles[:20], bodies[:20]) == pytest.approx(
        model.predict_proba(titles[:20], bodies[:20]), abs=1e-4)  # stored as float32
    with np.load(path, allow_pickle=False) as stored:  # no pickled object inside
        assert set(stored.files) == {"meta", "word_idf", "char_idf", "coef", "intercept"}


def test_training_refuses_bad_labels_and_tiny_categories(corpus):
    titles, bodies, labels = corpus
    with pytest.raises(ValueError, match="not taxonomy ids: bugs"):
        learned.train(titles[:3], bodies[:3], ["bugs", "data", "data"])
    with pytest.raises(ValueError, match="at least 5 coded issues"):
        learned.train(titles[:12] + titles[12:15], bodies[:12] + bodies[12:15], labels[:12] + labels[12:15])


def test_temperature_softens_overconfident_scores():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 2000)
    # Scores that put 10 on a class that is right only 60% of the time: overconfident.
    guess = np.where(rng.random(2000) < 0.6, truth, (truth + 1) % 3)
    scores = np.zeros((2000, 3))
    scores[np.arange(2000), guess] = 10.0
    temperature = learned.fit_temperature(scores, ["a", "b", "c"], [["a", "b", "c"][t] for t in truth])
    probabilities = learned._softmax(scores / temperature)
    assert temperature > 5
    assert probabilities.max(axis=1).mean() == pytest.approx(0.6, abs=0.03)


def test_calibration_error_by_hand():
    # Two bins: confidence 0.9 right 1 of 2 times (gap 0.4), confidence 0.3 right 0 of 2 times (gap 0.3).
    assert calibration_error([0.9, 0.9, 0.3, 0.3], [True, False, False, False]) == pytest.approx(0.35)
    assert calibration_error([0.8] * 10, [True] * 8 + [False] * 2) == pytest.approx(0.0)


def test_shipped_model_labels_frames_and_keeps_the_codebook_rule_for_empty_issues():
    import pandas as pd

    from issue_assets.analysis.classifier import DEFAULT_MODEL, classify_frame, default_model
    from issue_assets.analysis.rules import classify_issue

    assert DEFAULT_MODEL.exists(), "the package ships issue_classifier.npz (scripts/train_classifier.py)"
    assert sorted(default_model().classes) == sorted(CATEGORY_WEIGHTS)
    frame = pd.DataFrame({"title": ["RuntimeError: CUDA out of memory when training", "", ""],
                          "body": ["Traceback (most recent call last):\n  File train.py", None, "```\nx = 1\n```"]})
    labels = classify_frame(frame)
    assert labels["category"].tolist()[1:] == ["other", "other"]
    assert labels.loc[0, "category"] == "runtime_error" and labels.loc[0, "evidence"].startswith("model p=")
    assert 0 < labels.loc[0, "confidence"] <= 1
    rules = classify_frame(frame, method="rules")
    assert rules.loc[0, "category"] == classify_issue(frame.loc[0, "title"], frame.loc[0, "body"]).category
    with pytest.raises(ValueError, match="method"):
        classify_frame(frame, method="bert")


def test_project_model_is_compared_with_the_default_by_cross_validation(corpus):
    from issue_assets.analysis import project_model

    titles, bodies, labels = corpus
    comparison, model = project_model.compare_with_default(titles, bodies, labels, default=None, folds=3)
    # Synthetic texts of a "project": a model trained on its own codes beats the generic rules.
    assert comparison.coded == len(labels) and model is not None
    assert comparison.project_is_better and comparison.project_macro_f1 > comparison.default_macro_f1
    assert comparison.as_metadata()["uses_project_model"] is True
    few, none = project_model.compare_with_default(titles[:6], bodies[:6], labels[:6], default=None, folds=3)
    assert none is None and np.isnan(few.project_accuracy) and not few.project_is_better
    assert "at least 3 coded issues" in few.note


def test_labels_in_worker_processes_equal_labels_in_one(corpus, monkeypatch):
    import pandas as pd

    from issue_assets.analysis import classifier, processes

    titles, bodies, _ = corpus
    frame = pd.DataFrame({"title": titles[:40], "body": bodies[:40]}, index=range(100, 140))
    monkeypatch.setattr(processes, "PARALLEL_MIN_ROWS", 10)
    together = classifier.classify_frame(frame, workers=2)
    assert together.equals(classifier.classify_frame(frame)) and together.index.tolist() == list(range(100, 140))
    assert processes.available_cores() >= 1
