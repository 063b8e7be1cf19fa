"""``repo_metadata[repo]`` and ``raw_issues[repo]``: one GitHub fetch per repository partition."""


import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import dagster as dg
import pandas as pd
from pydantic import Field

from issue_assets.defs.markdown import preview
from issue_assets.defs.partitions import REPOS_PER_RUN, repository_partitions
from issue_assets.defs.resources import GitHubResource, WarehouseResource
from issue_assets.github.client import RequestStats
from issue_assets.github.errors import GitHubError
from issue_assets.mining import FetchState, StoredFetch, fetch_repository, load_state, store_fetch
from issue_assets.progress import Progress, report


def _fetched_spec(key: str, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(key, deps=["ai_repositories"], partitions_def=repository_partitions, group_name="github",
                        kinds={"github", "duckdb"}, skippable=True, description=description)


FETCH_SPECS = [
    _fetched_spec("repo_metadata", (
        "One row per repository from GitHub: state (ok, renamed, not_found, gone, blocked), stars, forks, "
        "watchers, labels defined (and how many are not GitHub's defaults), contributors, dates. A renamed "
        "repository is followed and its new name kept in `full_name`."
    )),
    _fetched_spec("raw_issues", (
        "Every issue of the repository as GitHub returns it (pull requests excluded), with the closer of "
        "each closed issue from the repository's issue events. A refresh asks only for issues updated "
        "since the partition's last successful fetch and merges them in; the cursor is stored in the same "
        "transaction as the rows, and a write replaces exactly that repository's rows."
    )),
]


class FetchConfig(dg.Config):
    full_refresh: bool = Field(default=False, description="ignore stored cursors and fetch every issue again")


def _summary(stored: list[StoredFetch]) -> pd.DataFrame:
    return pd.DataFrame([{
        "repo": s.repo, "state": s.state, "issues": s.issues, "open": s.open, "changed": s.changed,
        "deleted": s.deleted,
        "requests": s.stats.requests, "not_modified": s.stats.not_modified, "retries": s.stats.retries,
        "wait_s": round(s.stats.wait_seconds, 1),
    } for s in stored])


@dg.multi_asset(
    specs=FETCH_SPECS,
    can_subset=True,
    pool="github_api",
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=REPOS_PER_RUN),
    description="Fetch repositories from the GitHub REST API (several at once) and store them one by one.",
)
def repository_fetch(context: dg.AssetExecutionContext, config: FetchConfig, github: GitHubResource,
                     warehouse: WarehouseResource):
    repos = list(context.partition_keys)
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    want_metadata, want_issues = "repo_metadata" in selected, "raw_issues" in selected
    store = warehouse.get()
    with store.connect() as conn:
        states = {repo: load_state(conn, repo) for repo in repos}

    cache = github.cache()
    budget = github.token_pool()  # one view of the rate limit for every thread of this run

    def fetch(repo: str):
        client = github.client(cache, budget)
        try:
            return fetch_repository(client, repo, states.get(repo, FetchState()), metadata=want_metadata,
                                    issues=want_issues, full_refresh=config.full_refresh)
        finally:
            client.session.close()

    stored: list[StoredFetch] = []
    failed: dict[str, str] = {}
    progress = Progress("fetch", len(repos), "repositories")
    with ThreadPoolExecutor(max_workers=max(1, min(github.parallel_repositories, len(repos)))) as pool:
        futures = {pool.submit(fetch, repo): repo for repo in repos}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            fetched = []
            for future in sorted(done, key=futures.get):
                # A done future holds its repository's issues: forget it, or a run would keep every
                # repository it fetched in memory until its end.
                repo = futures.pop(future)
                try:
                    fetched.append(future.result())
                except GitHubError as exc:
                    failed[repo] = f"{type(exc).__name__}: {exc}"
                    progress.advance()
                    context.log.error("%s (%s): %s", repo, progress.describe(), failed[repo])
                    report("fetch", detail=f"{repo} failed")
            if not fetched:
                continue
            # The fetches finished while the last write ran go in one transaction: each repository's
            # rows and cursor stay together, and a connection (30-50 ms on a file) serves several.
            with store.transaction() as conn:
                batch = [store_fetch(conn, result) for result in fetched]
            for result, written in zip(fetched, batch, strict=True):
                stored.append(written)
                if not result.available:
                    context.log.warning("%s is %s (HTTP %s): kept its stored issues", result.repo, result.state,
                                        result.metadata and result.metadata.get("http_status"))
                progress.advance()
                # Requests the other repositories of the run will need, at this run's average so far.
                needed = sum(s.stats.requests for s in stored) / len(stored) * (progress.total - progress.done)
                context.log.info("%s: %s issues, %s changed, %d requests (%d answered 304), %.0f s waited; "
                                 "run: %s; rate limit %s", result.repo, written.issues, written.changed,
                                 result.stats.requests, result.stats.not_modified, result.stats.wait_seconds,
                                 progress.describe(budget.wait_for(needed, time.time())),
                                 budget.describe(time.time()))
                report("fetch", detail=f"{result.repo}: {written.issues} issues, {result.stats.requests} requests")
    cache.close()
    if failed:
        raise dg.Failure(
            description=f"{len(failed)} of {len(repos)} repositories could not be fetched; the other "
                        f"{len(stored)} were stored and will not be fetched again from scratch",
            metadata={"failed": dg.MetadataValue.md("\n".join(f"- `{r}`: {m}" for r, m in failed.items()))},
        )
    stored.sort(key=lambda s: s.repo)
    total = RequestStats.total(s.stats for s in stored)
    summary = _summary(stored)
    unavailable = [f"{s.repo} ({s.state})" for s in stored if s.state not in ("ok", "renamed")]
    common = {
        "repositories": len(stored),
        **total.as_metadata(),
        "unavailable": dg.MetadataValue.md(", ".join(unavailable) or "none"),
        "fetches": preview(summary, rows=REPOS_PER_RUN),
    }
    if want_metadata:
        yield dg.MaterializeResult(asset_key="repo_metadata", metadata={**common, "dagster/row_count": len(stored)})
    if want_issues:
        def column_sum(name: str) -> int:
            return int(summary[name].fillna(0).sum()) if len(summary) else 0

        yield dg.MaterializeResult(asset_key="raw_issues", metadata={
            **common, "dagster/row_count": column_sum("issues"), "issues_changed": column_sum("changed"),
            "open_issues": column_sum("open"), "issues_deleted_or_transferred": column_sum("deleted"),
        })
