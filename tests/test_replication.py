"""The replication-package readers and `issue-assets replicate`."""

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from issue_assets.cli import main
from issue_assets.emulator.snapshot import read_snapshot
from issue_assets.replicate import TABLES, replicate, write_tables
from issue_assets.sources.replication_package import parse_study_date, read_issue_db, read_repo_db_counts
from issue_assets.sources.repositories import SourceError
from tests.conftest import shared_path
from tests.replication_package import write_package

REPO_HEADER = ["Name_Repo", "Name_Paper", "Owners", "Mono_Repo", "Issue_Types", "Num_Star", "Num_Issue",
               "Num_Issue_Open", "Num_Issue_Closed", "Contributors", "Num_Issue_Open_No_Label",
               "Num_Issue_Closed_No_Label", "Num_Issue_Open_No_Assignee", "Num_Issue_Closed_No_Assignee"]
ISSUE_HEADER = ["Title", "Name_Repo", "State", "Assignees", "Proposed_By", "Closed_By", "Date_Created",
                "Date_Closed", "Num_Comment", "Label_Issue", "Identity_Repo", "Identity_Global", "Body"]


def _write(path: Path, header, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_study_repo_db_totals(tmp_path):
    """The totals repoDB.csv determines, over its deduplicated repositories."""
    result = replicate(shared_path("paper-data", "repoDB.csv"))
    summary = result.tables["study_summary"].set_index("metric")["value"]
    assert (summary["repositories"], summary["issues"]) == (570, 24953)
    assert (summary["issues_open"], summary["issues_closed"]) == (8102, 16851)
    assert summary["closed_share"] == pytest.approx(0.675, abs=0.0005)  # the study's 67.5%
    assert len(result.tables["repo_metrics"]) == 570
    assert result.tables["category_distribution"].empty and "576 rows, 570 distinct" in result.notes[0]
    written = write_tables(result, tmp_path)
    assert sorted(p.stem for p in written) == sorted([*TABLES, "study_report"])
    assert pd.read_csv(tmp_path / "study_summary.csv").shape == (len(summary), 4)


def test_repo_db_merges_mono_repositories_and_reads_missing_counts_explicitly(tmp_path):
    path = _write(tmp_path / "repoDB.csv", REPO_HEADER, [
        ["o/mono/tree/master/a", "Paper A", "industry", "1", "bug#custom", "100", "10", "4", "6", "x\ny\nz",
         "3", "5", "4", "6"],
        ["o/mono/tree/master/b", "Paper B", "industry", "1", "bug#custom", "100", "10", "4", "6", "x\ny\nz",
         "3", "5", "4", "6"],
        ["o/closed-only", "Paper C", "academia", "0", "bug", "5", "2", "0", "2", "", "", "2", "", "1"],
        ["o/empty", "Paper D", "academia", "0", "", "1", "0", "0", "0", "a", "", "", "", ""],
        ["o/unknown", "Paper E", "academia", "0", "", "1", "3", "3", "0", "a", "", "", "", ""],
        ["not a repo", "Paper F", "academia", "0", "", "1", "0", "0", "0", "", "", "", "", ""],
        ["o/bad", "Paper G", "academia", "0", "", "1", "5", "1", "1", "", "", "", "", ""],
    ])
    counts = read_repo_db_counts(path)
    frame = counts.repositories.set_index("repo")
    assert list(frame.index) == ["o/mono", "o/closed-only", "o/empty", "o/unknown"]
    mono = frame.loc["o/mono"]
    assert (mono["papers"], mono["issues"], mono["contributors"], mono["n_custom_labels"]) == (2, 10, 3, 1)
    assert (mono["issues_with_label"], mono["issues_with_assignee"]) == (2, 0) and mono["mono_repo"]
    closed_only = frame.loc["o/closed-only"]
    # No open issue: the empty "open without label" count means 0; contributors listed: none.
    assert (closed_only["issues_with_label"], closed_only["issues_with_assignee"]) == (0, 1)
    assert closed_only["contributors"] == 0
    assert pd.isna(frame.loc["o/unknown", "issues_with_label"])  # open issues, count missing: unknown
    reasons = {r["where"]: r["reason"] for r in counts.rejected}
    # The first two records span three lines each (their Contributors cell): the bad rows are on 11 and 12.
    assert set(reasons) == {"repoDB.csv:11", "repoDB.csv:12"} and "owner/name" in reasons["repoDB.csv:11"]
    assert "not Num_Issue_Open + Num_Issue_Closed" in reasons["repoDB.csv:12"]


def test_repo_db_rows_of_one_repository_that_disagree_are_reported(tmp_path):
    row = ["o/r", "P", "academia", "0", "", "1", "2", "1", "1", "", "1", "1", "1", "1"]
    path = _write(tmp_path / "repoDB.csv", REPO_HEADER, [row, [*row[:5], "9", *row[6:]]])
    counts = read_repo_db_counts(path)
    assert counts.conflicts == ["o/r"] and counts.repositories.loc[0, "stars"] == 1


def test_repo_db_without_required_columns_fails_clearly(tmp_path):
    path = _write(tmp_path / "repoDB.csv", ["Name_Repo", "Stars"], [["o/r", "1"]])
    with pytest.raises(SourceError, match=r"missing column.*Num_Issue"):
        read_repo_db_counts(path)


def _issue(number, state="closed", created="2022-01-01 10:00:00", closed="2022-01-03 10:00:00", **extra):
    row = {"Title": f"Issue {number}", "Name_Repo": "o/r", "State": state, "Assignees": "", "Proposed_By": "u",
           "Closed_By": "m" if state == "closed" else "", "Date_Created": created,
           "Date_Closed": closed if state == "closed" else "", "Num_Comment": "1", "Label_Issue": "bug#help wanted",
           "Identity_Repo": str(number), "Identity_Global": str(1000 + number), "Body": "line one\nline two"}
    row.update(extra)
    return [row.get(h, "") for h in [*ISSUE_HEADER, "Sentiment_Title", "Sentiment_Body"]]


def test_issue_db_rejects_bad_rows_with_their_line_and_keeps_the_rest(tmp_path):
    path = _write(tmp_path / "issueDB.csv", [*ISSUE_HEADER, "Sentiment_Title", "Sentiment_Body"], [
        _issue(1, Sentiment_Title="Negative", Sentiment_Body="0.25"),  # lines 2-3 (two-line body)
        _issue(2, state="open", created="05/01/22 08:00"),  # lines 4-5; the package's own date format
        _issue(3, state="merged"),  # lines 6-7
        _issue(4, closed="2021-12-01 00:00:00"),  # closed before it was created
        _issue(1),  # repeats issue 1
        _issue(5, created="yesterday"),
        _issue(6, Name_Repo="not a repository"),
        _issue(7, Date_Closed=""),  # closed without a closing time: kept, no resolution time
    ])
    table = read_issue_db(path)
    issues = table.issues.set_index("number")
    assert list(issues.index) == [1, 2, 7] and table.has_sentiment
    assert issues.loc[1, "labels"] == ["bug", "help wanted"] and issues.loc[1, "sentiment_title"] == -1.0
    assert issues.loc[2, "created_at"] == pd.Timestamp("2022-01-05 08:00")
    assert pd.isna(issues.loc[2, "closed_by"]) and pd.isna(issues.loc[7, "closed_at"])
    # Open issues are censored at the latest time in the file.
    assert (issues["fetched_at"] == pd.Timestamp("2022-01-05 08:00")).all()
    rejected = {r["line"]: r["reason"] for r in table.rejected}
    assert set(rejected) == {6, 8, 10, 12, 14}
    assert "State" in rejected[6] and "before it was created" in rejected[8] and "repeats" in rejected[10]
    assert "unreadable date" in rejected[12]


def test_issue_db_mining_date_must_follow_every_issue(tmp_path):
    path = _write(tmp_path / "issueDB.csv", ISSUE_HEADER, [_issue(1, state="open")[: len(ISSUE_HEADER)]])
    with pytest.raises(SourceError, match="after the mining date"):
        read_issue_db(path, pd.Timestamp("2021-01-01"))
    assert read_issue_db(path, pd.Timestamp("2023-01-01")).issues["fetched_at"].iloc[0] == pd.Timestamp("2023-01-01")


def test_parse_study_date_formats():
    assert parse_study_date("17/08/18 07:03") == pd.Timestamp("2018-08-17 07:03")
    assert parse_study_date("2022-08-23T15:44:59Z") == pd.Timestamp("2022-08-23 15:44:59")
    assert parse_study_date("") is None
    with pytest.raises(ValueError, match="unreadable date"):
        parse_study_date("08-23-2022")


@pytest.fixture(scope="module")
def package(small_snapshot, tmp_path_factory) -> tuple[Path, Path]:
    return write_package(small_snapshot, tmp_path_factory.mktemp("package"))


def test_replicate_on_a_package_whose_truth_is_known(package, small_snapshot):
    repo_db, issue_db = package
    result = replicate(repo_db, issue_db)
    issues = [i for repo in read_snapshot(small_snapshot) for i in repo.issues if "pull_request" not in i]
    summary = result.tables["study_summary"].set_index("metric")["value"]
    assert summary["issues"] == len(issues)
    assert summary["issues_open"] == sum(i["state"] == "open" for i in issues)
    assert summary["issues_with_label"] == sum(bool(i["labels"]) for i in issues)
    categories = result.tables["category_distribution"]
    assert categories["issues"].sum() == len(issues) and categories["share"].sum() == pytest.approx(1)
    tests = result.tables["closure_tests"]
    assert (tests["family"] == "feature").sum() == 13 and tests["p_value"].dropna().between(0, 1).all()
    models = result.tables["regression_table"]
    assert set(models["model"]) == {"logit", "cox"} and models["n"].max() <= len(issues)
    assert set(result.tables) == set(TABLES) and result.rejected_issues.empty


def test_replicate_agrees_with_repository_counts_from_repo_db(package):
    """The issue rows and repoDB's own counts give the same repository-level numbers."""
    repo_db, issue_db = package
    from_issues = replicate(repo_db, issue_db).tables["study_summary"].set_index("metric")["value"]
    from_counts = replicate(repo_db).tables["study_summary"].set_index("metric")["value"]
    for metric in ("repositories", "repositories_without_issues", "issues", "issues_open", "issues_with_label",
                   "issues_with_assignee", "repositories_using_labels", "close_rate_mean", "close_rate_median"):
        assert from_issues[metric] == pytest.approx(from_counts[metric]), metric
    assert math.isnan(from_counts["resolution_days_median"])


def test_replicate_command_writes_every_table(package, tmp_path, capsys):
    repo_db, issue_db = package
    assert main(["replicate", "--repo-db", str(repo_db), "--issue-db", str(issue_db), "--out",
                 str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "600 issues" in out and "closed" in out
    for name in TABLES:
        assert (tmp_path / "out" / f"{name}.csv").exists(), name
    assert not (tmp_path / "out" / "rejected_issues.csv").exists()


def test_replicate_command_reports_bad_input(tmp_path, capsys):
    assert main(["replicate", "--repo-db", str(tmp_path / "missing.csv"), "--out", str(tmp_path)]) == 1
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="--mined-at"):
        main(["replicate", "--repo-db", "x.csv", "--mined-at", "soon", "--out", str(tmp_path)])


def test_a_truncated_repo_db_row_is_rejected_with_its_line(tmp_path):
    full = ["o/full", "Paper A", "academia", "0", "bug", "5", "2", "1", "1", "a\nb", "1", "0", "1", "0"]
    path = _write(tmp_path / "repoDB.csv", REPO_HEADER, [full, full[:7], [*full, "extra"]])
    path.write_text(path.read_text(encoding="utf-8").replace("o/full", "o/short", 2).replace(
        "o/short", "o/full", 1), encoding="utf-8")
    counts = read_repo_db_counts(path)
    assert list(counts.repositories["repo"]) == ["o/full"]
    reasons = {r["where"]: r["reason"] for r in counts.rejected}
    assert set(reasons) == {"repoDB.csv:4", "repoDB.csv:5"}  # the second record spans lines 2-3 (a newline)
    assert "7 of the header's 14 fields" in reasons["repoDB.csv:4"] and "15 fields" in reasons["repoDB.csv:5"]
    result = replicate(path)
    assert "2 rejected" in result.notes[0] and len(result.tables["repo_metrics"]) == 1


def test_replicate_keeps_issues_of_repositories_missing_from_repo_db(tmp_path):
    repo_db = _write(tmp_path / "repoDB.csv", REPO_HEADER, [
        ["o/r", "P", "academia", "0", "bug", "3", "3", "1", "2", "a", "1", "1", "1", "2"]])
    rows = [_issue(1), _issue(2), _issue(3, state="open"), _issue(1, Name_Repo="o/elsewhere")]
    issue_db = _write(tmp_path / "issueDB.csv", [*ISSUE_HEADER, "Sentiment_Title", "Sentiment_Body"], rows)
    result = replicate(repo_db, issue_db)
    summary = result.tables["study_summary"].set_index("metric")["value"]
    assert (summary["repositories"], summary["issues"]) == (2, 4)
    assert any("not in repoDB.csv" in note and "o/elsewhere" in note for note in result.notes)
    metrics = result.tables["repo_metrics"].set_index("repo")
    assert pd.isna(metrics.loc["o/elsewhere", "owner_type"]) and metrics.loc["o/elsewhere", "issues"] == 1
    owners = result.tables["owner_comparison"].set_index("variable")
    assert "1 repositories of unknown owner type left out" in owners.loc["issues", "note"]


def test_replicate_says_where_issue_rows_and_repo_db_counts_disagree(tmp_path):
    repo_db = _write(tmp_path / "repoDB.csv", REPO_HEADER, [
        ["o/r", "P", "academia", "0", "", "3", "5", "1", "4", "a", "1", "4", "1", "4"]])
    issue_db = _write(tmp_path / "issueDB.csv", [*ISSUE_HEADER, "Sentiment_Title", "Sentiment_Body"],
                      [_issue(1), _issue(2)])
    result = replicate(repo_db, issue_db)
    assert any("different number of issues" in note and "o/r" in note for note in result.notes)
    assert result.tables["study_summary"].set_index("metric").loc["issues", "value"] == 2
