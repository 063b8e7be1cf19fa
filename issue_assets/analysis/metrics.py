"""Per-repository metrics (the study's RQ2, repository by repository).

One row per listed repository, including those with no issue (their rates are null, never 0):
- ``close_rate`` = closed / issues; ``open_rate`` = open / issues.
- ``ignored_rate`` = ignored / open issues (ignored: open, no comment, label or assignee).
- ``self_closed_rate`` = self-closed / closed issues whose closer is known.
- ``resolution_days_median``/``_mean``: over closed issues.
- ``label_rate``/``assignee_rate``: issues with at least one label / assignee, over issues;
  ``uses_labels``/``uses_assignees``: at least one such issue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METRIC_COLUMNS = [
    "repo", "full_name", "state", "owner_type", "conference", "year", "stars", "forks", "contributors",
    "n_labels_defined", "n_custom_labels", "issues", "open", "closed", "close_rate", "open_rate", "ignored",
    "ignored_rate", "self_closed", "closers_known", "self_closed_rate", "resolution_days_median",
    "resolution_days_mean", "issues_with_label", "label_rate", "uses_labels", "issues_with_assignee",
    "assignee_rate", "uses_assignees",
]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype(float)


def repo_metrics(labeled: pd.DataFrame, repositories: pd.DataFrame, metadata: pd.DataFrame) -> pd.DataFrame:
    """``labeled``: labeled_issues; ``repositories``: listed repositories; ``metadata``: repo_metadata."""
    issues = labeled.assign(
        closed=labeled["closed"].astype(bool),
        open=~labeled["closed"].astype(bool),
        ignored=labeled["ignored"].astype(bool),
        self_closed=labeled["self_closed"].fillna(False).astype(bool),
        closer_known=labeled["self_closed"].notna(),
        has_label=labeled["has_label"].astype(bool),
        has_assignee=labeled["has_assignee"].astype(bool),
    )
    grouped = issues.groupby("repo", sort=True)
    counts = pd.DataFrame({
        "issues": grouped.size(),
        "open": grouped["open"].sum(),
        "closed": grouped["closed"].sum(),
        "ignored": grouped["ignored"].sum(),
        "self_closed": grouped["self_closed"].sum(),
        "closers_known": grouped["closer_known"].sum(),
        "resolution_days_median": grouped["resolution_days"].median(),
        "resolution_days_mean": grouped["resolution_days"].mean(),
        "issues_with_label": grouped["has_label"].sum(),
        "issues_with_assignee": grouped["has_assignee"].sum(),
    })
    base = repositories[["repo", "owner_type", "conference", "year"]].drop_duplicates("repo")
    meta = metadata.reindex(columns=["repo", "full_name", "state", "stars", "forks", "contributors",
                                     "n_labels_defined", "n_custom_labels"])
    out = base.merge(meta, on="repo", how="left").merge(counts, left_on="repo", right_index=True, how="left")
    for column in ("issues", "open", "closed", "ignored", "self_closed", "closers_known", "issues_with_label",
                   "issues_with_assignee"):
        out[column] = out[column].fillna(0).astype(int)
    out["close_rate"] = _ratio(out["closed"], out["issues"])
    out["open_rate"] = _ratio(out["open"], out["issues"])
    out["ignored_rate"] = _ratio(out["ignored"], out["open"])
    out["self_closed_rate"] = _ratio(out["self_closed"], out["closers_known"])
    out["label_rate"] = _ratio(out["issues_with_label"], out["issues"])
    out["assignee_rate"] = _ratio(out["issues_with_assignee"], out["issues"])
    out["uses_labels"] = out["issues_with_label"] > 0
    out["uses_assignees"] = out["issues_with_assignee"] > 0
    for column in ("stars", "forks", "contributors", "n_labels_defined", "n_custom_labels", "year"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
    out["resolution_days_median"] = out["resolution_days_median"].astype(float)
    out["resolution_days_mean"] = out["resolution_days_mean"].replace([np.inf], np.nan).astype(float)
    return out.reindex(columns=METRIC_COLUMNS).sort_values("repo", kind="stable").reset_index(drop=True)


def repo_metrics_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """The same table from repository-level counts only (repoDB.csv): issues, open, closed and the
    issues with a label or assignee are known; what needs issue rows (ignored, self-closed,
    resolution times) is null."""
    out = counts.reindex(columns=METRIC_COLUMNS).copy()
    for column in ("issues", "open", "closed", "issues_with_label", "issues_with_assignee", "ignored", "self_closed",
                   "closers_known", "stars", "forks", "contributors", "n_labels_defined", "n_custom_labels", "year"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
    out["close_rate"] = _ratio(out["closed"], out["issues"])
    out["open_rate"] = _ratio(out["open"], out["issues"])
    out["label_rate"] = _ratio(out["issues_with_label"], out["issues"])
    out["assignee_rate"] = _ratio(out["issues_with_assignee"], out["issues"])
    out["uses_labels"] = (out["issues_with_label"] > 0).astype("boolean")
    out["uses_assignees"] = (out["issues_with_assignee"] > 0).astype("boolean")
    for column in ("ignored_rate", "self_closed_rate", "resolution_days_median", "resolution_days_mean"):
        out[column] = np.nan
    return out.sort_values("repo", kind="stable").reset_index(drop=True)
