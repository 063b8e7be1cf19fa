"""The emulator's GraphQL API: GitHub's schema, cost and node rules, its failure answers, and the same data
and mutations as the REST routes."""

from __future__ import annotations

import pytest
import requests
from graphql import parse

from issue_assets.emulator.graphql import QueryError, github_schema, query_cost
from issue_assets.emulator.server import EmulatorState, Faults, GitHubEmulator
from issue_assets.emulator.snapshot import read_snapshot

AUTH = {"Authorization": "bearer t0ken"}
ISSUES_PAGE = """
query($owner: String!, $name: String!, $after: String) {
  rateLimit { cost remaining resetAt nodeCount }
  repository(owner: $owner, name: $name) {
    issues(first: 100, after: $after, orderBy: {field: UPDATED_AT, direction: ASC}) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes {
        number databaseId state title comments { totalCount } labels(first: 20) { nodes { name } }
        timelineItems(itemTypes: [CLOSED_EVENT], last: 1) { nodes { ... on ClosedEvent { actor { login } } } }
      }
    }
  }
}"""


def _cost(query: str, variables: dict | None = None):
    schema = github_schema()
    document = parse(query)
    return query_cost(schema, document, document.definitions[0], variables or {})


def test_cost_and_node_count_follow_githubs_documented_examples():
    # docs.github.com, "Rate limits and node limits": 5,101 requests, 51 points.
    cost = _cost("""query { viewer { login repositories(first: 100) { edges { node { id
                  issues(first: 50) { edges { node { id labels(first: 60) { edges { node { id name } } } } } }
                  } } } } }""")
    assert (cost.requests, cost.points) == (5101, 51)
    # The simple node-count example: 50 repositories + 50 x 10 issues = 550 nodes.
    simple = _cost("""query { viewer { repositories(first: 50) { edges { repository: node { name
                    issues(first: 10) { totalCount edges { node { title bodyHTML } } } } } } } }""")
    assert simple.nodes == 550
    # A connection asked only for its count costs nothing; the minimum is 1 point.
    assert _cost('query { repository(owner: "a", name: "b") { issues { totalCount } } }').points == 1
    # A page of 100 issues with three nested connections: 1 + 3 x 100 requests.
    page = _cost(ISSUES_PAGE, {"owner": "a", "name": "b"})
    assert (page.requests, page.points, page.nodes) == (201, 2, 100 + 100 * 20 + 100)


def test_pagination_bounds_and_the_node_limit_are_refused_before_running():
    with pytest.raises(QueryError, match="must provide a `first` or `last`"):
        _cost('query { repository(owner: "a", name: "b") { issues { nodes { id } } } }')
    with pytest.raises(QueryError, match="exceeds the `first` limit of 100"):
        _cost('query { repository(owner: "a", name: "b") { issues(first: 101) { nodes { id } } } }')
    # 100 x 100 x 100 = 1,000,000 possible labels: over GitHub's 500,000.
    with pytest.raises(QueryError, match="exceeds the maximum limit of 500,000") as info:
        _cost("""query { viewer { repositories(first: 100) { nodes { issues(first: 100) { nodes {
                 labels(first: 100) { nodes { name } } } } } } } }""")
    assert info.value.messages[0]["type"] == "MAX_NODE_LIMIT_EXCEEDED"


def _post(emulator: GitHubEmulator, query: str, variables: dict | None = None, headers: dict | None = None):
    return requests.post(f"{emulator.url}/graphql", json={"query": query, "variables": variables or {}},
                         headers=AUTH if headers is None else headers, timeout=30)


def _biggest(snapshot):
    return max(read_snapshot(snapshot), key=lambda s: len(s.issues))


