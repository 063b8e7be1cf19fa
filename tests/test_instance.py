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
    sqlalchemy_postgres_url,
    storage_of,
)
from tests.servers import postgres_bin, postgres_server

POSTGRES = {"ISSUE_ASSETS_INSTANCE_STORAGE": "postgres", "ISSUE_ASSETS_POSTGRES_URL": "postgresql://u@h/db"}


def test_both_variants_share_every_setting_but_the_storage():
    sqlite, postgres = (yaml.safe_load(instance_config(s)) for s in ("sqlite", "postgres"))
    assert "storage" not in sqlite  # Dagster's default: SQLite files under DAGSTER_HOME
    assert postgres.pop("storage") == {"postgres": {"postgres_url": {"env": "ISSUE_ASSETS_POSTGRES_URL"}}}
    assert postgres == sqlite and sqlite["concurrency"]["pools"]["default_limit"] == 1
    with pytest.raises(InstanceConfigError, match="expected one of sqlite, postgres"):
        instance_config("mysql")


def test_the_file_is_written_once_and_kept_with_its_edits(tmp_path):
    config = ensure_instance_config(tmp_path, {})
    assert storage_of(config) == "sqlite"
    config.write_text(config.read_text() + "\n# edited\n")
    assert ensure_instance_config(tmp_path, {}).read_text().endswith("# edited\n")
    assert ensure_instance_config(tmp_path, {"ISSUE_ASSETS_INSTANCE_STORAGE": "sqlite"}) == config


def test_asking_for_the_other_storage_later_is_an_error_not_an_empty_history(tmp_path):
    ensure_instance_config(tmp_path, {})
    with pytest.raises(InstanceConfigError, match=r"keeps the run history in sqlite.*Move that file"):
        ensure_instance_config(tmp_path, POSTGRES)
    with pytest.raises(InstanceConfigError, match="expected one of"):
        ensure_instance_config(tmp_path, {"ISSUE_ASSETS_INSTANCE_STORAGE": "oracle"})


def test_postgres_storage_needs_its_url(tmp_path):
    config = ensure_instance_config(tmp_path, POSTGRES)
    assert storage_of(config) == "postgres"
    with pytest.raises(InstanceConfigError, match="set ISSUE_ASSETS_POSTGRES_URL=postgresql://"):
        ensure_instance_config(tmp_path, {"ISSUE_ASSETS_INSTANCE_STORAGE": "postgres"})


def test_postgres_urls_name_the_installed_driver():
    # SQLAlchemy 2.1 takes a plain postgresql:// to mean psycopg 3; dagster-postgres installs psycopg2.
    assert sqlalchemy_postgres_url("postgresql://u:p@h:5432/d") == "postgresql+psycopg2://u:p@h:5432/d"
    assert sqlalchemy_postgres_url("postgres://u@h/d") == "postgresql+psycopg2://u@h/d"
    assert sqlalchemy_postgres_url("postgresql+pg8000://u@h/d") == "postgresql+pg8000://u@h/d"
    for bad in ("u@h/d", "mysql://u@h/d"):
        with pytest.raises(InstanceConfigError, match="ISSUE_ASSETS_POSTGRES_URL"):
            sqlalchemy_postgres_url(bad)


def test_a_broken_settings_file_is_named(tmp_path):
    (tmp_path / "dagster.yaml").write_text("storage: [unclosed\n")
    with pytest.raises(InstanceConfigError, match="is not valid YAML"):
        ensure_instance_config(tmp_path, POSTGRES)


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
