"""``repo_metadata[repo]`` and ``raw_issues[repo]``: one GitHub fetch per repository partition."""


import dagster as dg
import pandas as pd
from pydantic import Field

from issue_assets.defs.markdown import preview
from issue_assets.defs.partitions import REPOS_PER_RUN, repository_partitions
from issue_assets.defs.resources import GitHubResource
from issue_assets.defs.tables import FETCHED_FRESHNESS, OWNERS, stored_metadata, table_metadata
from issue_assets.github.errors import RUN_WIDE_ERRORS
from issue_assets.mining import StoredFetch, fetch_repositories
from issue_assets.warehouse import Warehouse


def _fetched_spec(key: str, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(key, deps=["ai_repositories"], partitions_def=repository_partitions, group_name="github",
                        kinds={"github", "duckdb"}, skippable=True, description=description, owners=OWNERS,
                        metadata=table_metadata(key), freshness_policy=FETCHED_FRESHNESS)


FETCH_SPECS = [
    _fetched_spec("repo_metadata", (
        "The repositories' side of RQ2 and RQ3 (stars, contributors, labels defined): one row per repository from "
        "GitHub: state (ok, renamed, not_found, gone, blocked), stars, forks, "
        "watchers, labels defined (and how many are not GitHub's defaults), contributors, dates. A renamed "
        "repository is followed and its new name kept in `full_name`. Fresh within 26 hours once the "
        "daily_refresh schedule is on."
    )),
    _fetched_spec("raw_issues", (
        "The data of every question of the study: every issue of the repository as GitHub returns it (pull "
        "requests excluded), with the closer of each closed issue from the repository's issue events. A refresh "
        "asks only for issues updated since the partition's last successful fetch and merges them in; the cursor "
        "(table `fetch_state`) is stored in the same transaction as the rows, and a write replaces exactly that "
        "repository's rows. Fresh within 26 hours once the daily_refresh schedule is on."
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
    description="Fetch repositories from GitHub (GraphQL, several per query, or REST, several at once) and store "
                "them one by one.",
)
def repository_fetch(context: dg.AssetExecutionContext, config: FetchConfig, github: GitHubResource,
                     warehouse: dg.ResourceParam[Warehouse]):
    repos = list(context.partition_keys)
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    want_metadata, want_issues = "repo_metadata" in selected, "raw_issues" in selected
    try:
        with github.access() as access:
            run = fetch_repositories(access, warehouse, repos, metadata=want_metadata, issues=want_issues,
                                     full_refresh=config.full_refresh, log=context.log)
    except RUN_WIDE_ERRORS as exc:  # one clear line, not one failure per repository
        raise dg.Failure(description=f"{type(exc).__name__}: {exc} (the repositories stored before it "
                                     "stay stored)") from None
    if run.failed:
        raise dg.Failure(
            description=f"{len(run.failed)} of {len(repos)} repositories could not be fetched; the other "
                        f"{len(run.stored)} were stored and will not be fetched again from scratch",
            metadata={"failed": dg.MetadataValue.md("\n".join(f"- `{r}`: {m}" for r, m in run.failed.items()))},
        )
    # Each partition's materialization carries its repository's own numbers; the run's totals go to its log.
    for stored in run.stored:
        own = {"state": stored.state, **stored.stats.as_metadata()}
        if want_metadata:  # the partition's one row
            context.add_asset_metadata({**own, **stored_metadata(warehouse, "repo_metadata", 1)},
                                       asset_key="repo_metadata", partition_key=stored.repo)
        if want_issues:
            issues = {} if stored.issues is None else {**stored_metadata(warehouse, "raw_issues", stored.issues),
                                                       "open_issues": stored.open}
            context.add_asset_metadata({**own, **issues, "issues_changed": stored.changed,
                                        "issues_deleted_or_transferred": stored.deleted},
                                       asset_key="raw_issues", partition_key=stored.repo)
    total = run.stats
    unavailable = [f"{s.repo} ({s.state})" for s in run.stored if s.state not in ("ok", "renamed")]
    context.log.info("%d repositories: %d requests (%d answered 304), %d retries, %.0f s waited; unavailable: %s\n%s",
                     len(run.stored), total.requests, total.not_modified, total.retries, total.wait_seconds,
                     ", ".join(unavailable) or "none", preview(_summary(run.stored), rows=REPOS_PER_RUN).value)
    for key, wanted in (("repo_metadata", want_metadata), ("raw_issues", want_issues)):
        if wanted:
            yield dg.MaterializeResult(asset_key=key)
