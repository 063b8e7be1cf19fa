"""The asset graph end to end against the emulator, in a Dagster instance of its own."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from issue_assets import pipeline
from issue_assets.definitions import defs as load_defs
from issue_assets.defs.automation import repository_list_sensor
from issue_assets.defs.partitions import REPOS_PER_RUN, repository_partitions
from issue_assets.defs.resources import RepositorySourceResource, WarehouseResource
from issue_assets.instance import prepare_instance
from issue_assets.pipeline import materialize_all
from issue_assets.warehouse import Warehouse
from tests.conftest import read_csv_rows

defs = load_defs()

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def graph(tmp_path, monkeypatch, start_emulator, small_snapshot):
    emulator = start_emulator()
    home = tmp_path / "home"
    monkeypatch.setenv("ISSUE_ASSETS_HOME", str(home))
    monkeypatch.setenv("GITHUB_API_URL", emulator.url)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("ISSUE_ASSETS_SOURCE", "seed_csv")
    monkeypatch.setenv("ISSUE_ASSETS_REPOS", str(small_snapshot / "repositories.csv"))
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        yield emulator, instance, Warehouse(home / "warehouse.duckdb")


def _check_results(instance, run_ids):
    results = {}
    for run_id in run_ids:
        for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
            evaluation = record.dagster_event.event_specific_data
            results[f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"] = evaluation.passed
    return results


def _latest_partition_metadata(instance, asset: str, partition: str) -> dict:
    records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset),
                                                                    asset_partitions=[partition]), limit=1).records
    return records[0].asset_materialization.metadata


def _truth(snapshot):
    return read_csv_rows(snapshot / "truth.csv")


def test_whole_graph_materializes_with_every_check_passing(graph, small_snapshot, tmp_path):
    _, instance, warehouse = graph
    result = materialize_all(instance)
    assert result.success, result.failed_runs
    repos = [row["repo"] for row in read_csv_rows(small_snapshot / "repositories.csv")]
    assert instance.get_dynamic_partitions(repository_partitions.name) == repos
    for asset in ("repo_metadata", "raw_issues", "issue_texts"):
        assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(repos)
    truth = _truth(small_snapshot)
    # Each fetched range was labeled by a run of its own in a second process: labeled_issues reused it all.
    label_runs = [r for r in instance.get_runs() if r.job_name == "label_repositories"]
    assert len(label_runs) == math.ceil(len(repos) / REPOS_PER_RUN) and all(r.run_id in result.runs for r in label_runs)
    labeling = instance.get_latest_materialization_event(dg.AssetKey("labeled_issues")).asset_materialization
    assert labeling.metadata["issues_labeled_now"].value == 0
    assert labeling.metadata["issues_whose_text_features_were_reused"].value == len(truth)
    assert len(warehouse.table("issue_texts")) == len(truth)
    raw = warehouse.table("raw_issues")
    labeled = warehouse.table("labeled_issues")
    assert len(raw) == len(labeled) == len(truth)
    metrics = warehouse.table("repo_metrics")
    assert len(metrics) == len(repos) and metrics["issues"].sum() == len(truth)
    checks = _check_results(instance, result.runs)
    assert len(checks) == 16 and all(checks.values()), checks
    regression = warehouse.table("regression_table")
    assert "has_label" in set(regression["term"]) and (regression["n"] > 0).all()
    fetch_runs = [r for r in instance.get_runs() if r.job_name == "fetch_repositories"]
    assert len(fetch_runs) == math.ceil(len(repos) / REPOS_PER_RUN)
    # Each partition's materialization carries its repository's own numbers, not the run's totals.
    per_repo = raw.groupby("repo").size()
    for repo in repos:
        metadata = _latest_partition_metadata(instance, "raw_issues", repo)
        assert metadata["dagster/row_count"].value == per_repo.get(repo, 0), repo
        assert metadata["api_requests"].value > 0 and metadata["state"].value == "ok"
    _assert_study_tables_agree_with_replicate(instance, warehouse, small_snapshot, tmp_path)
    _assert_the_catalog_is_the_warehouse(instance, warehouse, skip={"annotation_agreement"})


def _assert_the_catalog_is_the_warehouse(instance, warehouse, skip=(), only=None):
    """Each table asset's column schema (what the UI's catalog shows) is the DuckDB table's columns and types,
    in order, and its latest materialization carries the table's row count and name."""
    columns = warehouse.read("SELECT table_name, column_name, data_type FROM information_schema.columns "
                             "ORDER BY table_name, ordinal_position")
    checked = []
    for spec in defs.resolve_all_asset_specs():
        table_name = spec.metadata.get("dagster/table_name")
        if table_name is None:
            continue
        table = table_name.split(".")[-1]
        if table in skip or (only is not None and table not in only):
            continue
        stored = columns[columns["table_name"] == table]
        schema = spec.metadata["dagster/column_schema"]
        assert [(c.name, c.type) for c in schema.columns] == list(
            zip(stored["column_name"], stored["data_type"], strict=True)), table
        records = instance.fetch_materializations(spec.key, limit=1).records
        metadata = records[0].asset_materialization.metadata
        assert metadata["dagster/table_name"].value == warehouse.qualified_name(table) == table_name
        rows = warehouse.row_count(table)
        if spec.partitions_def is None:
            assert metadata["dagster/row_count"].value == rows, table
        else:  # a partition's materialization counts that repository's rows
            partition = records[0].asset_materialization.partition
            assert metadata["dagster/row_count"].value == int(warehouse.read(
                f'SELECT count(*) AS n FROM "{table}" WHERE repo = ?', [partition])["n"].iloc[0]), table
        checked.append(table)
    assert checked, "no table asset checked"
    return checked


