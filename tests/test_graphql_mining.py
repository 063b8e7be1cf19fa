"""The GraphQL path against the REST path: the same raw_issues and repo_metadata tables (content digests),
on a first mine, under faults, and after the data changed; what a refresh costs; how the API is chosen."""

from __future__ import annotations

import pytest

from issue_assets.emulator.server import EmulatorState, Faults, GitHubEmulator
from issue_assets.emulator.snapshot import read_snapshot
from issue_assets.github.access import GitHubAccess, resolve_api
from issue_assets.github.cache import ConditionalCache
from issue_assets.github.graphql import GraphQLClient, connection_cost, graphql_url
from issue_assets.mining import fetch_repositories
from issue_assets.warehouse import Warehouse, table_digest

TABLES = ("raw_issues", "repo_metadata")
FETCH_TIMES = ("fetched_at", "last_fetched_at")
TOKEN = "t0ken"


def _access(url: str, api: str, tokens=(TOKEN,), **kwargs) -> GitHubAccess:
    access = GitHubAccess(url, list(tokens), ConditionalCache(), api=api, **kwargs)
    return access


def _fast(access: GitHubAccess) -> GitHubAccess:
    """Clients that back off in milliseconds, not seconds (the tests' faults are many)."""
    rest, graphql = access.client, access.graphql_client

    def client():
        c = rest()
        c.backoff_base, c.secondary_limit_wait, c.max_retries = 0.001, 0.001, 12
        return c

    def graphql_client():
        c = graphql()
        c.backoff_base, c.secondary_limit_wait, c.max_retries = 0.001, 0.001, 12
        return c

    access.client, access.graphql_client = client, graphql_client
    return access


def _digests(warehouse: Warehouse) -> dict[str, str]:
    """Content digests; ``deleted_at`` is the time of the fetch that first missed an issue, so it is compared
    as the mark it is (two runs notice a deletion at different moments)."""
    out = {}
    for table in TABLES:
        frame = warehouse.table(table)
        if "deleted_at" in frame.columns:
            frame["deleted_at"] = frame["deleted_at"].notna()
        out[table] = table_digest(frame, FETCH_TIMES)
    return out


def _mine(url: str, api: str, warehouse: Warehouse, repos: list[str], **kwargs):
    with _fast(_access(url, api, **kwargs)) as access:
        run = fetch_repositories(access, warehouse, repos)
    assert not run.failed, run.failed
    return run


def _repos(snapshot) -> list[str]:
    return sorted(s.full_name for s in read_snapshot(snapshot))


def test_graphql_and_rest_store_identical_tables_and_graphql_needs_far_fewer_requests(start_emulator,
                                                                                       small_snapshot):
    repos = _repos(small_snapshot)
    emulator = start_emulator()
    rest, graphql = Warehouse(":memory:"), Warehouse(":memory:")
    _mine(emulator.url, "rest", rest, repos)
    rest_requests = emulator.stats()["requests"]
    emulator.reset_stats()
    run = _mine(emulator.url, "graphql", graphql, repos)
    served = emulator.stats()
    assert _digests(graphql) == _digests(rest)
    assert len(graphql.table("raw_issues")) == sum(
        "pull_request" not in i for s in read_snapshot(small_snapshot) for i in s.issues)
    # One probe, the issue pages (600 issues: at least 6 queries), one REST contributor count per repository.
    assert served["graphql_queries"] <= 1 + 600 // 100 + len(repos)
    assert served["requests"] - served["graphql_requests"] == len(repos)
    assert served["requests"] < rest_requests / 2
    assert run.stats.graphql_points == served["graphql_points"] and run.stats.requests == served["requests"]

    # A refresh where nothing changed: one probe query, no issue query, no REST request.
    emulator.reset_stats()
    _mine(emulator.url, "graphql", graphql, repos)
    served = emulator.stats()
    assert (served["requests"], served["graphql_points"]) == (1, 1)
    assert _digests(graphql) == _digests(rest)


