"""The ``issue-assets`` command."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from issue_assets import paths
from issue_assets.emulator.generator import DEMO, demo_snapshot, generate_snapshot
from issue_assets.emulator.server import EmulatorState, Faults, GitHubEmulator
from issue_assets.github.client import parse_repo_name
from issue_assets.github.errors import GitHubError, InvalidRepoName
from issue_assets.instance import InstanceConfigError
from issue_assets.progress import ProgressDisplay
from issue_assets.sources.repositories import RepositoryList, SourceError

if TYPE_CHECKING:  # the pipeline imports Dagster: only the commands that run the graph load it
    from issue_assets.pipeline import PipelineResult


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
    group.add_argument("--graphql-rate-limit", type=int, help="GraphQL points per window and token (default: "
                                                                 "--rate-limit)")
    group.add_argument("--graphql-max-nodes", type=int, help="answer 502 to GraphQL queries that may return more "
                                                             "nodes (GitHub's time-out on heavy queries)")
    group.add_argument("--graphql-max-seconds", type=float, help="answer 502 to GraphQL queries that ran longer")
    group.add_argument("--seed", type=int, default=0, help="seed of the random faults")


def faults_from(args: argparse.Namespace) -> Faults:
    return Faults(
        secondary_every=args.secondary_every, retry_after=args.retry_after, error_rate=args.error_rate,
        latency_ms=args.latency_ms, truncate_rate=args.truncate_rate, drop_rate=args.drop_rate,
        max_page=args.max_page, renames=_repo_pairs(args.rename, "--rename"),
        repo_status=_repo_status(args.repo_status), seed=args.seed,
        graphql_max_nodes=getattr(args, "graphql_max_nodes", None),
        graphql_max_seconds=getattr(args, "graphql_max_seconds", None),
    )


def cmd_emulator(args: argparse.Namespace) -> int:
    state = EmulatorState.from_directory(args.snapshot, faults_from(args))
    emulator = GitHubEmulator(state, port=args.port, rate_limit=args.rate_limit, rate_window=args.rate_window,
                              tokens=args.tokens.split(",") if args.tokens else None,
                              graphql_rate_limit=args.graphql_rate_limit)
    print(f"GitHub emulator serving {len(state.repos)} repositories from {args.snapshot} at {emulator.url} "
          f"(also {emulator.url}/api/v3, GraphQL at {emulator.url}/graphql). Ctrl-C stops it.", flush=True)
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


def _print_list_notes(listing: RepositoryList, most: int = 20) -> None:
    """The rows of the repository list left out or merged into an earlier one, each with its line."""
    for kind, entries in (("left out", listing.rejected), ("merged", listing.merged)):
        for entry in entries[:most]:
            print(f"issue-assets: {entry['where']}: {entry['entry']!r} {kind}: {entry['reason']}", file=sys.stderr)
        if len(entries) > most:
            print(f"issue-assets: {len(entries) - most} more rows {kind} (ai_repositories' metadata lists them)",
                  file=sys.stderr)


def _headline() -> str:
    """The headline tables of the warehouse, and where the warehouse and the report are."""
    from issue_assets.analysis.report import headline
    from issue_assets.labeling import classifier_name, current_classifier
    from issue_assets.warehouse import Warehouse

    warehouse = Warehouse(paths.warehouse_path())
    labeled = warehouse.table("labeled_issues")
    if labeled.empty:
        return "No issues in the warehouse yet."
    lines = [headline(warehouse.table("repo_metrics"), labeled, warehouse.table("regression_table"),
                      classifier_name(current_classifier()[0])), "", f"Warehouse: {warehouse.path}"]
    if paths.report_path().exists():
        lines.append(f"Report: {paths.report_path()}")
    return "\n".join(lines)


def _run_graph(full_refresh: bool) -> int:
    from issue_assets.defs.resources import RepositorySourceResource
    from issue_assets.instance import prepare_instance
    from issue_assets.pipeline import materialize_all

    listing = RepositorySourceResource().read()  # a broken list fails here, with its reason
    if listing.repositories.empty:
        raise SourceError(f"the repository list has no usable repository ({len(listing.rejected)} rejected)")
    _print_list_notes(listing)
    instance = prepare_instance()
    started = time.perf_counter()
    with ProgressDisplay() as display:  # a bar on a terminal, plain lines in a CI log
        result = materialize_all(instance, full_refresh=full_refresh, display=display)
    elapsed = time.perf_counter() - started
    if result.resumed_full_refresh:
        print(f"issue-assets: resumed an interrupted --full-refresh: {result.resumed_full_refresh} repositories "
              "fetched whole again", file=sys.stderr)
    for error in result.worker_errors:
        print(f"issue-assets: a labeling process failed ({error}); labeled_issues labeled its issues instead",
              file=sys.stderr)
    if result.analyzed:
        print(_headline())
        print(f"\n{len(result.runs)} runs in {elapsed:.1f} s for {result.repositories} repositories; Dagster "
              f"instance: {paths.home()} (open it with `issue-assets dev`).")
    else:
        _print_incomplete(result)
    if result.interrupted:
        return 130  # the shell's code for a command stopped by SIGINT
    if not result.success:
        if result.failed_runs:
            print(f"issue-assets: {len(result.failed_runs)} run(s) failed: {', '.join(result.failed_runs)}; "
                  "their logs are in the Dagster UI", file=sys.stderr)
        return 1
    return 0


def _print_incomplete(result: PipelineResult, most: int = 10) -> None:
    """Why the fetch did not finish, which repositories are stale, and that the analysis was skipped."""
    if result.stopped_by:
        print(f"issue-assets: stopped: {result.stopped_by}", file=sys.stderr)
    elif result.interrupted:
        print("issue-assets: interrupted", file=sys.stderr)
    done = result.repositories - len(result.stale)
    names = ", ".join(result.stale[:most]) + (f" and {len(result.stale) - most} more" if len(result.stale) > most
                                               else "")
    print(f"issue-assets: {done} of {result.repositories} repositories refreshed and stored; "
          f"{len(result.stale)} not refreshed: {names or 'none'}", file=sys.stderr)
    print("issue-assets: analysis skipped: the tables and the report still hold the last complete run's results; "
          "`issue-assets run` again finishes the refresh", file=sys.stderr)


def demo_environment(api_url: str, snapshot: Path) -> dict[str, str]:
    """The environment that points the product at the demo: the emulator's address and the demo list."""
    return {"GITHUB_API_URL": api_url, "ISSUE_ASSETS_SOURCE": "demo",
            "ISSUE_ASSETS_REPOS": str(snapshot / "repositories.csv")}


