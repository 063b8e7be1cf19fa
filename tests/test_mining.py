"""Fetching and storing one repository: first fetch, incremental refresh, unavailable repositories."""

from __future__ import annotations

import pandas as pd

from issue_assets.emulator.server import Faults
from issue_assets.emulator.snapshot import read_snapshot
from issue_assets.mining import ISSUE_COLUMNS, FetchState, merge_issues, refresh_repository
from issue_assets.warehouse import Warehouse
from tests.conftest import read_csv_rows

_fetch_and_store = refresh_repository


def _busiest(snapshot):
    return max(read_snapshot(snapshot), key=lambda s: len(s.issues))


def test_first_fetch_stores_issues_without_pull_requests_and_with_closers(start_emulator, make_client, small_snapshot):
    emulator = start_emulator()
    snap = _busiest(small_snapshot)
    warehouse = Warehouse(":memory:")
    _, stored = _fetch_and_store(make_client(emulator.url), warehouse, snap.full_name)
    rows = warehouse.read("SELECT * FROM raw_issues ORDER BY number")
    expected = [i for i in snap.issues if "pull_request" not in i]
    assert len(rows) == len(expected) == stored.issues
    assert not rows["is_pull_request"].any()
    assert rows["number"].tolist() == sorted(i["number"] for i in expected)
    closed = rows[rows["state"] == "closed"]
    assert closed["closed_by"].notna().all() and rows.loc[rows["state"] == "open", "closed_by"].isna().all()
    truth = {(r["repo"], int(r["number"])): r["category"] for r in read_csv_rows(small_snapshot / "truth.csv")}
    assert all((snap.full_name, n) in truth for n in rows["number"])
    meta = warehouse.read("SELECT * FROM repo_metadata").iloc[0]
    assert meta["state"] == "ok" and meta["stars"] == snap.repo["stargazers_count"]
    assert meta["n_labels_defined"] == len(snap.labels) and meta["contributors"] == len(snap.contributors)
    state = warehouse.read("SELECT * FROM fetch_state").iloc[0]
    assert state["issues_cursor"] and state["newest_event_id"] > 0


def test_refresh_fetches_only_changes_and_merges_them(start_emulator, make_client, small_snapshot):
    emulator = start_emulator()
    snap = _busiest(small_snapshot)
    repo = snap.full_name
    warehouse = Warehouse(":memory:")
    client = make_client(emulator.url)
    _fetch_and_store(client, warehouse, repo)
    before = warehouse.read("SELECT * FROM raw_issues ORDER BY number")
    open_number = int(before.loc[before["state"] == "open", "number"].iloc[0])
    closed_number = int(before.loc[before["state"] == "closed", "number"].iloc[0])
    emulator.state.close_issue(repo, open_number, actor="a-maintainer")
    emulator.state.reopen_issue(repo, closed_number, actor="someone")
    new_number = emulator.state.add_issue(repo, "KeyError when running demo.py", "Traceback ...")
    emulator.state.add_issue(repo, "Add a Colab notebook", "", pull_request=True)

    fetch, stored = _fetch_and_store(client, warehouse, repo)
    assert not fetch.complete
    assert stored.changed == 3  # the PR is not an issue
    after = warehouse.read("SELECT * FROM raw_issues ORDER BY number").set_index("number")
    assert len(after) == len(before) + 1
    assert after.loc[open_number, "state"] == "closed" and after.loc[open_number, "closed_by"] == "a-maintainer"
    assert after.loc[closed_number, "state"] == "open" and pd.isna(after.loc[closed_number, "closed_by"])
    assert after.loc[new_number, "title"] == "KeyError when running demo.py"
    untouched = before.set_index("number").drop(index=[open_number, closed_number])
    pd.testing.assert_series_equal(after.loc[untouched.index, "closed_by"], untouched["closed_by"])

    # Nothing changed: every request is conditional and answered 304.
    fetch, stored = _fetch_and_store(client, warehouse, repo)
    assert stored.changed == 0 and fetch.stats.rate_limit_points == 0
    assert fetch.stats.not_modified == fetch.stats.requests


