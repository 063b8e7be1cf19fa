"""The Dagster instance's settings: SQLite by default, PostgreSQL on a real server on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from issue_assets.instance import (
    InstanceConfigError,
    ensure_instance_config,
    instance_config,
    settings_file,
    sqlalchemy_postgres_url,
    storage_of,
)
from tests.servers import postgres_bin, postgres_server

POSTGRES = {"ISSUE_ASSETS_INSTANCE_STORAGE": "postgres", "ISSUE_ASSETS_POSTGRES_URL": "postgresql://u@h/db"}


ROOT = Path(__file__).resolve().parents[1]
HOME_ENV = {"env": "ISSUE_ASSETS_HOME"}


def test_the_package_ships_the_repositorys_one_settings_file():
    assert settings_file() == ROOT / "dagster.yaml"
    # The package's file is a link, not a copy that could drift (setuptools packs the file it points to).
    assert (ROOT / "issue_assets" / "dagster.yaml").is_symlink()


def test_both_variants_share_every_setting_but_the_storage():
    sqlite, postgres = (yaml.safe_load(instance_config(s)) for s in ("sqlite", "postgres"))
    # Every storage is named through ISSUE_ASSETS_HOME, so that the file serves any DAGSTER_HOME (or none).
    assert sqlite["storage"] == {"sqlite": {"base_dir": HOME_ENV}}
    assert sqlite["local_artifact_storage"]["config"] == {"base_dir": HOME_ENV}
    assert sqlite["compute_logs"]["config"] == {"home": HOME_ENV}
    assert postgres.pop("storage") == {"postgres": {"postgres_url": {"env": "ISSUE_ASSETS_POSTGRES_URL"}}}
    assert postgres == {k: v for k, v in sqlite.items() if k != "storage"}
    assert sqlite["concurrency"]["pools"]["default_limit"] == 1
    with pytest.raises(InstanceConfigError, match="expected one of sqlite, postgres"):
        instance_config("mysql")


def test_sqlite_reads_the_settings_file_itself_and_writes_nothing_into_the_home(tmp_path):
    assert ensure_instance_config(tmp_path, {}) == settings_file().parent
    assert ensure_instance_config(tmp_path, {"ISSUE_ASSETS_INSTANCE_STORAGE": "sqlite"}) == settings_file().parent
    assert not (tmp_path / "dagster.yaml").exists()


def test_an_earlier_versions_copy_is_set_aside(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n# edited\n")
    assert ensure_instance_config(tmp_path, {}) == settings_file().parent
    assert not (tmp_path / "dagster.yaml").exists()
    assert (tmp_path / "dagster.yaml.old").read_text().endswith("# edited\n")


def test_the_postgres_combination_is_written_again_at_every_start(tmp_path):
    assert ensure_instance_config(tmp_path, POSTGRES) == tmp_path
    config = tmp_path / "dagster.yaml"
    assert storage_of(config) == "postgres" and config.read_text().startswith("# Written by issue-assets")
    config.write_text(config.read_text() + "\n# edited\n")
    ensure_instance_config(tmp_path, {"ISSUE_ASSETS_POSTGRES_URL": "postgresql://u@h/db"})  # the home's storage
    assert config.read_text() == instance_config("postgres")


def test_asking_for_the_other_storage_later_is_an_error_not_an_empty_history(tmp_path):
    (tmp_path / "history").mkdir()  # SQLite run history
    with pytest.raises(InstanceConfigError, match=r"keeps the run history in sqlite.*Move that folder"):
        ensure_instance_config(tmp_path, POSTGRES)
    with pytest.raises(InstanceConfigError, match="expected one of"):
        ensure_instance_config(tmp_path, {"ISSUE_ASSETS_INSTANCE_STORAGE": "oracle"})
    postgres_home = tmp_path / "pg"
    ensure_instance_config(postgres_home, POSTGRES)
    with pytest.raises(InstanceConfigError, match="keeps the run history in postgres"):
        ensure_instance_config(postgres_home, {"ISSUE_ASSETS_INSTANCE_STORAGE": "sqlite"})


def test_postgres_storage_needs_its_url(tmp_path):
    ensure_instance_config(tmp_path, POSTGRES)
    with pytest.raises(InstanceConfigError, match="set ISSUE_ASSETS_POSTGRES_URL=postgresql://"):
        ensure_instance_config(tmp_path, {"ISSUE_ASSETS_INSTANCE_STORAGE": "postgres"})


def test_dagster_dev_from_the_repository_root_keeps_everything_under_issue_assets_home(tmp_path, monkeypatch):
    """What `dagster dev` does in the repository root without DAGSTER_HOME (Dagster's own function): the
    settings come from ./dagster.yaml, and runs, event logs and compute logs land under ISSUE_ASSETS_HOME."""
    import dagster as dg
    from dagster._cli.utils import get_possibly_temporary_instance_for_cli

    home = tmp_path / "home"
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("ISSUE_ASSETS_HOME", str(home))

    @dg.asset
    def greeting() -> None:
        print("hello from a step")

    with get_possibly_temporary_instance_for_cli("dagster dev") as instance:
        assert instance.get_settings("concurrency")["runs"]["max_concurrent_runs"] == 4
        run_id = dg.materialize([greeting], instance=instance).run_id
    assert (home / "history" / "runs.db").is_file() and (home / "schedules").is_dir()
    assert [p.read_text() for p in (home / "storage" / run_id / "compute_logs").glob("*.out")] == [
        "hello from a step\n"]
    assert not list(ROOT.glob(".tmp_dagster_home_*"))  # Dagster's temporary folder held nothing and is gone


def test_a_broken_settings_file_is_named(tmp_path):
    (tmp_path / "dagster.yaml").write_text("storage: [unclosed\n")
    with pytest.raises(InstanceConfigError, match="is not valid YAML"):
        ensure_instance_config(tmp_path, POSTGRES)


def test_postgres_urls_name_the_installed_driver():
    # SQLAlchemy 2.1 takes a plain postgresql:// to mean psycopg 3; dagster-postgres installs psycopg2.
    assert sqlalchemy_postgres_url("postgresql://u:p@h:5432/d") == "postgresql+psycopg2://u:p@h:5432/d"
    assert sqlalchemy_postgres_url("postgres://u@h/d") == "postgresql+psycopg2://u@h/d"
    assert sqlalchemy_postgres_url("postgresql+pg8000://u@h/d") == "postgresql+pg8000://u@h/d"
    for bad in ("u@h/d", "mysql://u@h/d"):
        with pytest.raises(InstanceConfigError, match="ISSUE_ASSETS_POSTGRES_URL"):
            sqlalchemy_postgres_url(bad)


@pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL's server (Debian package `postgresql`) is not "
                    "installed; .ci/run installs it")
def test_the_demo_graph_runs_on_postgres_instance_storage(tmp_path):
    import psycopg2

    home = tmp_path / "home"
    exe = Path(sys.executable).parent / "issue-assets"
    with postgres_server() as url:
        env = {**os.environ, "ISSUE_ASSETS_HOME": str(home), "ISSUE_ASSETS_INSTANCE_STORAGE": "postgres",
               "ISSUE_ASSETS_POSTGRES_URL": url}
        env.pop("DAGSTER_HOME", None)
        for _ in range(2):  # a first mine, then a refresh, on the same history
            result = subprocess.run([str(exe), "demo"], capture_output=True, text=True, timeout=600, env=env)
            assert result.returncode == 0, result.stderr[-3000:]
            assert "12 repositories (2 without issues), 1200 issues" in result.stdout
        with psycopg2.connect(url) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT pipeline_name, status FROM runs ORDER BY create_timestamp")
            runs = cursor.fetchall()
            cursor.execute("SELECT count(*) FROM dynamic_partitions WHERE partitions_def_name = 'repositories'")
            partitions = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")
            materializations = cursor.fetchone()[0]
    jobs = ["list_repositories", "fetch_repositories", "label_repositories", "analyze"]
    assert [name for name, _ in runs] == jobs * 2
    assert {status for _, status in runs} == {"SUCCESS"}
    assert partitions == 12 and materializations > 0
    assert not (home / "history").exists()  # nothing went to SQLite files
