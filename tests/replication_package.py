"""Write a synthetic snapshot in the study's replication-package format (repoDB.csv, issueDB.csv).

Tests use it to run ``replicate`` on data whose truth is known, and to check that the replication
path and the Dagster assets compute the same tables from the same issues.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from issue_assets.emulator.snapshot import read_snapshot


def _study_date(value: str) -> str:
    return pd.Timestamp(value).strftime("%d/%m/%y %H:%M")


def _iso(value: str | None) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def write_package(snapshot: Path, folder: Path) -> tuple[Path, Path]:
    """(repoDB.csv, issueDB.csv) of a snapshot; owner types and papers come from its repositories.csv."""
    listing = pd.read_csv(snapshot / "repositories.csv").set_index("repo")
    folder.mkdir(parents=True, exist_ok=True)
    repo_rows, issue_rows = [], []
    for repo in read_snapshot(snapshot):
        name = repo.full_name
        issues = [i for i in repo.issues if "pull_request" not in i]
        closers = {}
        for event in sorted(repo.events, key=lambda e: e["id"]):
            if event.get("event") == "closed":
                closers[event["issue"]["number"]] = (event.get("actor") or {}).get("login")
        open_ = [i for i in issues if i["state"] == "open"]
        closed = [i for i in issues if i["state"] == "closed"]
        paper = listing.loc[name] if name in listing.index else None
        repo_rows.append({
            "Name_Repo": name, "Name_Paper": paper["paper"] if paper is not None else "",
            "Conference_Paper": paper["conference"] if paper is not None else "",
            "Year_Paper": paper["year"] if paper is not None else "", "URL_Repo": f"https://github.com/{name}",
            "Owners": paper["owner_type"] if paper is not None else "", "Mono_Repo": 0,
            "Issue_Types": "#".join(label["name"] for label in repo.labels),
            "IDList_Issue": "#".join(str(i["number"]) for i in issues),
            "Num_Star": repo.repo.get("stargazers_count", 0), "Num_Fork": repo.repo.get("forks_count", 0),
            "Num_Watcher": repo.repo.get("subscribers_count", 0),
            "Date_Created": _study_date(repo.repo["created_at"]), "Date_Last_Mod": _study_date(repo.repo["updated_at"]),
            "Num_Issue": len(issues), "Num_Issue_Type": len(repo.labels), "Num_Issue_Open": len(open_),
            "Num_Issue_Closed": len(closed),
            "Contributors": "\n".join(c["login"] for c in repo.contributors),
            "Num_Issue_Open_No_Assignee": sum(not i["assignees"] for i in open_) if open_ else "",
            "Num_Issue_Open_No_Label": sum(not i["labels"] for i in open_) if open_ else "",
            "Num_Issue_Closed_No_Assignee": sum(not i["assignees"] for i in closed) if closed else "",
            "Num_Issue_Closed_No_Label": sum(not i["labels"] for i in closed) if closed else "",
            "Num_Issue_Type_Unused": 0,
        })
        for issue in issues:
            issue_rows.append({
                "Title": issue["title"], "Name_Repo": name, "State": issue["state"],
                "Assignees": "#".join(a["login"] for a in issue["assignees"]),
                "Proposed_By": issue["user"]["login"],
                "Closed_By": (closers.get(issue["number"]) or "") if issue["state"] == "closed" else "",
                "Date_Created": _iso(issue["created_at"]),
                "Date_Closed": _iso(issue["closed_at"]) if issue["state"] == "closed" else "",
                "Num_Comment": issue["comments"], "Label_Issue": "#".join(label["name"] for label in issue["labels"]),
                "Identity_Repo": issue["number"], "Identity_Global": issue["id"], "Body": issue.get("body") or "",
            })
    repo_db, issue_db = folder / "repoDB.csv", folder / "issueDB.csv"
    for path, rows in ((repo_db, repo_rows), (issue_db, issue_rows)):
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return repo_db, issue_db
