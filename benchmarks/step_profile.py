"""Wall time and peak memory per Dagster step, for the benchmarks that run the asset graph.

Memory is the resident set of this process and all its children (the classifier's worker
processes), sampled every 50 ms from /proc; a step's peak is the highest sample taken while it
ran. Steps run one after another in the in-process executor, so the attribution is exact up to
the sampling interval.
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from pathlib import Path

import dagster as dg

PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree_rss(root: int, excluded: set[int]) -> int:
    """Resident bytes of ``root`` and its descendants, but not those of ``excluded`` (Linux /proc)."""
    children: dict[int, list[int]] = defaultdict(list)
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            # Fields after the command name, which may contain spaces, closed by its last ')'.
            fields = stat[stat.rindex(")") + 2:].split()
            children[int(fields[1])].append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * PAGE
        except (OSError, ValueError, IndexError):
            continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in excluded:
            continue
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


class Sampler:
    """Calls ``sample()`` every ``interval`` seconds in a background thread while in a ``with`` block."""

    def __init__(self, interval: float):
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class MemorySampler(Sampler):
    """Samples this process tree's resident memory."""

    def __init__(self, interval: float = 0.05):
        super().__init__(interval)
        self.samples: list[tuple[float, int]] = []
        self.excluded: set[int] = set()
        self._pid = os.getpid()

    def exclude(self, pid: int) -> None:
        """Leave out a child process and its descendants (a server that stands in for GitHub)."""
        self.excluded.add(pid)

    def sample(self) -> None:
        self.samples.append((time.time(), _tree_rss(self._pid, self.excluded)))

    def peak(self, start: float = 0.0, end: float = float("inf")) -> int:
        return max((rss for at, rss in self.samples if start <= at <= end), default=0)


def step_windows(instance: dg.DagsterInstance, run_ids: list[str]) -> list[tuple[str, float, float]]:
    """(step key, start, end) of every step of the runs, from their event logs."""
    windows = []
    for run_id in run_ids:
        started: dict[str, float] = {}
        for record in instance.all_logs(run_id):
            event = record.dagster_event
            if event is None or not event.step_key:
                continue
            if event.event_type == dg.DagsterEventType.STEP_START:
                started[event.step_key] = record.timestamp
            elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
                windows.append((event.step_key, started.pop(event.step_key, record.timestamp), record.timestamp))
    return windows


def step_profile(instance: dg.DagsterInstance, run_ids: list[str], sampler: MemorySampler) -> str:
    """A Markdown table: per step, how many times it ran, its total wall time and its peak memory."""
    totals: dict[str, list] = {}
    for step, start, end in step_windows(instance, run_ids):
        entry = totals.setdefault(step, [0, 0.0, 0])
        entry[0] += 1
        entry[1] += end - start
        entry[2] = max(entry[2], sampler.peak(start, end))
    run_seconds = 0.0
    for run_id in run_ids:
        stats = instance.get_run_stats(run_id)
        run_seconds += (stats.end_time or 0) - (stats.start_time or 0)
    step_seconds = sum(entry[1] for entry in totals.values())
    lines = ["| step | runs | wall time | peak memory |", "|---|---:|---:|---:|"]
    for step, (count, seconds, peak) in sorted(totals.items(), key=lambda item: -item[1][1]):
        lines.append(f"| {step} | {count} | {seconds:.1f} s | {peak / 2**20:,.0f} MiB |")
    lines.append(f"| (run start and end, outside steps) | {len(run_ids)} | {run_seconds - step_seconds:.1f} s | |")
    return "\n".join(lines)
