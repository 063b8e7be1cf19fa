"""The snapshot format: GitHub's own JSON, one folder per repository.

```
DIR/manifest.json                 optional: how the snapshot was made
DIR/repos/<owner>__<name>/
    repo.json                     the repository object
    issues.jsonl                  issue objects as the list endpoint returns them, pull requests included
    events.jsonl                  issue events (at least ``closed`` with ``actor``); ``issue.number`` set
    labels.json                   label objects
    contributors.json             contributor objects
    comments.jsonl                optional: issue comments (``issue_number`` added)
```
Real recorded GitHub data drops in unchanged. Reading stops at the first broken line with a
message naming the file and the line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from issue_assets.github.client import parse_repo_name
from issue_assets.github.errors import GitHubError

REQUIRED_ISSUE_FIELDS = ("id", "number", "title", "state", "created_at", "updated_at")


class SnapshotError(GitHubError):
    """A snapshot file is missing, unreadable or not GitHub's JSON."""


@dataclass
class RepoSnapshot:
    repo: dict
    issues: list[dict]
    events: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    contributors: list[dict] = field(default_factory=list)
    comments: list[dict] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return self.repo["full_name"]


def repo_dir_name(full_name: str) -> str:
    owner, name = parse_repo_name(full_name)
    return f"{owner}__{name}"


def _read_json(path: Path) -> Any:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise SnapshotError(f"{path}: missing") from exc
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{path}: not valid UTF-8 at byte {exc.start}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    if not path.exists():
        return
    with path.open("rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise SnapshotError(f"{path}:{lineno}: not valid UTF-8 at byte {exc.start}") from exc
            except json.JSONDecodeError as exc:
                raise SnapshotError(f"{path}:{lineno}: invalid JSON ({exc.msg}, column {exc.colno})") from exc
            if not isinstance(record, dict):
                raise SnapshotError(f"{path}:{lineno}: expected a JSON object, got {type(record).__name__}")
            yield lineno, record


def read_repo(folder: Path) -> RepoSnapshot:
    repo = _read_json(folder / "repo.json")
    if not isinstance(repo, dict) or "full_name" not in repo or "id" not in repo:
        raise SnapshotError(f"{folder / 'repo.json'}: not a GitHub repository object (needs id and full_name)")
    issues = []
    seen: dict[int, int] = {}
    for lineno, issue in _read_jsonl(folder / "issues.jsonl"):
        missing = [f for f in REQUIRED_ISSUE_FIELDS if f not in issue]
        if missing:
            raise SnapshotError(f"{folder / 'issues.jsonl'}:{lineno}: issue lacks {', '.join(missing)}")
        if issue["number"] in seen:
            raise SnapshotError(f"{folder / 'issues.jsonl'}:{lineno}: issue number {issue['number']} "
                                f"repeats line {seen[issue['number']]}")
        seen[issue["number"]] = lineno
        issues.append(issue)
    events = [e for _, e in _read_jsonl(folder / "events.jsonl")]
    comments = [c for _, c in _read_jsonl(folder / "comments.jsonl")]
    labels = _read_json(folder / "labels.json") if (folder / "labels.json").exists() else []
    contributors = _read_json(folder / "contributors.json") if (folder / "contributors.json").exists() else []
    for name, value in (("labels.json", labels), ("contributors.json", contributors)):
        if not isinstance(value, list):
            raise SnapshotError(f"{folder / name}: expected a JSON array")
    return RepoSnapshot(repo, issues, events, labels, contributors, comments)


def iter_snapshot(directory: str | Path) -> Iterator[RepoSnapshot]:
    """Every repository of a snapshot, in folder order, one at a time (a million issues do not fit
    in memory as parsed objects)."""
    root = Path(directory)
    repos_dir = root / "repos"
    if not repos_dir.is_dir():
        raise SnapshotError(f"{root}: not a snapshot (no repos/ folder)")
    for folder in sorted(repos_dir.iterdir()):
        if folder.is_dir():
            yield read_repo(folder)


def read_snapshot(directory: str | Path) -> list[RepoSnapshot]:
    """Every repository of a snapshot, in folder order."""
    return list(iter_snapshot(directory))


def _dump(record: Any) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_repo(directory: str | Path, snapshot: RepoSnapshot) -> Path:
    folder = Path(directory) / "repos" / repo_dir_name(snapshot.full_name)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "repo.json").write_text(json.dumps(snapshot.repo, ensure_ascii=False, indent=1), "utf-8")
    _write_jsonl(folder / "issues.jsonl", snapshot.issues)
    _write_jsonl(folder / "events.jsonl", snapshot.events)
    if snapshot.comments:
        _write_jsonl(folder / "comments.jsonl", snapshot.comments)
    (folder / "labels.json").write_text(_dump(snapshot.labels), "utf-8")
    (folder / "contributors.json").write_text(_dump(snapshot.contributors), "utf-8")
    return folder


def _write_jsonl(path: Path, records: Iterable[dict]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(_dump(record))
            handle.write("\n")
