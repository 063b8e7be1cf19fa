"""``issue_texts[repo]``: each fetched repository's issues labeled as soon as they are stored."""

import dagster as dg

from issue_assets.defs.partitions import REPOS_PER_RUN, repository_partitions
from issue_assets.defs.resources import WarehouseResource
from issue_assets.labeling import classifier_name, current_classifier, label_repository_texts


@dg.asset(
    deps=["raw_issues"],
    partitions_def=repository_partitions,
    group_name="labeling",
    kinds={"duckdb", "scikitlearn"},
    # Labeling uses every core: one labeling step at a time across runs.
    pool="labeling",
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=REPOS_PER_RUN),
    description=(
        "The text features of each issue of the repository (taxonomy category with its confidence and "
        "evidence, lengths, code block, URL, language, sentiment), stored with the digest of the text and "
        "classifier they come from. Only issues whose text or classifier changed are labeled again. Fetch "
        "runs label their repositories here, so that the labeling of a million issues happens while the "
        "next repositories download, not all at once in `labeled_issues`."
    ),
)
def issue_texts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    repos = list(context.partition_keys)
    classifier, model_file = current_classifier()
    result = label_repository_texts(warehouse.get(), repos, classifier, model_file)
    context.log.info("%d repositories: %d issues, %d labeled now, %d reused, %d stale features removed",
                     len(repos), result.issues, result.labeled, result.reused, result.removed)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": result.issues,
        "repositories": len(repos),
        "issues_labeled_now": result.labeled,
        "issues_whose_text_features_were_reused": result.reused,
        "stale_text_features_removed": result.removed,
        "classifier": classifier_name(classifier),
    })
