"""GitHub's GraphQL API (v4) for mining: many repositories per query, issues with everything a row needs.

Why: a REST first mine needs one request per 100 issues *or pull requests*, one per 100 issue events (for
the closers) and three per repository; GraphQL returns a page of 100 issues (no pull requests) with their
labels, assignees, counts and the actor of their last ``ClosedEvent``, and one query carries several small
repositories (aliases), each asking ``first`` for what it still needs. Its points (5,000 an hour) are a
budget separate from REST's requests.

What it handles, each as GitHub does it:

* a spent budget answered HTTP 200 with ``errors[].type == "RATE_LIMITED"``: the token's GraphQL budget is
  marked spent and the pool switches token or waits for the reset;
* ``NOT_FOUND`` (or ``FORBIDDEN``) per alias, with that alias ``null`` and the others served: the
  repository is reported (:attr:`RepositoryProbe.error`), and the miner asks REST for its state;
* 502/504 for queries that run past GitHub's time limit: :class:`QueryTimeout`, and the walk halves the
  issues it asks for in one query and tries again;
* secondary limits (403/429 with ``retry-after``, or a body naming them), 5xx, dropped connections and
  broken bodies: waited for or retried, as the REST client does;
* GitHub's own rules when building queries: ``first`` <= 100 and at most 500,000 nodes per query.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from issue_assets.github.client import USER_AGENT, RequestStats, parse_repo_name
from issue_assets.github.errors import (
    AuthenticationError,
    FetchCancelled,
    GitHubError,
    GitHubHTTPError,
    RateLimitExceeded,
    RetriesExhausted,
)
from issue_assets.github.times import normalize_timestamp, parse_timestamp
from issue_assets.github.tokens import TokenPool, tokens_from

logger = logging.getLogger("issue_assets.github")

MAX_PAGE = 100  # GitHub: first/last within 1-100
MAX_NODES = 500_000  # GitHub: nodes one query may ask for
ISSUES_PER_QUERY = 100  # issues one walk query asks for at most, summed over its repositories
PROBE_BATCH = 100  # repositories per probe query
ISSUE_LABELS = 20  # labels asked per issue (an issue with more gets them in a follow-up query)
ISSUE_ASSIGNEES = 10  # GitHub allows at most 10 assignees per issue
_SECONDARY_LIMIT_TEXT = ("secondary rate limit", "abuse detection", "abuse-rate-limits")

ISSUE_FIELDS = f"""
fragment IssueFields on Issue {{
  databaseId number title body state stateReason locked url authorAssociation createdAt updatedAt closedAt
  author {{ login }}
  milestone {{ title }}
  comments {{ totalCount }}
  reactions {{ totalCount }}
  labels(first: {ISSUE_LABELS}) {{ totalCount nodes {{ name }} }}
  assignees(first: {ISSUE_ASSIGNEES}) {{ totalCount nodes {{ login }} }}
  timelineItems(itemTypes: [CLOSED_EVENT], last: 1) {{ nodes {{ ... on ClosedEvent {{ actor {{ login }} }} }} }}
}}"""

REPOSITORY_FIELDS = """
  databaseId nameWithOwner description stargazerCount forkCount isArchived isFork hasIssuesEnabled
  createdAt pushedAt updatedAt
  owner { __typename login }
  primaryLanguage { name }
  licenseInfo { spdxId }
  watchers { totalCount }
  allIssues: issues { totalCount }
  openIssues: issues(states: OPEN) { totalCount }
  allPullRequests: pullRequests { totalCount }
  openPullRequests: pullRequests(states: OPEN) { totalCount }"""


def graphql_url(base_url: str) -> str:
    """The GraphQL endpoint of a REST API root: ``https://api.github.com/graphql``, and for GitHub
    Enterprise (``https://HOST/api/v3``) ``https://HOST/api/graphql``."""
    base = base_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base[: -len("/v3")] + "/graphql"
    return base + "/graphql"


def connection_cost(sizes: Iterable[Sequence[int]]) -> tuple[int, int]:
    """GitHub's (points, nodes) of a query from each connection's chain of page sizes, outermost first:
    requests are the product of the parents' sizes, nodes that times the connection's own size; points
    are requests / 100, rounded, at least 1."""
    requests_, nodes = 0, 0
    for chain in sizes:
        parents = math.prod(chain[:-1])
        requests_ += parents
        nodes += parents * chain[-1]
    return max(1, math.floor(requests_ / 100 + 0.5)), nodes


def _issue_chains(first: int) -> list[tuple[int, ...]]:
    """The connections of one ``issues(first: N) { ...IssueFields }`` (counts-only ones cost nothing)."""
    return [(first,), (first, ISSUE_LABELS), (first, ISSUE_ASSIGNEES), (first, 1)]


class QueryTimeout(GitHubHTTPError):
    """GitHub gave up on a query (502/504, usually past its 10 s limit): ask for less and try again."""


class GraphQLQueryError(GitHubError):
    """GitHub refused a query (it names what is wrong); a bug of the query, not worth a retry."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__("GitHub refused the GraphQL query: " + "; ".join(str(e.get("message")) for e in errors[:5]))


@dataclass
class GraphQLResult:
    data: dict
    errors: list[dict]
    cost: int | None

    def alias_errors(self) -> dict[str, dict]:
        """The first error of each top-level alias (``NOT_FOUND``, ``FORBIDDEN``...)."""
        out: dict[str, dict] = {}
        for error in self.errors:
            path = error.get("path") or []
            if path and isinstance(path[0], str):
                out.setdefault(path[0], error)
        return out


class GraphQLClient:
    """Sends GraphQL queries with the run's token pool (GraphQL points budget), waiting and retrying as
    GitHub asks. Counts into ``stats`` (share it with the REST client of the same thread if wanted)."""

    def __init__(self, base_url: str, tokens: Sequence[str] | str | None = None, *, pool: TokenPool | None = None,
                 session: requests.Session | None = None, timeout: float = 60.0, max_retries: int = 6,
                 backoff_base: float = 1.0, backoff_cap: float = 120.0, secondary_limit_wait: float = 60.0,
                 max_wait_seconds: float | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, rng: random.Random | None = None,
                 log: logging.Logger | logging.LoggerAdapter | None = None, stats: RequestStats | None = None,
                 should_stop: Callable[[], bool] | None = None):
        if not urlsplit(base_url).scheme or not urlsplit(base_url).netloc:
            raise ValueError(f"GITHUB_API_URL must be an absolute http(s) URL, got {base_url!r}")
        tokens = tokens_from(tokens)
        if not any(tokens):
            raise AuthenticationError("GitHub serves no anonymous GraphQL: set GITHUB_TOKEN, or use the REST API "
                                      "(ISSUE_ASSETS_API=rest)")
        if pool is not None and [state.token for state in pool.states] != tokens:
            raise ValueError("a shared token pool must hold exactly the client's tokens")
        self.url = graphql_url(base_url)
        self.pool = pool if pool is not None else TokenPool(tokens)
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.secondary_limit_wait = secondary_limit_wait
        self.max_wait_seconds = max_wait_seconds
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self.log = log or logger
        self.stats = stats if stats is not None else RequestStats()
        self.should_stop = should_stop  # as GitHubClient's: asked before each query and during waits

    def _stop_if_asked(self) -> None:
        if self.should_stop is not None and self.should_stop():
            raise FetchCancelled("the run stopped this fetch")

    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return delay * (0.5 + self._rng.random() / 2)

    def _wait(self, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        if self.max_wait_seconds is not None and seconds > self.max_wait_seconds:
            raise RateLimitExceeded(f"{why}: would wait {seconds:.0f} s, more than max_wait_seconds="
                                    f"{self.max_wait_seconds:.0f}")
        self.log.warning("%s: waiting %.1f s", why, seconds)
        self.stats.wait_seconds += seconds
        left = seconds
        while left > 0:  # in slices: a stopped run must not sit out an hour's reset
            self._stop_if_asked()
            self._sleep(min(1.0, left))
            left -= 1.0

    def _retry(self, attempt: int, reason: str, delay: float | None = None) -> int:
        if attempt >= self.max_retries:
            raise RetriesExhausted(f"POST {self.url} failed {attempt + 1} times; last: {reason}")
        self.stats.retries += 1
        self._wait(self._backoff(attempt) if delay is None else delay,
                   f"POST {self.url}: {reason} (retry {attempt + 1}/{self.max_retries})")
        return attempt + 1

    def query(self, text: str, variables: Mapping[str, Any] | None = None, estimate: int = 1) -> GraphQLResult:
        """Run one query; ``estimate``: its points, counted against the token before it is sent so that
        threads sharing the pool do not overspend. A 502/504 raises :class:`QueryTimeout` (ask for less)."""
        payload = json.dumps({"query": text, "variables": dict(variables or {})}).encode()
        attempt = 0
        while True:
            self._stop_if_asked()
            self._wait(self.pool.seconds_until_available(self._clock(), "graphql"),
                       f"GraphQL rate limit spent on all {len(self.pool.states)} token(s)")
            token = self.pool.take(self._clock(), "graphql", estimate)
            headers = {"Authorization": f"bearer {token.token}", "Content-Type": "application/json",
                       "Accept": "application/json"}
            try:
                raw = self.session.post(self.url, data=payload, headers=headers, timeout=self.timeout)
                body = raw.content
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                self.stats.requests += 1
                self.stats.by_status["error"] += 1
                attempt = self._retry(attempt, f"{type(exc).__name__}: {exc}")
                continue
            status = raw.status_code
            self.stats.requests += 1
            self.stats.by_status[status] += 1
            token.update(raw.headers)
            if status == 401:
                raise AuthenticationError(f"GitHub answered 401 for {self.url} with {token.label}: {_message(body)}. "
                                          "Set GITHUB_TOKEN to a valid token.")
            if status in (403, 429):
                message = _message(body)
                retry_after = raw.headers.get("Retry-After")
                if retry_after is not None or any(t in message.lower() for t in _SECONDARY_LIMIT_TEXT):
                    delay = _seconds(retry_after)
                    attempt = self._retry(attempt, f"secondary rate limit ({message or status})",
                                          delay if delay is not None else
                                          max(self.secondary_limit_wait, self._backoff(attempt)))
                    continue
                if raw.headers.get("x-ratelimit-remaining") == "0":
                    if self._spent(token, attempt):
                        attempt += 1
                    continue
                raise GitHubHTTPError(status, self.url, message or "Forbidden")
            if status in (502, 504):
                raise QueryTimeout(status, self.url, _message(body) or "the query timed out")
            if status >= 500:
                attempt = self._retry(attempt, f"server error {status}")
                continue
            if status >= 400:
                raise GitHubHTTPError(status, self.url, _message(body) or raw.reason or "")
            try:
                answer = json.loads(body)
                if not isinstance(answer, dict):
                    raise ValueError(f"a JSON {type(answer).__name__}")
            except (UnicodeDecodeError, ValueError) as exc:
                attempt = self._retry(attempt, f"invalid JSON ({exc}) in {len(body)} bytes")
                continue
            errors = [e for e in answer.get("errors") or [] if isinstance(e, dict)]
            if any(e.get("type") == "RATE_LIMITED" for e in errors):
                # HTTP 200, no data: this token's points are spent until its reset.
                token.budgets["graphql"].remaining = 0
                if self._spent(token, attempt):
                    attempt += 1
                continue
            data = answer.get("data")
            if not isinstance(data, dict):
                if errors and not any("something went wrong" in str(e.get("message", "")).lower() for e in errors):
                    raise GraphQLQueryError(errors)
                attempt = self._retry(attempt, "an answer without data: " + "; ".join(
                    str(e.get("message")) for e in errors[:3]))
                continue
            limit = data.get("rateLimit") if isinstance(data.get("rateLimit"), dict) else {}
            cost = limit.get("cost")
            self.stats.graphql_queries += 1
            self.stats.graphql_points += int(cost if cost is not None else estimate)
            if limit.get("remaining") is not None:
                budget = token.budgets["graphql"]
                budget.remaining = int(limit["remaining"])
                if limit.get("resetAt"):
                    budget.reset = parse_timestamp(limit["resetAt"]).timestamp()
            return GraphQLResult(data, errors, cost)

    def _spent(self, token: Any, attempt: int) -> bool:
        """After a spent budget: True when there is no future reset to wait for (count it as a retry)."""
        budget = token.budgets["graphql"]
        budget.remaining = 0
        if budget.reset is None or budget.reset <= self._clock():
            self._retry(attempt, "GraphQL rate limit exceeded with no future reset time",
                        max(self.secondary_limit_wait, self._backoff(attempt)))
            return True
        self.log.warning("GraphQL rate limit spent for %s (reset at %s)", token.label, budget.reset)
        return False


def _message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        return body[:200].decode("utf-8", "replace").strip() if body else ""
    if not isinstance(data, dict):
        return ""
    if data.get("message"):
        return str(data["message"])
    return "; ".join(str(e.get("message")) for e in data.get("errors") or [] if isinstance(e, dict))


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------- mapping


def rest_repository(node: Mapping[str, Any]) -> dict:
    """A GraphQL repository as the REST repository object ``mining.metadata_row`` reads."""
    owner = node.get("owner") or {}
    language = node.get("primaryLanguage") or {}
    license_ = node.get("licenseInfo")
    count = lambda key: (node.get(key) or {}).get("totalCount") or 0  # noqa: E731
    return {
        "id": node.get("databaseId"), "full_name": node.get("nameWithOwner"), "description": node.get("description"),
        "stargazers_count": node.get("stargazerCount"), "forks_count": node.get("forkCount"),
        "subscribers_count": count("watchers"), "open_issues_count": count("openIssues") + count("openPullRequests"),
        "language": language.get("name"), "license": {"spdx_id": license_.get("spdxId")} if license_ else None,
        "archived": node.get("isArchived"), "fork": node.get("isFork"), "has_issues": node.get("hasIssuesEnabled"),
        "owner": {"login": owner.get("login"), "type": owner.get("__typename")},
        "created_at": node.get("createdAt"), "pushed_at": node.get("pushedAt"), "updated_at": node.get("updatedAt"),
    }


def rest_issue(node: Mapping[str, Any]) -> dict:
    """A GraphQL issue as the REST issue object ``mining.issue_row`` reads (the closer apart)."""
    author = node.get("author")
    milestone = node.get("milestone")
    return {
        "id": node.get("databaseId"), "number": node["number"], "title": node.get("title"), "body": node.get("body"),
        "state": str(node.get("state") or "").lower(),
        "state_reason": str(node["stateReason"]).lower() if node.get("stateReason") else None,
        "user": {"login": author.get("login")} if isinstance(author, dict) else None,
        "author_association": node.get("authorAssociation"),
        "created_at": node.get("createdAt"), "updated_at": node.get("updatedAt"), "closed_at": node.get("closedAt"),
        "comments": (node.get("comments") or {}).get("totalCount") or 0,
        "labels": [{"name": label.get("name")} for label in (node.get("labels") or {}).get("nodes") or []],
        "assignees": [{"login": a.get("login")} for a in (node.get("assignees") or {}).get("nodes") or [] if a],
        "milestone": {"title": milestone.get("title")} if isinstance(milestone, dict) else None,
        "locked": bool(node.get("locked")),
        "reactions": {"total_count": (node.get("reactions") or {}).get("totalCount") or 0},
        "html_url": node.get("url"),
    }


def closer_of(node: Mapping[str, Any]) -> str | None:
    """The login of whoever closed the issue last (``""`` for a deleted account); None when it is open or
    no close is on record (a stored closer is then kept, as the REST path keeps it)."""
    if str(node.get("state") or "").upper() != "CLOSED":
        return None
    events = (node.get("timelineItems") or {}).get("nodes") or []
    if not events:
        return None
    return ((events[-1] or {}).get("actor") or {}).get("login") or ""


# ---------------------------------------------------------------------------------------------- probing


@dataclass
class RepositoryProbe:
    """What one alias of a probe query says of a repository: its REST-shaped object, its counts and,
    when asked, its newest issue update and its labels."""

    requested: str
    error: str | None = None  # NOT_FOUND, FORBIDDEN...: ask REST for the state
    repo: dict | None = None
    issues: int = 0
    pull_requests: int = 0
    newest_update: str | None = None
    label_count: int = 0
    labels: list[dict] | None = None  # the labels defined, when asked

    @property
    def renamed(self) -> bool:
        return bool(self.repo) and str(self.repo.get("full_name")).lower() != self.requested.lower()


def _alias_variables(index: int, full_name: str) -> tuple[str, dict]:
    owner, name = parse_repo_name(full_name)
    return f"$o{index}: String!, $n{index}: String!", {f"o{index}": owner, f"n{index}": name}


def probe_repositories(client: GraphQLClient, repos: Sequence[str], labels: Iterable[str] = (),
                       newest: Iterable[str] = ()) -> dict[str, RepositoryProbe]:
    """Each repository's metadata and issue count, ``PROBE_BATCH`` repositories per query; the labels it
    defines for those in ``labels``, the update time of its most recently updated issue for those in
    ``newest`` (what a refresh compares with its cursor)."""
    want_labels, want_newest = {r.lower() for r in labels}, {r.lower() for r in newest}
    out: dict[str, RepositoryProbe] = {}
    for start in range(0, len(repos), PROBE_BATCH):
        batch = list(repos[start:start + PROBE_BATCH])
        declarations, variables, parts, chains = [], {}, [], []
        for index, repo in enumerate(batch):
            declaration, values = _alias_variables(index, repo)
            declarations.append(declaration)
            variables.update(values)
            extra = []
            if repo.lower() in want_labels:
                extra.append(f"labels(first: {MAX_PAGE}) {{ totalCount pageInfo {{ hasNextPage endCursor }} "
                             "nodes { name } }")
                chains.append((MAX_PAGE,))
            else:
                extra.append("labels { totalCount }")
            if repo.lower() in want_newest:
                extra.append("newest: issues(first: 1, orderBy: {field: UPDATED_AT, direction: DESC}) "
                             "{ nodes { updatedAt } }")
                chains.append((1,))
            parts.append(f"r{index}: repository(owner: $o{index}, name: $n{index}) {{{REPOSITORY_FIELDS}\n  "
                         + "\n  ".join(extra) + "\n}")
        points, _ = connection_cost(chains)
        text = (f"query Probe({', '.join(declarations)}) {{\n  rateLimit {{ cost remaining resetAt }}\n"
                + "\n".join(parts) + "\n}")
        result = client.query(text, variables, estimate=points)
        errors = result.alias_errors()
        for index, repo in enumerate(batch):
            alias = f"r{index}"
            node = result.data.get(alias)
            probe = RepositoryProbe(repo)
            if not isinstance(node, dict):
                error = errors.get(alias, {})
                probe.error = f"{error.get('type') or 'ERROR'}: {error.get('message') or 'no data'}"
            else:
                probe.repo = rest_repository(node)
                probe.issues = (node.get("allIssues") or {}).get("totalCount") or 0
                probe.pull_requests = (node.get("allPullRequests") or {}).get("totalCount") or 0
                label_connection = node.get("labels") or {}
                probe.label_count = label_connection.get("totalCount") or 0
                if "nodes" in label_connection:
                    probe.labels = [{"name": label["name"]} for label in label_connection["nodes"]]
                    if (label_connection.get("pageInfo") or {}).get("hasNextPage"):
                        probe.labels += _more_labels(client, repo, label_connection["pageInfo"]["endCursor"])
                newest_nodes = (node.get("newest") or {}).get("nodes") or []
                probe.newest_update = newest_nodes[0]["updatedAt"] if newest_nodes else None
            out[repo] = probe
    return out


def _more_labels(client: GraphQLClient, repo: str, after: str | None) -> list[dict]:
    """The labels of a repository past its first 100."""
    labels: list[dict] = []
    declaration, variables = _alias_variables(0, repo)
    while after:
        text = (f"query Labels({declaration}, $after: String) {{ rateLimit {{ cost remaining resetAt }}\n"
                f"  r0: repository(owner: $o0, name: $n0) {{ labels(first: {MAX_PAGE}, after: $after) {{ "
                "pageInfo { hasNextPage endCursor } nodes { name } } } }")
        result = client.query(text, {**variables, "after": after})
        connection = ((result.data.get("r0") or {}).get("labels")) or {}
        labels += [{"name": label["name"]} for label in connection.get("nodes") or []]
        page = connection.get("pageInfo") or {}
        after = page.get("endCursor") if page.get("hasNextPage") else None
    return labels


def fetch_labels(client: GraphQLClient, repos: Sequence[str]) -> dict[str, list[dict]]:
    """The labels each repository defines (a refresh asks for them when their count changed)."""
    probes = probe_repositories(client, repos, labels=repos)
    return {repo: probe.labels for repo, probe in probes.items() if probe.labels is not None}


# ---------------------------------------------------------------------------------------------- issue walks


@dataclass
class IssueWalk:
    """One repository's issues updated since ``since`` (all when None), oldest update first, paged by cursor.

    ``need`` is how many issues it still expects (sizes its ``first``); ``issues`` and ``closers`` collect
    what came back, ``newest`` the latest ``updatedAt`` seen (the next refresh's cursor)."""

    repo: str  # the name to query
    since: str | None = None
    need: int = MAX_PAGE
    after: str | None = None
    issues: dict[int, dict] = field(default_factory=dict)
    closers: dict[int, str] = field(default_factory=dict)
    newest: str | None = None
    queries: int = 0
    more_labels: list[int] = field(default_factory=list)  # issues with more labels than one page asked
    error: str | None = None  # the repository could not be resolved (NOT_FOUND...): ask REST
    failed: str | None = None  # the query failed (retries exhausted, a refused token...)
    done: bool = False

    def take(self, nodes: list[dict], page: Mapping[str, Any]) -> None:
        for node in nodes:
            issue = rest_issue(node)
            self.issues[issue["number"]] = issue
            closer = closer_of(node)
            if closer is not None:
                self.closers[issue["number"]] = closer
            else:
                self.closers.pop(issue["number"], None)
            if (node.get("labels") or {}).get("totalCount", 0) > len(issue["labels"]):
                self.more_labels.append(issue["number"])
            stamp = node.get("updatedAt")
            if stamp and (self.newest is None or normalize_timestamp(stamp) > self.newest):
                self.newest = normalize_timestamp(stamp)
        self.need = max(0, self.need - len(nodes))
        if page.get("hasNextPage") and page.get("endCursor"):
            self.after = page["endCursor"]
            if self.need == 0:  # more than expected (a refresh cannot know how many changed): a full page
                self.need = MAX_PAGE
        else:
            self.done = True


def _page_query(batch: Sequence[tuple[IssueWalk, int]]) -> tuple[str, dict, int, int]:
    declarations, variables, parts, chains = [], {}, [], []
    for index, (walk, first) in enumerate(batch):
        declaration, values = _alias_variables(index, walk.repo)
        declarations.append(f"{declaration}, $a{index}: String, $s{index}: DateTime")
        variables.update(values, **{f"a{index}": walk.after, f"s{index}": walk.since})
        parts.append(f"r{index}: repository(owner: $o{index}, name: $n{index}) {{ issues(first: {first}, "
                     f"after: $a{index}, orderBy: {{field: UPDATED_AT, direction: ASC}}, "
                     f"filterBy: {{since: $s{index}}}) {{ pageInfo {{ hasNextPage endCursor }} "
                     "nodes { ...IssueFields } } }")
        chains += _issue_chains(first)
    points, nodes = connection_cost(chains)
    text = (f"query Issues({', '.join(declarations)}) {{\n  rateLimit {{ cost remaining resetAt }}\n"
            + "\n".join(parts) + "\n}\n" + ISSUE_FIELDS)
    return text, variables, points, nodes


def walk_issues(client: GraphQLClient, walks: Sequence[IssueWalk],
                on_done: Callable[[list[IssueWalk]], None] | None = None,
                issues_per_query: int = ISSUES_PER_QUERY) -> None:
    """Run every walk to its end: each query carries as many walks as fit in ``issues_per_query`` issues
    (each asking ``first`` for what it still needs), so small repositories share a query and a large one
    pages alone. ``on_done`` gets the walks each query finished (store them as they come). A 502/504 halves
    the issues asked per query until one gets through; the size then grows back."""
    pending = [w for w in walks if not w.done]
    ceiling = issues_per_query
    budget = ceiling
    timeouts = 0
    while pending:
        # First fit, largest need first: walks share a query without splitting a page between two queries.
        batch: list[tuple[IssueWalk, int]] = []
        used = 0
        for walk in sorted(pending, key=lambda w: -w.need):
            first = max(1, min(MAX_PAGE, walk.need, budget))
            if batch and used + first > budget:
                continue
            batch.append((walk, first))
            used += first
            if used >= budget:
                break
        text, variables, points, nodes = _page_query(batch)
        if nodes > MAX_NODES:  # cannot happen at 100 issues a query; a guard for larger settings
            budget = max(1, budget // 2)
            continue
        try:
            try:
                result = client.query(text, variables, estimate=points)
            except QueryTimeout as exc:
                if used > 1:
                    budget = max(1, used // 2)
                    client.stats.retries += 1
                    client.log.warning("GraphQL query for %d issues of %d repositories timed out (%s): asking "
                                       "for %d", used, len(batch), exc.status, budget)
                    continue
                # Already down to one issue: back off and try again, as for any server error.
                timeouts = client._retry(timeouts, f"timed out ({exc.status}) on a query for one issue")
                continue
        except GitHubError as exc:
            # This query's repositories fail (reported, never stored half); the other walks go on.
            for walk, _ in batch:
                walk.failed, walk.done = f"{type(exc).__name__}: {exc}", True
            pending = [w for w in pending if not w.done]
            if on_done is not None:
                on_done([walk for walk, _ in batch])
            continue
        budget, timeouts = min(ceiling, budget * 2), 0
        errors = result.alias_errors()
        finished = []
        for index, (walk, _) in enumerate(batch):
            walk.queries += 1
            node = result.data.get(f"r{index}")
            if not isinstance(node, dict) or not isinstance(node.get("issues"), dict):
                error = errors.get(f"r{index}", {})
                walk.error = f"{error.get('type') or 'ERROR'}: {error.get('message') or 'no data'}"
                walk.done = True
            else:
                walk.take(node["issues"].get("nodes") or [], node["issues"].get("pageInfo") or {})
            if walk.done:
                if walk.error is None and walk.more_labels:
                    _complete_labels(client, walk)
                finished.append(walk)
        pending = [w for w in pending if not w.done]
        if finished and on_done is not None:
            on_done(finished)


def _complete_labels(client: GraphQLClient, walk: IssueWalk) -> None:
    """Issues carrying more labels than one page asked for get all of them (up to 100), 50 issues a query."""
    numbers = sorted(set(walk.more_labels))
    declaration, variables = _alias_variables(0, walk.repo)
    for start in range(0, len(numbers), 50):
        chunk = numbers[start:start + 50]
        fields = " ".join(f"i{n}: issue(number: {n}) {{ labels(first: {MAX_PAGE}) {{ nodes {{ name }} }} }}"
                          for n in chunk)
        result = client.query(f"query MoreLabels({declaration}) {{ rateLimit {{ cost remaining resetAt }}\n"
                              f"  r0: repository(owner: $o0, name: $n0) {{ {fields} }} }}", variables,
                              estimate=connection_cost([(1, MAX_PAGE)] * len(chunk))[0])
        repo = result.data.get("r0") or {}
        for number in chunk:
            issue = repo.get(f"i{number}")
            if isinstance(issue, dict) and number in walk.issues:
                walk.issues[number]["labels"] = [{"name": x["name"]} for x in issue["labels"]["nodes"]]
    walk.more_labels.clear()
