"""The whole asset graph: first materialization and a no-change refresh, time and memory per step.

    .venv/bin/python benchmarks/graph_run.py [--repos 576] [--issues 25000] [--seed 1] [--passes 2] [--keep DIR]
                                             [--snapshot DIR]

Generates a synthetic snapshot and serves it with the emulator in a process of its own (its CPU
and memory are GitHub's, not ours; its rate limit is raised so that no run waits for a window:
the requests are counted instead). Then runs what `issue-assets run` runs (ai_repositories,
repository fetches in range runs of 25, the analysis with its checks) in a scratch
ISSUE_ASSETS_HOME (``--keep DIR``: in DIR, kept afterwards), ``--passes`` times. Prints, per pass,
the wall time, the API work, and each step's wall time and peak memory (this process and its
children, see ``step_profile.py``), and the emulator's own peak memory. ``--snapshot DIR`` serves a
snapshot written before (`issue-assets snapshot generate`) instead of generating one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from scale import scale_arguments
from step_profile import MemorySampler, step_profile

from issue_assets.emulator.generator import generate_snapshot


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


def _start_emulator(snapshot: Path) -> tuple[subprocess.Popen, str]:
    exe = Path(sys.executable).parent / "issue-assets"
    process = subprocess.Popen([str(exe), "emulator", "--snapshot", str(snapshot), "--rate-limit", "100000000"],
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    line = process.stdout.readline()
    if " at " not in line:
        process.kill()
        raise SystemExit(f"the emulator did not start: {line!r}")
    return process, line.split(" at ")[1].split(" ")[0]


@contextmanager
def served_snapshot(scratch: str | Path, args: argparse.Namespace) -> Iterator[subprocess.Popen]:
    """A synthetic snapshot of the benchmark's size, served by the emulator in a process of its own,
    with the environment of ``issue-assets run`` pointing at it and at ``scratch/home``."""
    snapshot = Path(getattr(args, "snapshot", None) or Path(scratch) / "snapshot")
    if not (snapshot / "manifest.json").exists():
        started = time.perf_counter()
        generate_snapshot(snapshot, args.repos, args.issues, args.seed)
        print(f"snapshot: {args.repos} repositories, {args.issues} issues, generated in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    os.environ.update(ISSUE_ASSETS_HOME=str(Path(scratch) / "home"), ISSUE_ASSETS_SOURCE="seed_csv",
                      ISSUE_ASSETS_REPOS=str(snapshot / "repositories.csv"))
    os.environ.pop("GITHUB_TOKEN", None)
    started = time.perf_counter()
    emulator, url = _start_emulator(snapshot)
    print(f"emulator serving {snapshot} after {time.perf_counter() - started:.0f} s", flush=True)
    os.environ["GITHUB_API_URL"] = url
    try:
        yield emulator
    finally:
        emulator.terminate()
        emulator.wait()


def main() -> None:
    args = scale_arguments(__doc__, passes=2, keep=True, snapshot=True)
    with tempfile.TemporaryDirectory() as temporary, served_snapshot(args.keep or temporary, args) as emulator:
        from issue_assets.instance import prepare_instance
        from issue_assets.pipeline import materialize_all

        instance = prepare_instance()
        for number in range(1, args.passes + 1):
            label = "first materialization" if number == 1 else "refresh, nothing changed"
            with MemorySampler() as sampler:
                started = time.perf_counter()
                # The sampler counts this process and its children, except the emulator.
                sampler.exclude(emulator.pid)
                result = materialize_all(instance)
                elapsed = time.perf_counter() - started
            api = _api_totals(instance, result.runs)
            print(f"\n## Pass {number}: {label}\n\n{elapsed:.1f} s, {len(result.runs)} runs "
                  f"({len(result.failed_runs)} failed), peak memory {sampler.peak() / 2**20:,.0f} MiB, "
                  f"{api['api_requests']} API requests, {api['api_not_modified']} answered 304, "
                  f"{api['api_rate_limit_points']} rate-limit points\n", flush=True)
            print(step_profile(instance, result.runs, sampler), flush=True)
        print(f"\nemulator peak memory: {_peak_rss(emulator.pid) / 2**30:.2f} GiB", flush=True)


def _peak_rss(pid: int) -> int:
    """A process's peak resident memory in bytes (Linux's VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    main()
