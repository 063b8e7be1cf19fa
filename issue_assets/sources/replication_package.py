"""The study's replication-package format: ``repoDB.csv`` (repositories) and ``issueDB.csv`` (issues).

``read_repo_db_counts`` turns repoDB.csv into one row per repository with the counts the file
holds; ``read_issue_db`` turns issueDB.csv into rows shaped like the ``raw_issues`` table, so that
the study's data and freshly mined data go through the same analysis code.

Choices made explicitly (the README's "Differences from the paper" explains their effect):
- Mono-repositories appear once per paper: rows are merged on the repository (case-insensitive);
  ``papers`` counts them. Their repository-level numbers must agree; where they do not, the first
  row wins and the disagreement is reported.
- ``Num_Issue_*_No_Label``/``No_Assignee`` are empty where the repository has no open (closed)
  issue: empty means 0 there, and missing (null) anywhere else.
- An empty ``Contributors`` cell is 0 contributors: GitHub lists none when no commit is linked to
  an account (the API answers 204), as the client counts them.
- A label is custom when it is not one of GitHub's default labels.
- Rows of issueDB.csv that cannot be used are returned with their line and the reason; the CLI
  writes them to ``rejected_issues.csv`` so nothing disappears unreported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from issue_assets.github.errors import InvalidRepoName
from issue_assets.github.labels import DEFAULT_LABELS
from issue_assets.sources.repositories import (
    REPOSITORY_COLUMNS,
    SourceError,
    clean_text,
    deduplicate,
    malformed,
    normalize_repo,
    parse_conference,
    parse_owner_type,
    parse_year,
    read_csv_records,
)

REPO_DB_REQUIRED = ["Name_Repo", "Num_Issue", "Num_Issue_Open", "Num_Issue_Closed"]
ISSUE_DB_REQUIRED = ["Name_Repo", "Identity_Repo", "State", "Date_Created"]
# Repository-level columns of repoDB that must agree between the rows of one repository.
_REPO_LEVEL = ("Num_Star", "Num_Fork", "Num_Issue", "Num_Issue_Open", "Num_Issue_Closed", "Owners")
COUNT_COLUMNS = [
    "repo", "paper", "conference", "year", "framework", "owner_type", "papers", "source", "mono_repo", "stars",
    "forks", "watchers", "created_at", "last_modified_at", "contributors", "n_labels_defined", "n_custom_labels",
    "n_unused_labels", "issues", "open", "closed", "issues_with_label", "issues_with_assignee",
]
ISSUE_COLUMNS = [
    "repo", "number", "id", "title", "body", "state", "user_login", "created_at", "closed_at", "closed_by",
    "comments", "labels", "assignees", "fetched_at", "sentiment_title", "sentiment_body",
]
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
                 "%d/%m/%y %H:%M", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%y")
_SENTIMENT_WORDS = {"positive": 1.0, "neutral": 0.0, "negative": -1.0}
_LIST_SEPARATOR = re.compile(r"[#,\n]")


def parse_study_date(value: Any) -> pd.Timestamp | None:
    """A timestamp (UTC, naive) in ISO form or the package's ``dd/mm/yy HH:MM``; None when empty."""
    text = clean_text(value)
    if text is None:
        return None
    text = text.replace("+00:00", "").removesuffix(" UTC")
    for fmt in _DATE_FORMATS:
        try:
            return pd.Timestamp(datetime.strptime(text, fmt))
        except ValueError:
            continue
    raise ValueError(f"unreadable date {text!r} (expected YYYY-MM-DD HH:MM:SS or dd/mm/yy HH:MM)")


def _count(value: Any) -> int | None:
    text = clean_text(value)
    if text is None:
        return None
    number = float(text)
    if number < 0 or number != int(number):
        raise ValueError(f"not a count: {text!r}")
    return int(number)


def _names(value: Any, separator: str | re.Pattern = "#") -> list[str]:
    text = clean_text(value) or ""
    parts = separator.split(text) if isinstance(separator, re.Pattern) else text.split(separator)
    return [part.strip() for part in parts if part.strip()]


def _with_property(total: int | None, without: Any) -> int | None:
    """Issues with a label (assignee) from the count without one; empty means 0 only when total is 0."""
    if total is None:
        return None
    missing = _count(without)
    if missing is None:
        return 0 if total == 0 else None
    return total - missing


