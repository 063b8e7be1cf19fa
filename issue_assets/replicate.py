"""The study's analyses on its replication-package format (``issue-assets replicate``).

repoDB.csv alone gives every repository-level number it holds; issueDB.csv adds the issue-level
ones (categories, resolution times, tests, models). The tables are the same functions the Dagster
assets run on mined data, so the two paths cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from issue_assets.analysis import study
from issue_assets.analysis.features import issue_features
from issue_assets.analysis.metrics import repo_metrics, repo_metrics_from_counts
from issue_assets.analysis.regression import REGRESSION_COLUMNS, regression_table
from issue_assets.analysis.report import render_report
from issue_assets.sources.replication_package import read_issue_db, read_repo_db_counts, repositories_of

TABLES = ("study_summary", "category_distribution", "closure_tests", "regression_table", "repo_correlations",
          "owner_comparison", "repo_metrics")
_EMPTY_WITHOUT_ISSUES = {
    "category_distribution": study.CATEGORY_COLUMNS,
    "closure_tests": study.TEST_COLUMNS,
    "regression_table": REGRESSION_COLUMNS,
}


@dataclass
class Replication:
    tables: dict[str, pd.DataFrame]
    labeled: pd.DataFrame | None
    notes: list[str] = field(default_factory=list)
    rejected_repositories: pd.DataFrame | None = None
    rejected_issues: pd.DataFrame | None = None


def replicate(repo_db: str | Path, issue_db: str | Path | None = None,
              mined_at: pd.Timestamp | None = None) -> Replication:
    """Every table of the study from repoDB.csv (and issueDB.csv when given)."""
    counts = read_repo_db_counts(repo_db)
    notes = [f"{Path(repo_db).name}: {counts.rows} rows, {len(counts.repositories)} distinct repositories "
             f"({counts.rows - len(counts.repositories) - len(counts.rejected)} repeated rows of mono-repositories "
             f"or duplicates merged, {len(counts.rejected)} rejected)"]
    if counts.conflicts:
        notes.append(f"rows of one repository disagree (first row kept): {', '.join(counts.conflicts)}")
    rejected_repositories = pd.DataFrame(counts.rejected, columns=["entry", "where", "reason"])
    frame = counts.repositories
    if issue_db is None:
        metrics = repo_metrics_from_counts(frame)
        labeled = None
        tables = {name: pd.DataFrame(columns=columns) for name, columns in _EMPTY_WITHOUT_ISSUES.items()}
        notes.append("no issueDB.csv: category_distribution, closure_tests and regression_table need issue rows "
                     "and are written empty; issue-level rows of study_summary say 'Not computed'")
        rejected_issues = None
    else:
        issues = read_issue_db(issue_db, mined_at)
        rejected_issues = pd.DataFrame(issues.rejected, columns=["line", "repo", "number", "reason"])
        raw = issues.issues
        if not issues.has_sentiment:
            raw = raw.drop(columns=["sentiment_title", "sentiment_body"])
        notes.append(f"{Path(issue_db).name}: {len(raw)} issues read, {len(rejected_issues)} rejected; open issues "
                     f"censored at {raw['fetched_at'].iloc[0] if len(raw) else 'n/a'}; sentiment "
                     f"{'as given in the file' if issues.has_sentiment else 'computed with VADER'}")
        known = set(frame["repo"].str.lower())
        unknown = sorted({r for r in raw["repo"] if r.lower() not in known})
        if unknown:
            notes.append(f"{len(unknown)} repositories of issueDB.csv are not in repoDB.csv and have no owner type: "
                         f"{', '.join(unknown[:10])}{' ...' if len(unknown) > 10 else ''}")
            frame = pd.concat([frame, pd.DataFrame({"repo": unknown, "papers": 0})], ignore_index=True)
        # Issue rows decide the issue numbers; say where they disagree with repoDB's counts.
        listed = raw.assign(key=raw["repo"].str.lower()).groupby("key").size()
        expected = frame.set_index(frame["repo"].str.lower())["issues"].dropna()
        differ = expected[expected.ne(listed.reindex(expected.index).fillna(0))]
        if len(differ):
            notes.append(f"{len(differ)} repositories have a different number of issues in issueDB.csv than "
                         f"repoDB.csv's Num_Issue (issue rows are used): {', '.join(differ.index[:10])}")
        contributors = frame.set_index("repo")["contributors"]
        labeled = issue_features(raw, contributors)
        metrics = repo_metrics(labeled, repositories_of(frame), frame)
        tables = {
            "category_distribution": study.category_distribution(labeled),
            "closure_tests": study.closure_tests(labeled),
            "regression_table": regression_table(labeled),
        }
    tables["study_summary"] = study.study_summary(metrics, labeled)
    tables["repo_correlations"] = study.repo_correlations(metrics)
    tables["owner_comparison"] = study.owner_comparison(metrics)
    tables["repo_metrics"] = metrics
    return Replication({name: tables[name] for name in TABLES}, labeled, notes, rejected_repositories,
                       rejected_issues)


def write_tables(result: Replication, out: str | Path, report: bool = True) -> list[Path]:
    """One CSV per table into ``out``, the rejected rows when there are any, and ``study_report.html``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in result.tables.items():
        path = folder / f"{name}.csv"
        table.to_csv(path, index=False)
        written.append(path)
    for name, rejected in (("rejected_repositories", result.rejected_repositories),
                           ("rejected_issues", result.rejected_issues)):
        path = folder / f"{name}.csv"
        if rejected is not None and len(rejected):
            rejected.to_csv(path, index=False)
            written.append(path)
        elif path.exists():
            path.unlink()  # from an earlier run: it would describe other input
    if report:
        page = render_report(result.tables, result.labeled, "What do users ask in open-source AI repositories? "
                             "(replication)", result.notes)
        path = folder / "study_report.html"
        path.write_text(page.html, encoding="utf-8")
        written.append(path)
    return written
