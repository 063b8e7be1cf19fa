"""The synthetic snapshot generator: determinism, exact totals and the study's shape."""

from __future__ import annotations

import csv
import hashlib
import statistics
from pathlib import Path

import pytest

from issue_assets.analysis.stats import largest_remainder
from issue_assets.analysis.taxonomy import CATEGORIES
from issue_assets.emulator.generator import generate_snapshot
from issue_assets.emulator.snapshot import SnapshotError, read_snapshot
from issue_assets.emulator.texts import CATEGORY_WEIGHTS
from issue_assets.github.times import parse_timestamp


def _digest(folder: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            sha.update(path.relative_to(folder).as_posix().encode())
            sha.update(path.read_bytes())
    return sha.hexdigest()


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    generate_snapshot(tmp_path / "a", 5, 300, seed=11)
    generate_snapshot(tmp_path / "b", 5, 300, seed=11)
    generate_snapshot(tmp_path / "c", 5, 300, seed=12)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


@pytest.mark.parametrize("total,weights", [(10, [1, 0, 3]), (2, [1, 1, 1, 1]), (0, [1, 2]), (1000, [0.1, 5, 0])])
def test_allocate_is_exact(total, weights):
    counts = largest_remainder(total, weights)
    assert sum(counts) == total
    assert all(c == 0 for c, w in zip(counts, weights, strict=True) if w == 0)


def test_allocate_places_issues_when_every_weight_is_zero():
    # Small snapshots can draw "no issues" for every repository; the issues asked for still exist.
    assert largest_remainder(20, [0.0, 0.0]) == [10, 10]
    assert largest_remainder(1, [0.0, 0.0, 0.0]).count(1) == 1


@pytest.fixture(scope="module")
def study_shaped(tmp_path_factory) -> tuple[Path, list]:
    path = tmp_path_factory.mktemp("shape")
    generate_snapshot(path, repos=150, issues=6000, seed=5)
    return path, read_snapshot(path)


def test_totals_are_exact_and_the_manifest_agrees(study_shaped):
    path, repos = study_shaped
    issues = [i for r in repos for i in r.issues if "pull_request" not in i]
    prs = [i for r in repos for i in r.issues if "pull_request" in i]
    assert len(repos) == 150 and len(issues) == 6000
    import json
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["pull_requests"] == len(prs) and manifest["open_issues"] == sum(
        i["state"] == "open" for i in issues)
    assert 0.1 < len(prs) / len(issues) < 0.45


def test_issue_counts_are_heavy_tailed_with_a_fifth_of_repositories_empty(study_shaped):
    _, repos = study_shaped
    counts = sorted(sum("pull_request" not in i for i in r.issues) for r in repos)
    assert 0.12 <= counts.count(0) / len(counts) <= 0.3
    top = counts[-len(counts) // 10:]
    assert sum(top) / sum(counts) > 0.4  # the largest tenth hold a large share
    assert counts[-1] > 10 * statistics.median(counts)


def test_state_closers_resolution_and_ignored_issues_look_like_the_study(study_shaped):
    _, repos = study_shaped
    issues, self_closed, closed, days = [], 0, 0, []
    for repo in repos:
        closers = {}
        for event in sorted(repo.events, key=lambda e: e["id"]):
            if event["event"] == "closed":
                closers[event["issue"]["number"]] = event["actor"]["login"]
        for issue in repo.issues:
            if "pull_request" in issue:
                continue
            issues.append(issue)
            if issue["state"] == "closed":
                closed += 1
                assert issue["closed_at"] and issue["number"] in closers
                self_closed += closers[issue["number"]] == issue["user"]["login"]
                delta = parse_timestamp(issue["closed_at"]) - parse_timestamp(issue["created_at"])
                assert delta.total_seconds() >= 0
                days.append(delta.total_seconds() / 86400)
            else:
                assert issue["closed_at"] is None
            assert issue["updated_at"] >= issue["created_at"]
    open_share = 1 - closed / len(issues)
    assert 0.25 <= open_share <= 0.40          # study: 32.5 %
    assert 0.33 <= self_closed / closed <= 0.47  # about 40 %
    assert 2 <= statistics.median(days) <= 7   # study: half closed within 4 days
    ignored = [i for i in issues if i["state"] == "open" and not i["comments"] and not i["labels"]
               and not i["assignees"]]
    assert 0.15 <= len(ignored) / (len(issues) * open_share) <= 0.6
    labeled = sum(bool(i["labels"]) for i in issues) / len(issues)
    assigned = sum(bool(i["assignees"]) for i in issues) / len(issues)
    assert 0 < assigned < labeled < 0.35       # labels rare, assignees rarer


def test_texts_cover_every_category_and_some_are_not_english(study_shaped):
    path, repos = study_shaped
    with (path / "truth.csv").open() as handle:
        truth = list(csv.DictReader(handle))
    assert len(truth) == 6000
    shares = {c: sum(r["category"] == c for r in truth) / len(truth) for c in CATEGORIES}
    assert set(CATEGORY_WEIGHTS) == set(CATEGORIES)
    assert all(share > 0 for share in shares.values())
    assert max(shares, key=shares.get) == "runtime_error"
    assert 0.02 <= sum(r["language"] != "en" for r in truth) / len(truth) <= 0.08
    bodies = [i["body"] or "" for r in repos for i in r.issues if "pull_request" not in i]
    assert sum("Traceback (most recent call last)" in b for b in bodies) > 0.1 * len(bodies)
    assert sum("```" in b for b in bodies) > 0.2 * len(bodies)
    assert any(i["body"] is None for r in repos for i in r.issues)


def test_broken_snapshot_files_are_named_with_their_line(tmp_path):
    generate_snapshot(tmp_path, 2, 20, seed=1)
    folder = next(p for p in sorted((tmp_path / "repos").iterdir()) if (p / "issues.jsonl").stat().st_size)
    issues = folder / "issues.jsonl"
    lines = issues.read_bytes().splitlines(keepends=True)
    issues.write_bytes(lines[0] + b'{"id": 1, "title": "\xff\xfe"}\n')
    with pytest.raises(SnapshotError, match=r"issues.jsonl:2: not valid UTF-8"):
        read_snapshot(tmp_path)
    issues.write_bytes(lines[0] + b"{not json\n")
    with pytest.raises(SnapshotError, match=r"issues.jsonl:2: invalid JSON"):
        read_snapshot(tmp_path)
    issues.write_bytes(lines[0] + b'{"id": 5}\n')
    with pytest.raises(SnapshotError, match=r"issues.jsonl:2: issue lacks number, title"):
        read_snapshot(tmp_path)
    issues.write_bytes(lines[0] + lines[0])
    with pytest.raises(SnapshotError, match="repeats line 1"):
        read_snapshot(tmp_path)
    with pytest.raises(SnapshotError, match="no repos/ folder"):
        read_snapshot(tmp_path / "nowhere")