def _assert_study_tables_agree_with_replicate(instance, warehouse, snapshot, tmp_path):
    """The assets and `replicate` on the same issues give the same numbers: one analysis, two doors."""
    from issue_assets.replicate import replicate
    from tests.replication_package import write_package

    for name in ("study_summary", "category_distribution", "closure_tests", "repo_correlations", "owner_comparison"):
        assert len(warehouse.table(name)) > 0, name
    assert set(warehouse.table("regression_table")["model"]) == {"logit", "cox"}
    report = instance.get_latest_materialization_event(dg.AssetKey("study_report")).asset_materialization
    path = Path(report.metadata["path"].value)
    assert path.is_file() and path.read_text().startswith("<!DOCTYPE html>")
    assert "data:image/png;base64," in report.metadata["report"].value
    replicated = replicate(*write_package(snapshot, tmp_path / "package")).tables
    mined = warehouse.table("study_summary").set_index("metric")["value"]
    from_package = replicated["study_summary"].set_index("metric")["value"]
    pd.testing.assert_series_equal(mined, from_package, check_exact=False, rtol=1e-9)
    columns = ["issues", "share", "closed", "close_rate", "resolution_days_median"]
    pd.testing.assert_frame_equal(warehouse.table("category_distribution")[columns],
                                  replicated["category_distribution"][columns], check_dtype=False)
    # Everything but the censoring times (mining date differs) is the same input to the tests.
    columns = ["feature", "n_closed", "n_open", "statistic", "p_value", "cliffs_delta", "cohens_d", "odds_ratio"]
    pd.testing.assert_frame_equal(warehouse.table("closure_tests")[columns], replicated["closure_tests"][columns],
                                  check_dtype=False)


def _labeling_process_dies(*args):
    os._exit(3)  # as when the kernel's OOM killer ends it