def cmd_demo(args: argparse.Namespace) -> int:
    """The whole graph offline: the demo snapshot served by the emulator on a free loopback port."""
    snapshot = demo_snapshot(paths.demo_snapshot_dir())
    with GitHubEmulator(EmulatorState.from_directory(snapshot)) as emulator:
        os.environ.update(demo_environment(emulator.url, snapshot))
        os.environ.pop("GITHUB_TOKEN", None)
        print(f"GitHub emulator with the demo snapshot ({snapshot}) at {emulator.url}", flush=True)
        return _run_graph(full_refresh=False)


def cmd_run(args: argparse.Namespace) -> int:
    """The whole graph against GITHUB_API_URL for the configured repositories."""
    if args.repos is not None:
        if not args.repos.is_file():
            raise SystemExit(f"issue-assets run: --repos {args.repos}: no such file")
        os.environ.update(ISSUE_ASSETS_SOURCE="seed_csv", ISSUE_ASSETS_REPOS=str(args.repos.resolve()))
    return _run_graph(full_refresh=args.full_refresh)


def cmd_dev(args: argparse.Namespace) -> int:
    """`dagster dev` on the instance under ISSUE_ASSETS_HOME (with the demo emulator when asked)."""
    from issue_assets.instance import prepare_instance

    prepare_instance()
    command = [str(Path(sys.executable).parent / "dagster"), "dev", "-w",
               str(Path(__file__).resolve().parent.parent / "workspace.yaml"), "-p", str(args.port)]
    if not Path(command[3]).exists():
        command[2:4] = ["-m", "issue_assets.definitions"]
    # `dagster dev` is superseded by `dg dev` in Dagster 1.13: its warning would greet every start.
    env = {**os.environ, "PYTHONWARNINGS": "ignore:Function `dev_command` is superseded"}
    if not args.demo:
        return _serve(command, env)
    snapshot = demo_snapshot(paths.demo_snapshot_dir())
    with GitHubEmulator(EmulatorState.from_directory(snapshot)) as emulator:
        print(f"GitHub emulator with the demo snapshot at {emulator.url}", flush=True)
        return _serve(command, {**env, **demo_environment(emulator.url, snapshot)})


def _serve(command: list[str], env: dict[str, str], grace: float = 30.0) -> int:
    """Run ``command`` (dagster dev: a webserver, a daemon, code servers) in a process group of its own, and
    take the whole group down with this process: SIGTERM or Ctrl-C is passed on to all of it, and what
    is still alive ``grace`` seconds later is killed, so that nothing keeps holding the port."""
    process = subprocess.Popen(command, env=env, start_new_session=True)

    def forward(signum: int, _frame: object) -> None:
        _signal_group(process.pid, signum)

    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        return process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _signal_group(process.pid, 0):
            process.poll()
            time.sleep(0.2)
        _signal_group(process.pid, signal.SIGKILL)
        process.poll()


