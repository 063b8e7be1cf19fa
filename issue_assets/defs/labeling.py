"""Labeling: ``issue_texts[repo]`` (each fetched repository's issues labeled as soon as they are stored)
and ``labeled_issues`` (every issue of the listed repositories with its category and features)."""

import dagster as dg

from issue_assets.defs.automation import AFTER_UPSTREAM
from issue_assets.defs.markdown import preview
from issue_assets.defs.partitions import REPOS_PER_RUN, repository_partitions
from issue_assets.defs.tables import ANALYSIS_FRESHNESS, OWNERS, stored_metadata, study_tags, table_metadata
from issue_assets.labeling import classifier_name, current_classifier, label_issues, label_repository_texts
from issue_assets.warehouse import Warehouse


@dg.asset(
    deps=["raw_issues"],
    partitions_def=repository_partitions,
    group_name="labeling",
    kinds={"duckdb", "scikitlearn"},
    # Labeling uses every core: one labeling step at a time across runs.
    pool="labeling",
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=REPOS_PER_RUN),
    owners=OWNERS,
    tags=study_tags("rq1"),
    metadata=table_metadata("issue_texts"),
    description=(
        "RQ1 (what users ask), as repositories are fetched: the text features of each issue of the repository "
        "(taxonomy category with its confidence and evidence, lengths, code block, URL, language, sentiment), "
        "stored with the digest of the text and "
        "classifier they come from. Only issues whose text or classifier changed are labeled again. Fetch "
        "runs label their repositories here, so that the labeling of a million issues happens while the "
        "next repositories download, not all at once in `labeled_issues`."
    ),
)
def issue_texts(context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    repos = list(context.partition_keys)
    classifier, model_file = current_classifier()
    result = label_repository_texts(warehouse, repos, classifier, model_file)
    context.log.info("%d repositories: %d issues, %d labeled now, %d reused, %d stale features removed",
                     len(repos), result.issues, result.labeled, result.reused, result.removed)
    # Each partition counts its own repository's rows; the numbers below are the run's (its range of repositories).
    for repo, rows in result.per_repository.items():
        context.add_asset_metadata(stored_metadata(warehouse, "issue_texts", rows), partition_key=repo)
    return dg.MaterializeResult(metadata={
        "issues_of_the_run": result.issues,
        "repositories": len(repos),
        "issues_labeled_now": result.labeled,
        "issues_whose_text_features_were_reused": result.reused,
        "stale_text_features_removed": result.removed,
        "classifier": classifier_name(classifier),
    })


@dg.asset(
    deps=["raw_issues", "issue_texts", "repo_metadata", "ai_repositories"],
    group_name="analysis",
    kinds={"duckdb", "pandas"},
    pool="duckdb",
    automation_condition=AFTER_UPSTREAM,
    owners=OWNERS,
    tags=study_tags("rq1"),
    metadata=table_metadata("labeled_issues"),
    freshness_policy=ANALYSIS_FRESHNESS,
    description=(
        "RQ1 (what users ask), and the issues RQ2 and RQ3 are computed over: every issue of the listed "
        "repositories with its taxonomy category (the shipped classifier, or the project's own once "
        "`project_classifier` beats it: `category`, calibrated `confidence`, and the `evidence` behind it) and the "
        "study's issue features: closed, resolution days, self-closed, ignored, title/body length and lines, code "
        "block, URL, language, sentiment (VADER), labels and assignees, repository contributors. The text features "
        "come from `issue_texts`; issues it has not labeled yet (or whose title, body or classifier changed since) "
        "are labeled here and stored there. Fresh within 28 hours once the daily_refresh schedule is on."
    ),
)
def labeled_issues(context: dg.AssetExecutionContext,
                   warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    all_rows, deleted = warehouse.issue_counts()
    classifier, model_file = current_classifier()
    labeling = label_issues(warehouse, classifier, model_file)
    labeled = labeling.table
    warehouse.replace_table("labeled_issues", labeled)
    counts = labeled["category"].value_counts()
    return dg.MaterializeResult(metadata={
        **stored_metadata(warehouse, "labeled_issues", len(labeled)),
        "issues_of_unlisted_repositories_left_out": all_rows - len(labeled),
        "issues_labeled_now": labeling.labeled,
        "issues_whose_text_features_were_reused": labeling.reused,
        "deleted_or_transferred_issues_left_out": deleted,
        "classifier": classifier_name(classifier),
        "repositories": int(labeled["repo"].nunique()),
        "closed_share": float(labeled["closed"].mean()) if len(labeled) else 0.0,
        "categories": dg.MetadataValue.md(
            counts.rename_axis("category").reset_index(name="issues").to_markdown(index=False)),
        "mean_confidence": float(labeled["confidence"].mean()) if len(labeled) else 0.0,
        "preview": preview(labeled, columns=["repo", "number", "title", "category", "confidence", "closed",
                                             "resolution_days", "english_title"]),
    })
