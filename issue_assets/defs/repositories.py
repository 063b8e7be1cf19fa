"""``ai_repositories``: the repository list, and one dynamic partition per repository."""


import dagster as dg
import pandas as pd

from issue_assets.defs.automation import source_fingerprint
from issue_assets.defs.markdown import preview
from issue_assets.defs.partitions import repository_partitions
from issue_assets.defs.resources import RepositorySourceResource
from issue_assets.defs.tables import OWNERS, stored_metadata, table_metadata
from issue_assets.warehouse import Warehouse


def register_repositories(instance: dg.DagsterInstance, repos: list[str]) -> list[str]:
    """Add the partitions that do not exist yet; returns those added, in list order."""
    existing = set(instance.get_dynamic_partitions(repository_partitions.name))
    new = [repo for repo in dict.fromkeys(repos) if repo not in existing]
    if new:
        instance.add_dynamic_partitions(repository_partitions.name, new)
    return new


@dg.asset(
    group_name="sources",
    kinds={"duckdb", "python"},
    pool="duckdb",
    owners=OWNERS,
    metadata=table_metadata("repositories"),
    description=(
        "The population of every question of the study (the `repositories` table): the AI repositories to "
        "study, one row per GitHub repository (mono-repositories that hold "
        "several papers' code appear once, with `papers` counting them). Read from the configured source: "
        "the demo list, a seed CSV, a Papers With Code links dump, or the study's repoDB.csv. Registers one "
        "`repositories` partition per repository. Repositories that left the list keep their rows and data "
        "with `listed = false` and are named in this materialization's metadata."
    ),
)
def ai_repositories(context: dg.AssetExecutionContext, source: RepositorySourceResource,
                    warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    kind, path = source.resolved()
    listing = source.read()
    update = warehouse.update_repositories(listing.repositories, pd.Timestamp.now(tz="UTC").tz_localize(None))
    registered = register_repositories(context.instance, [r for r in update.table.loc[update.table["listed"], "repo"]])
    for entry in listing.rejected[:20]:
        context.log.warning("left out %s (%s): %s", entry["entry"], entry["where"], entry["reason"])
    for entry in listing.merged[:20]:
        context.log.info("merged %s (%s): %s", entry["entry"], entry["where"], entry["reason"])
    if update.removed:
        context.log.warning("%d repositories left the list (kept, listed = false): %s", len(update.removed),
                            ", ".join(update.removed[:20]))
    listed = update.table[update.table["listed"]]
    return dg.MaterializeResult(metadata={
        "source": f"{kind}: {path}",
        # What the repository-list sensor compares the list with (see source_fingerprint).
        "source_fingerprint": source_fingerprint(source),
        **stored_metadata(warehouse, "repositories", len(update.table)),
        "listed": len(listed),
        "added": len(update.added),
        "partitions_registered": len(registered),
        "left_the_list": dg.MetadataValue.md(", ".join(update.removed) or "none"),
        "listed_again": len(update.returned),
        "rejected_entries": len(listing.rejected),
        "rejected_examples": dg.MetadataValue.md(
            "\n".join(f"- `{e['entry']}` ({e['where']}): {e['reason']}" for e in listing.rejected[:10]) or "none"),
        "merged_rows": len(listing.merged),
        "merged_examples": dg.MetadataValue.md(
            "\n".join(f"- `{e['entry']}` ({e['where']}): {e['reason']}" for e in listing.merged[:10]) or "none"),
        "mono_repositories": int((listed["papers"] > 1).sum()),
        "preview": preview(listed, columns=["repo", "paper", "conference", "year", "framework", "owner_type",
                                            "papers"]),
    })
