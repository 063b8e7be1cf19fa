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
