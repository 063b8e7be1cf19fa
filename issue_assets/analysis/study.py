"""The study's tables (RQ1-RQ3) and the comparisons that go beyond it.

Inputs are two frames: ``labeled`` (one row per issue, ``features.LABELED_COLUMNS``) and
``metrics`` (one row per repository, ``metrics.METRIC_COLUMNS``). ``labeled`` may be None when only
repository-level counts are known (repoDB.csv alone): every number that needs issue rows is then
reported as not computed, with the reason, rather than left out.

Every table says how many rows it used (``n``) and why others were left out (``n_excluded``,
``note``). Methods are in ``stats`` and ``survival``; the comparisons are:
- ``closure_tests``: closed (X) against open (Y) issues, per feature: Wilcoxon rank-sum (U of the
  closed issues), Holm over the features, Cliff's delta and Cohen's d (positive: larger among
  closed issues). Per label: Fisher's exact test of label x state; its odds ratio is the odds of
  being closed with the label over the odds without it; Holm over the labels.
- ``owner_comparison``: academia (X) against industry (Y) repositories, same statistics.
- ``repo_correlations``: Spearman and Pearson, Holm over the table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from issue_assets.analysis import stats
from issue_assets.analysis.features import CLOSURE_FEATURES
from issue_assets.analysis.survival import durations, kaplan_meier_median
from issue_assets.analysis.taxonomy import CATEGORIES
from issue_assets.github.labels import DEFAULT_LABELS

SUMMARY_COLUMNS = ["metric", "value", "n", "definition"]
CATEGORY_COLUMNS = [
    "category", "issues", "share", "share_ci_low", "share_ci_high", "closed", "close_rate", "close_rate_ci_low",
    "close_rate_ci_high", "resolution_days_median", "km_median_days", "n",
]
TEST_COLUMNS = [
    "family", "feature", "test", "n_closed", "n_open", "n_excluded", "median_closed", "median_open", "mean_closed",
    "mean_open", "statistic", "p_value", "p_holm", "cliffs_delta", "cliffs_magnitude", "cohens_d", "odds_ratio",
    "ci_low", "ci_high", "note",
]
CORRELATION_COLUMNS = ["x", "y", "method", "coefficient", "p_value", "p_holm", "n", "n_excluded", "note"]
OWNER_COLUMNS = [
    "variable", "n_academia", "n_industry", "n_excluded", "median_academia", "median_industry", "mean_academia",
    "mean_industry", "statistic", "p_value", "p_holm", "cliffs_delta", "cliffs_magnitude", "cohens_d", "note",
]
CORRELATION_X = ("stars", "issues", "contributors")
CORRELATION_Y = ("resolution_days_mean", "close_rate")
OWNER_VARIABLES = ("issues", "stars", "contributors", "close_rate", "assignee_rate", "label_rate",
                   "resolution_days_mean")
RATE_VARIABLES = ("close_rate", "assignee_rate", "label_rate", "resolution_days_mean")
# Labels tested one by one: GitHub's defaults, and any other label on at least this many issues in
# at least MIN_LABEL_REPOS repositories (labels are compared case-insensitively).
MIN_LABEL_ISSUES = 20
MIN_LABEL_REPOS = 3
NEEDS_ISSUES = "Not computed: needs one row per issue (issueDB.csv, or mined issues)."


def _count(value) -> int:
    return int(value) if pd.notna(value) else 0


def _numeric(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.astype("Float64"), errors="coerce").astype(float)


class _Summary:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, metric: str, value, n, definition: str) -> None:
        value = float(value) if value is not None and pd.notna(value) else np.nan
        self.rows.append({"metric": metric, "value": value, "n": _count(n), "definition": definition})

    def missing(self, metric: str, definition: str) -> None:
        self.rows.append({"metric": metric, "value": np.nan, "n": 0, "definition": f"{definition} {NEEDS_ISSUES}"})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=SUMMARY_COLUMNS)


def _share(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else np.nan


def study_summary(metrics: pd.DataFrame, labeled: pd.DataFrame | None) -> pd.DataFrame:
    """RQ2 headline numbers as ``metric, value, n, definition`` (``n``: the rows the value is computed over)."""
    out = _Summary()
    repos = len(metrics)
    issues_per_repo = _numeric(metrics["issues"])
    with_issues = metrics[issues_per_repo > 0]
    out.add("repositories", repos, repos, "Distinct repositories (owner/name, compared case-insensitively; a "
            "mono-repository listed for several papers counts once).")
    out.add("repositories_without_issues", int((issues_per_repo == 0).sum()), repos,
            "Repositories with no issue (pull requests are not issues).")
    if labeled is not None:
        closed = labeled["closed"].astype(bool)
        n_issues, n_closed = len(labeled), int(closed.sum())
    else:
        n_issues, n_closed = int(issues_per_repo.sum()), int(_numeric(metrics["closed"]).sum())
    n_open = n_issues - n_closed
    out.add("issues", n_issues, repos, "Issues of these repositories, pull requests excluded.")
    out.add("issues_open", n_open, n_issues, "Issues whose state is open at mining time.")
    out.add("issues_closed", n_closed, n_issues, "Issues whose state is closed at mining time.")
    out.add("open_share", _share(n_open, n_issues), n_issues, "issues_open / issues.")
    out.add("closed_share", _share(n_closed, n_issues), n_issues, "issues_closed / issues.")
    self_def = ("Of closed issues whose closer is known, the share closed by their own reporter (closer login = "
                "reporter login); n counts closed issues with a known closer.")
    ignored_def = "Open issues with no comment, no assignee and no label (a missing comment count counts as none)."
    ignored_share_def = "ignored_issues / issues_open."
    res_def = ("days from creation to closing, over closed issues with a closing time (open issues are censored: "
               "see km_median_days in category_distribution and the Cox model)")
    if labeled is not None:
        known = labeled["self_closed"].dropna().astype(bool)
        out.add("self_closed_share", known.mean() if len(known) else np.nan, len(known), self_def)
        ignored = int(labeled["ignored"].astype(bool).sum())
        out.add("ignored_issues", ignored, n_open, ignored_def)
        out.add("ignored_share_of_open", _share(ignored, n_open), n_open, ignored_share_def)
        days = _numeric(labeled["resolution_days"]).dropna()
        out.add("resolution_days_mean", days.mean() if len(days) else np.nan, len(days), f"Mean {res_def}.")
        out.add("resolution_days_median", days.median() if len(days) else np.nan, len(days), f"Median {res_def}.")
        out.add("resolution_days_q1", days.quantile(0.25) if len(days) else np.nan, len(days),
                f"First quartile (linear interpolation) of the {res_def}.")
        out.add("resolution_days_q3", days.quantile(0.75) if len(days) else np.nan, len(days),
                f"Third quartile (linear interpolation) of the {res_def}.")
        comments = _numeric(labeled["comments"]).dropna()
        out.add("comments_mean", comments.mean() if len(comments) else np.nan, len(comments),
                "Mean comments per issue, over issues with a comment count.")
        out.add("comments_median", comments.median() if len(comments) else np.nan, len(comments),
                "Median comments per issue, over issues with a comment count.")
        with_label, with_assignee = int(labeled["has_label"].sum()), int(labeled["has_assignee"].sum())
        known_label = known_assignee = n_issues
    else:
        for metric, definition in (("self_closed_share", self_def), ("ignored_issues", ignored_def),
                                   ("ignored_share_of_open", ignored_share_def),
                                   ("resolution_days_mean", f"Mean {res_def}."),
                                   ("resolution_days_median", f"Median {res_def}."),
                                   ("resolution_days_q1", f"First quartile of the {res_def}."),
                                   ("resolution_days_q3", f"Third quartile of the {res_def}."),
                                   ("comments_mean", "Mean comments per issue."),
                                   ("comments_median", "Median comments per issue.")):
            out.missing(metric, definition)
        label_counts = _numeric(metrics["issues_with_label"])
        assignee_counts = _numeric(metrics["issues_with_assignee"])
        with_label, with_assignee = int(label_counts.sum()), int(assignee_counts.sum())
        known_label = int(issues_per_repo[label_counts.notna()].sum())
        known_assignee = int(issues_per_repo[assignee_counts.notna()].sum())
    out.add("issues_with_label", with_label, known_label, "Issues with at least one label; n: issues whose labels "
            "are known.")
    out.add("label_share", _share(with_label, known_label), known_label, "issues_with_label / n.")
    out.add("issues_with_assignee", with_assignee, known_assignee, "Issues with at least one assignee; n: issues "
            "whose assignees are known.")
    out.add("assignee_share", _share(with_assignee, known_assignee), known_assignee, "issues_with_assignee / n.")
    uses_labels = with_issues["uses_labels"].dropna()
    uses_assignees = with_issues["uses_assignees"].dropna()
    out.add("repositories_using_labels", int(uses_labels.astype(bool).sum()), len(uses_labels),
            "Repositories where at least one issue has a label; n: repositories with at least one issue.")
    out.add("repositories_using_assignees", int(uses_assignees.astype(bool).sum()), len(uses_assignees),
            "Repositories where at least one issue has an assignee; n: repositories with at least one issue.")
    custom = _numeric(metrics["n_custom_labels"]).dropna()
    out.add("repositories_with_custom_labels", int((custom > 0).sum()), len(custom),
            f"Repositories defining at least one label other than GitHub's defaults ({', '.join(DEFAULT_LABELS)}); "
            "n: repositories whose labels are known.")
    rates = _numeric(with_issues["close_rate"]).dropna()
    out.add("close_rate_mean", rates.mean() if len(rates) else np.nan, len(rates),
            "Mean over repositories with at least one issue of closed / issues (repositories without issues have "
            "no close rate, not a rate of 0).")
    out.add("close_rate_median", rates.median() if len(rates) else np.nan, len(rates),
            "Median over repositories with at least one issue of closed / issues.")
    return out.frame()


def category_distribution(labeled: pd.DataFrame) -> pd.DataFrame:
    """RQ1: per taxonomy category, its count and share (Wilson 95% CI), close rate (Wilson), resolution."""
    n = len(labeled)
    time, event, usable = durations(labeled) if n else (pd.Series(dtype=float),) * 3
    rows = []
    extra = sorted(set(labeled["category"].dropna()) - set(CATEGORIES)) if n else []
    for category in [*CATEGORIES, *extra]:
        mask = labeled["category"].eq(category) if n else pd.Series(dtype=bool)
        count = int(mask.sum())
        closed = int(labeled.loc[mask, "closed"].astype(bool).sum()) if count else 0
        share_low, share_high = stats.wilson_interval(count, n)
        close_low, close_high = stats.wilson_interval(closed, count)
        days = _numeric(labeled.loc[mask, "resolution_days"]).dropna() if count else pd.Series(dtype=float)
        km = mask & usable if count else mask
        rows.append({
            "category": category, "issues": count, "share": _share(count, n), "share_ci_low": share_low,
            "share_ci_high": share_high, "closed": closed, "close_rate": _share(closed, count),
            "close_rate_ci_low": close_low, "close_rate_ci_high": close_high,
            "resolution_days_median": days.median() if len(days) else np.nan,
            "km_median_days": kaplan_meier_median(time[km], event[km]) if count else np.nan, "n": n,
        })
    return pd.DataFrame(rows, columns=CATEGORY_COLUMNS)


def _feature_tests(labeled: pd.DataFrame) -> pd.DataFrame:
    closed = labeled["closed"].astype(bool)
    rows = []
    for feature in CLOSURE_FEATURES:
        values = _numeric(labeled[feature])
        result = stats.compare_groups(values[closed], values[~closed])
        row = result.as_row()
        rows.append({
            "family": "feature", "feature": feature, "test": "wilcoxon_rank_sum", "n_closed": row.pop("n_x"),
            "n_open": row.pop("n_y"), "n_excluded": int(values.isna().sum()), "median_closed": row.pop("median_x"),
            "median_open": row.pop("median_y"), "mean_closed": row.pop("mean_x"), "mean_open": row.pop("mean_y"),
            **row,
        })
    table = pd.DataFrame(rows)
    table["p_holm"] = stats.holm(table["p_value"])
    return table


def tested_labels(labeled: pd.DataFrame) -> list[str]:
    """GitHub's default labels, then other labels common enough to test (lower case)."""
    exploded = labeled[["repo", "labels"]].explode("labels").dropna()
    names = exploded.assign(label=exploded["labels"].astype(str).str.lower())
    usage = names.drop_duplicates(["repo", "labels"]).groupby("label")["repo"].nunique()
    counts = names.groupby("label").size()
    common = [label for label in counts.sort_values(ascending=False).index
              if label not in DEFAULT_LABELS and counts[label] >= MIN_LABEL_ISSUES and usage[label] >= MIN_LABEL_REPOS]
    return [*DEFAULT_LABELS, *common]


