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


READ = """
import sys, time
from issue_assets.warehouse import Warehouse
warehouse = Warehouse(sys.argv[1], lock_timeout=float(sys.argv[2]))
started = time.perf_counter()
with warehouse.connect(read_only=True) as conn:  # the object's first connection creates the tables (writes)
    pass
with warehouse.connect(read_only=True) as conn:
    print(conn.execute("SELECT count(*) FROM t").fetchone()[0], round(time.perf_counter() - started, 2), flush=True)
"""


def test_read_only_readers_of_two_processes_do_not_wait_for_each_other(tmp_path):
    path = tmp_path / "w.duckdb"
    warehouse = Warehouse(path)
    warehouse.replace_table("t", pd.DataFrame({"x": [1, 2, 3]}))
    holder = subprocess.Popen([sys.executable, "-c", HOLD_READ, str(path), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "reading"
        # The other process holds a read-only connection for 3 s: reads here go through at once.
        started = time.perf_counter()
        assert warehouse.row_count("t") == 3 and warehouse.table("t")["x"].tolist() == [1, 2, 3]
        assert time.perf_counter() - started < 2.0
        # A writer waits for that reader (DuckDB locks the file for one writer or many readers).
        with warehouse.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (4)")
        assert time.perf_counter() - started >= 0.5
    finally:
        holder.kill()
        holder.wait()
    assert warehouse.row_count("t") == 4


HOLD_READ = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1], read_only=True)
print("reading", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_read_waits_for_a_writer_of_another_process(tmp_path):
    path = tmp_path / "w.duckdb"
    Warehouse(path).replace_table("t", pd.DataFrame({"x": [1]}))
    holder = _hold_lock(path, 4)  # longer than the reader's start (imports), so that it finds the file locked
    out = subprocess.run([sys.executable, "-c", READ, str(path), "60"], capture_output=True, text=True, timeout=60)
    holder.wait(timeout=30)
    assert out.returncode == 0, out.stderr
    rows, waited = out.stdout.split()
    assert int(rows) == 1 and float(waited) >= 1.0


def test_a_read_in_a_process_that_is_writing_joins_its_connection(tmp_path):
    """DuckDB allows one configuration of a file per process: a read-only connection asked for while this
    process writes the file reads through the writer's database instead of failing."""
    warehouse = Warehouse(tmp_path / "w.duckdb", lock_timeout=5)
    warehouse.replace_table("t", pd.DataFrame({"x": [1]}))
    with warehouse.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (2)")
        assert warehouse.row_count("t") == 1  # the other connection does not see the open transaction
    assert warehouse.row_count("t") == 2


def test_read_only_connections_cannot_write(tmp_path):
    import duckdb

    warehouse = Warehouse(tmp_path / "w.duckdb")
    warehouse.replace_table("t", pd.DataFrame({"x": [1]}))
    with pytest.raises(duckdb.InvalidInputException, match="read-only"), warehouse.connect(read_only=True) as conn:
        conn.execute("INSERT INTO t VALUES (2)")


def test_the_resource_is_dagster_duckdbs_and_the_warehouse_connects_through_it(tmp_path):
    import dagster as dg
    from dagster_duckdb import DuckDBResource

    from issue_assets.defs.resources import WarehouseResource

    class Counting(WarehouseResource):
        def get_connection(self, read_only: bool = False):
            opened.append(read_only)
            return super().get_connection(read_only=read_only)

    opened: list[bool] = []
    resource = Counting(database=str(tmp_path / "w.duckdb"), lock_timeout_seconds=5)
    assert isinstance(resource, DuckDBResource)
    warehouse = resource.create_resource(dg.build_init_resource_context())
    warehouse.replace_table("t", pd.DataFrame({"x": [1]}))
    assert warehouse.table("t")["x"].tolist() == [1]
    # The write (which also creates the tables) and the named read after it, read-only, both through the resource.
    assert opened == [False, True]
    # A failure inside the block still closes the connection: the file is free for another process at once.
    with pytest.raises(RuntimeError), resource.get_connection() as conn:
        conn.execute("SELECT 1")
        raise RuntimeError("work failed")
    holder = _hold_lock(tmp_path / "w.duckdb", 0.1)
    holder.wait(timeout=30)
    assert holder.returncode == 0


def test_the_resource_waits_for_the_lock_up_to_its_timeout(tmp_path):
    from issue_assets.defs.resources import WarehouseResource

    path = tmp_path / "w.duckdb"
    holder = _hold_lock(path, 10)
    try:
        started = time.perf_counter()
        with pytest.raises(WarehouseLocked, match=r"lock timeout 1 s"), \
                WarehouseResource(database=str(path), lock_timeout_seconds=1).get_connection(read_only=True):
            pass
        assert 0.9 <= time.perf_counter() - started < 5
    finally:
        holder.kill()
        holder.wait()
