"""Derived tables: labeled issues, per-repository metrics, the closure regression.

They update themselves (declarative automation) once repository partitions have been refreshed
and no fetch is still running, so a backfill of many repositories leads to one recomputation.
"""


import dagster as dg

from issue_assets.analysis.metrics import repo_metrics as compute_repo_metrics
from issue_assets.analysis.regression import regression_table as fit_models
from issue_assets.defs.markdown import preview, stored_table
from issue_assets.defs.resources import WarehouseResource
from issue_assets.labeling import classifier_name, current_classifier, label_issues

# Refresh after any upstream update, once nothing upstream is in progress. Unlike `eager()`, a
# repository partition that is missing (a new repository not fetched yet, or one whose fetch
# failed) does not hold back every other repository's results.
AFTER_UPSTREAM = (
    (dg.AutomationCondition.newly_missing() | dg.AutomationCondition.any_deps_updated()).since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("after upstream updates")

# labeled_issues without its text columns: what the tables computed from it read.
ISSUE_COLUMNS_SQL = """
    SELECT * EXCLUDE (title, evidence, text_digest) FROM labeled_issues ORDER BY repo, number
"""


@dg.asset(
    deps=["raw_issues", "issue_texts", "repo_metadata", "ai_repositories"],
    group_name="analysis",
    kinds={"duckdb", "pandas"},
    pool="duckdb",
    automation_condition=AFTER_UPSTREAM,
    description=(
        "Every issue of the listed repositories with its taxonomy category (the shipped classifier, or the "
        "project's own once `project_classifier` beats it: `category`, calibrated `confidence`, and the "
        "`evidence` behind it) and the study's issue features: closed, resolution days, self-closed, ignored, "
        "title/body length and lines, code block, URL, language, sentiment (VADER), labels and assignees, "
        "repository contributors. The text features come from `issue_texts`; issues it has not labeled yet "
        "(or whose title, body or classifier changed since) are labeled here and stored there."
    ),
)
def labeled_issues(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    store = warehouse.get()
    counts = store.read("SELECT count(*) FILTER (deleted_at IS NULL) AS live, "
                        "count(*) FILTER (deleted_at IS NOT NULL) AS deleted FROM raw_issues").iloc[0]
    all_rows, deleted = int(counts["live"]), int(counts["deleted"])
    classifier, model_file = current_classifier()
    labeling = label_issues(store, classifier, model_file)
    labeled = labeling.table
    store.replace_table("labeled_issues", labeled)
    counts = labeled["category"].value_counts()
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(labeled),
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


@dg.asset(
    deps=["labeled_issues", "repo_metadata", "ai_repositories"],
    group_name="analysis",
    kinds={"duckdb", "pandas"},
    pool="duckdb",
    automation_condition=AFTER_UPSTREAM,
    description=(
        "One row per listed repository: issues, open, closed, close rate, ignored rate (of open issues), "
        "self-closed rate (of closed issues with a known closer), median and mean resolution days, label and "
        "assignee use, contributors, stars. Repositories without issues are kept, with null rates."
    ),
)
def repo_metrics(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    store = warehouse.get()
    metrics = compute_repo_metrics(store.read(ISSUE_COLUMNS_SQL),
                                   store.read("SELECT * FROM repositories WHERE listed"),
                                   store.table("repo_metadata"))
    with_issues = metrics[metrics["issues"] > 0]
    return stored_table(
        warehouse, "repo_metrics", metrics,
        repositories_without_issues=int((metrics["issues"] == 0).sum()),
        close_rate_median=float(with_issues["close_rate"].median()) if len(with_issues) else 0.0,
        repositories_using_labels=int(metrics["uses_labels"].sum()),
        repositories_using_assignees=int(metrics["uses_assignees"].sum()),
        preview=preview(metrics.sort_values("issues", ascending=False),
                        columns=["repo", "issues", "close_rate", "ignored_rate", "resolution_days_median",
                                 "label_rate", "contributors", "stars"]),
    )


@dg.asset(
    deps=["labeled_issues"],
    group_name="analysis",
    kinds={"duckdb", "statsmodels"},
    pool="duckdb",
    automation_condition=AFTER_UPSTREAM,
    description=(
        "Two models of closure on all issue features together, standard errors clustered by repository. "
        "`logit`: closed or not (coefficient, odds ratio with 95% CI, p-value, VIF, pseudo-R²). `cox`: time to "
        "close with open issues censored at the mining date (hazard ratio with 95% CI, proportional-hazards "
        "check per term). Rows left out for a missing value are counted in `n_excluded`."
    ),
)
def regression_table(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    table = fit_models(warehouse.get().read(ISSUE_COLUMNS_SQL))
    logit, cox = table[table["model"] == "logit"], table[table["model"] == "cox"]
    return stored_table(
        warehouse, "regression_table", table,
        n=int(logit["n"].iloc[0]) if len(logit) else 0,
        n_excluded=int(logit["n_excluded"].iloc[0]) if len(logit) else 0,
        pseudo_r2=float(logit["pseudo_r2"].iloc[0]) if len(logit) and logit["pseudo_r2"].notna().any() else 0.0,
        ph_violations=int((cox["ph_p_value"] < 0.05).sum()),
        note=str(logit["note"].iloc[0] or "") if len(logit) else "",
        logit=preview(logit, rows=20, columns=["term", "odds_ratio", "ci_low", "ci_high", "p_value", "vif"]),
        cox=preview(cox, rows=20, columns=["term", "hazard_ratio", "ci_low", "ci_high", "p_value", "ph_p_value"]),
    )
