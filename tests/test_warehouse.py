"""The warehouse waits for DuckDB's file lock instead of failing, and says so when it gives up."""

from __future__ import annotations

import subprocess
import sys
import time

import pandas as pd
import pytest

from issue_assets.warehouse import Warehouse, WarehouseLocked

HOLD = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
conn.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.close()
"""


def _hold_lock(path, seconds):
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    return process


def test_waits_for_another_process_to_release_the_file(tmp_path):
    path = tmp_path / "w.duckdb"
    holder = _hold_lock(path, 1.5)
    started = time.perf_counter()
    warehouse = Warehouse(path, lock_timeout=60)
    with warehouse.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
    assert time.perf_counter() - started >= 0.5
    holder.wait(timeout=30)
    assert warehouse.read("SELECT x FROM t")["x"].tolist() == [1]


def test_gives_up_with_a_clear_error_after_the_lock_timeout(tmp_path):
    path = tmp_path / "w.duckdb"
    holder = _hold_lock(path, 10)
    try:
        with pytest.raises(WarehouseLocked, match="stayed locked by another process"):
            Warehouse(path, lock_timeout=0.5).read("SELECT 1")
    finally:
        holder.kill()
        holder.wait()


def test_a_failed_transaction_leaves_the_tables_as_they_were(tmp_path):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    warehouse.replace_table("numbers", pd.DataFrame({"x": [1, 2]}))
    with pytest.raises(RuntimeError), warehouse.transaction() as conn:
        conn.execute("DELETE FROM numbers")
        raise RuntimeError("crash mid-write")
    assert warehouse.read("SELECT x FROM numbers ORDER BY x")["x"].tolist() == [1, 2]


def test_a_warehouse_from_an_earlier_version_gets_the_new_columns(tmp_path):
    import duckdb

    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as conn:  # raw_issues as it was before deleted_at existed
        conn.execute("CREATE TABLE raw_issues (repo VARCHAR, number INTEGER, title VARCHAR)")
        conn.execute("INSERT INTO raw_issues VALUES ('o/r', 1, 'kept')")
    warehouse = Warehouse(path)
    rows = warehouse.read("SELECT repo, number, title, deleted_at, fetched_at FROM raw_issues")
    assert rows[["repo", "number", "title"]].values.tolist() == [["o/r", 1, "kept"]]
    assert rows["deleted_at"].isna().all()