def _label_tests(labeled: pd.DataFrame) -> pd.DataFrame:
    closed = labeled["closed"].astype(bool).to_numpy()
    # One row per (issue position, lower-cased label): an issue has a label when its position is listed.
    lists = pd.Series(labeled["labels"].to_numpy(), index=np.arange(len(labeled))).map(
        lambda v: v if isinstance(v, list | tuple | np.ndarray) else [])
    names = lists.explode().dropna().astype(str).str.lower()
    rows = []
    for label in tested_labels(labeled):
        has = np.zeros(len(labeled), dtype=bool)
        has[names.index[names.to_numpy() == label].to_numpy(dtype=int)] = True
        table = [[int((has & closed).sum()), int((has & ~closed).sum())],
                 [int((~has & closed).sum()), int((~has & ~closed).sum())]]
        result = stats.fisher_2x2(table)
        note = f"95% CI: {result.ci_method}" if result.ci_method != "exact conditional" else None
        if not has.any():  # nothing to test: kept as a row (labels are rarely used), out of the Holm family
            result, note = stats.FisherResult(np.nan, np.nan, np.nan, np.nan), "no issue carries this label"
        rows.append({
            "family": "label", "feature": f"label:{label}", "test": "fisher_exact", "n_closed": int(closed.sum()),
            "n_open": int((~closed).sum()), "n_excluded": 0,
            "mean_closed": _share(table[0][0], closed.sum()), "mean_open": _share(table[0][1], (~closed).sum()),
            "p_value": result.p_value, "odds_ratio": result.odds_ratio, "ci_low": result.ci_low,
            "ci_high": result.ci_high, "note": note,
        })
    tests = pd.DataFrame(rows, columns=TEST_COLUMNS)
    tests["p_holm"] = stats.holm(tests["p_value"])
    return tests


