"""Great Expectations rules fail on deliberately bad data and name the offending rows."""

from __future__ import annotations

import pandas as pd

from issue_assets import quality

T0 = pd.Timestamp("2022-01-01")


def _issue(number, **overrides):
    row = {"repo": "o/r", "number": number, "id": number, "title": "t", "state": "open", "created_at": T0,
           "updated_at": T0, "closed_at": None, "user_login": "u", "is_pull_request": False}
    row.update(overrides)
    return row


def _failures(outcomes):
    return {o.name: o.examples for o in outcomes if not o.passed}


def test_clean_issues_pass_every_rule():
    frame = pd.DataFrame([_issue(1), _issue(2, state="closed", closed_at=T0 + pd.Timedelta(days=1))])
    assert _failures(quality.raw_issue_rules(frame)) == {}


def test_bad_issues_fail_and_are_named():
    frame = pd.DataFrame([
        _issue(1),
        _issue(1),  # duplicate key
        _issue(2, state="closed"),  # closed without closed_at
        _issue(3, closed_at=T0),  # open with closed_at
        _issue(4, state="closed", closed_at=T0 - pd.Timedelta(days=1)),  # closed before created
        _issue(5, state="merged"),
        _issue(6, title=None),
        _issue(7, is_pull_request=True),
    ])
    failures = _failures(quality.raw_issue_rules(frame))
    assert failures == {
        "unique_issue_key": ["o/r#1"],
        "required_title": ["o/r#6"],
        "valid_state": ["o/r#5"],
        "closed_has_closed_at": ["o/r#2"],
        "open_has_no_closed_at": ["o/r#3"],
        "closed_after_created": ["o/r#4"],
        "no_pull_requests": ["o/r#7"],
    }


def test_labeled_and_metric_rules():
    labeled = pd.DataFrame([
        {"repo": "o/r", "number": 1, "category": "runtime_error", "confidence": 0.5, "resolution_days": 1.0},
        {"repo": "o/r", "number": 2, "category": "bugs", "confidence": 1.5, "resolution_days": -2.0},
    ])
    failures = _failures(quality.labeled_issue_rules(labeled, raw_rows=3))
    assert failures == {"categories_in_taxonomy": ["o/r#2"], "confidence_in_unit_interval": ["o/r#2"],
                        "resolution_not_negative": ["o/r#2"], "rows_match_raw_issues": ["2 rows, expected 3"]}
    metrics = pd.DataFrame([
        {"repo": "o/a", "issues": 2, **dict.fromkeys(quality.RATE_COLUMNS, 0.5)},
        {"repo": "o/b", "issues": 0, **dict.fromkeys(quality.RATE_COLUMNS, None)},
        {"repo": "o/c", "issues": 1, **dict.fromkeys(quality.RATE_COLUMNS, 0.5), "close_rate": 1.2},
    ])
    failures = _failures(quality.repo_metric_rules(metrics, labeled_rows=3))
    assert failures == {"close_rate_in_unit_interval": ["o/c"]}
    assert not quality.repo_metric_rules(metrics, labeled_rows=4)[-1].passed


def test_study_table_rules_catch_inconsistent_tables():
    summary = pd.DataFrame({"metric": ["issues", "closed_share"], "value": [10.0, 0.5], "n": [2, 10],
                            "definition": ["", ""]})
    categories = pd.DataFrame([
        {"category": "runtime_error", "issues": 6, "share": 0.6, "share_ci_low": 0.3, "share_ci_high": 0.8},
        {"category": "data", "issues": 4, "share": 0.4, "share_ci_low": 0.45, "share_ci_high": 0.7},
    ])
    tests = pd.DataFrame([
        {"feature": "has_label", "p_value": 0.01, "p_holm": 0.02, "cliffs_delta": 0.3},
        {"feature": "has_url", "p_value": 0.2, "p_holm": 0.1, "cliffs_delta": -1.5},
        {"feature": "label:bug", "p_value": None, "p_holm": None, "cliffs_delta": None},
    ])
    assert _failures(quality.study_table_rules(summary, categories, tests, labeled_rows=10)) == {
        "interval_low": ["data"], "range_cliffs_delta": ["has_url"], "range_holm_not_below_raw": ["has_url"]}
    failures = _failures(quality.study_table_rules(summary, categories, tests, labeled_rows=12))
    assert failures["summary_issues_match"] == ["10 rows, expected 12"]
    assert failures["categories_cover_issues"] == ["10 rows, expected 12"]
