"""Derived tables: per-repository metrics and the closure regression.

They update themselves (declarative automation) once repository partitions have been refreshed
and no fetch is still running, so a backfill of many repositories leads to one recomputation.
"""


import dagster as dg

from issue_assets.analysis.metrics import repo_metrics as compute_repo_metrics
from issue_assets.analysis.regression import regression_table as fit_models
from issue_assets.defs.automation import AFTER_UPSTREAM
from issue_assets.defs.markdown import preview, stored_table
from issue_assets.defs.tables import ANALYSIS_FRESHNESS, OWNERS, study_tags, table_metadata
from issue_assets.warehouse import Warehouse


@dg.asset(
    deps=["labeled_issues", "repo_metadata", "ai_repositories"],
    group_name="analysis",
    kinds={"duckdb", "pandas"},
    pool="duckdb",
    automation_condition=AFTER_UPSTREAM,
    owners=OWNERS,
    tags=study_tags("rq2"),
    metadata=table_metadata("repo_metrics"),
    freshness_policy=ANALYSIS_FRESHNESS,
    description=(
        "RQ2 (how issues are handled), repository by repository: one row per listed repository: issues, open, "
        "closed, close rate, ignored rate (of open issues), "
        "self-closed rate (of closed issues with a known closer), median and mean resolution days, label and "
        "assignee use, contributors, stars. Repositories without issues are kept, with null rates. Fresh within "
        "28 hours once the daily_refresh schedule is on."
    ),
)
def repo_metrics(context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    metrics = compute_repo_metrics(warehouse.analysis_issues(), warehouse.listed_repositories(),
                                   warehouse.table("repo_metadata"))
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
    owners=OWNERS,
    tags=study_tags("rq3"),
    metadata=table_metadata("regression_table"),
    freshness_policy=ANALYSIS_FRESHNESS,
    description=(
        "RQ3 (what goes with closure), all features at once: two models of closure on all issue features "
        "together, standard errors clustered by repository. "
        "`logit`: closed or not (coefficient, odds ratio with 95% CI, p-value, VIF, pseudo-R²). `cox`: time to "
        "close with open issues censored at the mining date (hazard ratio with 95% CI, proportional-hazards "
        "check per term). Rows left out for a missing value are counted in `n_excluded`. Fresh within 28 hours "
        "once the daily_refresh schedule is on."
    ),
)
def regression_table(context: dg.AssetExecutionContext,
                     warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    table = fit_models(warehouse.analysis_issues())
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
