"""The analysis at a million issues: the `analyze` run, with time and memory per step.

    .venv/bin/python benchmarks/analysis_scale.py [--repos 576] [--issues 1000000] [--seed 1] [--keep DIR]

Mining a million issues through the emulator does not fit this machine: the emulator holds about
20 KB per issue (5.1 GB at 250,000 issues), so a million would need 20 GB beside the graph.
`graph_run.py` measures the fetch at 1x and 10x the study's issues; this script measures what
comes after it at 40x. It stores each repository of a synthetic snapshot exactly as a fetch stores
it (the snapshot's JSON through ``mining.issue_row``/``metadata_row`` and ``store_fetch``, one
repository at a time, closers from the issue events, pull requests left out), then runs the
`analyze` job: raw-issue checks, labeled issues, metrics, models, study tables, report. A second
pass runs it again with nothing changed. ``--keep DIR`` keeps the snapshot and the warehouse.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pandas as pd
from scale import scale_arguments
from step_profile import MemorySampler, step_profile

from issue_assets.emulator.generator import DEFAULT_NOW, generate_snapshot
from issue_assets.emulator.snapshot import read_repo
from issue_assets.github.times import parse_timestamp
from issue_assets.mining import ISSUE_COLUMNS, FetchState, RepositoryFetch, issue_row, metadata_row, store_fetch

WRITE_EVERY = 25  # repositories per transaction, as a fetch run writes them


def _as_fetched(folder: Path) -> RepositoryFetch:
    """What a first fetch of this repository brings back, read from its snapshot folder."""
    snap = read_repo(folder)
    repo, fetched_at = snap.full_name, parse_timestamp(DEFAULT_NOW)
    issues = [item for item in snap.issues if "pull_request" not in item]
    closers: dict[int, str] = {}
    for event in sorted(snap.events, key=lambda e: e.get("id", 0), reverse=True):  # newest first, as listed
        number = (event.get("issue") or {}).get("number")
        if event.get("event") == "closed" and number is not None and number not in closers:
            closers[number] = (event.get("actor") or {}).get("login") or ""
    fetch = RepositoryFetch(repo, "ok", fetched_at, complete=True)
    fetch.metadata = metadata_row(repo, "ok", 200, "", snap.repo, snap.labels, len(snap.contributors), fetched_at)
    fetch.changed_issues = pd.DataFrame([issue_row(repo, item, fetched_at) for item in issues],
                                        columns=ISSUE_COLUMNS)
    fetch.closers = closers
    fetch.new_state = FetchState(
        issues_cursor=max((i["updated_at"] for i in issues), default=None),
        newest_event_id=max((e.get("id", 0) for e in snap.events), default=None), closers_complete=True,
        pull_requests=len(snap.issues) - len(issues))
    return fetch


def main() -> None:
    args = scale_arguments(__doc__, keep=True, issues=1_000_000)
    with tempfile.TemporaryDirectory() as temporary:
        scratch = Path(args.keep or temporary)
        snapshot = scratch / "snapshot"
        started = time.perf_counter()
        if not (snapshot / "repositories.csv").exists():
            generate_snapshot(snapshot, args.repos, args.issues, args.seed)
        print(f"snapshot: {args.repos} repositories, {args.issues} issues, {time.perf_counter() - started:.0f} s",
              flush=True)
        os.environ.update(ISSUE_ASSETS_HOME=str(scratch / "home"), ISSUE_ASSETS_SOURCE="seed_csv",
                          ISSUE_ASSETS_REPOS=str(snapshot / "repositories.csv"))
        from issue_assets.definitions import defs as load_defs
        from issue_assets.instance import prepare_instance
        from issue_assets.pipeline import PipelineResult, _execute
        from issue_assets.warehouse import Warehouse

        defs = load_defs()

        instance = prepare_instance()
        result = PipelineResult()
        _execute(defs.resolve_job_def("list_repositories"), instance, result)
        warehouse = Warehouse(scratch / "home" / "warehouse.duckdb")
        started = time.perf_counter()
        folders = sorted((snapshot / "repos").iterdir())
        for first in range(0, len(folders), WRITE_EVERY):
            fetched = [_as_fetched(folder) for folder in folders[first:first + WRITE_EVERY]]
            with warehouse.transaction() as conn:
                for fetch in fetched:
                    store_fetch(conn, fetch)
        stored = int(warehouse.read("SELECT count(*) AS n FROM raw_issues")["n"].iloc[0])
        print(f"stored {stored} issues of {len(folders)} repositories in {time.perf_counter() - started:.0f} s",
              flush=True)
        for number, label in ((1, "first analysis"), (2, "again, nothing changed")):
            result = PipelineResult()
            with MemorySampler() as sampler:
                started = time.perf_counter()
                _execute(defs.resolve_job_def("analyze"), instance, result)
                elapsed = time.perf_counter() - started
            state = "failed" if result.failed_runs else "succeeded"
            print(f"\n## Pass {number}: {label}\n\n{elapsed:.1f} s ({state}), peak memory "
                  f"{sampler.peak() / 2**20:,.0f} MiB\n", flush=True)
            print(step_profile(instance, result.runs, sampler), flush=True)


if __name__ == "__main__":
    main()
