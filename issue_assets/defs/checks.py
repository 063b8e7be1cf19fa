"""Data-quality checks (Great Expectations 1.x, see ``issue_assets/quality.py``).

Blocking checks stop downstream assets of the same run when they fail: wrong raw issues would
make every derived number wrong. A failing check's metadata names the offending rows.
"""


from collections.abc import Iterable, Iterator

import dagster as dg

from issue_assets import quality
from issue_assets.defs.resources import WarehouseResource
from issue_assets.labeling import LISTED_ISSUES_SQL

RAW_ISSUE_RULES = [
    ("unique_issue_key", "(repo, number) identifies one issue"),
    ("required_fields", "repo, number, id, title, state, created_at, updated_at, user_login are never null"),
    ("valid_state", "state is open or closed"),
    ("closed_iff_closed_at", "closed issues have closed_at, open issues do not"),
    ("closed_after_created", "closed_at >= created_at"),
    ("no_pull_requests", "no pull request is stored as an issue"),
]
LABELED_RULES = [
    ("categories_in_taxonomy", "category is one of the 13 taxonomy ids"),
    ("values_in_range", "confidence within [0, 1]; resolution_days >= 0"),
    ("rows_match_raw_issues", "one labeled row per raw issue of a listed repository"),
]
METRIC_RULES = [
    ("rates_in_unit_interval", "every rate within [0, 1] (null where it has no denominator)"),
    ("one_row_per_repository", "one row per repository"),
    ("issues_match_labeled_issues", "issues summed over repositories = labeled_issues rows"),
]


def _specs(asset: str, rules: list[tuple[str, str]], blocking: bool) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(name, asset=asset, description=text, blocking=blocking) for name, text in rules]


def _results(asset: str, groups: dict[str, list[quality.RuleOutcome]]) -> Iterator[dg.AssetCheckResult]:
    """One check result per group of GX rules (a group passes when all its rules pass)."""
    for name, outcomes in groups.items():
        failing = [o for o in outcomes if not o.passed]
        metadata: dict = {"rules": len(outcomes), "rows_checked": max((o.checked_rows for o in outcomes), default=0),
                          "failing_rows": sum(o.failing_rows for o in failing)}
        if failing:
            metadata["failures"] = dg.MetadataValue.md("\n".join(
                f"- **{o.description}**: {o.failing_rows} rows, e.g. {', '.join(o.examples) or '-'}" for o in failing))
        yield dg.AssetCheckResult(asset_key=asset, check_name=name, passed=not failing, metadata=metadata,
                                  severity=dg.AssetCheckSeverity.ERROR)


def _by_prefix(outcomes: Iterable[quality.RuleOutcome], mapping: dict[str, str]) -> dict[str, list]:
    groups: dict[str, list] = {check: [] for check in dict.fromkeys(mapping.values())}
    for outcome in outcomes:
        check = next(c for prefix, c in mapping.items() if outcome.name.startswith(prefix))
        groups[check].append(outcome)
    return groups


@dg.multi_asset_check(specs=_specs("raw_issues", RAW_ISSUE_RULES, blocking=True),
                      description="Great Expectations rules on the stored issues: those of the run's repositories "
                                  "when it fetched some, else every stored issue (the analyze run)")
def raw_issue_checks(context: dg.AssetCheckExecutionContext,
                     warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
    store = warehouse.get()
    columns = ", ".join(f'"{c}"' for c in quality.RAW_RULE_COLUMNS)
    if context.has_partition_key or context.has_partition_key_range:  # a fetch launched alone: what it wrote
        frame = store.read(f"SELECT {columns} FROM raw_issues WHERE list_contains(?, repo)",
                           [list(context.partition_keys)])
    else:
        frame = store.read(f"SELECT {columns} FROM raw_issues")
    outcomes = quality.raw_issue_rules(frame)
    yield from _results("raw_issues", _by_prefix(outcomes, {
        "unique_issue_key": "unique_issue_key", "required_": "required_fields", "valid_state": "valid_state",
        "closed_has_closed_at": "closed_iff_closed_at", "open_has_no_closed_at": "closed_iff_closed_at",
        "closed_after_created": "closed_after_created", "no_pull_requests": "no_pull_requests",
    }))


@dg.multi_asset_check(specs=_specs("labeled_issues", LABELED_RULES, blocking=True),
                      description="Great Expectations rules on the labeled issues, and their count")
def labeled_issue_checks(warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
    store = warehouse.get()
    raw_rows = int(store.read(f"SELECT count(*) AS n FROM ({LISTED_ISSUES_SQL})")["n"].iloc[0])
    columns = ", ".join(f'"{c}"' for c in quality.LABELED_RULE_COLUMNS)
    outcomes = quality.labeled_issue_rules(store.read(f"SELECT {columns} FROM labeled_issues"), raw_rows)
    yield from _results("labeled_issues", _by_prefix(outcomes, {
        "categories_in_taxonomy": "categories_in_taxonomy", "confidence_": "values_in_range",
        "resolution_": "values_in_range", "rows_match_raw_issues": "rows_match_raw_issues",
    }))


@dg.multi_asset_check(specs=_specs("repo_metrics", METRIC_RULES, blocking=True),
                      description="Great Expectations rules on the per-repository metrics, and their totals")
def repo_metric_checks(warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
    store = warehouse.get()
    labeled_rows = int(store.read("SELECT count(*) AS n FROM labeled_issues")["n"].iloc[0])
    outcomes = quality.repo_metric_rules(store.table("repo_metrics"), labeled_rows)
    yield from _results("repo_metrics", _by_prefix(outcomes, {
        "unique_repo": "one_row_per_repository", "issues_match": "issues_match_labeled_issues",
        "": "rates_in_unit_interval",
    }))


STUDY_CHECKS = [
    ("study_summary", "issues_match_labeled_issues", "the summary's issue count = labeled_issues rows"),
    ("category_distribution", "categories_cover_every_issue", "category counts add up to labeled_issues rows"),
    ("category_distribution", "intervals_contain_shares", "share_ci_low <= share <= share_ci_high"),
    ("closure_tests", "statistics_in_range", "p-values in [0, 1], Holm p >= raw p, Cliff's delta in [-1, 1]"),
]


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(name, asset=asset, description=text, blocking=True) for asset, name, text in STUDY_CHECKS],
    description="The study tables agree with the issues they summarize; their statistics are in range",
)
def study_table_checks(warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
    store = warehouse.get()
    labeled_rows = int(store.read("SELECT count(*) AS n FROM labeled_issues")["n"].iloc[0])
    outcomes = quality.study_table_rules(store.table("study_summary"), store.table("category_distribution"),
                                         store.table("closure_tests"), labeled_rows)
    groups = _by_prefix(outcomes, {"summary_": "issues_match_labeled_issues",
                                   "categories_cover": "categories_cover_every_issue",
                                   "interval_": "intervals_contain_shares", "range_": "statistics_in_range"})
    assets = {name: asset for asset, name, _ in STUDY_CHECKS}
    for name, results in groups.items():
        yield from _results(assets[name], {name: results})
