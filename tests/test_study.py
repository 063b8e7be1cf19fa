"""The study's tables on hand-computed cases and edge cases (no closed issue, one repository, ties...)."""

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from issue_assets.analysis import study
from issue_assets.analysis.features import CLOSURE_FEATURES, issue_features
from issue_assets.analysis.metrics import repo_metrics, repo_metrics_from_counts
from issue_assets.analysis.regression import regression_table
from issue_assets.analysis.stats import wilson_interval
from issue_assets.analysis.survival import kaplan_meier_median
from issue_assets.analysis.taxonomy import CATEGORIES
from issue_assets.github.labels import DEFAULT_LABELS

T0 = pd.Timestamp("2022-01-01")
MINED = T0 + pd.Timedelta(days=100)


def _raw(**overrides):
    row = {"repo": "o/a", "number": 1, "id": 1, "title": "Error when training the model", "body": "",
           "state": "open", "user_login": "alice", "created_at": T0, "closed_at": None, "closed_by": None,
           "comments": 0, "labels": [], "assignees": [], "fetched_at": MINED}
    row.update(overrides)
    return row


def _closed(days, **overrides):
    return _raw(**{"state": "closed", "closed_at": T0 + pd.Timedelta(days=days), "closed_by": "maintainer",
                   **overrides})


def _tables(rows, owners=None):
    raw = pd.DataFrame(rows)
    repos = sorted(set(raw["repo"]) | set(owners or {}))
    owners = owners or {}
    labeled = issue_features(raw, pd.Series(dict.fromkeys(repos, 2)))
    repositories = pd.DataFrame({"repo": repos, "owner_type": [owners.get(r, "academia") for r in repos],
                                 "conference": "cvpr", "year": 2020})
    metadata = pd.DataFrame({"repo": repos, "stars": range(10, 10 + len(repos)), "contributors": 2,
                             "n_custom_labels": 0})
    return labeled, repo_metrics(labeled, repositories, metadata)


def test_study_summary_by_hand():
    labeled, metrics = _tables([
        _raw(number=1),  # open, ignored
        _raw(number=2, comments=3, labels=["bug"]),  # open, labelled
        _closed(2, number=3, closed_by="alice", comments=1),  # self-closed by its reporter
        _closed(4, number=4, assignees=["bob"], comments=2),
        _closed(10, number=5, closed_by=None),  # closer unknown
        _raw(repo="o/b", number=1, state="closed", closed_at=T0 + pd.Timedelta(days=6), closed_by="x"),
    ], owners={"o/c": "industry"})
    summary = study.study_summary(metrics, labeled).set_index("metric")
    value = summary["value"]
    assert (value["repositories"], value["repositories_without_issues"], value["issues"]) == (3, 1, 6)
    assert (value["issues_open"], value["issues_closed"], value["open_share"]) == (2, 4, pytest.approx(1 / 3))
    assert value["self_closed_share"] == pytest.approx(1 / 3) and summary.loc["self_closed_share", "n"] == 3
    assert (value["ignored_issues"], value["ignored_share_of_open"]) == (1, 0.5)
    assert value["resolution_days_median"] == 5 and value["resolution_days_mean"] == 5.5
    assert (value["resolution_days_q1"], value["resolution_days_q3"]) == (3.5, 7)  # linear interpolation
    assert value["comments_mean"] == 1 and value["comments_median"] == 0.5
    assert (value["issues_with_label"], value["issues_with_assignee"]) == (1, 1)
    assert (value["repositories_using_labels"], summary.loc["repositories_using_labels", "n"]) == (1, 2)
    # Close rates 3/5 and 1/1 over the two repositories with issues; o/c has none and no rate.
    assert value["close_rate_mean"] == pytest.approx(0.8) and value["close_rate_median"] == pytest.approx(0.8)
    assert summary.loc["close_rate_mean", "n"] == 2
    assert summary["definition"].str.len().gt(10).all()
    assert list(summary.columns) == ["value", "n", "definition"]


def test_study_summary_without_issue_rows_says_what_it_cannot_compute():
    counts = pd.DataFrame({"repo": ["o/a", "o/b", "o/c"], "owner_type": ["academia", "industry", "academia"],
                           "issues": [10, 0, 5], "open": [4, 0, 5], "closed": [6, 0, 0],
                           "issues_with_label": [2, 0, None], "issues_with_assignee": [0, 0, 1],
                           "n_custom_labels": [0, 1, 0], "stars": [1, 2, 3], "contributors": [1, 1, 1]})
    metrics = repo_metrics_from_counts(counts)
    summary = study.study_summary(metrics, None).set_index("metric")
    assert summary.loc["issues", "value"] == 15 and summary.loc["closed_share", "value"] == pytest.approx(0.4)
    # o/c's labels are unknown: its five issues are not in the label denominator.
    assert (summary.loc["issues_with_label", "value"], summary.loc["issues_with_label", "n"]) == (2, 10)
    assert summary.loc["issues_with_assignee", "n"] == 15
    assert summary.loc["repositories_using_labels", "n"] == 1  # o/c unknown, o/b has no issue
    assert math.isnan(summary.loc["resolution_days_median", "value"])
    assert "Not computed" in summary.loc["ignored_issues", "definition"]
    assert summary.loc["close_rate_mean", "value"] == pytest.approx(0.3)


