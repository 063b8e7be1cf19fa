"""Unmodified real GitHub clients read every issue of a snapshot through the emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from issue_assets.emulator.snapshot import read_snapshot


def _smallest_with_issues(snapshot_dir):
    repos = [r for r in read_snapshot(snapshot_dir) if len(r.issues) >= 20]
    return min(repos, key=lambda r: len(r.issues))


def test_pygithub_reads_every_issue(start_emulator, small_snapshot):
    github = pytest.importorskip("github", reason="PyGithub is a dev dependency: pip install -e '.[dev]'")
    emulator = start_emulator()
    snap = max(read_snapshot(small_snapshot), key=lambda r: len(r.issues))
    gh = github.Github(base_url=f"{emulator.url}/api/v3", auth=github.Auth.Token("t0ken"), per_page=30)
    repo = gh.get_repo(snap.full_name)
    assert repo.full_name == snap.full_name
    items = list(repo.get_issues(state="all"))
    assert sorted(i.number for i in items) == sorted(i["number"] for i in snap.issues)
    closed = next(i for i in items if i.state == "closed" and i.pull_request is None)
    # A lazy attribute: PyGithub fetches the single issue, which names who closed it.
    assert closed.closed_by is not None and closed.closed_by.login
    assert {label.name for label in repo.get_labels()} == {x["name"] for x in snap.labels}


def test_perceval_reads_every_issue(start_emulator, small_snapshot, tmp_path):
    pytest.importorskip("perceval", reason="Perceval is a dev dependency: pip install -e '.[dev]'")
    emulator = start_emulator()
    snap = _smallest_with_issues(small_snapshot)
    owner, name = snap.full_name.split("/")
    # Perceval appends /api/v3 to an enterprise URL, as for GitHub Enterprise.
    result = subprocess.run(
        [str(Path(sys.executable).parent / "perceval"), "github", owner, name, "--enterprise-url", emulator.url,
         "--category", "issue", "-t", "t0ken", "--sleep-for-rate", "--json-line"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    items = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    numbers = sorted(item["data"]["number"] for item in items)
    assert numbers == sorted(i["number"] for i in snap.issues)
    with_comments = [item["data"] for item in items if item["data"]["comments"]]
    assert all("user_data" in item for item in with_comments)