def test_a_dead_labeling_process_leaves_the_labeling_to_labeled_issues(graph, small_snapshot, monkeypatch):
    _, instance, warehouse = graph
    monkeypatch.setattr(pipeline, "_label_in_worker", _labeling_process_dies)
    result = materialize_all(instance)
    assert result.success and len(result.worker_errors) == math.ceil(8 / REPOS_PER_RUN)
    assert not [r for r in instance.get_runs() if r.job_name == "label_repositories"]
    labeling = instance.get_latest_materialization_event(dg.AssetKey("labeled_issues")).asset_materialization
    issues = len(_truth(small_snapshot))
    assert labeling.metadata["issues_labeled_now"].value == issues == len(warehouse.table("issue_texts"))


def test_second_run_is_a_refresh_that_sees_changes(graph, small_snapshot):
    emulator, instance, warehouse = graph
    assert materialize_all(instance).success
    raw = warehouse.table("raw_issues")
    repo, number = raw.loc[raw["state"] == "open", ["repo", "number"]].iloc[0]
    emulator.state.close_issue(repo, int(number), actor="maintainer-x")
    emulator.reset_stats()
    assert materialize_all(instance).success
    labeled = warehouse.table("labeled_issues").set_index(["repo", "number"])
    assert bool(labeled.loc[(repo, number), "closed"])
    assert len(labeled) == len(raw)
    changed = {r: _latest_partition_metadata(instance, "raw_issues", r)["issues_changed"].value
                for r in raw["repo"].unique()}
    assert changed == {r: int(r == repo) for r in changed}
    assert _latest_partition_metadata(instance, "raw_issues", repo)["api_not_modified"].value > 0


def test_blocking_check_stops_the_analysis_on_bad_raw_issues(graph):
    _, instance, warehouse = graph
    assert materialize_all(instance).success
    before = len(warehouse.table("labeled_issues"))
    with warehouse.transaction() as conn:  # a duplicate issue and a closed issue without closed_at
        conn.execute("INSERT INTO raw_issues SELECT * FROM raw_issues WHERE number = 1 LIMIT 1")
        conn.execute("UPDATE raw_issues SET closed_at = NULL WHERE state = 'closed' AND number = "
                     "(SELECT min(number) FROM raw_issues WHERE state = 'closed')")
    run = defs.resolve_job_def("analyze").execute_in_process(instance=instance, raise_on_error=False)
    checks = _check_results(instance, [run.run_id])
    assert checks["raw_issues:unique_issue_key"] is False and checks["raw_issues:closed_iff_closed_at"] is False
    materialized = [r.dagster_event.asset_key.to_user_string()
                    for r in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)]
    assert "labeled_issues" not in materialized
    assert len(warehouse.table("labeled_issues")) == before  # not rebuilt from the duplicated row
    failure = next(r for r in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
                   if r.dagster_event.event_specific_data.check_name == "unique_issue_key")
    assert "#1" in failure.dagster_event.event_specific_data.metadata["failures"].value


def test_deleted_issues_stay_in_raw_issues_and_leave_the_analysis(graph):
    _, instance, warehouse = graph
    assert materialize_all(instance).success
    before = len(warehouse.table("labeled_issues"))
    with warehouse.transaction() as conn:  # what a complete listing that lacks two issues leaves behind
        conn.execute("UPDATE raw_issues SET deleted_at = TIMESTAMP '2022-12-01' WHERE number IN "
                     "(SELECT number FROM raw_issues ORDER BY repo, number LIMIT 2) AND repo = "
                     "(SELECT min(repo) FROM raw_issues)")
    deleted = int(warehouse.read("SELECT count(*) AS n FROM raw_issues WHERE deleted_at IS NOT NULL")["n"].iloc[0])
    assert deleted > 0
    run = defs.resolve_job_def("analyze").execute_in_process(instance=instance)
    assert run.success and len(warehouse.table("labeled_issues")) == before - deleted
    materialization = instance.get_latest_materialization_event(dg.AssetKey("labeled_issues")).asset_materialization
    assert materialization.metadata["deleted_or_transferred_issues_left_out"].value == deleted


