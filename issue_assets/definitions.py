"""The Definitions of issue-assets: the graph's table of contents (``dg``, ``workspace.yaml`` and the tests
load ``defs``).

Every asset, check, job, schedule, sensor and resource is listed here by name rather than collected
from the ``defs/`` folder (``dg.load_from_defs_folder``): the list is the one place that says what the
graph holds, and ``tests/definitions_snapshot.txt`` fixes it.
"""

from functools import cache

import dagster as dg

from issue_assets.defs.analysis import regression_table, repo_metrics
from issue_assets.defs.annotation import annotation_agreement, annotation_sample, project_classifier
from issue_assets.defs.automation import (
    analysis_automation,
    analyze_job,
    daily_refresh,
    fetch_repositories_job,
    label_repositories_job,
    list_repositories_job,
    repository_list_sensor,
)
from issue_assets.defs.checks import (
    labeled_issue_checks,
    raw_issue_checks,
    repo_metric_checks,
    study_table_checks,
)
from issue_assets.defs.fetch import repository_fetch
from issue_assets.defs.labeling import issue_texts, labeled_issues
from issue_assets.defs.repositories import ai_repositories
from issue_assets.defs.resources import GitHubResource, RepositorySourceResource, WarehouseResource
from issue_assets.defs.study import (
    category_distribution,
    closure_tests,
    owner_comparison,
    repo_correlations,
    study_report,
    study_summary,
)


@dg.definitions
@cache  # one object per process: the graph is the same every time it is asked for
def defs() -> dg.Definitions:
    assets = [
        ai_repositories, repository_fetch, issue_texts, labeled_issues, repo_metrics, regression_table, study_summary,
        category_distribution, closure_tests, repo_correlations, owner_comparison, study_report, annotation_sample,
        annotation_agreement, project_classifier,
    ]
    return dg.Definitions(
        # Each asset links to its source file and line in the UI (local files: the repository has no remote).
        assets=dg.with_source_code_references(assets),
        asset_checks=[raw_issue_checks, labeled_issue_checks, repo_metric_checks, study_table_checks],
        jobs=[list_repositories_job, fetch_repositories_job, label_repositories_job, analyze_job],
        schedules=[daily_refresh],
        sensors=[repository_list_sensor, analysis_automation],
        resources={
            "warehouse": WarehouseResource(),
            "github": GitHubResource(),
            "source": RepositorySourceResource(),
        },
        # One process per run: the graph is a chain, and repositories are fetched in threads.
        executor=dg.in_process_executor,
    )
