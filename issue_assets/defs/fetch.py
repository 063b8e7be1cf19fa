"""``repo_metadata[repo]`` and ``raw_issues[repo]``: one GitHub fetch per repository partition."""


import dagster as dg
import pandas as pd
from pydantic import Field

from issue_assets.defs.markdown import preview
from issue_assets.defs.partitions import REPOS_PER_RUN, repository_partitions
from issue_assets.defs.resources import GitHubResource
from issue_assets.mining import StoredFetch, fetch_repositories
from issue_assets.warehouse import Warehouse


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
    description="Fetch repositories from GitHub (GraphQL, several per query, or REST, several at once) and store "
                "them one by one.",
)
def repository_fetch(context: dg.AssetExecutionContext, config: FetchConfig, github: GitHubResource,
                     warehouse: dg.ResourceParam[Warehouse]):
    repos = list(context.partition_keys)
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    want_metadata, want_issues = "repo_metadata" in selected, "raw_issues" in selected
    with github.access() as access:
        run = fetch_repositories(access, warehouse, repos, metadata=want_metadata, issues=want_issues,
                                 full_refresh=config.full_refresh, log=context.log)
    if run.failed:
        raise dg.Failure(
            description=f"{len(run.failed)} of {len(repos)} repositories could not be fetched; the other "
                        f"{len(run.stored)} were stored and will not be fetched again from scratch",
            metadata={"failed": dg.MetadataValue.md("\n".join(f"- `{r}`: {m}" for r, m in run.failed.items()))},
        )
    summary = _summary(run.stored)
    unavailable = [f"{s.repo} ({s.state})" for s in run.stored if s.state not in ("ok", "renamed")]
    common = {
        "repositories": len(run.stored),
        **run.stats.as_metadata(),
        "unavailable": dg.MetadataValue.md(", ".join(unavailable) or "none"),
        "fetches": preview(summary, rows=REPOS_PER_RUN),
    }
    if want_metadata:
        yield dg.MaterializeResult(asset_key="repo_metadata",
                                   metadata={**common, "dagster/row_count": len(run.stored)})
    if want_issues:
        def column_sum(name: str) -> int:
            return int(summary[name].fillna(0).sum()) if len(summary) else 0

        yield dg.MaterializeResult(asset_key="raw_issues", metadata={
            **common, "dagster/row_count": column_sum("issues"), "issues_changed": column_sum("changed"),
            "open_issues": column_sum("open"), "issues_deleted_or_transferred": column_sum("deleted"),
        })