def test_identical_after_the_data_changed_and_both_refreshed(start_emulator, small_snapshot):
    repos = _repos(small_snapshot)
    emulator = start_emulator()
    rest, graphql = Warehouse(":memory:"), Warehouse(":memory:")
    _mine(emulator.url, "rest", rest, repos)
    _mine(emulator.url, "graphql", graphql, repos)
    snaps = read_snapshot(small_snapshot)
    big = max(snaps, key=lambda s: len(s.issues))
    # The smallest repository with issues fits one REST page: REST lists it whole and so sees a deletion.
    small = min((s for s in snaps if 3 <= len(s.issues) <= 100), key=lambda s: len(s.issues))
    state = emulator.state
    numbers = sorted(i["number"] for i in big.issues if "pull_request" not in i and i["state"] == "open")
    closed = sorted(i["number"] for i in big.issues if "pull_request" not in i and i["state"] == "closed")
    state.add_issue(big.full_name, "New: error when running train.py", "Traceback ...")
    state.close_issue(big.full_name, numbers[0], actor="maintainer-x")
    state.reopen_issue(big.full_name, closed[0], actor="reporter-y")
    state.set_labels(big.full_name, numbers[1], ["bug", "needs triage"])  # a new label defined too
    state.set_assignees(big.full_name, numbers[2], ["maintainer-x"])
    state.edit_issue(big.full_name, numbers[3], title="Edited title")
    state.add_comment(big.full_name, numbers[4], user="someone")
    small_issues = sorted(i["number"] for i in small.issues if "pull_request" not in i)
    state.delete_issue(small.full_name, small_issues[0])
    state.close_issue(small.full_name, small_issues[-1], actor="closer-z")

    _mine(emulator.url, "rest", rest, repos)
    emulator.reset_stats()
    _mine(emulator.url, "graphql", graphql, repos)
    assert _digests(graphql) == _digests(rest)
    deleted = graphql.read("SELECT repo, number FROM raw_issues WHERE deleted_at IS NOT NULL")
    assert deleted.values.tolist() == [[small.full_name, small_issues[0]]]
    closer = graphql.read("SELECT closed_by FROM raw_issues WHERE repo = ? AND number = ?", [big.full_name, numbers[0]])
    assert closer["closed_by"].tolist() == ["maintainer-x"]
    labels = graphql.read("SELECT labels FROM repo_metadata WHERE repo = ?", [big.full_name])["labels"][0]
    assert "needs triage" in list(labels)
    # Only the two changed repositories were walked: the probe, their pages (the small one listed whole
    # again after the deletion), the new labels; no REST request (no repository was pushed to).
    served = emulator.stats()
    assert served["requests"] == served["graphql_requests"] <= 6


def test_identical_under_every_fault_with_halved_pages_and_spent_budgets(start_emulator, small_snapshot, caplog):
    repos = _repos(small_snapshot)
    clean = Warehouse(":memory:")
    _mine(start_emulator().url, "rest", clean, repos)
    # A page of 100 issues may return 100 x (1 + 20 + 10 + 1) = 3,200 nodes: past 1,700 GitHub "times out"
    # (502), 50 issues pass. 5% server errors, a secondary limit every 7 requests, broken bodies, and a
    # GraphQL budget of 12 points per 2 s that the mine spends several times over.
    faults = Faults(error_rate=0.05, secondary_every=7, retry_after=0, truncate_rate=0.03, drop_rate=0.02,
                    graphql_max_nodes=1700, seed=5)
    emulator = start_emulator(faults, graphql_rate_limit=12, rate_window=2.0, rate_limit=10_000)
    faulty = Warehouse(":memory:")
    run = _mine(emulator.url, "graphql", faulty, repos)
    assert _digests(faulty) == _digests(clean)
    served = emulator.stats()
    assert served["graphql_timeouts"] and served["secondary_limited"] and served["server_errors"]
    assert run.stats.wait_seconds > 0 and "GraphQL rate limit spent" in caplog.text


def test_unresolvable_repositories_go_through_rest_and_keep_its_states(small_snapshot):
    snaps = read_snapshot(small_snapshot)
    renamed, deleted, blocked, disabled = (s.full_name for s in snaps[:4])
    faults = Faults(renames={renamed: "new-owner/new-name"}, repo_status={deleted: 404, blocked: 451, disabled: 410})
    repos = sorted(s.full_name for s in snaps if s.full_name != disabled)
    tables = {}
    for api in ("rest", "graphql"):
        with GitHubEmulator(EmulatorState(read_snapshot(small_snapshot), faults)) as emulator:
            warehouse = Warehouse(":memory:")
            _mine(emulator.url, api, warehouse, repos)
            with _fast(_access(emulator.url, api)) as access:
                failed = fetch_repositories(access, warehouse, [disabled]).failed
            assert list(failed) == [disabled] and "Issues are disabled" in failed[disabled]
            tables[api] = warehouse
    assert _digests(tables["graphql"]) == _digests(tables["rest"])
    states = tables["graphql"].read("SELECT repo, state, full_name FROM repo_metadata ORDER BY repo")
    by_repo = {row.repo: (row.state, row.full_name) for row in states.itertuples()}
    assert by_repo[renamed] == ("renamed", "new-owner/new-name")
    assert by_repo[deleted][0] == "not_found" and by_repo[blocked][0] == "blocked"