def _signal_group(group: int, signum: int) -> bool:
    """Send ``signum`` to a process group; False when none of it is left."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    return True


def cmd_replicate(args: argparse.Namespace) -> int:
    """The study's tables from its replication-package files."""
    import pandas as pd

    from issue_assets.replicate import replicate, write_tables
    from issue_assets.sources.replication_package import parse_study_date

    try:
        mined_at = parse_study_date(args.mined_at) if args.mined_at else None
    except ValueError as exc:
        raise SystemExit(f"issue-assets replicate: --mined-at: {exc}") from None
    started = time.perf_counter()
    result = replicate(args.repo_db, args.issue_db, mined_at)
    written = write_tables(result, args.out)
    for note in result.notes:
        print(note)
    for path in written:
        table = result.tables.get(path.stem, getattr(result, path.stem, None))
        print(f"  {path}" + (f"  ({len(table)} rows)" if table is not None else ""))
    summary = result.tables["study_summary"].set_index("metric")
    median = summary.loc["resolution_days_median", "value"]
    resolution = f"median resolution {median:.1f} days" if pd.notna(median) else "no resolution times (no issue rows)"
    print(f"\n{int(summary.loc['issues', 'value'])} issues, {summary.loc['closed_share', 'value']:.1%} closed, "
          f"{resolution} ({time.perf_counter() - started:.1f} s)")
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    """Label issues of a CSV (id,title,body) with the taxonomy (and, with --features, every text feature)."""
    from issue_assets.analysis.classify_csv import classify_csv

    started = time.perf_counter()
    try:
        counts = classify_csv(args.input, args.output, workers=args.workers, features=args.features)
    except ValueError as exc:
        print(f"issue-assets classify: {exc}", file=sys.stderr)
        return 1
    total = int(counts.sum())
    print(f"wrote {args.output}: {total} issues in {time.perf_counter() - started:.1f} s")
    for category, count in counts[counts > 0].sort_values(ascending=False).items():
        print(f"  {category:<22} {count:>8}  {count / total:6.1%}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="issue-assets", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log the client's requests and waits")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="materialize every asset offline, on the bundled demo snapshot")
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="materialize every asset against GITHUB_API_URL (again: a refresh)")
    run.add_argument("--repos", type=Path, help="seed CSV with a `repo` column (owner/name)")
    run.add_argument("--full-refresh", action="store_true", help="ignore stored cursors: fetch every issue")
    run.set_defaults(func=cmd_run)

    dev = sub.add_parser("dev", help="open the Dagster UI on the instance under ISSUE_ASSETS_HOME")
    dev.add_argument("--demo", action="store_true", help="serve the demo snapshot with the emulator meanwhile")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(func=cmd_dev)

    emulator = sub.add_parser("emulator", help="serve a snapshot as GitHub on loopback")
    emulator.add_argument("--snapshot", required=True, type=Path, help="snapshot folder")
    emulator.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    add_fault_options(emulator)
    emulator.set_defaults(func=cmd_emulator)

    classify = sub.add_parser("classify", help="label issues (CSV with id,title,body) with the taxonomy")
    classify.add_argument("--in", dest="input", required=True, type=Path, help="CSV with columns id,title,body")
    classify.add_argument("--out", dest="output", required=True, type=Path, help="CSV id,category,confidence")
    classify.add_argument("--workers", type=int, default=None, help="processes (default: every available core)")
    classify.add_argument("--features", action="store_true",
                          help="add every text feature of labeled_issues (language, sentiment, code block, URL, "
                               "lengths) after id,category,confidence")
    classify.set_defaults(func=cmd_classify)

    replicate = sub.add_parser("replicate", help="the study's tables from its replication package (CSV files)")
    replicate.add_argument("--repo-db", required=True, type=Path, help="repoDB.csv: one row per paper's repository")
    replicate.add_argument("--issue-db", type=Path, help="issueDB.csv: one row per issue (enables the issue tables)")
    replicate.add_argument("--mined-at", help="when the issues were mined (open issues are censored there); "
                           "default: the latest creation or closing time in issueDB.csv")
    replicate.add_argument("--out", required=True, type=Path, help="folder for the CSV files")
    replicate.set_defaults(func=cmd_replicate)

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
    level = logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Dagster lowers the client's logger to INFO inside a run (for the UI's run logs): the terminal
    # keeps to the level asked for, and shows progress as a bar instead.
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)
    try:
        return args.func(args)
    except (GitHubError, SourceError, InstanceConfigError) as exc:
        print(f"issue-assets: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