def test_sensor_registers_new_repositories_and_skips_an_unchanged_list(graph, small_snapshot, tmp_path):
    _, instance, _ = graph
    seed = tmp_path / "seed.csv"
    repos = [row["repo"] for row in read_csv_rows(small_snapshot / "repositories.csv")]
    seed.write_text("repo\n" + "\n".join(repos[:3]) + "\n", "utf-8")
    source = RepositorySourceResource(kind="seed_csv", path=str(seed))
    context = dg.build_sensor_context(instance=instance, resources={"source": source})
    result = repository_list_sensor(context)
    assert result.dynamic_partitions_requests[0].partition_keys == repos[:3]
    jobs = [r.job_name for r in result.run_requests]
    assert jobs == ["list_repositories", "fetch_repositories"]
    assert result.run_requests[1].tags["dagster/asset_partition_range_start"] == repos[0]
    assert result.run_requests[1].tags["dagster/asset_partition_range_end"] == repos[2]
    instance.add_dynamic_partitions(repository_partitions.name, repos[:3])
    unchanged = repository_list_sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor,
                                                               resources={"source": source}))
    assert isinstance(unchanged, dg.SkipReason)
    seed.write_text("repo\n" + "\n".join(repos[:5]) + "\n", "utf-8")
    changed = repository_list_sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor,
                                                             resources={"source": source}))
    assert changed.dynamic_partitions_requests[0].partition_keys == repos[3:5]


def test_sensor_as_the_daemon_runs_it_fetches_exactly_a_new_repository(graph, small_snapshot, tmp_path):
    """The daemon checks every run request against the sensor's jobs (a request for a job it does not
    target fails the tick), so evaluate it through the Definitions as the daemon does."""
    _, instance, _ = graph
    seed = tmp_path / "seed.csv"
    repos = [row["repo"] for row in read_csv_rows(small_snapshot / "repositories.csv")]
    seed.write_text("repo\n" + "\n".join(repos[:3]) + "\n", "utf-8")
    instance.add_dynamic_partitions(repository_partitions.name, repos[:3])
    sensor = defs.get_sensor_def("repository_list_sensor")
    source = RepositorySourceResource(kind="seed_csv", path=str(seed))
    first = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs,
                                                         resources={"source": source}))
    seed.write_text("repo\n" + "\n".join(repos[:4]) + "\n", "utf-8")  # one new line in the list
    tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs, cursor=first.cursor,
                                                        resources={"source": source}))
    fetches = [r for r in tick.run_requests if r.job_name == "fetch_repositories"]
    assert len(fetches) == 1
    assert fetches[0].tags["dagster/asset_partition_range_start"] == repos[3]
    assert fetches[0].tags["dagster/asset_partition_range_end"] == repos[3]
    assert [r.partition_keys for r in tick.dynamic_partitions_requests] == [[repos[3]]]


def test_a_new_sensor_on_a_materialized_instance_requests_nothing(graph):
    """The first `issue-assets dev` after `run`: the sensor has no cursor yet, but the list is the one
    ai_repositories read, so nothing is relisted (and the analysis is not recomputed)."""
    _, instance, _ = graph
    assert materialize_all(instance).success
    sensor = defs.get_sensor_def("repository_list_sensor")
    tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs,
                                                        resources={"source": RepositorySourceResource()}))
    assert tick.run_requests == [] and tick.cursor is not None
    assert dg.evaluate_automation_conditions(defs=defs, instance=instance).total_requested == 0


