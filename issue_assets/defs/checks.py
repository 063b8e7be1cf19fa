"""Data-quality checks: the registry of ``issue_assets/quality.py`` (Great Expectations 1.x) as asset checks.

Blocking checks stop downstream assets of the same run when they fail: wrong raw issues would
make every derived number wrong. A failing check's metadata names the offending rows.
"""


from collections.abc import Iterable, Iterator

import dagster as dg

from issue_assets import quality
from issue_assets.warehouse import Warehouse


def _specs(*assets: str) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(check.name, asset=check.asset, description=check.description, blocking=True)
            for check in quality.checks_of(*assets)]


def _results(outcomes: Iterable[quality.RuleOutcome], *assets: str) -> Iterator[dg.AssetCheckResult]:
    """One check result per check of ``assets`` (a check passes when all its rules pass)."""
    by_check: dict[quality.Check, list[quality.RuleOutcome]] = {check: [] for check in quality.checks_of(*assets)}
    for outcome in outcomes:
        by_check[outcome.check].append(outcome)
    for check, results in by_check.items():
        failing = [o for o in results if not o.passed]
        metadata: dict = {"rules": len(results), "rows_checked": max((o.checked_rows for o in results), default=0),
                          "failing_rows": sum(o.failing_rows for o in failing)}
        if failing:
            metadata["failures"] = dg.MetadataValue.md("\n".join(
                f"- **{o.description}**: {o.failing_rows} rows, e.g. {', '.join(o.examples) or '-'}" for o in failing))
        yield dg.AssetCheckResult(asset_key=check.asset, check_name=check.name, passed=not failing, metadata=metadata,
                                  severity=dg.AssetCheckSeverity.ERROR)


@dg.multi_asset_check(specs=_specs("raw_issues"),
                      description="Great Expectations rules on the stored issues: those of the run's repositories "
                                  "when it fetched some, else every stored issue (the analyze run)")
def raw_issue_checks(context: dg.AssetCheckExecutionContext,
                     warehouse: dg.ResourceParam[Warehouse]) -> Iterator[dg.AssetCheckResult]:
    # A fetch launched alone from the UI checks what it wrote.
    fetched = context.has_partition_key or context.has_partition_key_range
    frame = warehouse.columns("raw_issues", quality.RAW_RULE_COLUMNS, list(context.partition_keys) if fetched else None)
    yield from _results(quality.raw_issue_rules(frame), "raw_issues")


@dg.multi_asset_check(specs=_specs("labeled_issues"),
                      description="Great Expectations rules on the labeled issues, and their count")
def labeled_issue_checks(warehouse: dg.ResourceParam[Warehouse]) -> Iterator[dg.AssetCheckResult]:
    outcomes = quality.labeled_issue_rules(warehouse.columns("labeled_issues", quality.LABELED_RULE_COLUMNS),
                                           warehouse.listed_issue_count())
    yield from _results(outcomes, "labeled_issues")


@dg.multi_asset_check(specs=_specs("repo_metrics"),
                      description="Great Expectations rules on the per-repository metrics, and their totals")
def repo_metric_checks(warehouse: dg.ResourceParam[Warehouse]) -> Iterator[dg.AssetCheckResult]:
    outcomes = quality.repo_metric_rules(warehouse.table("repo_metrics"), warehouse.row_count("labeled_issues"))
    yield from _results(outcomes, "repo_metrics")


STUDY_TABLES = ("study_summary", "category_distribution", "closure_tests")


@dg.multi_asset_check(
    specs=_specs(*STUDY_TABLES),
    description="The study tables agree with the issues they summarize; their statistics are in range",
)
def study_table_checks(warehouse: dg.ResourceParam[Warehouse]) -> Iterator[dg.AssetCheckResult]:
    outcomes = quality.study_table_rules(*(warehouse.table(name) for name in STUDY_TABLES),
                                         warehouse.row_count("labeled_issues"))
    yield from _results(outcomes, *STUDY_TABLES)