def closure_tests(labeled: pd.DataFrame) -> pd.DataFrame:
    """RQ3: features of closed vs open issues, and labels one by one (see the module's docstring)."""
    if labeled.empty:
        return pd.DataFrame(columns=TEST_COLUMNS)
    return pd.concat([_feature_tests(labeled), _label_tests(labeled)], ignore_index=True).reindex(
        columns=TEST_COLUMNS)


def repo_correlations(metrics: pd.DataFrame) -> pd.DataFrame:
    """Spearman and Pearson between repository size/popularity and how its issues are handled, over
    repositories with at least one closed issue."""
    population = metrics[_numeric(metrics["closed"]) > 0]
    left_out = len(metrics) - len(population)
    rows = []
    for x in CORRELATION_X:
        for y in CORRELATION_Y:
            for method in ("spearman", "pearson"):
                result = stats.correlation(_numeric(population[x]), _numeric(population[y]), method)
                missing = len(population) - result.n
                notes = [f"{left_out} repositories without a closed issue left out"] if left_out else []
                if missing:
                    notes.append(f"{missing} without a value of {x} or {y}")
                if result.note:
                    notes.append(result.note)
                rows.append({"x": x, "y": y, "method": method, "coefficient": result.coefficient,
                             "p_value": result.p_value, "n": result.n, "n_excluded": left_out + missing,
                             "note": "; ".join(notes) or None})
    table = pd.DataFrame(rows, columns=CORRELATION_COLUMNS)
    table["p_holm"] = stats.holm(table["p_value"])
    return table