def test_category_distribution_wilson_and_censoring():
    rows = [_closed(d, number=i, title="RuntimeError: CUDA out of memory") for i, d in enumerate([1, 2, 3], 1)]
    rows += [_raw(number=4, title="RuntimeError: size mismatch")]  # open: censored at 100 days
    labeled, _ = _tables(rows)
    table = study.category_distribution(labeled).set_index("category")
    assert list(table.index[:13]) == list(CATEGORIES)
    runtime = table.loc["runtime_error"]
    assert (runtime["issues"], runtime["share"], runtime["closed"]) == (4, 1.0, 3)
    assert (runtime["share_ci_low"], runtime["share_ci_high"]) == pytest.approx(wilson_interval(4, 4))
    assert (runtime["close_rate_ci_low"], runtime["close_rate_ci_high"]) == pytest.approx(wilson_interval(3, 4))
    assert runtime["resolution_days_median"] == 2
    # Kaplan-Meier: S drops to 3/4, 2/4, 1/4 at days 1, 2, 3: the median is day 2.
    assert runtime["km_median_days"] == 2
    empty = table.loc["data"]
    assert empty["issues"] == 0 and empty["share"] == 0 and math.isnan(empty["close_rate"])


def test_kaplan_meier_median_against_statsmodels_and_when_never_reached():
    rng = np.random.default_rng(0)
    time = pd.Series(rng.exponential(10, 300))
    event = pd.Series(rng.random(300) < 0.7)
    curve = SurvfuncRight(time.to_numpy(), event.to_numpy(int))
    expected = curve.surv_times[np.flatnonzero(curve.surv_prob <= 0.5 + 1e-9)[0]]
    assert kaplan_meier_median(time, event) == expected
    # Three of ten closed: more than half are still open, so there is no median.
    assert math.isnan(kaplan_meier_median(pd.Series(range(10), dtype=float), pd.Series([True] * 3 + [False] * 7)))
    assert math.isnan(kaplan_meier_median(pd.Series([1.0]), pd.Series([False])))


def test_closure_tests_direction_holm_and_labels():
    rows = [_closed(1, number=i, labels=["bug"], title="x" * (20 + i)) for i in range(1, 16)]
    rows += [_raw(number=i, title="y" * (i - 15)) for i in range(16, 26)]
    labeled, _ = _tables(rows)
    tests = study.closure_tests(labeled)
    features = tests[tests["family"] == "feature"].set_index("feature")
    assert list(features.index) == CLOSURE_FEATURES
    # Every closed issue is labelled and no open one: delta = +1, larger among closed issues.
    assert features.loc["has_label", "cliffs_delta"] == 1.0 and features.loc["has_label", "cliffs_magnitude"] == "large"
    assert features.loc["has_label", "mean_closed"] == 1.0 and features.loc["has_label", "mean_open"] == 0.0
    assert features.loc["title_length", "cliffs_delta"] == 1.0 and features.loc["title_length", "cohens_d"] > 0
    family = features["p_value"].dropna()
    assert (features.loc[family.index, "p_holm"] >= family - 1e-12).all()
    labels = tests[tests["family"] == "label"].set_index("feature")
    assert [f"label:{name}" for name in DEFAULT_LABELS] == list(labels.index[: len(DEFAULT_LABELS)])
    assert labels.loc["label:bug", "p_value"] < 0.001 and math.isinf(labels.loc["label:bug", "odds_ratio"])
    assert labels.loc["label:wontfix", "note"] == "no issue carries this label"
    assert math.isnan(labels.loc["label:wontfix", "p_holm"])


def test_closure_tests_with_no_closed_issue_explain_themselves():
    labeled, _ = _tables([_raw(number=i) for i in range(1, 6)])
    tests = study.closure_tests(labeled)
    features = tests[tests["family"] == "feature"]
    assert features["note"].eq("a group is empty: nothing to compare").all()
    assert features["p_value"].isna().all() and (features["n_closed"] == 0).all()
    models = regression_table(labeled)
    assert set(models["term"]) == {"(model not fitted)"} and set(models["model"]) == {"logit", "cox"}
    assert study.closure_tests(labeled.iloc[0:0]).empty


def test_common_custom_labels_are_tested_rare_ones_are_not():
    rows = []
    for i in range(30):
        repo = f"o/r{i % 3}"
        rows.append(_closed(1, repo=repo, number=i, labels=["Needs-Info"] if i % 2 else ["rare"] if i == 0 else []))
    labeled, _ = _tables(rows)
    names = study.tested_labels(labeled)
    assert names[: len(DEFAULT_LABELS)] == list(DEFAULT_LABELS)
    assert names[len(DEFAULT_LABELS):] == [] and "needs-info" not in names  # 15 issues: below 20
    rows += [_raw(repo=f"o/r{i % 3}", number=100 + i, labels=["needs-info"]) for i in range(6)]
    labeled, _ = _tables(rows)
    assert study.tested_labels(labeled)[len(DEFAULT_LABELS):] == ["needs-info"]