@dataclass
class RepoCounts:
    """repoDB.csv as one row per repository (``COUNT_COLUMNS``) and what could not be used."""

    repositories: pd.DataFrame
    rejected: list[dict[str, str]] = field(default_factory=list)  # {"entry", "where", "reason"}
    conflicts: list[str] = field(default_factory=list)  # repositories whose rows disagree
    rows: int = 0  # rows read (papers)


def read_repo_db_counts(path: str | Path) -> RepoCounts:
    """repoDB.csv with its counts, deduplicated on the repository."""
    path = Path(path)
    records, header = read_csv_records(path, REPO_DB_REQUIRED)
    rows, rejected = [], []
    for line, record in records:
        where = f"{path.name}:{line}"
        try:
            problem = malformed(record, header)
            if problem:
                raise ValueError(problem)
            repo = normalize_repo(record.get("Name_Repo") or "")
            open_, closed = _count(record["Num_Issue_Open"]), _count(record["Num_Issue_Closed"])
            issues = _count(record["Num_Issue"])
            if None not in (issues, open_, closed) and issues != open_ + closed:
                raise ValueError(f"Num_Issue {issues} is not Num_Issue_Open + Num_Issue_Closed ({open_} + {closed})")
            labels = _names(record.get("Issue_Types"))
            open_label = _with_property(open_, record.get("Num_Issue_Open_No_Label"))
            closed_label = _with_property(closed, record.get("Num_Issue_Closed_No_Label"))
            open_assignee = _with_property(open_, record.get("Num_Issue_Open_No_Assignee"))
            closed_assignee = _with_property(closed, record.get("Num_Issue_Closed_No_Assignee"))
            created = record.get("Date_Created")
            modified = record.get("Date_Last_Mod")
            rows.append({
                "repo": repo, "paper": clean_text(record.get("Name_Paper")),
                "conference": parse_conference(record.get("Conference_Paper")),
                "year": parse_year(record.get("Year_Paper")), "framework": clean_text(record.get("Framework")),
                "owner_type": parse_owner_type(record.get("Owners")),
                "papers": 1, "source": f"repodb:{path.name}", "mono_repo": _count(record.get("Mono_Repo")) == 1,
                "stars": _count(record.get("Num_Star")), "forks": _count(record.get("Num_Fork")),
                "watchers": _count(record.get("Num_Watcher")),
                "created_at": parse_study_date(created), "last_modified_at": parse_study_date(modified),
                "contributors": len(_names(record.get("Contributors"), "\n")),
                "n_labels_defined": _count(record.get("Num_Issue_Type")) if record.get("Num_Issue_Type") else
                len(labels),
                "n_custom_labels": sum(name not in DEFAULT_LABELS for name in labels),
                "n_unused_labels": _count(record.get("Num_Issue_Type_Unused")),
                "issues": issues, "open": open_, "closed": closed,
                "issues_with_label": None if None in (open_label, closed_label) else open_label + closed_label,
                "issues_with_assignee": None if None in (open_assignee, closed_assignee) else
                open_assignee + closed_assignee,
                "_key": tuple(clean_text(record.get(c)) for c in _REPO_LEVEL),
            })
        except (InvalidRepoName, ValueError) as exc:
            rejected.append({"entry": record.get("Name_Repo") or "", "where": where, "reason": str(exc)})
    if not rows:
        frame = pd.DataFrame(columns=COUNT_COLUMNS)
        return RepoCounts(frame, rejected, [], len(records))
    frame = pd.DataFrame(rows)
    key = frame["repo"].str.lower()
    conflicts = sorted(frame.loc[frame.groupby(key)["_key"].transform("nunique") > 1, "repo"].unique())
    frame["mono_repo"] = frame.groupby(key)["mono_repo"].transform("max")  # flagged on any of its rows
    merged = deduplicate(frame.drop(columns="_key"))
    merged["mono_repo"] = merged["mono_repo"].astype(bool) | (merged["papers"] > 1)
    for column in ("year", "stars", "forks", "watchers", "contributors", "n_labels_defined", "n_custom_labels",
                   "n_unused_labels", "issues", "open", "closed", "issues_with_label", "issues_with_assignee"):
        merged[column] = pd.to_numeric(merged[column]).astype("Int64")
    return RepoCounts(merged[COUNT_COLUMNS], rejected, conflicts, len(records))


