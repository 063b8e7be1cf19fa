"""Where the time of a fetch run goes: a sampling profile of every thread of the run.

    .venv/bin/python benchmarks/fetch_profile.py [--repos 576] [--issues 25000] [--seed 1] [--runs 4] [--refresh]

Generates a snapshot, serves it with the emulator in a process of its own, registers the repositories,
then executes ``--runs`` range runs of ``fetch_repositories`` (the first ones, 25 repositories each;
with ``--refresh`` they run once unprofiled first, so the profile is of a refresh where nothing
changed). Every 10 ms it records each thread's innermost frames; it prints each run's wall time and
the 30 most frequent stacks (samples x 10 ms = seconds spent there, summed over threads; idle pool
threads show as ``thread.py:_worker``). cProfile cannot do this: it sees only the thread it runs in.
"""

from __future__ import annotations

import collections
import sys
import tempfile
import time
import traceback
from pathlib import Path

from graph_run import served_snapshot
from scale import scale_arguments
from step_profile import Sampler

INTERVAL = 0.01
FRAMES = 6


class StackSampler(Sampler):
    """Counts the innermost frames of every other thread."""

    def __init__(self) -> None:
        super().__init__(INTERVAL)
        self.counts: collections.Counter[str] = collections.Counter()

    def sample(self) -> None:
        for ident, frame in sys._current_frames().items():
            if ident != self._thread.ident:
                stack = traceback.extract_stack(frame)[-FRAMES:]
                self.counts[" < ".join(f"{Path(f.filename).name}:{f.name}" for f in reversed(stack))] += 1


def main() -> None:
    args = scale_arguments(__doc__, runs=4, refresh=True)
    with tempfile.TemporaryDirectory() as scratch, served_snapshot(scratch, args):
        from issue_assets.definitions import defs as load_defs
        from issue_assets.defs.automation import contiguous_runs
        from issue_assets.defs.partitions import repository_partitions
        from issue_assets.instance import prepare_instance
        from issue_assets.pipeline import PipelineResult, _execute

        defs = load_defs()

        instance = prepare_instance()
        result = PipelineResult()
        _execute(defs.resolve_job_def("list_repositories"), instance, result)
        keys = instance.get_dynamic_partitions(repository_partitions.name)
        requests = contiguous_runs(keys, set(keys), reason="profile")[:args.runs]
        fetch = defs.resolve_job_def("fetch_repositories")
        if args.refresh:
            for request in requests:
                _execute(fetch, instance, result, dict(request.tags))
        with StackSampler() as sampler:
            for request in requests:
                started = time.perf_counter()
                _execute(fetch, instance, result, dict(request.tags))
                print(f"run of {request.tags['dagster/asset_partition_range_start']}..: "
                      f"{time.perf_counter() - started:.2f} s", flush=True)
        if result.failed_runs:
            raise SystemExit(f"{len(result.failed_runs)} runs failed")
        for stack, samples in sampler.counts.most_common(30):
            print(f"{samples * INTERVAL:6.2f} s  {stack}")


if __name__ == "__main__":
    main()
