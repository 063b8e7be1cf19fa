"""Materialize the whole graph from the command line (``issue-assets run`` / ``demo``).

The same jobs the schedule and sensors launch, executed in this process against the persistent
Dagster instance under ``ISSUE_ASSETS_HOME`` (``instance.prepare_instance``): the runs, partitions
and check results appear in the Dagster UI afterwards, and running again is a refresh.
"""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import dagster as dg

from issue_assets import paths
from issue_assets.analysis.processes import stop_processes
from issue_assets.github.errors import GitHubError
from issue_assets.github.times import utc_now
from issue_assets.progress import ProgressDisplay, report
from issue_assets.warehouse import Warehouse

FETCHED_ASSETS = [dg.AssetKey("repo_metadata"), dg.AssetKey("raw_issues")]


@dataclass
class PipelineResult:
    runs: list[str] = field(default_factory=list)
    failed_runs: list[str] = field(default_factory=list)
    repositories: int = 0
    log_level: str = "WARNING"
    worker_errors: list[str] = field(default_factory=list)  # a labeling process that died
    interrupted: bool = False  # Ctrl-C (SIGINT): stopped after storing what was fetched
    stopped_by: str | None = None  # an error that concerns every repository (the API, the token)
    stale: list[str] = field(default_factory=list)  # listed repositories this command did not refresh
    resumed_full_refresh: int = 0  # repositories an interrupted --full-refresh left, refetched whole now
    analyzed: bool = False  # the analysis ran (it does not when the fetch is incomplete)

    @property
    def success(self) -> bool:
        return not self.failed_runs and not self.interrupted and self.stopped_by is None


@dg.success_hook(name="report_step_done")
def _step_done(context: dg.HookContext) -> None:
    report("analyze", detail=f"{context.op.name} done")


@dg.failure_hook(name="report_step_failed")
def _step_failed(context: dg.HookContext) -> None:
    report("analyze", detail=f"{context.op.name} FAILED")


def _console(log_level: str) -> dict:
    # The terminal gets warnings and errors; every event is in the instance (the UI's run logs).
    return {"loggers": {"console": {"config": {"log_level": log_level}}}}


def _execute(job: dg.JobDefinition, instance: dg.DagsterInstance, result: PipelineResult,
             tags: dict[str, str] | None = None, run_config: dict | None = None) -> dg.ExecuteInProcessResult:
    outcome = job.execute_in_process(instance=instance, tags=tags, run_config={**(run_config or {}),
                                     **_console(result.log_level)}, raise_on_error=False)
    _record(result, outcome.run_id, outcome.success)
    return outcome


def _record(result: PipelineResult, run_id: str, success: bool) -> None:
    result.runs.append(run_id)
    if not success:
        result.failed_runs.append(run_id)


def _label_in_worker(instance_ref: dg.InstanceRef, tags: dict[str, str], log_level: str) -> tuple[str, bool]:
    """A fetch run's labeling (``issue_texts`` for its range), run in a process of its own."""
    from issue_assets.definitions import defs

    with dg.DagsterInstance.from_ref(instance_ref) as instance:
        outcome = defs().resolve_job_def("label_repositories").execute_in_process(
            instance=instance, tags=tags, run_config=_console(log_level), raise_on_error=False)
        return outcome.run_id, outcome.success