def repositories_of(counts: pd.DataFrame) -> pd.DataFrame:
    """The ``repositories`` table's columns of a repository-count frame."""
    return counts.reindex(columns=REPOSITORY_COLUMNS)


def _sentiment(value: Any) -> float | None:
    text = clean_text(value)
    if text is None:
        return None
    if text.lower() in _SENTIMENT_WORDS:
        return _SENTIMENT_WORDS[text.lower()]
    return float(text)


@dataclass
class IssueTable:
    """issueDB.csv as ``raw_issues``-shaped rows (``ISSUE_COLUMNS``) and the rows left out, with reasons."""

    issues: pd.DataFrame
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {"line", "repo", "number", "reason"}
    has_sentiment: bool = False


def read_issue_db(path: str | Path, mined_at: pd.Timestamp | None = None) -> IssueTable:
    """issueDB.csv. ``mined_at`` (when open issues were last seen open) defaults to the latest
    creation or closing time in the file: a lower bound of the mining date."""
    path = Path(path)
    records, header = read_csv_records(path, ISSUE_DB_REQUIRED)
    has_sentiment = "Sentiment_Title" in header or "Sentiment_Body" in header
    rows, rejected, seen = [], [], set()
    for line, record in records:
        try:
            problem = malformed(record, header)
            if problem:
                raise ValueError(problem)
            repo = normalize_repo(record.get("Name_Repo") or "")
            number = _count(record.get("Identity_Repo"))
            if number is None:
                raise ValueError("no issue number (Identity_Repo)")
            if (repo.lower(), number) in seen:
                raise ValueError(f"repeats issue {repo}#{number}")
            state = (clean_text(record.get("State")) or "").lower()
            if state not in ("open", "closed"):
                raise ValueError(f"State must be open or closed, got {record.get('State')!r}")
            created = parse_study_date(record.get("Date_Created"))
            if created is None:
                raise ValueError("no creation date (Date_Created)")
            closed_at = parse_study_date(record.get("Date_Closed")) if state == "closed" else None
            if closed_at is not None and closed_at < created:
                raise ValueError(f"closed ({closed_at}) before it was created ({created})")
            identity = clean_text(record.get("Identity_Global"))
            rows.append({
                "repo": repo, "number": number, "id": int(float(identity)) if identity else None,
                "title": record.get("Title") or "", "body": record.get("Body") or "", "state": state,
                "user_login": clean_text(record.get("Proposed_By")), "created_at": created, "closed_at": closed_at,
                "closed_by": clean_text(record.get("Closed_By")) if state == "closed" else None,
                "comments": _count(record.get("Num_Comment")),
                "labels": _names(record.get("Label_Issue")),
                "assignees": _names(record.get("Assignees"), _LIST_SEPARATOR),
                "sentiment_title": _sentiment(record.get("Sentiment_Title")),
                "sentiment_body": _sentiment(record.get("Sentiment_Body")),
            })
            seen.add((repo.lower(), number))
        except (InvalidRepoName, ValueError) as exc:
            rejected.append({"line": line, "repo": record.get("Name_Repo"), "number": record.get("Identity_Repo"),
                             "reason": str(exc)})
    frame = pd.DataFrame(rows, columns=[c for c in ISSUE_COLUMNS if c != "fetched_at"])
    if mined_at is None:
        latest = pd.concat([frame["created_at"], frame["closed_at"]]).dropna()
        mined_at = latest.max() if len(latest) else None
    if mined_at is not None and len(frame) and frame["created_at"].max() > mined_at:
        raise SourceError(f"{path}: issues created after the mining date {mined_at} (see --mined-at)")
    frame["fetched_at"] = mined_at
    for column in ("created_at", "closed_at", "fetched_at"):
        frame[column] = pd.to_datetime(frame[column])
    frame["comments"] = frame["comments"].astype("Int64")
    frame["id"] = frame["id"].astype("Int64")
    frame["sentiment_title"] = frame["sentiment_title"].astype(float)
    frame["sentiment_body"] = frame["sentiment_body"].astype(float)
    return IssueTable(frame.reindex(columns=ISSUE_COLUMNS), rejected, has_sentiment)