def test_empty_bodies_and_non_english_text_are_handled():
    rows = [_closed(1, number=1, body="", title="模型训练时报错怎么办"), _raw(number=2, body="", title="")]
    labeled, _ = _tables(rows)
    assert labeled.loc[0, "english_title"] == False  # noqa: E712 (nullable boolean)
    assert pd.isna(labeled.loc[1, "english_title"])
    tests = study.closure_tests(labeled).set_index("feature")
    assert tests.loc["english_title", "n_excluded"] == 1
    assert tests.loc["body_length", "note"] == "every value ties"


def test_repo_correlations_population_and_exclusions():
    counts = pd.DataFrame({
        "repo": [f"o/r{i}" for i in range(8)], "owner_type": "academia",
        "stars": [5, 50, 500, 10, 100, 1000, 7, None], "issues": [2, 4, 8, 3, 6, 12, 0, 5],
        "open": [1, 2, 2, 1, 2, 2, 0, 5], "closed": [1, 2, 6, 2, 4, 10, 0, 0],
        "contributors": [1, 2, 3, 1, 2, 3, 1, 1], "issues_with_label": 0, "issues_with_assignee": 0})
    table = study.repo_correlations(repo_metrics_from_counts(counts)).set_index(["x", "y", "method"])
    row = table.loc[("stars", "close_rate", "spearman")]
    # Six repositories with a closed issue; o/r6 (no issue) and o/r7 (none closed) are left out.
    assert (row["n"], row["n_excluded"]) == (6, 2) and "2 repositories without a closed issue" in row["note"]
    rates = [0.5, 0.5, 0.75, 2 / 3, 2 / 3, 10 / 12]
    assert row["coefficient"] == pytest.approx(pd.Series([5, 50, 500, 10, 100, 1000]).corr(
        pd.Series(rates), method="spearman"))
    resolution = table.loc[("stars", "resolution_days_mean", "pearson")]
    assert resolution["n"] == 0 and "at least 3" in resolution["note"]
    assert table["p_holm"].dropna().ge(table["p_value"].dropna() - 1e-12).all()


def test_owner_comparison_counts_unknown_owners_and_empty_repositories():
    counts = pd.DataFrame({
        "repo": [f"o/r{i}" for i in range(7)],
        "owner_type": ["academia", "academia", "academia", "industry", "industry", None, "industry"],
        "stars": [1, 2, 3, 10, 20, 5, 30], "issues": [1, 2, 0, 10, 20, 3, 5], "open": [1, 1, 0, 5, 5, 1, 0],
        "closed": [0, 1, 0, 5, 15, 2, 5], "contributors": 1, "issues_with_label": 0, "issues_with_assignee": 0})
    table = study.owner_comparison(repo_metrics_from_counts(counts)).set_index("variable")
    stars = table.loc["stars"]
    assert (stars["n_academia"], stars["n_industry"], stars["n_excluded"]) == (3, 3, 1)
    assert stars["cliffs_delta"] == -1.0 and "unknown owner type" in stars["note"]
    close = table.loc["close_rate"]
    assert (close["n_academia"], close["n_excluded"]) == (2, 2) and "1 repositories without issues" in close["note"]
    assert list(table.index) == list(study.OWNER_VARIABLES)


def test_one_repository_still_gives_every_table():
    rows = [_closed(d, number=i, labels=["bug"] if i % 3 else []) for i, d in enumerate(range(1, 41), 1)]
    rows += [_raw(number=100 + i, title=f"question {i}") for i in range(20)]
    labeled, metrics = _tables(rows)
    models = regression_table(labeled)
    assert "one repository" in models["note"].iloc[0]
    assert study.repo_correlations(metrics)["n"].eq(1).all()
    assert len(study.category_distribution(labeled)) == len(CATEGORIES)


def test_report_cells_are_rounded_to_the_digits_that_carry_meaning():
    from issue_assets.analysis.report import format_value

    assert format_value("issues", 24953) == "24,953" and format_value("n", 24953.0) == "24,953"
    assert format_value("p_holm", 0.00004) == "< 0.001" and format_value("p_value", 0.04567) == "0.046"
    assert format_value("close_rate", 1.0) == "1.00" and format_value("share_ci_low", 0.23181) == "0.23"
    assert format_value("cliffs_delta", 0.0, counts=False) == "0.00" and format_value("cliffs_delta", -0.001) == "0.00"
    assert format_value("odds_ratio", 56.83) == "56.8" and format_value("stars", 5986.4) == "5,986"
    assert format_value("odds_ratio", float("inf")) == "∞" and format_value("x", float("nan")) == ""
    assert format_value("uses_labels", True) == "yes" and format_value("repo", "o/a") == "o/a"
