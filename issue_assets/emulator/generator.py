"""Deterministic synthetic snapshots shaped like the MSR 2023 study's data.

The shape (per repository, then per issue), with the study's figures it aims at:

* issue counts heavy-tailed: about a fifth of repositories without issues, a few with thousands
  (lognormal weights; ``--issues`` is the exact total, shared out by largest remainder);
* pull requests mixed in (about a quarter as many as issues);
* about a third of issues open (study: 32.5 %); closed issues resolved after a lognormal time with
  a median of about 4 days (study: half within 4 days);
* about 40 % of closed issues closed by their reporter, the rest by a maintainer;
* labels used on few repositories and assignees on fewer; open issues without comment, label or
  assignee ("ignored");
* titles and bodies of all 13 taxonomy categories, a few percent not in English;
* issue events beyond those the closer walk needs (:func:`_activity_events`): mentions with the
  subscriptions they bring, commit references, title renames, labels added and removed again, milestones
  set and cleared, and for pull requests review requests, force pushes and deleted head branches, so
  that reading a repository's events list costs what it costs on GitHub.

The true category of every issue is written to ``truth.csv`` (not part of GitHub's data) so that
classifiers can be checked against synthetic data too.
"""

from __future__ import annotations

import csv
import json
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from issue_assets.analysis.stats import largest_remainder
from issue_assets.emulator import objects
from issue_assets.emulator.snapshot import RepoSnapshot, write_repo
from issue_assets.emulator.texts import CATEGORY_WEIGHTS, issue_text, pull_request_text
from issue_assets.github.times import format_timestamp, parse_timestamp

DEFAULT_NOW = "2022-12-01T00:00:00Z"  # the study mined its data in late 2022
DEMO = {"repos": 12, "issues": 1200, "seed": 2022}  # 34 % open, 2 repositories without issues

_OWNER_PARTS = ["vision", "nlp", "ml", "ai", "deep", "graph", "robot", "neural", "lab", "group", "research"]
_ACADEMIC = ["mit", "cmu", "eth", "tsinghua", "oxford", "stanford", "kaist", "uw", "nus", "epfl", "tum", "ucl"]
_INDUSTRY = ["acme-research", "bigcorp-ai", "cloudvision", "deepmind-labs", "megatech-ai", "quantum-ml-inc"]
_FIRST = ["alex", "wei", "jun", "maria", "yuki", "omar", "lena", "raj", "chen", "sara", "ivan", "li", "tom",
          "ana", "kim", "noah", "hao", "zoe", "amir", "yan", "eva", "luis", "mei", "ali", "jin", "ben"]
_REPO_WORDS = ["Net", "Former", "GAN", "Seg", "Det", "Graph", "Contrast", "Diffusion", "NeRF", "Pose", "Depth",
               "Flow", "Match", "Track", "Caption", "QA", "Prompt", "Distill", "Prune", "Meta", "Adapt"]
_REPO_PREFIX = ["Deep", "Fast", "Light", "Self", "Cross", "Multi", "Dyn", "Sparse", "Robust", "Efficient",
                "Neural", "Masked", "Causal", "Hier", "Point", "Video", "Few", "Open"]
_LABEL_FOR = {
    "runtime_error": "bug", "code_bug": "bug", "environment": "bug", "unclear_instructions": "question",
    "method_question": "question", "reproducibility": "question", "data": "question", "model_request": "question",
    "feature_request": "enhancement", "documentation": "documentation", "code_release": "question",
    "performance": "question", "other": "invalid",
}
_CUSTOM_LABELS = ["installation", "dataset", "pretrained model", "training", "reproduce", "stale", "cuda",
                  "won't fix", "inference"]


@dataclass
class _Item:
    number: int
    created: datetime
    closed: datetime | None
    reporter: str
    closer: str | None
    category: str | None  # None for pull requests
    english: bool
    is_pr: bool
    comments: int
    labels: list[str]
    assignees: list[str]
    reopened: datetime | None = None


