"""Labeling in worker processes: one interpreter per core, since labeling is pure-Python CPU work."""

from __future__ import annotations

import os
from collections.abc import Callable
from itertools import pairwise

import pandas as pd

# Below this many issues, starting worker processes (each imports scikit-learn and loads the
# model, about 2 s) costs more than it saves.
PARALLEL_MIN_ROWS = 5_000


def available_cores() -> int:
    """The cores this process may run on (a container's limit, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def in_processes(function: Callable[..., pd.DataFrame], frame: pd.DataFrame, workers: int,
                 arguments: Callable[[pd.DataFrame], tuple]) -> pd.DataFrame:
    """``function(*arguments(part))`` on ``workers`` consecutive parts of ``frame``, each in a process of its
    own; the results (frames with the parts' index) concatenated in order."""
    # joblib's loky processes (scikit-learn's own dependency): unlike multiprocessing's spawn they need
    # no `if __name__ == "__main__"` guard in the caller's script, and unlike fork they are safe in
    # Dagster's multi-threaded run worker. loky keeps its workers between calls.
    from joblib import Parallel, delayed

    bounds = [round(i * len(frame) / workers) for i in range(workers + 1)]
    parts = [frame.iloc[start:end] for start, end in pairwise(bounds) if end > start]
    results = Parallel(n_jobs=len(parts), backend="loky")(delayed(function)(*arguments(part)) for part in parts)
    return pd.concat(results)


def stop_processes() -> None:
    """Stop the worker processes ``in_processes`` keeps. loky keeps them for 300 s after their last task,
    and a process that is itself a worker (``pipeline``'s labeling process) waits for them when it exits."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor(max_workers=1).shutdown(wait=True)
