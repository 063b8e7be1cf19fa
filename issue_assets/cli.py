"""The ``issue-assets`` command."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from issue_assets.github.client import GitHubClient, parse_repo_name
from issue_assets.github.emulator import EmulatorState, Faults, GitHubEmulator
from issue_assets.github.errors import GitHubError, InvalidRepoName
from issue_assets.github.generator import DEMO, generate_snapshot


def home() -> Path:
    return Path(os.environ.get("ISSUE_ASSETS_HOME", ".issue_assets"))


def _repo_pairs(values: Sequence[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        old, sep, new = value.partition("=")
        try:
            parse_repo_name(old)
            parse_repo_name(new)
        except InvalidRepoName as exc:
            raise SystemExit(f"{option} {value!r}: {exc}") from None
        if not sep:
            raise SystemExit(f"{option} {value!r}: expected OLD/NAME=NEW/NAME")
        pairs[old] = new
    return pairs


def _repo_status(values: Sequence[str]) -> dict[str, int]:
    status = {}
    for value in values:
        name, _, code = value.partition("=")
        if code not in ("404", "410", "451"):
            raise SystemExit(f"--repo-status {value!r}: expected OWNER/NAME=404|410|451")
        status[name] = int(code)
    return status


def add_fault_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("faults (all off by default)")
    group.add_argument("--rate-limit", type=int, default=5000, help="requests per window and token (default 5000)")
    group.add_argument("--rate-window", type=float, default=3600, help="rate-limit window in seconds (default 3600)")
    group.add_argument("--tokens", help="comma-separated tokens to accept (others get 401); default: any")
    group.add_argument("--secondary-every", type=int, default=0, help="403 secondary limit every N requests")
    group.add_argument("--retry-after", type=int, default=1, help="retry-after seconds of those answers")
    group.add_argument("--error-rate", type=float, default=0.0, help="probability of a 5xx answer")
    group.add_argument("--latency-ms", type=float, default=0.0, help="added latency per answer")
    group.add_argument("--truncate-rate", type=float, default=0.0, help="probability of a body cut in half")
    group.add_argument("--drop-rate", type=float, default=0.0, help="probability of a connection dropped mid-body")
    group.add_argument("--max-page", type=int, help="answer 422 to page numbers beyond this (GitHub: 100)")
    group.add_argument("--rename", action="append", default=[], metavar="OLD/NAME=NEW/NAME",
                       help="serve a repository under a new name; the old one answers 301")
    group.add_argument("--repo-status", action="append", default=[], metavar="OWNER/NAME=CODE",
                       help="404 deleted, 451 blocked, 410 issues disabled")
    group.add_argument("--seed", type=int, default=0, help="seed of the random faults")


def faults_from(args: argparse.Namespace) -> Faults:
    return Faults(
        secondary_every=args.secondary_every, retry_after=args.retry_after, error_rate=args.error_rate,
        latency_ms=args.latency_ms, truncate_rate=args.truncate_rate, drop_rate=args.drop_rate,
        max_page=args.max_page, renames=_repo_pairs(args.rename, "--rename"),
        repo_status=_repo_status(args.repo_status), seed=args.seed,
    )


def cmd_emulator(args: argparse.Namespace) -> int:
    state = EmulatorState.from_directory(args.snapshot, faults_from(args))
    emulator = GitHubEmulator(state, port=args.port, rate_limit=args.rate_limit, rate_window=args.rate_window,
                              tokens=args.tokens.split(",") if args.tokens else None)
    print(f"GitHub emulator serving {len(state.repos)} repositories from {args.snapshot} at {emulator.url} "
          f"(also {emulator.url}/api/v3). Ctrl-C stops it.", flush=True)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.server.server_close()
    return 0


def cmd_snapshot_generate(args: argparse.Namespace) -> int:
    repos, issues, seed = (DEMO["repos"], DEMO["issues"], DEMO["seed"]) if args.demo else \
        (args.repos, args.issues, args.seed)
    if repos is None or issues is None:
        raise SystemExit("snapshot generate: give --repos and --issues, or --demo")
    started = time.perf_counter()
    manifest = generate_snapshot(args.out, repos, issues, seed, now=args.now)
    print(f"wrote {args.out}: {manifest['repos']} repositories, {manifest['issues']} issues "
          f"({manifest['open_issues']} open), {manifest['pull_requests']} pull requests "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


def mine(client: GitHubClient, repos: Sequence[str], previous: dict[str, dict] | None = None) -> list[dict]:
    """Fetch every repository with the client; one summary row per repository. With ``previous``
    (rows of an earlier call) it is a refresh: each list resumes from its stored cursor."""
    rows = []
    for full_name in repos:
        before = (previous or {}).get(full_name, {})
        result = client.get_repo(full_name)
        row = {"repo": full_name, "state": result.state, "issues": 0, "open": 0, "pull_requests": 0,
               "labels": 0, "contributors": 0, "closers": 0, "cursor": None, "newest_event_id": None}
        if result.available and result.full_name:
            listing = client.fetch_issues(result.full_name, since=before.get("cursor"))
            events = client.closed_events(result.full_name, known_event_id=before.get("newest_event_id"))
            row.update(issues=len(listing.issues), open=sum(i["state"] == "open" for i in listing.issues),
                       pull_requests=len(listing.pull_requests),
                       labels=len(client.list_labels(result.full_name)),
                       contributors=client.count_contributors(result.full_name) or 0,
                       closers=len(events.closers), cursor=listing.cursor, newest_event_id=events.newest_event_id)
        rows.append(row)
    return rows


def cmd_demo(args: argparse.Namespace) -> int:
    """The GitHub layer end to end, offline: demo snapshot → emulator → client.

    (The asset graph arrives with the next issue; this shows what it will stand on.)"""
    base = home() / "demo"
    snapshot = base / "snapshot"
    if not (snapshot / "manifest.json").exists():
        generate_snapshot(snapshot, DEMO["repos"], DEMO["issues"], DEMO["seed"])
    state = EmulatorState.from_directory(snapshot)
    with GitHubEmulator(state) as emulator:
        client = GitHubClient(emulator.url, cache=None)
        started = time.perf_counter()
        rows = mine(client, sorted(r.full_name for r in state.repos.values()))
        elapsed = time.perf_counter() - started
        first = client.stats.copy()
        mine(client, [r["repo"] for r in rows], previous={r["repo"]: r for r in rows})
        refresh = client.stats.since(first)
    print(f"{'repository':<40} {'state':<8} {'issues':>6} {'open':>5} {'PRs':>5} {'labels':>6} {'contrib':>7}")
    for row in rows:
        print(f"{row['repo']:<40} {row['state']:<8} {row['issues']:>6} {row['open']:>5} {row['pull_requests']:>5} "
              f"{row['labels']:>6} {row['contributors']:>7}")
    issues = sum(r["issues"] for r in rows)
    open_ = sum(r["open"] for r in rows)
    print(f"\n{issues} issues ({open_ / max(issues, 1):.1%} open) and {sum(r['pull_requests'] for r in rows)} "
          f"pull requests from {len(rows)} repositories in {elapsed:.1f} s, "
          f"{first.requests} requests ({first.rate_limit_points} rate-limit points).")
    print(f"Refresh with nothing changed: {refresh.requests} requests, {refresh.not_modified} answered 304, "
          f"{refresh.rate_limit_points} rate-limit points.")
    print(f"Snapshot: {snapshot}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="issue-assets", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log the client's requests and waits")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run offline on the bundled demo snapshot")
    demo.set_defaults(func=cmd_demo)

    emulator = sub.add_parser("emulator", help="serve a snapshot as GitHub on loopback")
    emulator.add_argument("--snapshot", required=True, type=Path, help="snapshot folder")
    emulator.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    add_fault_options(emulator)
    emulator.set_defaults(func=cmd_emulator)

    snapshot = sub.add_parser("snapshot", help="snapshot tools")
    snapshot_sub = snapshot.add_subparsers(dest="snapshot_command", required=True)
    generate = snapshot_sub.add_parser("generate", help="write a deterministic synthetic snapshot")
    generate.add_argument("--repos", type=int, help="number of repositories")
    generate.add_argument("--issues", type=int, help="total number of issues (pull requests come on top)")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--now", default="2022-12-01T00:00:00Z", help="the mining date of the snapshot")
    generate.add_argument("--demo", action="store_true", help=f"the demo snapshot {DEMO}")
    generate.add_argument("--out", required=True, type=Path)
    generate.set_defaults(func=cmd_snapshot_generate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except GitHubError as exc:
        print(f"issue-assets: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