def _all_issues(emulator: GitHubEmulator, full_name: str) -> list[dict]:
    owner, name = full_name.split("/")
    nodes, after = [], None
    while True:
        reply = _post(emulator, ISSUES_PAGE, {"owner": owner, "name": name, "after": after})
        assert reply.status_code == 200, reply.text
        page = reply.json()["data"]["repository"]["issues"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def test_issues_are_served_from_the_same_data_as_rest_without_pull_requests(start_emulator, small_snapshot):
    emulator = start_emulator()
    snap = _biggest(small_snapshot)
    nodes = _all_issues(emulator, snap.full_name)
    issues = {i["number"]: i for i in snap.issues if "pull_request" not in i}
    assert sorted(n["number"] for n in nodes) == sorted(issues)
    closers = {}
    for event in sorted(snap.events, key=lambda e: e["id"]):
        if event["event"] == "closed":
            closers[event["issue"]["number"]] = event["actor"]["login"]
    for node in nodes:
        issue = issues[node["number"]]
        assert (node["databaseId"], node["state"], node["title"]) == (issue["id"], issue["state"].upper(),
                                                                      issue["title"])
        assert node["comments"]["totalCount"] == issue["comments"]
        assert [label["name"] for label in node["labels"]["nodes"]] == [label["name"] for label in issue["labels"]]
        closed_by = [n["actor"]["login"] for n in node["timelineItems"]["nodes"]]
        assert closed_by == ([closers[node["number"]]] if node["number"] in closers else [])
    stats = emulator.stats()
    pages = -(-len(issues) // 100)
    assert stats["graphql_queries"] == pages and stats["graphql_points"] == 2 * pages
    assert requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()["graphql_points"] == 2 * pages


def test_mutations_are_seen_by_graphql_as_by_rest(start_emulator, small_snapshot):
    emulator = start_emulator()
    snap = _biggest(small_snapshot)
    open_issue = next(i for i in snap.issues if "pull_request" not in i and i["state"] == "open")
    emulator.state.close_issue(snap.full_name, open_issue["number"], actor="maintainer-x")
    emulator.state.set_labels(snap.full_name, open_issue["number"], ["bug", "needs triage"])
    owner, name = snap.full_name.split("/")
    reply = _post(emulator, """query($owner: String!, $name: String!, $number: Int!) {
        repository(owner: $owner, name: $name) {
          latest: issues(first: 1, orderBy: {field: UPDATED_AT, direction: DESC}) { nodes { number updatedAt } }
          issue(number: $number) { state stateReason labels(first: 10) { nodes { name } }
            timelineItems(itemTypes: [CLOSED_EVENT], last: 1) { nodes { ... on ClosedEvent { actor { login } } } } }
        } }""", {"owner": owner, "name": name, "number": open_issue["number"]})
    data = reply.json()["data"]["repository"]
    rest = requests.get(f"{emulator.url}/repos/{snap.full_name}/issues/{open_issue['number']}", timeout=5).json()
    assert data["latest"]["nodes"][0] == {"number": open_issue["number"], "updatedAt": rest["updated_at"]}
    assert data["issue"]["state"] == "CLOSED" and data["issue"]["stateReason"] == "COMPLETED"
    assert [label["name"] for label in data["issue"]["labels"]["nodes"]] == ["bug", "needs triage"]
    assert data["issue"]["timelineItems"]["nodes"] == [{"actor": {"login": "maintainer-x"}}]
    assert rest["closed_by"]["login"] == "maintainer-x"


def test_a_spent_budget_is_http_200_with_rate_limited_and_rest_keeps_its_own(start_emulator, small_snapshot):
    emulator = start_emulator(rate_limit=100, graphql_rate_limit=3)
    snap = _biggest(small_snapshot)
    owner, name = snap.full_name.split("/")
    first = _post(emulator, ISSUES_PAGE, {"owner": owner, "name": name})
    assert first.json()["data"]["rateLimit"]["remaining"] == 1 and first.headers["x-ratelimit-resource"] == "graphql"
    spent = _post(emulator, ISSUES_PAGE, {"owner": owner, "name": name})
    assert spent.status_code == 200 and spent.headers["x-ratelimit-remaining"] == "0"
    assert [e["type"] for e in spent.json()["errors"]] == ["RATE_LIMITED"] and "data" not in spent.json()
    rest = requests.get(f"{emulator.url}/repos/{snap.full_name}", headers=AUTH, timeout=5)
    assert rest.status_code == 200 and rest.headers["x-ratelimit-remaining"] == "99"
    assert emulator.stats()["graphql_rate_limited"] == 1


def test_unresolvable_repositories_are_null_with_a_not_found_error_per_alias(small_snapshot):
    snaps = read_snapshot(small_snapshot)
    deleted, renamed, kept = snaps[0].full_name, snaps[1].full_name, snaps[2].full_name
    state = EmulatorState(snaps, Faults(repo_status={deleted: 404}, renames={renamed: "moved/away"}))
    with GitHubEmulator(state) as emulator:
        aliases = {"a": deleted, "b": renamed, "c": kept, "d": "nobody/nothing"}
        query = "query {" + " ".join(
            f'{alias}: repository(owner: "{full.split("/")[0]}", name: "{full.split("/")[1]}", followRenames: false)'
            " { nameWithOwner }" for alias, full in aliases.items()) + " }"
        body = _post(emulator, query).json()
        assert body["data"] == {"a": None, "b": None, "c": {"nameWithOwner": kept}, "d": None}
        assert sorted((e["path"], e["type"]) for e in body["errors"]) == [(["a"], "NOT_FOUND"), (["b"], "NOT_FOUND"),
                                                                         (["d"], "NOT_FOUND")]
        # By default GraphQL follows a rename, as GitHub does; the new name tells the client.
        owner, name = renamed.split("/")
        follow = _post(emulator, f'query {{ repository(owner: "{owner}", name: "{name}") {{ nameWithOwner }} }}')
        assert follow.json()["data"]["repository"]["nameWithOwner"] == "moved/away"


def test_faults_heavy_queries_502_secondary_limits_and_anonymous_callers(start_emulator, small_snapshot):
    snap = _biggest(small_snapshot)
    owner, name = snap.full_name.split("/")
    emulator = start_emulator(Faults(graphql_max_nodes=150))
    heavy = _post(emulator, ISSUES_PAGE, {"owner": owner, "name": name})
    assert heavy.status_code == 502 and "timeout" in heavy.json()["errors"][0]["message"]
    light = _post(emulator, ISSUES_PAGE.replace("first: 100", "first: 5"), {"owner": owner, "name": name})
    assert light.status_code == 200 and len(light.json()["data"]["repository"]["issues"]["nodes"]) == 5
    assert emulator.stats()["graphql_timeouts"] == 1
    limited = start_emulator(Faults(secondary_every=1, retry_after=7))
    refused = _post(limited, "query { rateLimit { cost } }")
    assert refused.status_code == 403 and refused.headers["retry-after"] == "7"
    assert "secondary rate limit" in refused.json()["message"]
    anonymous = _post(emulator, "query { rateLimit { cost } }", headers={})
    assert anonymous.status_code == 401 and "requires you to be authenticated" in anonymous.json()["message"]
    enterprise = requests.post(f"{emulator.url}/api/graphql", json={"query": "query { rateLimit { limit } }"},
                               headers=AUTH, timeout=5)
    assert enterprise.json()["data"]["rateLimit"]["limit"] == 5000


def test_gql_an_unmodified_graphql_client_reads_every_issue_of_a_snapshot(start_emulator, small_snapshot):
    gql = pytest.importorskip("gql", reason="gql is a dev dependency: pip install -e '.[dev]'")
    from gql.transport.requests import RequestsHTTPTransport

    emulator = start_emulator()
    transport = RequestsHTTPTransport(url=f"{emulator.url}/graphql", headers=AUTH, timeout=30)
    # The client checks every query against the schema it reads from the server (introspection).
    client = gql.Client(transport=transport, fetch_schema_from_transport=True)
    query = gql.gql("""query($owner: String!, $name: String!, $after: String) {
        repository(owner: $owner, name: $name) {
          issues(first: 50, after: $after) { pageInfo { hasNextPage endCursor } nodes { number title } } } }""")
    with client as session:
        for snap in read_snapshot(small_snapshot):
            owner, name = snap.full_name.split("/")
            numbers, after = [], None
            while True:
                query.variable_values = {"owner": owner, "name": name, "after": after}
                page = session.execute(query)
                issues = page["repository"]["issues"]
                numbers += [node["number"] for node in issues["nodes"]]
                if not issues["pageInfo"]["hasNextPage"]:
                    break
                after = issues["pageInfo"]["endCursor"]
            assert sorted(numbers) == sorted(i["number"] for i in snap.issues if "pull_request" not in i)
        assert session.client.schema.type_map["Repository"].fields["issues"]
