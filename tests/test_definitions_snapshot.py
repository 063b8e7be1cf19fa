"""The shape of the Dagster graph (assets, checks, jobs, schedules, sensors, resources) against a text snapshot.

A renamed asset, a dependency lost in a refactor or a job that silently selects more than before shows up as a
diff of tests/definitions_snapshot.txt. When the change is intended, regenerate the file:

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_definitions_snapshot.py
"""

from __future__ import annotations

import difflib
import os
import warnings
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

SNAPSHOT = Path(__file__).with_name("definitions_snapshot.txt")
REGENERATE = "UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_definitions_snapshot.py"


def _listing(title: str, items: Iterable[str]) -> list[str]:
    """``  title:`` and one sorted item a line, so that a diff names exactly what was added or lost."""
    ordered = sorted(items)
    return [f"  {title}:", *(f"    - {item}" for item in ordered)] if ordered else [f"  {title}: none"]


def _keys(title: str, keys: Iterable[dg.AssetKey]) -> list[str]:
    return _listing(title, (key.to_user_string() for key in keys))


def _check_keys(title: str, keys: Iterable[dg.AssetCheckKey]) -> list[str]:
    return _listing(title, (f"{key.asset_key.to_user_string()}:{key.name}" for key in keys))


def _partitions(partitions_def: dg.PartitionsDefinition | None) -> str:
    if partitions_def is None:
        return "none"
    name = getattr(partitions_def, "name", None)
    # Only dynamic partitions have a name; the others are told apart by their type and keys or schedule.
    return f"{type(partitions_def).__name__} {name!r}" if isinstance(name, str) else (
        f"{type(partitions_def).__name__} {partitions_def}"
    )


def _automation(condition: dg.AutomationCondition | None) -> str:
    if condition is None:
        return "none"
    label = condition.get_label()
    return f"label {label!r}" if label else f"unlabeled {type(condition).__name__}"


def _freshness(policy: dg.FreshnessPolicy | None) -> str:
    if policy is None:
        return "none"
    windows = [f"{name} after {window.to_timedelta()}" for name in ("fail", "warn")
               if (window := getattr(policy, f"{name}_window", None)) is not None]
    return f"{type(policy).__name__} {', '.join(windows)}" if windows else type(policy).__name__


def _table(metadata: dict) -> str:
    """The DuckDB table an asset writes and its columns, as the catalog shows them."""
    name, schema = metadata.get("dagster/table_name"), metadata.get("dagster/column_schema")
    if name is None and schema is None:
        return "none"
    columns = ", ".join(c.name for c in schema.columns) if schema is not None else "no column schema"
    return f"{name}: {columns}"


def _tags(tags: dict[str, str]) -> str:
    # Kinds are listed on their own line; the other tags are the ones a user filters the catalog by.
    return ", ".join(f"{k}={v}" for k, v in sorted(tags.items()) if not k.startswith("dagster/kind/")) or "none"


def _pools(defs: dg.Definitions) -> dict[dg.AssetKey, str]:
    """Asset key -> the concurrency pools of the op (or graph) computing it."""
    pools = {}
    for assets_def in defs.resolve_asset_graph().assets_defs:
        # Non-executable (external) assets have no op, hence no pool.
        names = sorted(assets_def.node_def.pools) if assets_def.is_executable else []
        for key in assets_def.keys:
            pools[key] = ", ".join(names) or "none"
    return pools


def render_definitions(defs: dg.Definitions) -> str:
    """A deterministic, sorted, human-readable text of the graph a Definitions object holds."""
    lines: list[str] = []
    pools = _pools(defs)
    asset_graph = defs.resolve_asset_graph()

    lines.append("# assets")
    for spec in sorted(defs.resolve_all_asset_specs(), key=lambda s: s.key.to_user_string()):
        lines += [
            f"asset {spec.key.to_user_string()}",
            f"  group: {spec.group_name}",
            f"  kinds: {', '.join(sorted(spec.kinds)) or 'none'}",
            f"  partitions: {_partitions(spec.partitions_def)}",
            f"  pool: {pools.get(spec.key, 'none')}",
            f"  automation condition: {_automation(spec.automation_condition)}",
            f"  freshness: {_freshness(spec.freshness_policy)}",
            f"  owners: {', '.join(spec.owners) or 'none'}",
            f"  tags: {_tags(spec.tags)}",
            f"  table: {_table(spec.metadata)}",
            *_keys("deps", (dep.asset_key for dep in spec.deps)),
        ]

    lines.append("")
    lines.append("# asset checks")
    check_specs = {spec.key: spec for assets_def in asset_graph.assets_defs for spec in assets_def.check_specs}
    for key in sorted(check_specs, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        lines.append(f"check {key.asset_key.to_user_string()}:{key.name} blocking={check_specs[key].blocking}")

    lines.append("")
    lines.append("# jobs")
    for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name):
        # Dagster's implicit jobs over all assets (one per partitions definition) say nothing about ours.
        if job.name.startswith("__ASSET_JOB"):
            continue
        lines += [
            f"job {job.name}",
            *_keys("assets", job.asset_layer.selected_asset_keys),
            # The job's own asset graph holds exactly the checks its selection kept (none after without_checks).
            *_check_keys("checks", job.asset_layer.asset_graph.asset_check_keys),
        ]

    lines.append("")
    lines.append("# schedules")
    for name in sorted(schedule.name for schedule in defs.schedules or []):
        schedule = defs.resolve_schedule_def(name)
        lines += [
            f"schedule {schedule.name}",
            f"  cron: {schedule.cron_schedule} timezone: {schedule.execution_timezone or 'default'}",
            f"  job: {schedule.job_name}",
            f"  default status: {schedule.default_status.value}",
        ]

    lines.append("")
    lines.append("# sensors")
    for name in sorted(sensor.name for sensor in defs.sensors or []):
        sensor = defs.resolve_sensor_def(name)
        selection = sensor.asset_selection
        lines += [
            f"sensor {sensor.name}",
            f"  type: {sensor.sensor_type.value}",
            f"  default status: {sensor.default_status.value}",
            *_listing("jobs", (target.job_name for target in sensor.targets)),
            *_keys("assets", selection.resolve(asset_graph) if selection is not None else ()),
        ]

    lines.append("")
    lines.append("# resources")
    for key, resource in sorted((defs.resources or {}).items()):
        lines.append(f"resource {key}: {type(resource).__name__}")
    return "\n".join(lines) + "\n"