def test_the_contributor_count_is_asked_again_only_when_the_repository_was_pushed_to(start_emulator,
                                                                                    small_snapshot):
    repos = _repos(small_snapshot)
    emulator = start_emulator()
    warehouse = Warehouse(":memory:")
    _mine(emulator.url, "graphql", warehouse, repos)
    pushed = emulator.state.find(repos[0])
    before = len(pushed.contributors)
    pushed.repo["pushed_at"] = "2022-12-24T00:00:00Z"
    pushed.contributors.append({"login": "newcomer", "contributions": 1})
    emulator.reset_stats()
    _mine(emulator.url, "graphql", warehouse, repos)
    served = emulator.stats()
    assert served["requests"] - served["graphql_requests"] == 1
    stored = warehouse.read("SELECT contributors FROM repo_metadata WHERE repo = ?", [repos[0]])
    assert stored["contributors"].tolist() == [before + 1]


def test_a_spent_graphql_budget_switches_token_and_rest_keeps_its_own(start_emulator, small_snapshot):
    repos = _repos(small_snapshot)
    # The mine needs about 20 points: more than one token's 14, less than two tokens'.
    emulator = start_emulator(graphql_rate_limit=14, rate_window=3600, tokens=["t-one", "t-two"])
    with _fast(_access(emulator.url, "graphql", tokens=("t-one", "t-two"), max_wait_seconds=0)) as access:
        run = fetch_repositories(access, Warehouse(":memory:"), repos)
        assert not run.failed
        graphql_left = sorted(s.budgets["graphql"].remaining for s in access.pool.states)
        rest_left = [s.remaining for s in access.pool.states]
    assert run.stats.graphql_points > 14 and max(graphql_left) < 14  # both tokens spent points
    assert all(r is not None and r > 4000 for r in rest_left)


def test_the_api_is_chosen_by_token_and_setting():
    assert resolve_api("auto", [None]) == "rest" and resolve_api("auto", ["x"]) == "graphql"
    assert resolve_api(None, ["x"]) == "graphql" and resolve_api("REST", ["x"]) == "rest"
    with pytest.raises(ValueError, match="anonymous GraphQL"):
        resolve_api("graphql", [None])
    with pytest.raises(ValueError, match="auto, graphql, rest"):
        resolve_api("soap", ["x"])
    env = {"GITHUB_API_URL": "https://ghe.example.com/api/v3", "GITHUB_TOKEN": "a,b", "ISSUE_ASSETS_API": "rest"}
    assert GitHubAccess.from_env(":memory:", env).api == "rest"
    assert GitHubAccess.from_env(":memory:", {**env, "ISSUE_ASSETS_API": ""}).api == "graphql"
    assert graphql_url("https://api.github.com") == "https://api.github.com/graphql"
    assert graphql_url("https://ghe.example.com/api/v3/") == "https://ghe.example.com/api/graphql"
    with pytest.raises(Exception, match="no anonymous GraphQL"):
        GraphQLClient("https://api.github.com", None)


def test_the_client_predicts_githubs_cost_of_its_issue_pages():
    # issues(first: 100) with labels(first: 20), assignees(first: 10), timelineItems(last: 1): 301 requests.
    assert connection_cost([(100,), (100, 20), (100, 10), (100, 1)]) == (3, 100 + 2000 + 1000 + 100)
    assert connection_cost([(4,), (4, 20), (4, 10), (4, 1)])[0] == 1  # the minimum


def test_a_refused_token_stops_the_graphql_path_once_not_once_per_repository(start_emulator, small_snapshot,
                                                                             tmp_path):
    from issue_assets.github.errors import AuthenticationError

    emulator = start_emulator(tokens=["the-right-token"])
    warehouse = Warehouse(tmp_path / "w.duckdb")
    with _fast(_access(emulator.url, "graphql", tokens=("wrong",))) as access, \
            pytest.raises(AuthenticationError):
        fetch_repositories(access, warehouse, _repos(small_snapshot))
    assert access.stopped.is_set() and emulator.stats()["requests"] == 1  # the probe, refused; nothing after it