def test_daily_schedule_refreshes_listed_repositories_in_few_runs(graph):
    _, instance, warehouse = graph
    repos = [f"owner{i}/repo{i}" for i in range(60)]
    instance.add_dynamic_partitions(repository_partitions.name, repos)
    listed = pd.DataFrame({"repo": repos, "listed": [i != 30 for i in range(60)]})
    with warehouse.transaction() as conn:
        conn.register("listed", listed)
        conn.execute("INSERT INTO repositories (repo, listed) SELECT repo, listed FROM listed")
    schedule = defs.resolve_schedule_def("daily_refresh")
    context = dg.build_schedule_context(instance=instance, resources={"warehouse": WarehouseResource()},
                                        scheduled_execution_time=datetime(2026, 11, 21, 3, tzinfo=UTC))
    requests = list(schedule.evaluate_tick(context).run_requests)
    assert len({r.run_key for r in requests}) == len(requests)
    # 0-29 (2 runs: 25 + 5) and 31-59 (2 runs: 25 + 4): never the unlisted repository 30.
    ranges = [(r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
              for r in requests]
    assert ranges == [("owner0/repo0", "owner24/repo24"), ("owner25/repo25", "owner29/repo29"),
                      ("owner31/repo31", "owner55/repo55"), ("owner56/repo56", "owner59/repo59")]


def test_analysis_assets_update_automatically_after_a_refresh(graph):
    _, instance, _ = graph
    assert materialize_all(instance).success
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.total_requested == 0  # everything is up to date
    repo = instance.get_dynamic_partitions(repository_partitions.name)[0]
    run = defs.resolve_job_def("fetch_repositories").execute_in_process(instance=instance, partition_key=repo)
    # A fetch run (the daemon's) labels its repositories in a step of its own: here nothing changed.
    labeled = run.asset_materializations_for_node("issue_texts")[0].metadata
    assert labeled["issues_labeled_now"].value == 0 and labeled["issues_whose_text_features_were_reused"].value > 0
    after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert after.get_num_requested(dg.AssetKey("labeled_issues")) == 1
    assert after.get_num_requested(dg.AssetKey("repo_metadata")) == 0  # refreshed by schedule and sensor only


def test_workspace_loads_with_dagsters_own_loader(tmp_path):
    # From the repository root, as a user types it: ./dagster.yaml keeps the instance under ISSUE_ASSETS_HOME.
    env = {**os.environ, "ISSUE_ASSETS_HOME": str(tmp_path)}
    env.pop("DAGSTER_HOME", None)
    result = subprocess.run([str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w",
                             "workspace.yaml"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout + result.stderr


CONCURRENT_RUN = """
import sys
import dagster as dg
from issue_assets.definitions import defs
from issue_assets.instance import prepare_instance
instance = prepare_instance()
defs = defs()
start, end = sys.argv[1], sys.argv[2]
result = defs.resolve_job_def("fetch_repositories").execute_in_process(
    instance=instance, raise_on_error=False,
    tags={"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end})
print("SUCCESS" if result.success else "FAILURE", flush=True)
"""

HOLD_LOCK = """
import sys, time, duckdb
for _ in range(6):
    conn = duckdb.connect(sys.argv[1])
    time.sleep(0.4)
    conn.close()
    time.sleep(0.05)
"""


def test_four_concurrent_backfill_runs_never_fail_on_the_duckdb_lock(tmp_path, monkeypatch, start_emulator,
                                                                 small_snapshot):
    emulator = start_emulator()
    home = tmp_path / "home"
    env = {**os.environ, "ISSUE_ASSETS_HOME": str(home), "GITHUB_API_URL": emulator.url,
           "ISSUE_ASSETS_SOURCE": "seed_csv", "ISSUE_ASSETS_REPOS": str(small_snapshot / "repositories.csv")}
    env.pop("GITHUB_TOKEN", None)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    instance = prepare_instance()
    run = defs.resolve_job_def("list_repositories").execute_in_process(instance=instance)
    assert run.success
    keys = instance.get_dynamic_partitions(repository_partitions.name)
    quarter = len(keys) // 4
    ranges = [(keys[i * quarter], keys[(i + 1) * quarter - 1 if i < 3 else -1]) for i in range(4)]
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(home / "warehouse.duckdb")], env=env)
    runs = [subprocess.Popen([sys.executable, "-c", CONCURRENT_RUN, first, last], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for first, last in ranges]
    outputs = [process.communicate(timeout=600) for process in runs]
    holder.wait(timeout=60)
    for process, (out, err) in zip(runs, outputs, strict=True):
        assert process.returncode == 0 and "SUCCESS" in out, err[-3000:]
    stored = Warehouse(home / "warehouse.duckdb").read("SELECT DISTINCT repo FROM repo_metadata")
    assert set(stored["repo"]) == set(keys)
    assert len(Warehouse(home / "warehouse.duckdb").table("raw_issues")) == len(_truth(small_snapshot))


def test_annotation_sample_and_agreement_from_coded_sheets(graph, small_snapshot):
    from issue_assets import paths
    from issue_assets.analysis import learned
    from issue_assets.defs.annotation import annotation_agreement, annotation_sample, project_classifier
    from issue_assets.defs.labeling import labeled_issues

    _, instance, warehouse = graph
    assert materialize_all(instance).success
    resources = {"warehouse": WarehouseResource()}
    config = {"ops": {"annotation_sample": {"config": {"confidence": 0.95, "margin": 0.1, "seed": 2}}}}
    result = dg.materialize([annotation_sample], instance=instance, resources=resources, run_config=config)
    metadata = result.asset_materializations_for_node("annotation_sample")[0].metadata
    # 600 issues at 95% ± 10%: 96.04 / (1 + 95.04 / 600) = 82.9 -> 83.
    assert metadata["population"].value == 600 and metadata["sample_size"].value == 83
    folder = paths.annotation_dir()
    truth = {f"{r['repo']}#{r['number']}": r["category"] for r in _truth(small_snapshot)}
    for coder, disagree_every in (("coder_a", 0), ("coder_b", 4)):
        sheet = pd.read_csv(folder / f"{coder}.csv", dtype=str, keep_default_na=False)
        sheet["category"] = [("other" if disagree_every and i % disagree_every == 0 else truth[issue])
                             for i, issue in enumerate(sheet["id"])]
        sheet.to_csv(folder / f"{coder}.csv", index=False)
    # A second draw would overwrite codes: it fails and leaves them.
    again = dg.materialize([annotation_sample], instance=instance, resources=resources, raise_on_error=False)
    assert not again.success and len(pd.read_csv(folder / "coder_a.csv")["category"].dropna()) == 83
    dg.materialize([annotation_agreement], instance=instance, resources=resources)
    assert _assert_the_catalog_is_the_warehouse(instance, warehouse, only={"annotation_agreement"}) == [
        "annotation_agreement"]
    table = warehouse.table("annotation_agreement").set_index("pair")
    assert table.loc["coder_a vs coder_b", "n"] == 83 and 0.5 < table.loc["coder_a vs coder_b", "kappa"] < 0.95
    assert table.loc["coder_a vs classifier", "n"] == 83 and table.loc["coder_a vs classifier", "kappa"] > 0.3
    # 83 codes over 13 categories: too few per category for a project model; the shipped one stays.
    result = dg.materialize([project_classifier], instance=instance, resources=resources)
    metadata = result.asset_materializations_for_node("project_classifier")[0].metadata
    sheet = pd.read_csv(paths.annotation_dir() / "coder_a.csv", dtype=str, keep_default_na=False)
    alike = sum(i % 4 != 0 or truth[issue] == "other" for i, issue in enumerate(sheet["id"]))
    assert metadata["coded_issues"].value == alike  # the issues both coders coded alike
    assert metadata["uses_project_model"].value is False and "at least 5 coded issues" in metadata["note"].value
    assert not paths.project_classifier_path().exists()
    # A project model, once written, labels the issues.
    raw = warehouse.table("raw_issues")
    truth_codes = [truth[f"{r}#{n}"] for r, n in zip(raw["repo"], raw["number"], strict=True)]
    learned.train(raw["title"], raw["body"].fillna(""), truth_codes, folds=3).save(paths.project_classifier_path())
    result = dg.materialize([labeled_issues], instance=instance, resources=resources)
    assert result.asset_materializations_for_node("labeled_issues")[0].metadata["classifier"].value.startswith(
        "project")
    labeled = warehouse.table("labeled_issues")
    coded = [truth[f"{r}#{n}"] for r, n in zip(labeled["repo"], labeled["number"], strict=True)]
    assert (labeled["category"] == pd.Series(coded)).mean() > 0.9  # trained on these very issues


def test_raw_issue_checks_run_once_per_analysis_and_on_a_partition_launched_alone(graph):
    _, instance, warehouse = graph
    result = materialize_all(instance)
    checked = {}
    for run_id in result.runs:
        job = instance.get_run_by_id(run_id).job_name
        for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
            evaluation = record.dagster_event.event_specific_data
            if evaluation.asset_key == dg.AssetKey("raw_issues"):
                checked.setdefault(job, set()).add(evaluation.metadata["rows_checked"].value)
    # Backfill range runs leave the checks to the analyze run, which checks every stored issue.
    assert set(checked) == {"analyze"} and checked["analyze"] == {len(warehouse.table("raw_issues"))}
    # Materialized from the UI, a partition's checks come with it and read that repository only.
    repo = warehouse.table("raw_issues")["repo"].value_counts().index[0]
    with_checks = dg.Definitions.merge(defs, dg.Definitions(jobs=[
        dg.define_asset_job("fetch_with_checks", selection=dg.AssetSelection.assets("repo_metadata", "raw_issues"))]))
    run = with_checks.resolve_job_def("fetch_with_checks").execute_in_process(instance=instance, partition_key=repo)
    assert run.success
    evaluations = [e.asset_check_evaluation_data for e in run.all_events
                   if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    expected = int((warehouse.table("raw_issues")["repo"] == repo).sum())
    assert len(evaluations) == 6 and all(e.passed for e in evaluations)
    assert {e.metadata["rows_checked"].value for e in evaluations} == {expected} and expected > 0


def test_fetch_runs_log_each_repository_and_the_progress_of_long_walks(tmp_path, monkeypatch, start_emulator,
                                                                    small_snapshot):
    """What a user watching a run in the UI reads: pages of long walks, repositories, time and requests left."""
    emulator = start_emulator()
    monkeypatch.setenv("ISSUE_ASSETS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GITHUB_API_URL", emulator.url)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("ISSUE_ASSETS_SOURCE", "seed_csv")
    monkeypatch.setenv("ISSUE_ASSETS_REPOS", str(small_snapshot / "repositories.csv"))
    overrides = {"python_logs": {"managed_python_loggers": ["issue_assets.github"], "python_log_level": "INFO"}}
    with dg.instance_for_test(overrides=overrides) as instance:
        assert materialize_all(instance).success
        run = next(r for r in instance.get_runs() if r.job_name == "fetch_repositories")
        messages = [r.user_message for r in instance.all_logs(run.run_id)]
    repos = [row["repo"] for row in read_csv_rows(small_snapshot / "repositories.csv")]
    per_repo = [m for m in messages if " requests (" in m and "; run: " in m]
    assert len(per_repo) == len(repos)
    assert any("run: 1/8 repositories (12%), about " in m for m in per_repo)
    assert any("run: 8/8 repositories (100%), done; rate limit anonymous: " in m for m in per_repo)
    biggest = max(repos, key=lambda repo: sum(row["repo"] == repo for row in _truth(small_snapshot)))
    walk = [m for m in messages if m.startswith(f"{biggest}: issues page ")]
    assert walk[0].startswith(f"{biggest}: issues page 1: ") and " of 5000 left" in walk[0]
    assert "(last page)" in walk[-1]