def test_full_refresh_refetches_everything(start_emulator, make_client, small_snapshot):
    emulator = start_emulator()
    repo = _busiest(small_snapshot).full_name
    warehouse = Warehouse(":memory:")
    client = make_client(emulator.url)
    _, first = _fetch_and_store(client, warehouse, repo)
    closers = warehouse.read("SELECT number, closed_by FROM raw_issues ORDER BY number")
    fetch, again = _fetch_and_store(client, warehouse, repo, full_refresh=True)
    assert fetch.complete and again.changed == 0 and first.issues == again.issues
    pd.testing.assert_frame_equal(warehouse.read("SELECT number, closed_by FROM raw_issues ORDER BY number"), closers)


def test_small_repository_refresh_keeps_closers_and_marks_deleted_issues(start_emulator, make_client,
                                                                         small_snapshot):
    """One page of issues: each refresh is a complete listing (one conditional request)."""
    emulator = start_emulator()
    snap = min((s for s in read_snapshot(small_snapshot) if 0 < len(s.issues) < 100), key=lambda s: len(s.issues))
    warehouse = Warehouse(":memory:")
    client = make_client(emulator.url)
    _fetch_and_store(client, warehouse, snap.full_name)
    before = warehouse.read("SELECT number, state, closed_by FROM raw_issues ORDER BY number")
    assert before.loc[before["state"] == "closed", "closed_by"].notna().all()
    fetch, stored = _fetch_and_store(client, warehouse, snap.full_name)
    assert fetch.complete and stored.changed == 0
    pd.testing.assert_frame_equal(warehouse.read("SELECT number, state, closed_by FROM raw_issues ORDER BY number"),
                                  before)
    deleted = int(before["number"].iloc[0])
    emulator.state.delete_issue(snap.full_name, deleted)
    fetch, stored = _fetch_and_store(client, warehouse, snap.full_name)
    # Kept as last seen, marked with the fetch that first missed it; no longer counted as an issue.
    rows = warehouse.read("SELECT number, state, deleted_at FROM raw_issues ORDER BY number")
    assert rows["deleted_at"].notna().tolist() == (rows["number"] == deleted).tolist()
    assert stored.deleted == 1 and stored.issues == len(before) - 1
    marked_at = rows.loc[rows["number"] == deleted, "deleted_at"].iloc[0]
    _, again = _fetch_and_store(client, warehouse, snap.full_name)
    assert again.deleted == 0 and warehouse.read(
        f"SELECT deleted_at FROM raw_issues WHERE number = {deleted}")["deleted_at"].iloc[0] == marked_at


def test_unavailable_repository_keeps_its_issues(start_emulator, make_client, small_snapshot):
    snap = _busiest(small_snapshot)
    warehouse = Warehouse(":memory:")
    _, first = _fetch_and_store(make_client(start_emulator().url), warehouse, snap.full_name)
    gone = start_emulator(Faults(repo_status={snap.full_name: 404}))
    fetch, stored = _fetch_and_store(make_client(gone.url), warehouse, snap.full_name)
    assert fetch.state == "not_found" and stored.issues is None
    assert len(warehouse.read("SELECT * FROM raw_issues")) == first.issues
    assert warehouse.read("SELECT state, http_status FROM repo_metadata").iloc[0].tolist() == ["not_found", 404]


def test_renamed_repository_is_followed(start_emulator, make_client, small_snapshot):
    snap = _busiest(small_snapshot)
    owner = snap.full_name.split("/")[0]
    emulator = start_emulator(Faults(renames={snap.full_name: f"{owner}/renamed-repo"}))
    warehouse = Warehouse(":memory:")
    fetch, stored = _fetch_and_store(make_client(emulator.url), warehouse, snap.full_name)
    assert fetch.state == "renamed" and stored.issues > 0
    meta = warehouse.read("SELECT repo, full_name FROM repo_metadata").iloc[0]
    assert meta["repo"] == snap.full_name and meta["full_name"] == f"{owner}/renamed-repo"
    assert set(warehouse.read("SELECT DISTINCT repo FROM raw_issues")["repo"]) == {snap.full_name}