def _load_defs() -> dg.Definitions:
    with warnings.catch_warnings():
        # Dagster's beta/supersession notices about our decorators' arguments, raised once at import.
        warnings.simplefilter("ignore", dg.BetaWarning)
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        from issue_assets.definitions import defs as load_defs

        defs = load_defs()
        # Resolving builds the repository (jobs, asset graph) once; warnings it raises are the same noise.
        defs.get_repository_def()
    return defs


def test_definitions_match_the_snapshot():
    rendered = render_definitions(_load_defs())
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(rendered, encoding="utf-8")
        return
    if not SNAPSHOT.exists():
        pytest.fail(f"{SNAPSHOT.name} is missing; generate it with:\n    {REGENERATE}")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    if rendered != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), rendered.splitlines(keepends=True),
            fromfile=f"tests/{SNAPSHOT.name}", tofile="issue_assets.definitions.defs",
        ))
        pytest.fail(
            f"The Dagster definitions differ from tests/{SNAPSHOT.name}:\n{diff}\n"
            f"If the change is intended, regenerate the snapshot and review its diff:\n    {REGENERATE}",
            pytrace=False,
        )


def test_rendering_shows_every_attribute():
    """The renderer on a tiny graph: each field the snapshot is meant to guard appears, and changes show."""
    letters = dg.DynamicPartitionsDefinition(name="letters")

    @dg.asset(group_name="g", kinds={"python"}, partitions_def=letters, pool="api", owners=["team:t"],
              tags={"study": "rq1"}, freshness_policy=dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=26)),
              metadata={"dagster/table_name": "w.main.up",
                        "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn("a", "INTEGER")])})
    def upstream() -> None:
        """Partitioned, pooled, owned, tagged, fresh, a table."""

    @dg.asset(deps=[upstream], automation_condition=dg.AutomationCondition.eager())
    def downstream() -> None:
        """Automated."""

    @dg.asset_check(asset=downstream, blocking=True)
    def positive() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    job = dg.define_asset_job("only_downstream", selection=dg.AssetSelection.assets(downstream).without_checks())
    checked = dg.define_asset_job("checked", selection=dg.AssetSelection.assets(downstream))
    # Resolving new Definitions reads the current instance's definitions state: an instance of its own, since
    # an earlier test's (the graph tests') may be the current one still, though closed.
    with dg.instance_for_test():
        text = render_definitions(dg.Definitions(
            assets=[upstream, downstream],
            asset_checks=[positive],
            jobs=[job, checked],
            schedules=[dg.ScheduleDefinition(name="nightly", cron_schedule="0 1 * * *", job=job)],
            sensors=[dg.AutomationConditionSensorDefinition("auto", target=dg.AssetSelection.groups("g"))],
            resources={"thing": dg.ResourceDefinition.none_resource()},
        ))
    assert text == (
        "# assets\n"
        "asset downstream\n"
        "  group: default\n"
        "  kinds: none\n"
        "  partitions: none\n"
        "  pool: none\n"
        "  automation condition: label 'eager'\n"
        "  freshness: none\n"
        "  owners: none\n"
        "  tags: none\n"
        "  table: none\n"
        "  deps:\n"
        "    - upstream\n"
        "asset upstream\n"
        "  group: g\n"
        "  kinds: python\n"
        "  partitions: DynamicPartitionsDefinition 'letters'\n"
        "  pool: api\n"
        "  automation condition: none\n"
        "  freshness: TimeWindowFreshnessPolicy fail after 1 day, 2:00:00\n"
        "  owners: team:t\n"
        "  tags: study=rq1\n"
        "  table: w.main.up: a\n"
        "  deps: none\n"
        "\n"
        "# asset checks\n"
        "check downstream:positive blocking=True\n"
        "\n"
        "# jobs\n"
        "job checked\n"
        "  assets:\n"
        "    - downstream\n"
        "  checks:\n"
        "    - downstream:positive\n"
        "job only_downstream\n"
        "  assets:\n"
        "    - downstream\n"
        "  checks: none\n"
        "\n"
        "# schedules\n"
        "schedule nightly\n"
        "  cron: 0 1 * * * timezone: default\n"
        "  job: only_downstream\n"
        "  default status: STOPPED\n"
        "\n"
        "# sensors\n"
        "sensor auto\n"
        "  type: AUTO_MATERIALIZE\n"
        "  default status: STOPPED\n"
        "  jobs: none\n"
        "  assets:\n"
        "    - upstream\n"
        "\n"
        "# resources\n"
        "resource thing: ResourceDefinition\n"
    )
