"""The study's tables (RQ1-RQ3, and beyond) and its report, over the warehouse.

Each asset is a thin call into ``analysis.study`` / ``analysis.report``; ``issue-assets replicate``
calls the same functions on the study's own CSV files.
"""

import dagster as dg

from issue_assets import paths
from issue_assets.analysis import study
from issue_assets.analysis.report import render_report
from issue_assets.defs.automation import AFTER_UPSTREAM
from issue_assets.defs.markdown import markdown_table, preview, stored_table
from issue_assets.defs.tables import ANALYSIS_FRESHNESS, OWNERS, study_tags, table_metadata
from issue_assets.warehouse import Warehouse

STUDY = {"group_name": "study", "pool": "duckdb", "automation_condition": AFTER_UPSTREAM, "owners": OWNERS,
         "freshness_policy": ANALYSIS_FRESHNESS}
FRESH = " Fresh within 28 hours once the daily_refresh schedule is on."


def _table(name: str, question: str) -> dict:
    """The arguments of a study asset that writes warehouse table ``name`` for research question ``question``."""
    return {**STUDY, "metadata": table_metadata(name), "tags": study_tags(question)}


@dg.asset(
    deps=["labeled_issues", "repo_metrics"], kinds={"duckdb", "pandas"}, **_table("study_summary", "rq2"),
    description=(
        "RQ2 (how issues are handled): the headline numbers (`metric, value, n, definition`): repositories and "
        "issues, open and closed shares, self-closed share, ignored issues, resolution days (mean, median, "
        "quartiles), comments, label and assignee use, custom labels, close rates over repositories. Each row defines "
        "itself and says over how many rows it is computed." + FRESH
    ),
)
def study_summary(context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    table = study.study_summary(warehouse.table("repo_metrics"), warehouse.analysis_issues())
    values = table.set_index("metric")["value"]
    return stored_table(warehouse, "study_summary", table, issues=int(values["issues"]),
                        closed_share=float(values["closed_share"]),
                        resolution_days_median=float(values["resolution_days_median"]),
                        summary=preview(table, rows=len(table), columns=["metric", "value", "n"]))


@dg.asset(
    deps=["labeled_issues"], kinds={"duckdb", "pandas"}, **_table("category_distribution", "rq1"),
    description=(
        "RQ1 (what users ask): per taxonomy category, its issues and share with a 95% Wilson interval, its close rate "
        "(Wilson interval), the median resolution days of its closed issues and the Kaplan-Meier median time to close "
        "(open issues censored)." + FRESH
    ),
)
def category_distribution(context: dg.AssetExecutionContext,
                          warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    table = study.category_distribution(warehouse.analysis_issues())
    return stored_table(warehouse, "category_distribution", table, table=preview(
        table, rows=len(table), columns=["category", "issues", "share", "share_ci_low", "share_ci_high",
                                         "close_rate", "km_median_days"]))


@dg.asset(
    deps=["labeled_issues"], kinds={"duckdb", "scipy"}, **_table("closure_tests", "rq3"),
    description=(
        "RQ3 (what goes with closure): each issue feature in closed vs open issues (Wilcoxon rank-sum, Holm-adjusted "
        "p, Cliff's delta with its magnitude, Cohen's d), and each common label (Fisher's exact test, odds ratio of "
        "closure with its 95% CI)." + FRESH
    ),
)
def closure_tests(context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    table = study.closure_tests(warehouse.analysis_issues())
    return stored_table(warehouse, "closure_tests", table, table=preview(
        table, rows=len(table), columns=["feature", "median_closed", "median_open", "p_holm", "cliffs_delta",
                                         "cliffs_magnitude", "cohens_d", "odds_ratio"]))


@dg.asset(
    deps=["repo_metrics"], kinds={"duckdb", "scipy"}, **_table("repo_correlations", "rq2"),
    description=(
        "RQ2 (how issues are handled), by repository size: Spearman and Pearson correlations of repository stars, "
        "issues and contributors with mean resolution days and close rate, over repositories with at least one closed "
        "issue (Holm-adjusted)." + FRESH
    ),
)
def repo_correlations(context: dg.AssetExecutionContext,
                      warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    table = study.repo_correlations(warehouse.table("repo_metrics"))
    return stored_table(warehouse, "repo_correlations", table, table=preview(
        table, rows=len(table), columns=["x", "y", "method", "coefficient", "p_holm", "n"]))


@dg.asset(
    deps=["repo_metrics"], kinds={"duckdb", "scipy"}, **_table("owner_comparison", "rq2"),
    description=(
        "RQ2 (how issues are handled), by owner: academia vs industry repositories: issues, stars, contributors, "
        "close, assignment and labeling rates, mean resolution days; rank-sum test (Holm), Cliff's delta, Cohen's d."
        + FRESH
    ),
)
def owner_comparison(context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    table = study.owner_comparison(warehouse.table("repo_metrics"))
    return stored_table(warehouse, "owner_comparison", table, table=preview(
        table, rows=len(table), columns=["variable", "median_academia", "median_industry", "p_holm",
                                         "cliffs_delta", "cliffs_magnitude"]))


@dg.asset(
    deps=["study_summary", "category_distribution", "closure_tests", "regression_table", "repo_correlations",
          "owner_comparison", "repo_metrics", "labeled_issues"],
    kinds={"html", "matplotlib"}, **STUDY,
    description=(
        "RQ1 to RQ3 in one report: one self-contained HTML page under ISSUE_ASSETS_HOME/reports: every study table, "
        "with figures (category shares with intervals, resolution times, Kaplan-Meier curves by category, odds-ratio "
        "forest plot, close rates academia vs industry). The materialization shows the category figure and the "
        "headline table." + FRESH
    ),
)
def study_report(context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    names = ("study_summary", "category_distribution", "closure_tests", "regression_table", "repo_correlations",
             "owner_comparison", "repo_metrics")
    tables = {name: warehouse.table(name) for name in names}
    labeled = warehouse.analysis_issues()
    report = render_report(tables, labeled, "What do users ask in open-source AI repositories?",
                           [f"{len(tables['repo_metrics'])} repositories, {len(labeled)} issues (warehouse "
                            f"{warehouse.path})."])
    path = paths.report_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.html, encoding="utf-8")
    figure = (f"![category shares]({report.data_uri('categories')})\n\n" if "categories" in report.figures else "")
    headline = tables["study_summary"].set_index("metric").loc[
        ["issues", "closed_share", "resolution_days_median", "label_share", "assignee_share"], ["value", "n"]]
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(path)),
        "open_the_report": dg.MetadataValue.url(path.as_uri()),
        "figures": len(report.figures),
        "size_kb": round(len(report.html) / 1024, 1),
        "report": dg.MetadataValue.md(figure + markdown_table(headline.reset_index())),
    })
