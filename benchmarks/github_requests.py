"""Requests and points a first mine and a no-change refresh cost: this project (REST and GraphQL) against
its peers, and the REST floor, at the study's size and at 10x its issues.

    .venv/bin/python benchmarks/github_requests.py [--repos 576] [--issues 25000] [--seed 1] [--scales 1,10]
                                                   [--no-peers] [--peers-at-every-scale]

Generates a synthetic snapshot per scale and serves it with the emulator. Every tool mines every
repository through the same emulator; the emulator counts what each one sent:

- this project over REST: repository, issues and pull requests, labels, contributor count, closers from
  the issue-events list (what the repo_metadata/raw_issues partitions do with ``api: rest``), then a
  refresh where nothing changed;
- this project over GraphQL (``api: graphql``, the default with a token): probe queries of 100
  repositories, issue pages shared by small repositories, the contributor count over REST; then the
  refresh, one probe query per 100 repositories;
- the study's access pattern, with PyGithub (dev dependency): per repository, the open and the closed
  issue lists (30 per page, PyGithub's default) each walked twice, a rate-limit query before each
  issue, and each closed issue's closer loaded lazily (one request per issue);
- PyGithub used well: 100 per page, one walk over all issues, closers from the issue-events list,
  labels, the contributor count from one page;
- Perceval's GitHub backend (dev dependency), category `issue`: issues with their comments,
  reactions and users, as it always fetches them.

The floor is, per repository: ceil(items / 100) issue-list requests + ceil(events / 100) event-list
requests + 3 (repository, labels, contributors). Requests per 1,000 issues count issues only (pull
requests excluded), as the study does. "Token minutes" is the time one token's budget needs: REST
requests and GraphQL points are separate budgets of 5,000 an hour each, so the larger of the two,
divided by 5,000, times 60. PyGithub's own pause of 0.25 s between requests (its guard against
secondary limits) is turned off, so that wall times compare work, not pauses: with it, every request
below costs a quarter of a second more. The peers run at the first scale only unless asked (at 10x
they take half an hour each).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable

from issue_assets.emulator.generator import generate_snapshot
from issue_assets.emulator.server import EmulatorState, GitHubEmulator
from issue_assets.emulator.snapshot import iter_snapshot
from issue_assets.github.access import GitHubAccess
from issue_assets.github.cache import ConditionalCache
from issue_assets.mining import fetch_repositories
from issue_assets.warehouse import Warehouse

TOKEN = "benchmark-token"
BUDGET_PER_HOUR = 5000


def mine(access: GitHubAccess, warehouse: Warehouse, repos: list[str]) -> None:
    """What the repo_metadata/raw_issues fetch runs do."""
    run = fetch_repositories(access, warehouse, repos)
    if run.failed:
        raise SystemExit(f"{len(run.failed)} repositories failed: {dict(list(run.failed.items())[:3])}")


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


def measure_scale(issues_total: int, args: argparse.Namespace, peers: bool) -> tuple[dict, list]:
    with tempfile.TemporaryDirectory() as scratch:
        generate_snapshot(scratch, args.repos, issues_total, args.seed)
        totals = {"items": 0, "issues": 0, "floor": 0, "events": 0}
        repos = []

        def counted():  # one repository at a time: at 10x the parsed snapshot would not fit twice
            for snap in iter_snapshot(scratch):
                repos.append(snap.full_name)
                totals["items"] += len(snap.issues)
                totals["issues"] += sum("pull_request" not in i for i in snap.issues)
                totals["events"] += len(snap.events)
                totals["floor"] += -(-len(snap.issues) // 100) + -(-len(snap.events) // 100) + 3
                yield snap

        state = EmulatorState(counted())
    rows = []
    with GitHubEmulator(state, rate_limit=10_000_000) as emulator:
        for api in ("rest", "graphql"):
            access = GitHubAccess(emulator.url, [TOKEN], ConditionalCache(), api=api)
            warehouse = Warehouse(":memory:")

            def run(access: GitHubAccess = access, warehouse: Warehouse = warehouse) -> None:
                mine(access, warehouse, repos)

            rows.append((f"this project, {api}, first mine", *measure(emulator, run)))
            rows.append((f"this project, {api}, no-change refresh", *measure(emulator, run)))
        if peers:
            rows.append(("study's PyGithub pattern", *measure(emulator, lambda: study_pattern(emulator.url, repos))))
            rows.append(("PyGithub used well", *measure(emulator, lambda: pygithub_well(emulator.url, repos))))
            rows.append(("Perceval (issues, comments, users)", *measure(emulator, lambda: perceval(emulator.url,
                                                                                                     repos))))
    return totals, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repos", type=int, default=576)
    parser.add_argument("--issues", type=int, default=25000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scales", default="1,10", help="multiples of --issues, comma-separated")
    parser.add_argument("--no-peers", action="store_true", help="measure this project only")
    parser.add_argument("--peers-at-every-scale", action="store_true")
    args = parser.parse_args()
    for position, scale in enumerate(int(s) for s in args.scales.split(",")):
        peers = not args.no_peers and (position == 0 or args.peers_at_every_scale)
        totals, rows = measure_scale(args.issues * scale, args, peers)
        issues = totals["issues"]
        print(f"\n{scale}x: {args.repos} repositories, {issues:,} issues + {totals['items'] - issues:,} pull requests, "
              f"{totals['events']:,} issue events; REST floor {totals['floor']:,} requests")
        print("| tool | requests | per 1,000 issues | × REST floor | 304s | REST points | GraphQL points | "
              "token minutes | wall time |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for label, served, seconds, _ in rows:
            requests = served.get("requests", 0)
            rest_points, graphql_points = served.get("rate_limit_points", 0), served.get("graphql_points", 0)
            minutes = max(rest_points, graphql_points) / BUDGET_PER_HOUR * 60
            print(f"| {label} | {requests:,} | {1000 * requests / issues:.1f} | {requests / totals['floor']:.2f} | "
                  f"{served.get('not_modified', 0):,} | {rest_points:,} | {graphql_points:,} | {minutes:.1f} | "
                  f"{seconds:.1f} s |", flush=True)


if __name__ == "__main__":
    main()