def owner_comparison(metrics: pd.DataFrame) -> pd.DataFrame:
    """Academia against industry repositories (rates over repositories with at least one issue)."""
    owner = metrics["owner_type"]
    unknown = int((~owner.isin(["academia", "industry"])).sum())
    rows = []
    for variable in OWNER_VARIABLES:
        values = _numeric(metrics[variable])
        academia, industry = values[owner.eq("academia")], values[owner.eq("industry")]
        result = stats.compare_groups(academia, industry)
        row = result.as_row()
        known_owner = owner.isin(["academia", "industry"])
        missing = int((values.isna() & known_owner).sum())
        # Rates need an issue, and resolution times a closed one: say how many left for that reason.
        needed = {"resolution_days_mean": "closed"}.get(variable, "issues") if variable in RATE_VARIABLES else None
        without = int((known_owner & values.isna() & (_numeric(metrics[needed]) == 0)).sum()) if needed else 0
        notes = [f"{unknown} repositories of unknown owner type left out"] if unknown else []
        if without:
            notes.append(f"{without} repositories without {'a closed issue' if needed == 'closed' else 'issues'} "
                         "left out")
        if missing - without:
            notes.append(f"{missing - without} repositories without a value left out")
        if row["note"]:
            notes.append(row["note"])
        rows.append({
            "variable": variable, "n_academia": row["n_x"], "n_industry": row["n_y"], "n_excluded": unknown + missing,
            "median_academia": row["median_x"], "median_industry": row["median_y"], "mean_academia": row["mean_x"],
            "mean_industry": row["mean_y"], "statistic": row["statistic"], "p_value": row["p_value"],
            "cliffs_delta": row["cliffs_delta"], "cliffs_magnitude": row["cliffs_magnitude"],
            "cohens_d": row["cohens_d"], "note": "; ".join(notes) or None,
        })
    table = pd.DataFrame(rows, columns=OWNER_COLUMNS)
    table["p_holm"] = stats.holm(table["p_value"])
    return table