class _Labeler:
    """Labels each fetched range in a second process while this one fetches the next ranges.

    The fetch is bound by one core (one interpreter lock for its threads) and, against GitHub, by
    the rate limit; labeling needs CPU. (The daemon's fetch runs label in the same run instead: the
    next run's fetch starts as soon as this one's fetch step ends.) An in-memory instance, which no
    other process can open, labels in this process after each fetch."""

    def __init__(self, instance: dg.DagsterInstance, result: PipelineResult):
        self.instance, self.result = instance, result
        self.pending: list[Future] = []
        self._pool: ProcessPoolExecutor | None = None
        self._ref = None if instance.is_ephemeral else instance.get_ref()

    def submit(self, tags: dict[str, str]) -> None:
        if self._ref is None:
            from issue_assets.definitions import defs

            _execute(defs().resolve_job_def("label_repositories"), self.instance, self.result, tags)
            return
        if self._pool is None:
            # spawn: a fork of this process would copy its threads' locks mid-use.
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        try:
            self.pending.append(self._pool.submit(_label_in_worker, self._ref, tags, self.result.log_level))
        except BrokenProcessPool as exc:  # it died labeling an earlier range: already reported
            self.result.worker_errors.append(f"{type(exc).__name__}: {exc}")

    def wait(self, display: ProgressDisplay | None) -> None:
        """Wait for every labeling run, then stop the second process."""
        if display and self.pending:
            display.start("label", len(self.pending), "fetch runs")
        for future in self.pending:
            try:
                run_id, success = future.result()
            except Exception as exc:  # a dead worker (BrokenProcessPool...): labeled_issues labels the rest
                self.result.worker_errors.append(f"{type(exc).__name__}: {exc}")
                report("label", detail=f"labeling worker failed ({type(exc).__name__}): labeled_issues labels the rest")
                continue
            _record(self.result, run_id, success)
            report("label", detail=f"run {run_id[:8]} {'done' if success else 'FAILED'}")
        self.pending.clear()
        if self._pool is not None:
            try:
                # Without this its exit would wait for its own idle worker processes (5 minutes).
                self._pool.submit(stop_processes).result()
            except BrokenProcessPool:
                pass
            self._pool.shutdown()
            self._pool = None

    def close(self) -> None:
        """Stop the second process without waiting for its runs (the fetch was interrupted)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _interrupted(outcome: dg.ExecuteInProcessResult) -> bool:
    """Whether a run failed because the process was interrupted (Dagster turns SIGINT into an error)."""
    for event in outcome.all_events:
        error = getattr(event.event_specific_data, "error", None)
        if error is not None and error.cls_name in ("DagsterExecutionInterruptedError", "KeyboardInterrupt"):
            return True
    return False


def _check_github() -> str | None:
    """Why GitHub cannot serve this command (the API does not answer, a token is refused), or None."""
    from issue_assets.defs.resources import GitHubResource

    with GitHubResource().access() as access:
        try:
            access.check()
        except GitHubError as exc:
            return f"{type(exc).__name__}: {exc}"
    return None


def _unfinished_full_refresh() -> Path:
    """Where a --full-refresh that has not finished records when it started (the next run resumes it)."""
    return paths.home() / "unfinished_full_refresh.json"


def materialize_all(instance: dg.DagsterInstance, full_refresh: bool = False, log_level: str = "WARNING",
                    display: ProgressDisplay | None = None) -> PipelineResult:
    """ai_repositories → every listed repository (range runs of 25, each labeled in a second process
    while the next is fetched) → the analysis tables.

    The API and the tokens are checked first (one free request each). A fetch that does not finish (a
    failed run, Ctrl-C, an error that concerns every repository) keeps what it stored, names the
    repositories left stale and skips the analysis, so that no table or report looks fresh when it is
    not. A --full-refresh that did not finish is resumed by the next run for the repositories it left.

    ``display`` shows the progress of the fetch (repositories), the labeling still running when the
    fetch ends (runs) and the analysis (steps)."""
    from issue_assets.definitions import defs as load_defs
    from issue_assets.defs.automation import contiguous_runs
    from issue_assets.defs.partitions import repository_partitions

    defs = load_defs()

    started = utc_now().replace(tzinfo=None)  # naive UTC, as the warehouse stores fetch times
    result = PipelineResult(log_level=log_level)
    _execute(defs.resolve_job_def("list_repositories"), instance, result)
    if not result.success:
        return result
    warehouse = Warehouse(paths.warehouse_path())
    listed = warehouse.listed_repository_names()
    result.repositories = len(listed)
    result.stopped_by = _check_github()
    if result.stopped_by:
        result.stale = sorted(listed)
        return result
    marker = _unfinished_full_refresh()
    whole = set(listed) if full_refresh else set()
    if marker.exists():
        since = datetime.fromisoformat(json.loads(marker.read_text(encoding="utf-8"))["started_at"])
        left = set(listed) - warehouse.repositories_fetched_since(since)
        result.resumed_full_refresh = len(left - whole)
        whole |= left
    else:
        since = started
    if whole:
        marker.write_text(json.dumps({"started_at": since.isoformat()}), encoding="utf-8")
    keys = instance.get_dynamic_partitions(repository_partitions.name)
    # The fetch job without its labeling step, which the second process runs (and without checks).
    fetch = defs.resolve_job_def("fetch_repositories").get_subset(asset_selection=set(FETCHED_ASSETS),
                                                                  asset_check_selection=set())
    plan = [(request, refetch) for refetch, wanted in ((True, whole), (False, set(listed) - whole))
            for request in contiguous_runs(keys, wanted, reason="issue-assets run")]
    if display:
        display.start("fetch", len(listed), "repositories")
    labeler = _Labeler(instance, result)
    try:
        for request, refetch in plan:
            run_config = {"ops": {"repository_fetch": {"config": {"full_refresh": refetch}}}}
            outcome = _execute(fetch, instance, result, dict(request.tags), run_config)
            if _interrupted(outcome):
                raise KeyboardInterrupt
            if not outcome.success:
                result.stopped_by = _check_github()  # the API or the token went away: stop here, say it once
                if result.stopped_by:
                    break
            labeler.submit(dict(request.tags))
        labeler.wait(display)
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        labeler.close()
    result.stale = sorted(set(listed) - warehouse.repositories_fetched_since(started))
    if not result.success:
        if display:
            display.finish()
        return result
    marker.unlink(missing_ok=True)
    analyze = defs.resolve_job_def("analyze").with_hooks({_step_done, _step_failed})
    if display:
        display.start("analyze", len(analyze.graph.nodes), "steps")
    _execute(analyze, instance, result)
    result.analyzed = True
    if display:
        display.finish()
    return result
