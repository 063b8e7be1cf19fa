"""Requests a first mine and a no-change refresh cost: this project against its peers, and the floor.

    .venv/bin/python benchmarks/github_requests.py [--repos 576] [--issues 25000] [--seed 1] [--no-peers]

Generates a study-sized synthetic snapshot and serves it with the emulator. Every tool mines every
repository through the same emulator; the emulator counts what each one sent:

- this project: repository, issues and pull requests, labels, contributor count, closers from the
  issue-events list (what the repo_metadata/raw_issues partitions do), then a refresh where nothing
  changed;
- the study's access pattern, with PyGithub (dev dependency): per repository, the open and the closed
  issue lists (30 per page, PyGithub's default) each walked twice, a rate-limit query before each
  issue, and each closed issue's closer loaded lazily (one request per issue);
- PyGithub used well: 100 per page, one walk over all issues, closers from the issue-events list,
  labels, the contributor count from one page;
- Perceval's GitHub backend (dev dependency), category `issue`: issues with their comments,
  reactions and users, as it always fetches them.

The floor is, per repository: ceil(items / 100) issue-list requests + ceil(events / 100) event-list
requests + 3 (repository, labels, contributors). Requests per 1,000 issues count issues only (pull
requests excluded), as the study does. PyGithub's own pause of 0.25 s between requests (its guard
against secondary limits) is turned off, so that wall times compare work, not pauses: with it, every
request below costs a quarter of a second more.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable

from issue_assets.emulator.generator import generate_snapshot
from issue_assets.emulator.server import EmulatorState, GitHubEmulator
from issue_assets.emulator.snapshot import read_snapshot
from issue_assets.github.client import GitHubClient
from issue_assets.mining import refresh_repository
from issue_assets.warehouse import Warehouse

TOKEN = "benchmark-token"


def mine(client: GitHubClient, warehouse: Warehouse, repos: list[str]) -> None:
    """What the repo_metadata/raw_issues partitions do, repository by repository."""
    for repo in repos:
        refresh_repository(client, warehouse, repo)


def study_pattern(url: str, repos: list[str]) -> int:
    """The study's PyGithub access pattern; returns the issues it collected."""
    import github

    gh = github.Github(base_url=f"{url}/api/v3", auth=github.Auth.Token(TOKEN), seconds_between_requests=0)
    collected = 0
    for name in repos:
        repo = gh.get_repo(name)
        for state in ("open", "closed"):
            for _ in repo.get_issues(state=state):  # first walk: count the issues
                pass
            for issue in repo.get_issues(state=state):  # second walk: read them
                gh.get_rate_limit()
                if "/pull/" in issue.html_url:  # not issue.pull_request: that lazily loads every issue
                    continue
                collected += 1
                if issue.state == "closed":
                    _ = issue.closed_by  # lazy: one request for the single issue
    return collected


def pygithub_well(url: str, repos: list[str]) -> int:
    """PyGithub with 100 per page, one walk, closers from the events list."""
    import github

    gh = github.Github(base_url=f"{url}/api/v3", auth=github.Auth.Token(TOKEN), per_page=100,
                       seconds_between_requests=0)
    collected = 0
    for name in repos:
        repo = gh.get_repo(name)
        closed = set()
        for issue in repo.get_issues(state="all"):
            if "/pull/" not in issue.html_url:
                collected += 1
                if issue.state == "closed":
                    closed.add(issue.number)
        closers: dict[int, str] = {}
        for event in repo.get_issues_events():  # newest first: stop once every closed issue has a closer
            if event.event == "closed" and event.issue.number not in closers:
                closers[event.issue.number] = event.actor.login if event.actor else ""
            if closed <= closers.keys():
                break
        list(repo.get_labels())
        _ = repo.get_contributors().totalCount
    return collected


def perceval(url: str, repos: list[str]) -> int:
    from perceval.backends.core.github import GitHub

    collected = 0
    for name in repos:
        owner, repository = name.split("/")
        backend = GitHub(owner=owner, repository=repository, api_token=[TOKEN], base_url=url, sleep_for_rate=True)
        collected += sum(1 for _ in backend.fetch(category="issue"))
    return collected


def measure(emulator: GitHubEmulator, run: Callable[[], object]) -> tuple[dict, float, object]:
    emulator.reset_stats()
    started = time.perf_counter()
    result = run()
    return emulator.stats(), time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repos", type=int, default=576)
    parser.add_argument("--issues", type=int, default=25000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-peers", action="store_true", help="measure this project only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        generate_snapshot(scratch, args.repos, args.issues, args.seed)
        snaps = read_snapshot(scratch)
    items = sum(len(s.issues) for s in snaps)
    issues = sum("pull_request" not in i for s in snaps for i in s.issues)
    floor = sum(-(-len(s.issues) // 100) + -(-len(s.events) // 100) + 3 for s in snaps)
    repos = [s.full_name for s in snaps]
    rows = []
    with GitHubEmulator(EmulatorState(snaps), rate_limit=10_000_000) as emulator:
        client = GitHubClient(emulator.url, TOKEN)
        warehouse = Warehouse(":memory:")
        rows.append(("this project, first mine", *measure(emulator, lambda: mine(client, warehouse, repos))))
        rows.append(("this project, no-change refresh", *measure(emulator, lambda: mine(client, warehouse, repos))))
        if not args.no_peers:
            rows.append(("study's PyGithub pattern", *measure(emulator, lambda: study_pattern(emulator.url, repos))))
            rows.append(("PyGithub used well", *measure(emulator, lambda: pygithub_well(emulator.url, repos))))
            rows.append(("Perceval (issues, comments, users)", *measure(emulator, lambda: perceval(emulator.url,
                                                                                                     repos))))
    print(f"snapshot: {len(snaps)} repositories, {issues} issues + {items - issues} pull requests; "
          f"floor {floor} requests")
    print(f"| {'tool':<36} | requests | per 1,000 issues | × floor | 304s | rate-limit points | wall time |")
    print(f"|{'-' * 38}|---------:|-----------------:|--------:|-----:|------------------:|----------:|")
    for label, served, seconds, _ in rows:
        requests = served.get("requests", 0)
        print(f"| {label:<36} | {requests:>8,} | {1000 * requests / issues:>16.1f} | {requests / floor:>7.2f} | "
              f"{served.get('not_modified', 0):>4,} | {served.get('rate_limit_points', 0):>17,} | {seconds:>7.1f} s |")


if __name__ == "__main__":
    main()
