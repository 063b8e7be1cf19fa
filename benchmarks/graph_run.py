"""The whole asset graph at study scale: first materialization and a no-change refresh.

    .venv/bin/python benchmarks/graph_run.py [--repos 576] [--issues 25000] [--seed 1]

Generates a synthetic snapshot, serves it with the emulator, and runs what `issue-assets run` runs
(ai_repositories, repository fetches in range runs of 25, the analysis with its checks) in a
scratch ISSUE_ASSETS_HOME, twice. Prints wall time per phase and the API work of each pass.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

import dagster as dg
from scale import scale_arguments

from issue_assets.github.emulator import EmulatorState, GitHubEmulator
from issue_assets.github.generator import generate_snapshot
from issue_assets.github.snapshot import read_snapshot


def _api_totals(instance: dg.DagsterInstance, run_ids: list[str]) -> dict[str, int]:
    totals = {"api_requests": 0, "api_not_modified": 0, "api_rate_limit_points": 0}
    for run_id in run_ids:
        # A range run records one materialization per partition, each with the run's totals: count one.
        for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
            materialization = record.dagster_event.event_specific_data.materialization
            if materialization.asset_key.to_user_string() == "raw_issues":
                for key in totals:
                    totals[key] += int(materialization.metadata[key].value)
                break
    return totals


def _seconds_per_job(instance: dg.DagsterInstance, run_ids: list[str]) -> str:
    """Wall seconds spent in each job's runs (start to end of each run, summed)."""
    seconds: dict[str, float] = {}
    for run_id in run_ids:
        stats = instance.get_run_stats(run_id)
        job = instance.get_run_by_id(run_id).job_name
        seconds[job] = seconds.get(job, 0.0) + (stats.end_time or 0) - (stats.start_time or 0)
    return ", ".join(f"{job} {value:.1f} s" for job, value in seconds.items())


def main() -> None:
    args = scale_arguments(__doc__)
    with tempfile.TemporaryDirectory() as scratch:
        snapshot = Path(scratch) / "snapshot"
        generate_snapshot(snapshot, args.repos, args.issues, args.seed)
        os.environ.update(ISSUE_ASSETS_HOME=str(Path(scratch) / "home"), ISSUE_ASSETS_SOURCE="seed_csv",
                          ISSUE_ASSETS_REPOS=str(snapshot / "repositories.csv"))
        os.environ.pop("GITHUB_TOKEN", None)
        from issue_assets.pipeline import materialize_all, prepare_instance

        with GitHubEmulator(EmulatorState(read_snapshot(snapshot))) as emulator:
            os.environ["GITHUB_API_URL"] = emulator.url
            instance = prepare_instance()
            for label in ("first materialization", "refresh, nothing changed"):
                started = time.perf_counter()
                result = materialize_all(instance)
                elapsed = time.perf_counter() - started
                api = _api_totals(instance, result.runs)
                print(f"{label}: {elapsed:.1f} s, {len(result.runs)} runs ({len(result.failed_runs)} failed), "
                      f"{api['api_requests']} API requests, {api['api_not_modified']} answered 304, "
                      f"{api['api_rate_limit_points']} rate-limit points")
                print("  " + _seconds_per_job(instance, result.runs))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
