"""Requests the client needs for a first mine and for a no-change refresh, against the floor.

    .venv/bin/python benchmarks/github_requests.py [--repos 576] [--issues 25000] [--seed 1]

Generates a study-sized synthetic snapshot, serves it with the emulator and mines every repository
(repository object, issues and pull requests, labels, contributor count, closers from events).
The floor is, per repository: ceil(items / 100) issue-list requests + ceil(events / 100) event-list
requests + 3 (repository, labels, contributors).
"""

from __future__ import annotations

import tempfile
import time

from scale import scale_arguments

from issue_assets.github.client import GitHubClient
from issue_assets.github.emulator import EmulatorState, GitHubEmulator
from issue_assets.github.generator import generate_snapshot
from issue_assets.github.snapshot import read_snapshot
from issue_assets.mining import refresh_repository
from issue_assets.warehouse import Warehouse


def mine(client: GitHubClient, store: Warehouse, repos: list[str]) -> None:
    """What the repo_metadata/raw_issues partitions do, repository by repository."""
    for repo in repos:
        refresh_repository(client, store, repo)


def main() -> None:
    args = scale_arguments(__doc__)
    with tempfile.TemporaryDirectory() as scratch:
        generate_snapshot(scratch, args.repos, args.issues, args.seed)
        snaps = read_snapshot(scratch)
        items = sum(len(s.issues) for s in snaps)
        floor = sum(-(-len(s.issues) // 100) + -(-len(s.events) // 100) + 3 for s in snaps)
        with GitHubEmulator(EmulatorState(snaps)) as emulator:
            client = GitHubClient(emulator.url)
            store = Warehouse(":memory:")
            repos = [s.full_name for s in snaps]
            started = time.perf_counter()
            mine(client, store, repos)
            first_seconds = time.perf_counter() - started
            first = client.stats.copy()
            started = time.perf_counter()
            mine(client, store, repos)
            refresh_seconds = time.perf_counter() - started
            refresh = client.stats.since(first)
    print(f"snapshot: {len(snaps)} repositories, {items} issues and pull requests")
    print(f"first mine: {first.requests} requests (floor {floor}, ratio {first.requests / floor:.3f}), "
          f"{1000 * first.requests / items:.1f} requests per 1,000 items, {first_seconds:.1f} s")
    print(f"no-change refresh: {refresh.requests} requests, {refresh.not_modified} answered 304, "
          f"{refresh.rate_limit_points} rate-limit points, {refresh_seconds:.1f} s")


if __name__ == "__main__":
    main()