def test_merge_keeps_known_closers_and_drops_them_on_reopen():
    def rows(*specs):
        return pd.DataFrame([{"repo": "o/r", "number": n, "state": s, "closed_by": c} for n, s, c in specs],
                            columns=ISSUE_COLUMNS)

    previous = rows((1, "closed", "alice"), (2, "closed", "bob"), (3, "open", None))
    changed = rows((2, "open", None), (3, "closed", None), (4, "closed", None))
    merged = merge_issues(previous, changed, {3: "carol"}).set_index("number")
    assert merged["closed_by"].to_dict() == {1: "alice", 2: None, 3: "carol", 4: None}
    assert merge_issues(previous.iloc[0:0], previous.iloc[0:0], {}).empty
    assert FetchState.from_row(None) == FetchState()


def test_an_issue_that_comes_back_is_alive_again():
    from datetime import datetime


    def rows(*numbers: int) -> pd.DataFrame:
        return pd.DataFrame([{"repo": "o/r", "number": n, "state": "open", "updated_at": pd.Timestamp("2022-01-01"),
                              "deleted_at": None} for n in numbers], columns=ISSUE_COLUMNS)

    seen = datetime(2022, 3, 1)
    marked = merge_issues(rows(1, 2, 3), rows(1, 3), {}, complete=True, fetched_at=seen)
    assert marked.set_index("number")["deleted_at"].isna().to_dict() == {1: True, 2: False, 3: True}
    assert marked.set_index("number").loc[2, "deleted_at"] == pd.Timestamp(seen)
    incremental = merge_issues(marked, rows(3), {}, complete=False)  # a since-window cannot see deletions
    assert incremental["deleted_at"].notna().sum() == 1
    back = merge_issues(marked, rows(1, 2, 3), {}, complete=True, fetched_at=datetime(2022, 4, 1))
    assert back["deleted_at"].isna().all()


def test_a_refresh_that_changed_nothing_rewrites_no_row_but_records_the_fetch(start_emulator, make_client,
                                                                                small_snapshot):
    emulator = start_emulator()
    snap = _busiest(small_snapshot)
    warehouse = Warehouse(":memory:")
    client = make_client(emulator.url)
    _fetch_and_store(client, warehouse, snap.full_name)
    before = warehouse.read("SELECT * FROM raw_issues ORDER BY number")
    first_fetch = warehouse.read("SELECT last_fetched_at FROM fetch_state")["last_fetched_at"].iloc[0]
    _, stored = _fetch_and_store(client, warehouse, snap.full_name)
    assert stored.changed == 0
    pd.testing.assert_frame_equal(warehouse.read("SELECT * FROM raw_issues ORDER BY number"), before)
    assert warehouse.read("SELECT last_fetched_at FROM fetch_state")["last_fetched_at"].iloc[0] > first_fetch
    # One change: the repository's rows are written again.
    number = int(before.loc[before["state"] == "open", "number"].iloc[0])
    emulator.state.add_comment(snap.full_name, number, "someone")
    _, stored = _fetch_and_store(client, warehouse, snap.full_name)
    after = warehouse.read("SELECT * FROM raw_issues ORDER BY number")
    assert stored.changed == 1 and int(after.loc[after["number"] == number, "comments"].iloc[0]) == \
        int(before.loc[before["number"] == number, "comments"].iloc[0]) + 1


def test_timestamps_become_naive_utc_whatever_their_form():
    from datetime import UTC, datetime

    from issue_assets.mining import _timestamp

    expected = datetime(2022, 1, 1, 8, 0)
    assert _timestamp("2022-01-01T08:00:00Z") == expected
    assert _timestamp("2022-01-01T10:00:00+02:00") == expected
    assert _timestamp("Jan 1 2022 08:00") == expected  # not ISO 8601: pandas reads it
    assert _timestamp(datetime(2022, 1, 1, 8, tzinfo=UTC)) == expected
    assert _timestamp(pd.Timestamp("2022-01-01 08:00")) == expected
    assert _timestamp(None) is None and _timestamp("") is None
