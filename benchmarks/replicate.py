"""`issue-assets replicate` at study scale: time per step and peak memory.

    .venv/bin/python benchmarks/replicate.py [--repos 576] [--issues 25000] [--seed 1]

Writes a synthetic snapshot in the replication-package format (repoDB.csv, issueDB.csv), then times
reading, the issue features, every table and the report, as `replicate` runs them. Also times
repoDB.csv of the study when ../shared/paper-data is present.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from scale import scale_arguments  # noqa: E402

from issue_assets.analysis import study  # noqa: E402
from issue_assets.analysis.features import issue_features  # noqa: E402
from issue_assets.analysis.metrics import repo_metrics  # noqa: E402
from issue_assets.analysis.regression import closure_hazards, closure_regression  # noqa: E402
from issue_assets.analysis.report import render_report  # noqa: E402
from issue_assets.emulator.generator import generate_snapshot  # noqa: E402
from issue_assets.replicate import replicate  # noqa: E402
from issue_assets.sources.replication_package import read_issue_db, read_repo_db_counts, repositories_of  # noqa: E402
from tests.replication_package import write_package  # noqa: E402


def _timed(label: str, function, *args):
    started = time.perf_counter()
    value = function(*args)
    print(f"  {label:<28} {time.perf_counter() - started:7.2f} s")
    return value


def main() -> None:
    args = scale_arguments(__doc__)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        generate_snapshot(folder / "snapshot", args.repos, args.issues, args.seed)
        repo_db, issue_db = write_package(folder / "snapshot", folder / "package")
        print(f"replicate on {args.repos} repositories, {args.issues} issues (issueDB.csv "
              f"{issue_db.stat().st_size / 1e6:.1f} MB)")
        total = time.perf_counter()
        counts = _timed("read repoDB.csv", read_repo_db_counts, repo_db).repositories
        raw = _timed("read issueDB.csv", read_issue_db, issue_db).issues
        raw = raw.drop(columns=["sentiment_title", "sentiment_body"])
        labeled = _timed("issue features + classifier", issue_features, raw, counts.set_index("repo")["contributors"])
        metrics = _timed("repo_metrics", repo_metrics, labeled, repositories_of(counts), counts)
        tables = {
            "study_summary": _timed("study_summary", study.study_summary, metrics, labeled),
            "category_distribution": _timed("category_distribution", study.category_distribution, labeled),
            "closure_tests": _timed("closure_tests", study.closure_tests, labeled),
            "repo_correlations": _timed("repo_correlations", study.repo_correlations, metrics),
            "owner_comparison": _timed("owner_comparison", study.owner_comparison, metrics),
        }
        logit = _timed("logit (clustered SE, VIF)", closure_regression, labeled)
        cox = _timed("cox (clustered SE, PH check)", closure_hazards, labeled)
        tables["regression_table"] = pd.concat([logit, cox], ignore_index=True)
        tables["repo_metrics"] = metrics
        report = _timed("report (5 figures)", render_report, tables, labeled, "benchmark")
        print(f"  {'total':<28} {time.perf_counter() - total:7.2f} s; report {len(report.html) / 1e6:.2f} MB")
    shared = ROOT.parent / "shared" / "paper-data" / "repoDB.csv"
    if shared.exists():
        started = time.perf_counter()
        replicate(shared)
        print(f"study repoDB.csv alone (570 repositories): {time.perf_counter() - started:.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
