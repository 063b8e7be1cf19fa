"""Issue features, the rule-based classifier, per-repository metrics and the closure regression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from issue_assets.analysis.features import LABELED_COLUMNS, issue_features
from issue_assets.analysis.metrics import repo_metrics
from issue_assets.analysis.regression import closure_hazards, closure_regression, design_matrix, regression_table
from issue_assets.analysis.rules import _COMPILED, classify_issue, required_literals
from issue_assets.analysis.taxonomy import CATEGORIES
from issue_assets.analysis.text import has_code_block, has_url, language, sentiment, split_code
from issue_assets.emulator.snapshot import read_snapshot
from issue_assets.mining import issue_row
from tests.conftest import read_csv_rows, shared_path

T0 = pd.Timestamp("2022-01-01")


def _raw(**overrides):
    row = {"repo": "o/r", "number": 1, "id": 1, "title": "Error when training", "body": "", "state": "open",
           "user_login": "alice", "created_at": T0, "updated_at": T0, "closed_at": None, "closed_by": None,
           "comments": 0, "labels": [], "assignees": [], "fetched_at": T0 + pd.Timedelta(days=10)}
    row.update(overrides)
    return row


def test_issue_features_follow_the_study_definitions():
    raw = pd.DataFrame([
        _raw(number=1),  # open, nothing: ignored
        _raw(number=2, comments=1),  # open with a comment: not ignored
        _raw(number=3, state="closed", closed_at=T0 + pd.Timedelta(days=2), closed_by="alice", labels=["bug"]),
        _raw(number=4, state="closed", closed_at=T0 + pd.Timedelta(hours=12), closed_by="bob",
             assignees=["bob", "carol"], body="See https://x.org\n```\nTraceback\n```\nthanks"),
        _raw(number=5, state="closed", closed_at=T0 + pd.Timedelta(days=1), closed_by=None, title="训练时出现错误"),
    ])
    out = issue_features(raw, pd.Series({"o/r": 7}))
    assert list(out.columns) == LABELED_COLUMNS
    out = out.set_index("number")
    assert out["ignored"].tolist() == [True, False, False, False, False]
    assert out["closed"].tolist() == [False, False, True, True, True]
    assert out.loc[3, "resolution_days"] == 2 and out.loc[4, "resolution_days"] == 0.5
    assert np.isnan(out.loc[1, "resolution_days"]) and out.loc[1, "age_days"] == 10
    assert bool(out.loc[3, "self_closed"]) and not bool(out.loc[4, "self_closed"])
    assert pd.isna(out.loc[5, "self_closed"]) and pd.isna(out.loc[1, "self_closed"])  # unknown closer / open
    assert out.loc[4, "n_assignees"] == 2 and out.loc[3, "has_label"] and not out.loc[1, "has_label"]
    assert out.loc[4, "has_code_block"] and out.loc[4, "has_url"] and out.loc[4, "body_lines"] == 5
    assert out.loc[5, "title_language"] == "zh" and not bool(out.loc[5, "english_title"])
    assert out["repo_contributors"].tolist() == [7] * 5
    assert set(out["category"]) <= set(CATEGORIES)


def test_text_helpers():
    prose, code = split_code("before\n```py\nx = 1\n```\nafter <pre>y</pre>")
    assert "x = 1" in code and "<pre>y</pre>" in code and "after" in prose and "x = 1" not in prose
    assert has_code_block("~~~\nlog\n~~~") and not has_code_block("plain")
    assert has_url("see www.example.org") and not has_url("no link")
    assert language("```\nonly code\n```") is None and language("How do I train on my own data?") == "en"
    # Short technical titles stay English; Chinese is zh (not Wu), Korean is ko.
    assert [language(t) for t in ("Models", "Model collapse", "Frequent Error")] == ["en", "en", "en"]
    assert language("cascade_rcnn无输出") == "zh" and language("pip 설치시 에러") == "ko"
    assert language("Je n'arrive pas à entraîner le modèle sur mes propres données") == "fr"
    assert sentiment("") == 0.0 and sentiment("```x = 1```") == 0.0 and sentiment("Thanks, great work!") > 0.5


@pytest.mark.parametrize(("title", "body", "expected"), [
    ("RuntimeError: CUDA out of memory", "Traceback (most recent call last): ...", "runtime_error"),
    ("pip install fails when building the CUDA extension", "error: command 'gcc' failed", "environment"),
    ("ModuleNotFoundError: No module named 'mmcv'", "", "environment"),
    ("Cannot reproduce the results in Table 2", "I get 71.2 mAP instead of 75.4 reported in the paper",
     "reproducibility"),
    ("Will you release the pretrained weights?", "", "model_request"),
    ("Where can I download the dataset annotations?", "", "data"),
    ("When will the code be released?", "", "code_release"),
    ("Do you have a TensorFlow version?", "", "feature_request"),
    ("How long does training take and how much GPU memory is needed?", "", "performance"),
    ("README link is broken", "", "documentation"),
    ("Great work!", "thanks", "other"),
    ("", "", "other"),
])
def test_classifier_follows_the_codebook(title, body, expected):
    label = classify_issue(title, body)
    assert label.category == expected, label
    assert 0 <= label.confidence <= 1


def test_classifier_agrees_with_the_synthetic_truth_beyond_chance(small_snapshot):
    truth = {(r["repo"], int(r["number"])): r["category"] for r in read_csv_rows(small_snapshot / "truth.csv")}
    hits = total = 0
    for snap in read_snapshot(small_snapshot):
        for item in snap.issues:
            if "pull_request" in item:
                continue
            total += 1
            hits += classify_issue(item["title"], item["body"]).category == truth[(snap.full_name, item["number"])]
    # 13 classes, the largest 23 %: a rule baseline must do far better than the majority class.
    assert hits / total > 0.5, f"accuracy {hits / total:.3f}"


def test_classifier_labels_every_real_issue_text():
    texts = pd.read_csv(shared_path("paper-data", "issue_texts.csv"))
    labels = [classify_issue(t, b) for t, b in zip(texts["Title"].fillna(""), texts["Body"].fillna(""), strict=True)]
    assert {label.category for label in labels} <= set(CATEGORIES)
    counts = pd.Series([label.category for label in labels]).value_counts(normalize=True)
    # The study's two largest categories lead among the labels the rules can give (issue 5 trains a model).
    assert {"runtime_error", "unclear_instructions"} <= set(counts.drop("other").index[:3])


def _labeled(rows):
    return issue_features(pd.DataFrame(rows), pd.Series({"o/a": 3, "o/b": 1}))


def test_repo_metrics_keep_repositories_without_issues_with_null_rates():
    labeled = _labeled([
        _raw(repo="o/a", number=1, state="closed", closed_at=T0 + pd.Timedelta(days=4), closed_by="alice"),
        _raw(repo="o/a", number=2, state="closed", closed_at=T0 + pd.Timedelta(days=2), closed_by="x", labels=["bug"]),
        _raw(repo="o/a", number=3),
        _raw(repo="o/a", number=4, comments=2, assignees=["x"]),
    ])
    repositories = pd.DataFrame({"repo": ["o/a", "o/b"], "owner_type": ["academia", "industry"],
                                 "conference": ["cvpr", "icml"], "year": [2020, 2021]})
    metadata = pd.DataFrame({"repo": ["o/a", "o/b"], "stars": [10, 5], "contributors": [3, 1]})
    metrics = repo_metrics(labeled, repositories, metadata).set_index("repo")
    a, b = metrics.loc["o/a"], metrics.loc["o/b"]
    assert (a["issues"], a["open"], a["closed"], a["ignored"]) == (4, 2, 2, 1)
    assert a["close_rate"] == 0.5 and a["ignored_rate"] == 0.5 and a["self_closed_rate"] == 0.5
    assert a["resolution_days_median"] == 3 and a["label_rate"] == 0.25 and a["uses_assignees"]
    assert b["issues"] == 0 and pd.isna(b["close_rate"]) and pd.isna(b["ignored_rate"]) and not b["uses_labels"]


def _synthetic_labeled(n, seed=1):
    rng = np.random.default_rng(seed)
    has_label = rng.random(n) < 0.3
    n_labels = has_label * rng.integers(1, 4, n)
    has_assignee = rng.random(n) < 0.1
    logit = -0.2 + 1.5 * has_label
    closed = rng.random(n) < 1 / (1 + np.exp(-logit))
    # Time to close: exponential, three times faster with a label; open issues censored at 200 days.
    time = rng.exponential(np.where(has_label, 10.0, 30.0))
    return pd.DataFrame({
        "repo": [f"o/r{i % 12}" for i in range(n)], "closed": closed, "age_days": np.where(closed, time, 200.0),
        "has_label": has_label, "n_labels": n_labels, "has_assignee": has_assignee,
        "n_assignees": has_assignee * rng.integers(1, 3, n), "title_length": rng.integers(5, 120, n),
        "body_length": rng.integers(0, 5000, n), "body_lines": rng.integers(0, 80, n),
        "has_code_block": rng.random(n) < 0.4, "has_url": rng.random(n) < 0.2,
        "english_title": pd.array(rng.random(n) < 0.95, dtype="boolean"),
        "sentiment_title": rng.uniform(-1, 1, n), "sentiment_body": rng.uniform(-1, 1, n),
        "repo_contributors": pd.array(rng.integers(1, 50, n), dtype="Int64"),
    })


def test_regression_recovers_a_known_effect_with_clustered_errors():
    table = closure_regression(_synthetic_labeled(3000)).set_index("term")
    assert table.loc["has_label", "p_value"] < 1e-4
    assert (table["model"] == "logit").all() and (table["n"] == 3000).all() and table["converged"].all()
    assert (table["clusters"] == 12).all() and 0 < table["pseudo_r2"].iloc[0] < 1
    # has_label and log1p(n_labels) carry nearly the same information: the VIF shows it.
    assert table.loc["has_label", "vif"] > 5 and table.loc["log_title_length", "vif"] < 2
    assert pd.isna(table.loc["intercept", "vif"])


def test_regression_vif_matches_statsmodels_directly():
    import statsmodels.api as sm
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    labeled = _synthetic_labeled(500)
    design = design_matrix(labeled)
    matrix = sm.add_constant(design.x).to_numpy(float)
    table = closure_regression(labeled).set_index("term")
    for i, term in enumerate(design.x.columns, start=1):
        assert table.loc[term, "vif"] == pytest.approx(variance_inflation_factor(matrix, i))


def test_regression_is_the_plain_logit_when_unclustered_errors_are_asked():
    import statsmodels.api as sm

    labeled = _synthetic_labeled(800).assign(repo="o/one")
    table = closure_regression(labeled).set_index("term")
    design = design_matrix(labeled)
    direct = sm.Logit(labeled["closed"].astype(float), sm.add_constant(design.x)).fit(disp=False)
    assert table.loc["has_label", "coef"] == pytest.approx(direct.params["has_label"])
    assert table.loc["has_label", "std_err"] == pytest.approx(direct.bse["has_label"])
    assert "one repository" in table["note"].iloc[0]


def test_regression_explains_why_it_cannot_fit():
    tiny = closure_regression(_synthetic_labeled(10))
    assert tiny["term"].tolist() == ["(model not fitted)"] and "fewer than" in tiny["note"].iloc[0]
    same = _synthetic_labeled(100).assign(closed=True)
    assert "same state" in closure_regression(same)["note"].iloc[0]
    missing = _synthetic_labeled(200)
    missing.loc[:49, "english_title"] = pd.NA
    missing["has_url"] = False
    table = closure_regression(missing)
    assert (table["n"] == 150).all() and (table["n_excluded"] == 50).all()
    assert "has_url" in table["note"].iloc[0] and "has_url" not in set(table["term"])


def test_design_leaves_out_exact_linear_combinations():
    labeled = _synthetic_labeled(300)
    labeled["n_labels"] = labeled["has_label"].astype(int)  # log1p(n_labels) = log(2) * has_label
    design = design_matrix(labeled)
    assert "log_n_labels" not in design.x.columns and "has_label" in design.x.columns
    assert any("linear combination" in note and "log_n_labels" in note for note in design.notes)


def test_cox_recovers_a_known_hazard_ratio_with_censoring():
    labeled = _synthetic_labeled(3000)
    table = closure_hazards(labeled).set_index("term")
    assert (table["model"] == "cox").all() and (table["events"] == int(labeled["closed"].sum())).all()
    # Among closed issues a label makes closing 3 times faster; the label also raises the chance of closing.
    assert table.loc["has_label", "hazard_ratio"] > 2 and table.loc["has_label", "p_value"] < 1e-6
    assert table.loc["has_label", "ci_low"] < table.loc["has_label", "hazard_ratio"] < table.loc["has_label", "ci_high"]
    assert table["ph_p_value"].between(0, 1).all()


def test_cox_matches_statsmodels_phreg_directly():
    from statsmodels.duration.hazard_regression import PHReg

    labeled = _synthetic_labeled(600)
    design = design_matrix(labeled)
    direct = PHReg(labeled["age_days"], design.x, status=labeled["closed"].astype(int), ties="efron").fit(
        groups=pd.factorize(labeled["repo"])[0])
    table = closure_hazards(labeled).set_index("term")
    assert table["coef"].tolist() == pytest.approx(list(direct.params))
    assert table["std_err"].tolist() == pytest.approx(list(direct.bse))


def test_cox_flags_non_proportional_hazards():
    rng = np.random.default_rng(4)
    n = 4000
    flag = rng.random(n) < 0.5
    # Flagged issues close fast early and never late: a hazard ratio that changes over time.
    time = np.where(flag, np.where(rng.random(n) < 0.6, rng.exponential(2, n), 500.0), rng.exponential(40, n))
    closed = time < 300
    labeled = _synthetic_labeled(n).assign(has_url=flag, closed=closed, age_days=np.minimum(time, 300.0))
    table = closure_hazards(labeled).set_index("term")
    assert table.loc["has_url", "ph_p_value"] < 1e-6
    assert "proportional hazards rejected" in table.loc["has_url", "note"]


def test_cox_explains_why_it_cannot_fit_and_drops_negative_durations():
    assert closure_hazards(pd.DataFrame())["note"].iloc[0] == "no issues"
    labeled = _synthetic_labeled(200)
    labeled.loc[:9, "age_days"] = -1.0
    table = closure_hazards(labeled)
    assert (table["n"] == 190).all() and (table["n_excluded"] == 10).all()
    both = regression_table(labeled)
    assert both["model"].tolist()[0] == "logit" and set(both["model"]) == {"logit", "cox"}


def test_issue_row_reads_github_objects():
    item = {"number": 3, "id": 9, "title": "t", "body": None, "state": "closed", "user": {"login": "u"},
            "created_at": "2022-01-01T00:00:00Z", "updated_at": "2022-01-02T00:00:00Z",
            "closed_at": "2022-01-02T00:00:00Z", "labels": [{"name": "bug"}], "assignees": [{"login": "m"}],
            "comments": 2, "reactions": {"total_count": 4}, "pull_request": {"url": "x"}}
    row = issue_row("o/r", item, pd.Timestamp("2022-02-01", tz="UTC"))
    assert row["body"] == "" and row["labels"] == ["bug"] and row["assignees"] == ["m"] and row["reactions"] == 4
    assert row["is_pull_request"] and row["created_at"] == pd.Timestamp("2022-01-01")
    assert row["fetched_at"].tzinfo is None


@pytest.mark.parametrize("rounding", [None, 1, 0])  # no ties, many ties, very many ties
@pytest.mark.parametrize("clustered", [False, True])
def test_vectorized_cox_fit_matches_statsmodels_phreg(rounding, clustered):
    from statsmodels.duration.hazard_regression import PHReg

    from issue_assets.analysis.survival import fit_cox, proportional_hazards_test

    rng = np.random.default_rng(11)
    n = 500
    x = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"]).assign(flag=rng.random(n) < 0.3)
    time = rng.exponential(5, n) * np.exp(-0.5 * x["a"].to_numpy())
    time = np.round(time, rounding) if rounding is not None else time
    event = rng.random(n) < 0.7
    groups = rng.integers(0, 20, n)
    model = PHReg(time, x.astype(float), status=event.astype(int), ties="efron")
    expected = model.fit(groups=groups if clustered else None)
    ours = fit_cox(time, event, x.astype(float), groups if clustered else None)
    assert ours.converged and ours.params == pytest.approx(expected.params, rel=1e-7, abs=1e-9)
    # statsmodels gives a NaN score residual to an issue censored before the first event (its sum is
    # empty: 0), and with it a NaN clustered covariance.
    from issue_assets.analysis.survival import clustered_covariance

    scores = np.nan_to_num(model.score_residuals(expected.params))
    covariance = clustered_covariance(model.hessian(expected.params), scores, groups) if clustered \
        else expected.cov_params()
    assert ours.cov == pytest.approx(covariance, rel=1e-6, abs=1e-12)
    if not clustered:
        assert ours.pvalues == pytest.approx(expected.pvalues, rel=1e-5, abs=1e-12)
    assert ours.loglik == pytest.approx(model.loglike(expected.params), rel=1e-9)
    assert ours.naive_cov == pytest.approx(np.linalg.inv(-model.hessian(expected.params)), rel=1e-6)
    residuals = expected.schoenfeld_residuals
    assert np.array_equal(np.isnan(ours.schoenfeld_residuals), np.isnan(residuals))
    assert ours.schoenfeld_residuals[event] == pytest.approx(residuals[event], abs=1e-7)
    assert not proportional_hazards_test(ours, time, event).isna().any().any()


def test_fast_cox_score_residuals_and_sandwich_match_statsmodels():
    from statsmodels.duration.hazard_regression import PHReg

    from issue_assets.analysis.survival import clustered_covariance, score_residuals

    rng = np.random.default_rng(8)
    n = 400
    x = rng.normal(size=(n, 3))
    time = np.round(rng.exponential(5, n), 1)  # many ties
    event = rng.random(n) < 0.7
    groups = rng.integers(0, 15, n)
    model = PHReg(time, x, status=event.astype(int), ties="efron")
    result = model.fit(groups=groups)
    expected = model.score_residuals(result.params)
    assert score_residuals(time, event, x, result.params) == pytest.approx(expected, abs=1e-10)
    covariance = clustered_covariance(model.hessian(result.params), expected, groups)
    assert covariance == pytest.approx(model.robust_covariance(result.params), rel=1e-9)


@pytest.mark.parametrize(("title", "body", "expected"), [
    ("训练过程中报错异常退出", "", "runtime_error"),
    ("如何在自己的数据集上训练", "", "unclear_instructions"),
    ("安装paddlepaddle-gpu时编译失败", "", "environment"),
    ("复现论文结果精度低", "", "reproducibility"),
    ("为什么要在sigmoid之前乘0.01", "", "method_question"),
    ("请问可以提供预训练模型吗", "", "model_request"),
    ("推理速度很慢", "", "performance"),
    ("Any plans to support ViTDet?", "", "feature_request"),
    ("Could you share the training code?", "", "code_release"),
])
def test_rules_read_chinese_and_common_english_phrasings(title, body, expected):
    assert classify_issue(title, body).category == expected


@pytest.mark.parametrize(("pattern", "literals"), [
    (r"\btraceback\b", ("traceback",)),
    (r"\b(pip|conda|install(ing|ed)?|setup\.py)\b", ("conda", "install", "pip", "setup.py")),
    (r"\bshapes? .{0,30}mismatch", ("mismatch",)),  # the longest required part
    (r"\bout of memory\b|\boom\b", ("om", "ut of memory")),  # re factors the common "o" out
    (r"\b\w*(error|exception)\b", ("rror", "xception")),  # and here the common "e"
    (r"\bwhy (do|does)\b", ("why ",)),
    (r"\bdoes(n't| not) converge\b", (" converge",)),
    (r"\b(a|b)?c\b", ("c",)),  # an optional group requires nothing
    (r"\b\d+\b", None), (r"\b(foo|\w+)\b", None),  # an alternative without a literal: always search
    (r"(ab)+x{2,}", ("ab",)),
])
def test_each_rule_is_searched_only_in_texts_holding_one_of_its_literals(pattern, literals):
    assert required_literals(pattern) == literals


def test_the_literal_prefilter_never_skips_a_rule_that_matches_a_real_issue():
    """Every rule on every real issue text of the study (4,490, lower-cased as the classifier reads them):
    when the rule matches, the text holds one of its literals; so the labels are those of no prefilter."""
    texts = pd.read_csv(shared_path("paper-data", "issue_texts.csv"), dtype=str, keep_default_na=False)
    documents = [f"{t}\n{b}".lower() for t, b in zip(texts["Title"], texts["Body"], strict=True)]
    matched = 0
    for rules in _COMPILED.values():
        for pattern, _, literals in rules:
            for text in documents:
                if pattern.search(text):
                    matched += 1
                    assert literals is None or any(literal in text for literal in literals), pattern.pattern
    assert matched > 10_000