def _repo_names(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(full name, owner type) pairs, unique."""
    names: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(names) < n:
        industry = rng.random() < 0.2
        if industry:
            owner = rng.choice(_INDUSTRY)
        elif rng.random() < 0.4:
            owner = f"{rng.choice(_ACADEMIC)}-{rng.choice(_OWNER_PARTS)}"
        else:
            owner = f"{rng.choice(_FIRST)}{rng.choice(_FIRST)}{rng.randint(0, 99)}"
        name = f"{rng.choice(_REPO_PREFIX)}{rng.choice(_REPO_WORDS)}"
        if rng.random() < 0.3:
            name = name.lower() + rng.choice(["", "-pytorch", "-tf", "_official", "-release"])
        full = f"{owner}/{name}"
        if full.lower() in seen:
            full = f"{owner}/{name}{len(names)}"
        seen.add(full.lower())
        names.append((full, "industry" if industry else "academia"))
    return names


def _lognormal_days(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def generate_snapshot(out: str | Path, repos: int, issues: int, seed: int, now: str = DEFAULT_NOW,
                      pr_ratio: float = 0.25) -> dict:
    """Write a snapshot of ``repos`` repositories holding exactly ``issues`` issues (plus pull requests)."""
    if repos < 1 or issues < 0:
        raise ValueError(f"need at least one repository and a non-negative issue count (got {repos}, {issues})")
    rng = random.Random(seed)
    mined = parse_timestamp(now)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = _repo_names(rng, repos)
    weights = [0.0 if rng.random() < 0.2 else math.exp(rng.gauss(0, 1.7)) for _ in names]
    counts = largest_remainder(issues, weights)
    categories = list(CATEGORY_WEIGHTS)
    category_weights = list(CATEGORY_WEIGHTS.values())
    truth_rows: list[tuple[str, int, str, str]] = []
    totals = {"issues": 0, "pull_requests": 0, "open_issues": 0, "self_closed": 0, "closed_issues": 0}
    next_issue_id = 1_000_000 + rng.randint(0, 1000) * 1000
    for index, ((full_name, owner_kind), n_issues) in enumerate(zip(names, counts, strict=True)):
        repo_rng = random.Random(f"{seed}:{index}:{full_name}")
        owner = full_name.split("/")[0]
        created = mined - timedelta(days=repo_rng.uniform(120, 6 * 365))
        n_contributors = max(1, min(60, int(math.exp(repo_rng.gauss(1.0, 0.9)))))
        maintainers = [owner if owner_kind == "academia" and "-" not in owner else
                       f"{repo_rng.choice(_FIRST)}-{owner.split('-')[0]}{repo_rng.randint(1, 9)}"]
        maintainers += [f"{repo_rng.choice(_FIRST)}{repo_rng.choice(_FIRST)}{repo_rng.randint(100, 999)}"
                        for _ in range(n_contributors - 1)]
        maintainers = list(dict.fromkeys(maintainers))
        responsiveness = repo_rng.betavariate(3.0, 1.2)
        uses_labels = repo_rng.random() < 0.25 + 0.3 * (n_issues > 200)
        uses_assignees = repo_rng.random() < 0.1 + 0.2 * (n_issues > 200)
        labels = objects.default_labels(full_name)
        if uses_labels and repo_rng.random() < 0.35:
            labels += [objects.make_label(full_name, name) for name in repo_rng.sample(_CUSTOM_LABELS, 3)]
        n_prs = round(n_issues * pr_ratio * repo_rng.uniform(0.3, 1.7)) if n_issues else \
            (repo_rng.randint(1, 3) if repo_rng.random() < 0.3 else 0)
        items: list[_Item] = []
        reporters = [f"{repo_rng.choice(_FIRST)}{repo_rng.choice(_FIRST)}{repo_rng.randint(1, 9999)}"
                     for _ in range(max(3, n_issues // 2))]
        span = (mined - created).total_seconds()
        for k in range(n_issues + n_prs):
            is_pr = k >= n_issues
            # Issues arrive faster soon after release: skew creation times towards the repo's start.
            opened = created + timedelta(seconds=span * (repo_rng.random() ** 1.6))
            category = None if is_pr else repo_rng.choices(categories, category_weights)[0]
            reporter = repo_rng.choice(reporters)
            if is_pr and repo_rng.random() < 0.4:
                reporter = repo_rng.choice(maintainers)
            closed = None
            if repo_rng.random() < (0.8 if is_pr else responsiveness):
                delay = timedelta(days=_lognormal_days(repo_rng, 4.0 if not is_pr else 2.0, 2.0))
                if opened + delay < mined:
                    closed = opened + delay
            closer = None
            if closed is not None:
                closer = reporter if (not is_pr and repo_rng.random() < 0.4) else repo_rng.choice(maintainers)
            if closed is None and repo_rng.random() < 0.4:
                comments = 0
            else:
                comments = min(60, int(repo_rng.expovariate(1 / 2.5)) + (1 if closed else 0))
            item_labels = []
            if uses_labels and repo_rng.random() < 0.4:
                item_labels = [_LABEL_FOR.get(category or "", "enhancement")]
                if len(labels) > 9 and repo_rng.random() < 0.3:
                    item_labels.append(repo_rng.choice(labels[9:])["name"])
            assignees = [repo_rng.choice(maintainers)] if uses_assignees and repo_rng.random() < 0.3 else []
            english = repo_rng.random() >= 0.05
            item = _Item(0, opened, closed, reporter, closer, category, english, is_pr, comments, item_labels,
                         assignees)
            if closed is not None and repo_rng.random() < 0.04:
                item.reopened = opened + (closed - opened) / 2
            items.append(item)
        items.sort(key=lambda i: i.created)
        for number, item in enumerate(items, start=1):
            item.number = number
        # Its own stream, so the extra events leave every other generated value as it was.
        events_rng = random.Random(f"{seed}:{index}:{full_name}:events")
        snapshot = _build_repo(repo_rng, full_name, owner_kind, created, mined, items, labels, maintainers,
                               next_issue_id, n_issues, events_rng)
        next_issue_id += len(items) + 1
        write_repo(out, snapshot)
        for item in items:
            if item.is_pr:
                totals["pull_requests"] += 1
                continue
            totals["issues"] += 1
            totals["open_issues"] += item.closed is None
            totals["closed_issues"] += item.closed is not None
            totals["self_closed"] += item.closed is not None and item.closer == item.reporter
            truth_rows.append((full_name, item.number, item.category or "", "en" if item.english else "other"))
    _write_repository_list(out, names, seed)
    with (out / "truth.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["repo", "number", "category", "language"])
        writer.writerows(truth_rows)
    manifest = {"generator": "issue-assets snapshot generate", "repos": repos, "issues": issues, "seed": seed,
                "now": now, "pr_ratio": pr_ratio, **totals}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    return manifest


def demo_snapshot(folder: str | Path) -> Path:
    """The demo snapshot (:data:`DEMO`) in ``folder``, generated the first time it is asked for."""
    folder = Path(folder)
    if not (folder / "manifest.json").exists() or not (folder / "repositories.csv").exists():
        generate_snapshot(folder, DEMO["repos"], DEMO["issues"], DEMO["seed"])
    return folder


_CONFERENCES = ("cvpr", "iclr", "icml", "neurips", "eccv", "iccv", "acl", "aaai")
_FRAMEWORKS = ("pytorch", "pytorch", "pytorch", "tf", "none", "jax")


def _write_repository_list(out: Path, names: list[tuple[str, str]], seed: int) -> None:
    """``repositories.csv``: the snapshot's repositories as a seed CSV, with a synthetic paper each."""
    rng = random.Random(f"{seed}:papers")
    with (out / "repositories.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["repo", "paper", "conference", "year", "framework", "owner_type"])
        for full_name, owner_kind in names:
            words = full_name.split("/")[1].replace("-", " ").replace("_", " ")
            writer.writerow([full_name, f"{words.title()}: {rng.choice(_PAPER_TOPICS)}", rng.choice(_CONFERENCES),
                             rng.randint(2015, 2022), rng.choice(_FRAMEWORKS), owner_kind])


_PAPER_TOPICS = ("Learning Representations at Scale", "A Simple Baseline", "Towards Robust Inference",
                 "Self-Supervised Pre-Training", "Efficient Transformers for Vision", "Graph Neural Reasoning")


# Per-item rates of GitHub's issue event types beyond closed/reopened/labeled/assigned/merged. GitHub documents
# what triggers each ("Issue event types"); the rates are this project's assumptions, tied to the item's own
# activity (BENCHMARKS.md gives the resulting mix). cross-referenced is left out: GitHub lists it in the
# timeline only, not in the issue-events list the REST path walks.
MENTION_PER_COMMENT = 0.35  # a comment @-mentions someone: "mentioned" plus the "subscribed" it brings
SELF_SUBSCRIBE = 0.05  # someone subscribes by hand
REFERENCED_CLOSED, REFERENCED_PR = 0.3, 0.6  # a commit names the issue ("Fixes #12") or the pull request
RENAMED = 0.05  # the title was edited
RELABELED = 0.12  # in a repository that labels: a label added, then removed ("labeled" + "unlabeled")
MILESTONED = 0.03  # a milestone set, then cleared ("milestoned" + "demilestoned")
REVIEW_REQUESTED = 0.55  # pull requests: one or two reviewers asked
FORCE_PUSHED = 0.3  # pull requests: the head branch force-pushed, one to three times
HEAD_REF_DELETED = 0.7  # merged pull requests: the branch deleted afterwards


def _activity_events(rng: random.Random, item: _Item, end: datetime,
                     maintainers: list[str]) -> list[tuple[str, str, datetime, dict]]:
    """The other events of one issue or pull request: (event, actor, time, extra fields)."""
    out: list[tuple[str, str, datetime, dict]] = []

    def at(fraction: float | None = None) -> datetime:
        return item.created + (end - item.created) * (rng.random() if fraction is None else fraction)

    for _ in range(item.comments):
        if rng.random() < MENTION_PER_COMMENT:
            mentioned, when = rng.choice(maintainers), at()
            out += [("mentioned", mentioned, when, {}), ("subscribed", mentioned, when, {})]
    if rng.random() < SELF_SUBSCRIBE:
        out.append(("subscribed", f"{rng.choice(maintainers)}", at(), {}))
    if (item.closed or item.is_pr) and rng.random() < (REFERENCED_PR if item.is_pr else REFERENCED_CLOSED):
        sha = f"{rng.getrandbits(160):040x}"
        out.append(("referenced", item.closer or rng.choice(maintainers), at(0.9), {"commit_id": sha}))
    if rng.random() < RENAMED:
        out.append(("renamed", item.reporter, at(0.05), {"rename": {"from": "(draft title)", "to": "(title)"}}))
    if item.labels and rng.random() < RELABELED:
        who = rng.choice(maintainers)
        out += [("labeled", who, at(0.05), {"label": {"name": "triage", "color": "ededed"}}),
                ("unlabeled", who, at(0.15), {"label": {"name": "triage", "color": "ededed"}})]
    if rng.random() < MILESTONED:
        who = rng.choice(maintainers)
        out += [("milestoned", who, at(0.2), {"milestone": {"title": "v1.0"}}),
                ("demilestoned", who, at(0.6), {"milestone": {"title": "v1.0"}})]
    if item.is_pr:
        if rng.random() < REVIEW_REQUESTED:
            for reviewer in rng.sample(maintainers, min(len(maintainers), rng.randint(1, 2))):
                out.append(("review_requested", item.reporter, at(0.1), {
                    "review_requester": objects.make_user(item.reporter),
                    "requested_reviewer": objects.make_user(reviewer)}))
        if rng.random() < FORCE_PUSHED:
            out += [("head_ref_force_pushed", item.reporter, at(), {"commit_id": f"{rng.getrandbits(160):040x}"})
                    for _ in range(rng.randint(1, 3))]
        if item.closed and rng.random() < HEAD_REF_DELETED:
            out.append(("head_ref_deleted", item.closer or maintainers[0], item.closed, {}))
    return out


def _build_repo(rng: random.Random, full_name: str, owner_kind: str, created: datetime, mined: datetime,
                items: list[_Item], labels: list[dict], maintainers: list[str], first_id: int,
                n_issues: int, events_rng: random.Random | None = None) -> RepoSnapshot:
    by_name = {label["name"]: label for label in labels}
    owner = full_name.split("/")[0]
    issues: list[dict] = []
    events: list[dict] = []
    ts = format_timestamp

    def event(item: _Item, issue_id: int, kind: str, actor: str, when: datetime, **extra: object) -> None:
        events.append(objects.make_event(full_name, event_id=0, event=kind, actor=actor, number=item.number,
                                         issue_id=issue_id, created_at=ts(when), **extra))

    for offset, item in enumerate(items):
        if item.is_pr:
            title, body = pull_request_text(rng)
        else:
            title, body = issue_text(rng, item.category or "other", owner, item.english)
        end = item.closed or mined
        activity = [item.created]
        if item.comments:
            activity.append(item.created + (end - item.created) * rng.random())
        if item.closed:
            activity.append(item.closed)
        updated = max(activity)
        issue_id = first_id + offset
        association = "OWNER" if item.reporter == owner else ("CONTRIBUTOR" if item.reporter in maintainers
                                                              else "NONE")
        issues.append(objects.make_issue(
            full_name, issue_id=issue_id, number=item.number, title=title, body=body, user=item.reporter,
            created_at=ts(item.created), updated_at=ts(updated), closed_at=ts(item.closed) if item.closed else None,
            labels=[by_name[name] for name in item.labels if name in by_name], assignees=item.assignees,
            comments=item.comments, author_association=association, pull_request=item.is_pr,
        ))

        label_time = item.created + (end - item.created) * 0.1
        for name in item.labels:
            event(item, issue_id, "labeled", rng.choice(maintainers), label_time,
                  label={"name": name, "color": "ededed"})
        for login in item.assignees:
            event(item, issue_id, "assigned", rng.choice(maintainers), label_time,
                  assignee=objects.make_user(login), assigner=objects.make_user(maintainers[0]))
        if item.reopened:
            first_close = item.reopened - (item.reopened - item.created) / 2
            event(item, issue_id, "closed", item.closer or maintainers[0], first_close)
            event(item, issue_id, "reopened", item.reporter, item.reopened)
        if item.closed:
            if item.is_pr:
                event(item, issue_id, "merged", item.closer or maintainers[0], item.closed)
            event(item, issue_id, "closed", item.closer or maintainers[0], item.closed)
        if events_rng is not None:
            for kind, actor, when, extra in _activity_events(events_rng, item, end, maintainers):
                event(item, issue_id, kind, actor, when, **extra)
    events.sort(key=lambda e: (e["created_at"], e["issue"]["number"]))
    base_event_id = objects.stable_id("events", full_name, bits=30) * 16
    for k, record in enumerate(events):
        record["id"] = base_event_id + k
        record["url"] = f"{objects.API}/repos/{full_name}/issues/events/{record['id']}"
        record["node_id"] = objects.node_id("IssueEvent", record["id"])
    stars = int(math.exp(rng.gauss(4.0, 1.6)) + n_issues * rng.uniform(2, 8))
    contributors = [objects.make_contributor(login, max(1, int(400 / (rank + 1) ** 1.3)))
                    for rank, login in enumerate(maintainers)]
    open_count = sum(1 for i in issues if i["state"] == "open")
    repo = objects.make_repo(
        full_name, repo_id=objects.stable_id("repo", full_name), description=f"Official code of {full_name}",
        created_at=format_timestamp(created),
        updated_at=format_timestamp(mined - timedelta(days=rng.uniform(0, 60))),
        pushed_at=format_timestamp(mined - timedelta(days=rng.uniform(0, 200))), stars=stars,
        forks=int(stars * rng.uniform(0.1, 0.3)), watchers=max(1, stars // 20), open_issues=open_count,
        owner_type="Organization" if owner_kind == "industry" else "User",
        topics=["deep-learning", rng.choice(["pytorch", "tensorflow", "computer-vision", "nlp"])],
    )
    return RepoSnapshot(repo, issues, events, labels, contributors)
