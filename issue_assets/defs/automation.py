"""Jobs, the daily refresh schedule, the repository-list sensor, the analysis' automation condition and
its sensor."""


import hashlib
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from issue_assets.defs.partitions import REPOS_PER_RUN, repository_partitions
from issue_assets.defs.resources import RepositorySourceResource
from issue_assets.warehouse import Warehouse, WarehouseLocked

# Refresh after any upstream update, once nothing upstream is in progress. Unlike `eager()`, a
# repository partition that is missing (a new repository not fetched yet, or one whose fetch
# failed) does not hold back every other repository's results.
AFTER_UPSTREAM = (
    (dg.AutomationCondition.newly_missing() | dg.AutomationCondition.any_deps_updated()).since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("after upstream updates")

list_repositories_job = dg.define_asset_job(
    "list_repositories", selection=dg.AssetSelection.assets("ai_repositories"),
    description="Read the repository list and register its partitions.",
)
fetch_repositories_job = dg.define_asset_job(
    "fetch_repositories",
    # Without the raw-issue checks: the analyze run checks the whole table once before the analysis,
    # instead of every range run of a backfill checking it again (25 times at the study's size).
    selection=dg.AssetSelection.assets("repo_metadata", "raw_issues", "issue_texts").without_checks(),
    description=("Fetch a range of repositories from GitHub (what changed since each one's last fetch) and label "
                 "their new and changed issues."),
)
label_repositories_job = dg.define_asset_job(
    "label_repositories",
    selection=dg.AssetSelection.assets("issue_texts"),
    description="Label the new and changed issues of a range of repositories already fetched.",
)
analyze_job = dg.define_asset_job(
    "analyze",
    # The raw-issue checks run first: they block the analysis when the stored issues are wrong.
    selection=dg.AssetSelection.groups("analysis", "study") | dg.AssetSelection.checks_for_assets("raw_issues"),
    description="Check the stored issues, then recompute labeled issues, repository metrics and the regression.",
)


def range_run_requests(repos: Sequence[str], reason: str, run_key_prefix: str | None = None,
                       per_run: int = REPOS_PER_RUN) -> list[dg.RunRequest]:
    """One run per `per_run` consecutive partitions (a partition range), not one per repository.

    ``repos`` must be consecutive in the partition order (as registered): a range covers every
    partition between its first and last key.
    """
    requests = []
    for start in range(0, len(repos), per_run):
        chunk = repos[start:start + per_run]
        requests.append(dg.RunRequest(
            job_name=fetch_repositories_job.name,
            run_key=f"{run_key_prefix}:{start}" if run_key_prefix else None,
            tags={"dagster/asset_partition_range_start": chunk[0], "dagster/asset_partition_range_end": chunk[-1],
                  "issue_assets/reason": reason, "issue_assets/repositories": str(len(chunk))},
        ))
    return requests


def contiguous_runs(all_keys: Sequence[str], wanted: set[str], reason: str, run_key_prefix: str | None = None,
                    per_run: int = REPOS_PER_RUN) -> list[dg.RunRequest]:
    """Range runs covering exactly ``wanted``: split wherever an unwanted partition lies between."""
    requests, block = [], []
    for key in [*all_keys, None]:
        if key is not None and key in wanted:
            block.append(key)
            continue
        if block:
            prefix = f"{run_key_prefix}:{block[0]}" if run_key_prefix else None
            requests += range_run_requests(block, reason, prefix, per_run)
            block = []
    return requests


@dg.schedule(
    cron_schedule="0 3 * * *",
    job=fetch_repositories_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=f"Daily refresh of every listed repository, {REPOS_PER_RUN} repositories per run.",
)
def daily_refresh(context: dg.ScheduleEvaluationContext, warehouse: dg.ResourceParam[Warehouse]):
    keys = context.instance.get_dynamic_partitions(repository_partitions.name)
    try:
        listed = warehouse.listed_repository_names()
    except WarehouseLocked as exc:
        return dg.SkipReason(f"warehouse busy: {exc}")
    if not listed:
        return dg.SkipReason("no listed repository: materialize ai_repositories first")
    tick = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return contiguous_runs(keys, listed, reason="daily refresh", run_key_prefix=f"daily:{tick}")


def source_fingerprint(source: RepositorySourceResource) -> str:
    """Changes when the configured list changes: the source settings and the bytes of its files."""
    kind, path = source.resolved()
    digest = hashlib.sha256(f"{kind}|{path}|{source.papers_path}|{source.conferences}|{source.years}".encode())
    for name in (path, source.papers_path):
        if name and Path(name).is_file():
            digest.update(Path(name).read_bytes())
    return digest.hexdigest()


def listed_fingerprint(instance: dg.DagsterInstance) -> str | None:
    """The source fingerprint of the list ai_repositories last read (its materialization's metadata)."""
    event = instance.get_latest_materialization_event(dg.AssetKey("ai_repositories"))
    metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
    value = metadata.get("source_fingerprint")
    return value.value if value is not None else None


@dg.sensor(
    # Both jobs: the daemon rejects a run request for a job the sensor does not declare.
    jobs=[list_repositories_job, fetch_repositories_job],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Watches the repository list. When it changes, registers partitions for new repositories, "
        "fetches them (range runs), and rematerializes ai_repositories so that removed ones are reported."
    ),
)
def repository_list_sensor(context: dg.SensorEvaluationContext, source: RepositorySourceResource):
    fingerprint = source_fingerprint(source)
    if fingerprint == context.cursor:
        return dg.SkipReason("repository list unchanged")
    if context.cursor is None and fingerprint == listed_fingerprint(context.instance):
        # A new sensor (the first `dev` on an instance `run` filled): the list is the one ai_repositories
        # last read, so there is nothing to relist, and relisting would recompute the whole analysis.
        return dg.SensorResult(cursor=fingerprint, skip_reason="ai_repositories already holds this list")
    listing = source.read()
    repos = list(listing.repositories["repo"])
    existing = set(context.instance.get_dynamic_partitions(repository_partitions.name))
    known = {k.lower(): k for k in existing}
    new = [r for r in repos if r.lower() not in known]
    runs = [dg.RunRequest(job_name=list_repositories_job.name, run_key=f"list:{fingerprint[:16]}")]
    runs += range_run_requests(new, reason="new repositories", run_key_prefix=f"new:{fingerprint[:16]}")
    return dg.SensorResult(
        run_requests=runs,
        dynamic_partitions_requests=[repository_partitions.build_add_request(new)] if new else [],
        cursor=fingerprint,
    )


analysis_automation = dg.AutomationConditionSensorDefinition(
    "analysis_automation",
    target=dg.AssetSelection.groups("analysis", "study"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Recomputes the analysis tables after repository partitions are refreshed.",
)
