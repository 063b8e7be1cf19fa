"""A GitHub REST API emulator that serves a snapshot on loopback.

GitHub is unreachable from the project's machines, so the demo, the tests and the benchmarks
mine this server instead, through the same client code that mines api.github.com. It follows
GitHub's semantics where a miner can tell the difference: pagination and ``Link`` headers built
from the request's ``Host``, pull requests mixed into the issues list, ``since``/``sort``/
``direction`` filters, ``x-ratelimit-*`` accounting per token, ETag / Last-Modified validators
with free ``304`` answers, renamed (301), deleted (404), blocked (451) and issue-less (410)
repositories. Faults are options (:class:`Faults`), and the data can change while it runs
(:class:`EmulatorState` mutations, also over ``POST /_emulator/mutate``).
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import threading
import time
import zlib
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from issue_assets.emulator import objects
from issue_assets.emulator.graphql import GraphQLEndpoint, QueryError, rate_limit_object
from issue_assets.emulator.snapshot import RepoSnapshot, iter_snapshot
from issue_assets.github.times import (
    format_timestamp,
    http_date,
    normalize_timestamp,
    parse_http_date,
    parse_timestamp,
)

DOCS = "https://docs.github.com/rest"
DOCS_GRAPHQL = "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql"
API_PREFIX = b"https://api.github.com"


@dataclass
class Faults:
    """Failure modes of real GitHub, each off by default."""

    secondary_every: int = 0          # every Nth request: 403 secondary rate limit with retry-after
    retry_after: int = 1              # seconds announced by those answers
    error_rate: float = 0.0           # probability of a 500/502/503 answer
    latency_ms: float = 0.0           # added to every answer
    truncate_rate: float = 0.0        # probability of a body cut in half (consistent Content-Length)
    drop_rate: float = 0.0            # probability of a connection dropped mid-body
    max_page: int | None = None       # 422 for page numbers beyond this
    renames: dict[str, str] = field(default_factory=dict)   # old full name -> new full name (301)
    repo_status: dict[str, int] = field(default_factory=dict)  # full name -> 404 | 410 | 451
    seed: int = 0
    # GraphQL: GitHub answers 502 when a query runs past its time limit (about 10 s); the emulator does so
    # for a query that may return more nodes than this, or whose execution took longer than this.
    graphql_max_nodes: int | None = None
    graphql_max_seconds: float | None = None


# The fields of an issue that lists sort and filter on, kept unpacked (their place in IssueStore's tuples).
_ISSUE_FIELDS = {"created_at": 0, "updated_at": 1, "comments": 2, "state": 3, "id": 4, "pull_request": 5,
                 "merged": 6}


class IssueStore:
    """A repository's issues as the API serves them (JSON, compressed) plus the few fields that lists
    sort and filter on. Parsed issue objects cost about 20 KB each in Python; stored like this, about
    1 KB, so a million issues fit in memory. Mutations read an issue (:meth:`get`), change the copy
    and store it again (:meth:`put`)."""

    def __init__(self, issues: Iterable[dict] = ()):
        self._json: dict[int, bytes] = {}
        self._fields: dict[int, tuple] = {}
        for issue in issues:
            self.put(issue)

    def put(self, issue: dict) -> None:
        number = issue["number"]
        self._json[number] = zlib.compress(_dumps(issue), 1)
        pull_request = issue.get("pull_request")
        self._fields[number] = (issue["created_at"], issue["updated_at"], issue.get("comments") or 0,
                                issue["state"], issue["id"], pull_request is not None,
                                bool(isinstance(pull_request, dict) and pull_request.get("merged_at")))

    def get(self, number: int) -> dict:
        """A copy of the issue: changing it changes nothing until it is stored again."""
        return json.loads(self.json(number))

    def json(self, number: int) -> bytes:
        return zlib.decompress(self._json[number])

    def field(self, number: int, name: str) -> Any:
        return self._fields[number][_ISSUE_FIELDS[name]]

    def remove(self, number: int) -> None:
        del self._json[number], self._fields[number]

    def __contains__(self, number: object) -> bool:
        return number in self._json

    def __iter__(self) -> Iterator[int]:
        return iter(self._json)

    def __len__(self) -> int:
        return len(self._json)


@dataclass(frozen=True)
class StoredEvent:
    """An issue event, compressed, with the issue reference kept apart: the repository-wide list embeds
    the issue's current state in its place."""

    id: int
    number: int
    kind: str
    rest: bytes  # the event without its "issue", as served, zlib-compressed
    reference: bytes  # the event's own "issue" (served when the issue is gone)

    @classmethod
    def of(cls, event: dict) -> StoredEvent:
        reference = event.get("issue") or {}
        rest = {k: v for k, v in event.items() if k != "issue"}
        return cls(event.get("id", 0), reference.get("number"), event.get("event", ""),
                   zlib.compress(_dumps(rest), 1), _dumps(reference))

    def without_issue(self) -> bytes:
        return zlib.decompress(self.rest)


class RepoState:
    """One repository's data, indexed and compressed for serving."""

    def __init__(self, snap: RepoSnapshot):
        self.repo = snap.repo
        self.issues = IssueStore(snap.issues)
        self.deleted: set[int] = set()
        self.events = sorted(map(StoredEvent.of, snap.events), key=lambda e: e.id, reverse=True)  # newest first
        self.labels = snap.labels
        self.contributors = snap.contributors
        self.comments: dict[int, list[dict]] = {}
        for comment in snap.comments:
            self.comments.setdefault(comment.get("issue_number"), []).append(comment)
        self._orders: dict[tuple[str, str], list[int]] = {}
        self._update_stamps: list[str] | None = None  # updated_at in ascending update order
        # GraphQL: issues only (no pull requests), with their keyset keys, per order and states.
        self._issue_orders: dict[tuple, tuple[list[int], list[tuple]]] = {}
        self._events_by_issue: dict[int, list[StoredEvent]] | None = None

    @property
    def full_name(self) -> str:
        return self.repo["full_name"]

    def event_json(self, event: StoredEvent) -> bytes:
        """An event of the repository-wide list, with the issue's current state embedded."""
        rest = event.without_issue()
        issue = self.issues.json(event.number) if event.number in self.issues else event.reference
        return rest[:-1] + (b', "issue": ' if len(rest) > 2 else b'{"issue": ') + issue + b"}"

    def touched(self) -> None:
        self._orders.clear()
        self._update_stamps = None
        self._issue_orders.clear()
        self._events_by_issue = None

    def issue_order(self, sort: str, descending: bool, states: tuple[str, ...] | None) -> tuple[list[int], list[tuple]]:
        """Issue numbers (pull requests left out, as GraphQL's ``issues`` does) in ``sort`` order, with
        each one's ``(value, number)`` key: the keyset the GraphQL cursors encode."""
        cache_key = (sort, descending, states)
        if cache_key not in self._issue_orders:
            field_name = {"created": "created_at", "updated": "updated_at", "comments": "comments"}[sort]
            wanted = {s.lower() for s in states} if states else None
            numbers = [n for n in self.ordered(sort, "desc" if descending else "asc")
                       if not self.issues.field(n, "pull_request")
                       and (wanted is None or self.issues.field(n, "state") in wanted)]
            self._issue_orders[cache_key] = (numbers, [(self.issues.field(n, field_name), n) for n in numbers])
        return self._issue_orders[cache_key]

    def events_of(self, number: int) -> list[dict]:
        """An issue's events, oldest first (GraphQL timelines)."""
        if self._events_by_issue is None:
            index: dict[int, list[StoredEvent]] = {}
            for event in reversed(self.events):
                index.setdefault(event.number, []).append(event)
            self._events_by_issue = index
        return [json.loads(e.without_issue()) for e in self._events_by_issue.get(number, [])]

    def ordered(self, sort: str, direction: str) -> list[int]:
        key = (sort, direction)
        if key not in self._orders:
            field_name = {"created": "created_at", "updated": "updated_at", "comments": "comments"}[sort]
            self._orders[key] = sorted(
                self.issues,
                key=lambda n: (self.issues.field(n, field_name), n),
                reverse=direction == "desc",
            )
        return self._orders[key]

    def updated_since(self, sort: str, direction: str, since: str) -> list[int]:
        """``ordered(sort, direction)`` restricted to issues updated at or after ``since``. In update
        order that is a slice found by bisection: a walk of ``since`` windows costs each page the
        page, not the whole repository."""
        if sort != "updated":
            return [n for n in self.ordered(sort, direction) if self.issues.field(n, "updated_at") >= since]
        ascending = self.ordered("updated", "asc")
        if self._update_stamps is None:
            self._update_stamps = [self.issues.field(n, "updated_at") for n in ascending]
        start = bisect_left(self._update_stamps, since)
        return ascending[start:] if direction == "asc" else ascending[start:][::-1]

    def closer(self, number: int) -> dict | None:
        for event in self.events:
            if event.kind == "closed" and event.number == number:
                return json.loads(event.without_issue()).get("actor")
        return None

    def newest_update(self) -> str:
        stamps = [self.issues.field(n, "updated_at") for n in self.issues] + [self.repo.get("updated_at") or ""]
        return max(stamps)


class EmulatorState:
    """The emulated GitHub: repositories by name and id, and the mutations a refresh test needs."""

    def __init__(self, snapshots: Iterable[RepoSnapshot], faults: Faults | None = None):
        """``snapshots`` are read one at a time: only their compact form stays in memory."""
        self.faults = faults or Faults()
        self.lock = threading.RLock()
        self.repos: dict[str, RepoState] = {}
        self.by_id: dict[int, RepoState] = {}
        renames = {old.lower(): new for old, new in self.faults.renames.items()}
        for snap in snapshots:
            new_name = renames.get(snap.full_name.lower())
            if new_name:
                snap = _renamed(snap, new_name)
            state = RepoState(snap)
            self.repos[state.full_name.lower()] = state
            self.by_id[state.repo["id"]] = state
        self.moved = {old.lower(): self.repos[new.lower()].repo["id"] for old, new in self.faults.renames.items()
                      if new.lower() in self.repos}
        self.status = {name.lower(): code for name, code in self.faults.repo_status.items()}
        for name, code in self.status.items():
            if code == 410 and name in self.repos:
                self.repos[name].repo["has_issues"] = False
        ids = [r.issues.field(n, "id") for r in self.repos.values() for n in r.issues]
        self._next_issue_id = max(ids, default=0) + 1
        event_ids = [e.id for r in self.repos.values() for e in r.events]
        self._next_event_id = max(event_ids, default=0) + 1
        self._newest = max((r.newest_update() for r in self.repos.values()), default="")

    @classmethod
    def from_directory(cls, directory: str | Path, faults: Faults | None = None) -> EmulatorState:
        return cls(iter_snapshot(directory), faults)

    # ------------------------------------------------------------------ lookups

    def find(self, full_name: str) -> RepoState:
        try:
            return self.repos[full_name.lower()]
        except KeyError:
            raise KeyError(f"the emulator serves no repository {full_name!r}") from None

    def _issue(self, full_name: str, number: int) -> tuple[RepoState, dict]:
        repo = self.find(full_name)
        if number not in repo.issues:
            raise KeyError(f"{full_name} has no issue #{number}")
        return repo, repo.issues.get(number)

    # ------------------------------------------------------------------ mutations

    def now(self) -> str:
        """The time of a mutation: wall-clock, never earlier than the data (so ``since`` sees it)."""
        stamp = max(format_timestamp(datetime.now(UTC)), self._newest)
        self._newest = stamp
        return stamp

    def _event(self, repo: RepoState, issue: dict, event: str, actor: str, when: str, **extra: Any) -> None:
        record = objects.make_event(repo.full_name, event_id=self._next_event_id, event=event, actor=actor,
                                    number=issue["number"], issue_id=issue["id"], created_at=when, **extra)
        self._next_event_id += 1
        repo.events.insert(0, StoredEvent.of(record))
        repo.touched()

    def _update(self, repo: RepoState, issue: dict, when: str) -> None:
        """Store the changed copy of ``issue``, updated at ``when``."""
        issue["updated_at"] = when
        repo.issues.put(issue)
        repo.touched()

    def add_issue(self, full_name: str, title: str, body: str | None = "", user: str = "new-reporter",
                  pull_request: bool = False) -> int:
        with self.lock:
            repo = self.find(full_name)
            number = max([*repo.issues, *repo.deleted], default=0) + 1
            when = self.now()
            repo.issues.put(objects.make_issue(
                repo.full_name, issue_id=self._next_issue_id, number=number, title=title, body=body,
                user=user, created_at=when, updated_at=when, pull_request=pull_request,
            ))
            self._next_issue_id += 1
            repo.repo["open_issues_count"] = repo.repo.get("open_issues_count", 0) + 1
            repo.touched()
            return number

    def close_issue(self, full_name: str, number: int, actor: str, state_reason: str = "completed") -> None:
        with self.lock:
            repo, issue = self._issue(full_name, number)
            when = self.now()
            issue.update(state="closed", closed_at=when, state_reason=state_reason)
            repo.repo["open_issues_count"] = max(0, repo.repo.get("open_issues_count", 1) - 1)
            self._event(repo, issue, "closed", actor, when)
            self._update(repo, issue, when)

    def reopen_issue(self, full_name: str, number: int, actor: str) -> None:
        with self.lock:
            repo, issue = self._issue(full_name, number)
            when = self.now()
            issue.update(state="open", closed_at=None, state_reason="reopened")
            repo.repo["open_issues_count"] = repo.repo.get("open_issues_count", 0) + 1
            self._event(repo, issue, "reopened", actor, when)
            self._update(repo, issue, when)

    def set_labels(self, full_name: str, number: int, labels: list[str], actor: str = "maintainer") -> None:
        with self.lock:
            repo, issue = self._issue(full_name, number)
            when = self.now()
            known = {label["name"]: label for label in repo.labels}
            before = {label["name"] for label in issue["labels"]}
            for name in labels:
                if name not in known:
                    known[name] = objects.make_label(repo.full_name, name)
                    repo.labels.append(known[name])
            for name in sorted(set(labels) - before):
                self._event(repo, issue, "labeled", actor, when, label={"name": name, "color": known[name]["color"]})
            for name in sorted(before - set(labels)):
                self._event(repo, issue, "unlabeled", actor, when, label={"name": name})
            issue["labels"] = [known[name] for name in labels]
            self._update(repo, issue, when)

    def set_assignees(self, full_name: str, number: int, logins: list[str], actor: str = "maintainer") -> None:
        with self.lock:
            repo, issue = self._issue(full_name, number)
            when = self.now()
            before = {a["login"] for a in issue["assignees"]}
            for login in sorted(set(logins) - before):
                self._event(repo, issue, "assigned", actor, when, assignee=objects.make_user(login))
            for login in sorted(before - set(logins)):
                self._event(repo, issue, "unassigned", actor, when, assignee=objects.make_user(login))
            issue["assignees"] = [objects.make_user(login) for login in logins]
            issue["assignee"] = issue["assignees"][0] if logins else None
            self._update(repo, issue, when)

    def edit_issue(self, full_name: str, number: int, title: str | None = None, body: str | None = None) -> None:
        with self.lock:
            repo, issue = self._issue(full_name, number)
            if title is not None:
                issue["title"] = title
            if body is not None:
                issue["body"] = body
            self._update(repo, issue, self.now())

    def add_comment(self, full_name: str, number: int, user: str, body: str = "Thanks!") -> None:
        with self.lock:
            repo, issue = self._issue(full_name, number)
            when = self.now()
            comment_id = objects.stable_id("comment", repo.full_name, number, issue["comments"], when)
            repo.comments.setdefault(number, []).append({
                "id": comment_id, "node_id": objects.node_id("IssueComment", comment_id),
                "url": f"{objects.API}/repos/{repo.full_name}/issues/comments/{comment_id}",
                "html_url": f"{issue['html_url']}#issuecomment-{comment_id}",
                "issue_url": issue["url"], "user": objects.make_user(user), "body": body,
                "created_at": when, "updated_at": when, "author_association": "NONE",
                "reactions": {"total_count": 0}, "issue_number": number,
            })
            issue["comments"] += 1
            self._update(repo, issue, when)

    def delete_issue(self, full_name: str, number: int) -> None:
        """An issue deleted (or transferred away): gone from every list, 410 on its own URL."""
        with self.lock:
            repo, issue = self._issue(full_name, number)
            if issue["state"] == "open":
                repo.repo["open_issues_count"] = max(0, repo.repo.get("open_issues_count", 1) - 1)
            repo.issues.remove(number)
            repo.deleted.add(number)
            repo.touched()

    MUTATIONS = ("add_issue", "close_issue", "reopen_issue", "set_labels", "set_assignees", "edit_issue",
                 "add_comment", "delete_issue")


def _renamed(snap: RepoSnapshot, new_name: str) -> RepoSnapshot:
    """The snapshot as GitHub shows it after a rename: every URL and name under the new name."""
    old = snap.full_name
    text = json.dumps([snap.repo, snap.issues, snap.events, snap.labels, snap.contributors, snap.comments])
    text = text.replace(f"/{old}/", f"/{new_name}/").replace(f'/{old}"', f'/{new_name}"')
    repo, issues, events, labels, contributors, comments = json.loads(text)
    owner, name = new_name.split("/", 1)
    repo.update(full_name=new_name, name=name)
    repo["owner"]["login"] = owner
    return RepoSnapshot(repo, issues, events, labels, contributors, comments)


class RateLimiter:
    """GitHub's primary limit: a budget of requests (GraphQL: points) per window, per token (or per
    anonymous client)."""

    def __init__(self, limit: int, window: float, resource: str = "core"):
        self.limit = limit
        self.window = window
        self.resource = resource
        self._buckets: dict[str, list[float]] = {}  # identity -> [remaining, reset epoch]

    def bucket(self, identity: str, now: float) -> list[float]:
        bucket = self._buckets.get(identity)
        if bucket is None or now >= bucket[1]:
            bucket = self._buckets[identity] = [self.limit, now + self.window]
        return bucket

    def current(self, identity: str) -> list[float] | None:
        return self._buckets.get(identity)

    def body(self, bucket: list[float]) -> dict:
        """``/rate_limit`` in GitHub's shape; asking for it costs nothing."""
        core = {"limit": self.limit, "remaining": int(bucket[0]), "reset": int(bucket[1] + 0.999),
                "used": int(self.limit - bucket[0]), "resource": "core"}
        search = {**core, "limit": 30, "remaining": 30, "used": 0, "resource": "search"}
        return {"resources": {"core": core, "search": search}, "rate": core}

    def headers(self, bucket: list[float]) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(int(bucket[0])),
            "x-ratelimit-used": str(int(self.limit - bucket[0])),
            "x-ratelimit-reset": str(int(bucket[1] + 0.999)),
            "x-ratelimit-resource": self.resource,
        }


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: str | None = None  # GitHub timestamp of the newest data in the body
    cacheable: bool = False


JSON_TYPE = "application/json; charset=utf-8"


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def _json_reply(status: int, data: Any, headers: dict[str, str] | None = None, **kwargs: Any) -> Reply:
    return Reply(status, _dumps(data), {"content-type": JSON_TYPE, **(headers or {})}, **kwargs)


def _error(status: int, message: str, **extra: Any) -> Reply:
    return _json_reply(status, {"message": message, "documentation_url": DOCS, **extra})


class GitHubEmulator:
    """The HTTP server. ``with GitHubEmulator(state) as emu: emu.url`` serves on a free loopback port."""

    def __init__(self, state: EmulatorState, *, host: str = "127.0.0.1", port: int = 0,
                 rate_limit: int = 5000, rate_window: float = 3600.0, tokens: list[str] | None = None,
                 graphql_rate_limit: int | None = None):
        """``graphql_rate_limit``: GraphQL points per window (a budget of its own; default ``rate_limit``)."""
        self.state = state
        self.faults = state.faults
        self.limiter = RateLimiter(rate_limit, rate_window)
        self.graphql_limiter = RateLimiter(graphql_rate_limit if graphql_rate_limit is not None else rate_limit,
                                           rate_window, "graphql")
        self._graphql: GraphQLEndpoint | None = None  # built on the first query: parsing the schema takes 1 s
        self.tokens = set(tokens) if tokens else None
        self._rng = random.Random(self.faults.seed)
        self._lock = threading.Lock()
        self.counters: Counter = Counter()
        self.server = ThreadingHTTPServer((host, port), _Handler)
        self.server.daemon_threads = True
        self.server.emulator = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> GitHubEmulator:
        self._thread = threading.Thread(target=self.server.serve_forever, name="github-emulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> GitHubEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return dict(self.counters)

    def reset_stats(self) -> None:
        with self._lock:
            self.counters.clear()

    # ------------------------------------------------------------------ request handling

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[Reply, str | None]:
        """Answer one request; the second value names a transport fault to apply ('drop')."""
        split = urlsplit(raw_path)
        path = split.path.rstrip("/") or "/"
        mount = ""
        if path == "/api/v3" or path.startswith("/api/v3/"):
            mount, path = "/api/v3", path[len("/api/v3"):] or "/"
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        base = f"http://{headers.get('Host') or f'127.0.0.1:{self.port}'}{mount}"
        if path.startswith("/_emulator/"):
            return self._control(method, path, body), None
        if path in ("/graphql", "/api/graphql"):
            if method != "POST":
                return _error(404, "Not Found"), None
            return self._graphql_query(headers, body)
        if method != "GET":
            return _error(405, "The emulator serves GET requests only (and POST /_emulator/...)"), None
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)

        token = _token(headers.get("Authorization"))
        identity = f"token:{token}" if token else "anonymous"
        now = time.time()
        with self._lock:
            self.counters["requests"] += 1
            n = self.counters["requests"]
            if self.tokens is not None and token not in self.tokens:
                self.counters["status_401"] += 1
                return _error(401, "Bad credentials"), None
            bucket = self.limiter.bucket(identity, now)
            rate_headers = self.limiter.headers(bucket)
            if self.faults.secondary_every and n % self.faults.secondary_every == 0:
                self.counters["secondary_limited"] += 1
                reply = _error(403, "You have exceeded a secondary rate limit. Please wait a few minutes "
                                    "before you try again.")
                reply.headers.update(rate_headers, **{"retry-after": str(self.faults.retry_after)})
                return reply, None
            if self.faults.error_rate and self._rng.random() < self.faults.error_rate:
                self.counters["server_errors"] += 1
                status = self._rng.choice([500, 502, 503])
                return Reply(status, b'{"message":"Server Error"}', {"content-type": "application/json"}), None
            fault = None
            if self.faults.drop_rate and self._rng.random() < self.faults.drop_rate:
                fault = "drop"
            elif self.faults.truncate_rate and self._rng.random() < self.faults.truncate_rate:
                fault = "truncate"
            counted = path != "/rate_limit"
            if counted and bucket[0] <= 0:
                self.counters["rate_limited"] += 1
                reply = _error(403, f"API rate limit exceeded for {identity}.")
                reply.headers.update(rate_headers)
                return reply, None
            if counted:  # spend the point now, under the lock, so concurrent requests never overspend
                bucket[0] -= 1
                self.counters["rate_limit_points"] += 1

        if not counted:
            return _json_reply(200, self.limiter.body(bucket), headers=dict(rate_headers)), None
        with self.state.lock:
            reply = self._route(path, query, base)
        if reply.status == 200 and reply.body:
            reply.body = reply.body.replace(API_PREFIX, base.encode())
        reply.headers.setdefault("content-type", JSON_TYPE)
        if reply.cacheable and reply.status == 200:
            etag = 'W/"' + hashlib.sha1(reply.body).hexdigest() + '"'
            reply.headers["ETag"] = etag
            if reply.last_modified:
                reply.headers["Last-Modified"] = http_date(parse_timestamp(reply.last_modified))
            if _not_modified(headers, etag, reply.last_modified):
                with self._lock:
                    self.counters["not_modified"] += 1
                    self.counters["rate_limit_points"] -= 1  # a 304 is free: give the point back
                    if self.limiter.current(identity) is bucket:
                        bucket[0] += 1
                    reply = Reply(304, b"", {"ETag": etag, **self.limiter.headers(bucket)})
                return reply, None
        with self._lock:
            self.counters[f"status_{reply.status}"] += 1
            reply.headers.update(self.limiter.headers(bucket))
            if fault:
                self.counters[f"fault_{fault}"] += 1
        if fault == "truncate" and reply.body:
            reply.body = reply.body[: len(reply.body) // 2]
        return reply, fault

    @property
    def graphql(self) -> GraphQLEndpoint:
        with self._lock:
            if self._graphql is None:
                self._graphql = GraphQLEndpoint(self.state)
            return self._graphql

    def _graphql_query(self, headers: Any, body: bytes) -> tuple[Reply, str | None]:
        """``POST /graphql``: GitHub's answers, faults and points budget (its own, beside REST's)."""
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)
        token = _token(headers.get("Authorization"))
        identity = f"token:{token}"
        now = time.time()
        with self._lock:
            self.counters["requests"] += 1
            self.counters["graphql_requests"] += 1
            n = self.counters["requests"]
            if token is None:  # GitHub serves no anonymous GraphQL
                self.counters["status_401"] += 1
                return _json_reply(401, {"message": "This endpoint requires you to be authenticated.",
                                         "documentation_url": DOCS_GRAPHQL}), None
            if self.tokens is not None and token not in self.tokens:
                self.counters["status_401"] += 1
                return _error(401, "Bad credentials"), None
            bucket = self.graphql_limiter.bucket(identity, now)
            rate_headers = self.graphql_limiter.headers(bucket)
            if self.faults.secondary_every and n % self.faults.secondary_every == 0:
                self.counters["secondary_limited"] += 1
                reply = _error(403, "You have exceeded a secondary rate limit. Please wait a few minutes "
                                    "before you try again.")
                reply.headers.update(rate_headers, **{"retry-after": str(self.faults.retry_after)})
                return reply, None
            if self.faults.error_rate and self._rng.random() < self.faults.error_rate:
                self.counters["server_errors"] += 1
                status = self._rng.choice([500, 502, 503])
                return Reply(status, b'{"message":"Server Error"}', {"content-type": "application/json"}), None
            fault = None
            if self.faults.drop_rate and self._rng.random() < self.faults.drop_rate:
                fault = "drop"
            elif self.faults.truncate_rate and self._rng.random() < self.faults.truncate_rate:
                fault = "truncate"
        try:
            document, operation, variables, cost = self.graphql.prepare(body)
        except QueryError as exc:
            with self._lock:
                self.counters["graphql_refused"] += 1
            return _json_reply(200, {"errors": exc.messages}, headers=rate_headers), None
        with self._lock:
            if bucket[0] < cost.points:
                self.counters["graphql_rate_limited"] += 1
                reply = _json_reply(200, {"errors": [{"type": "RATE_LIMITED", "message":
                                                      f"API rate limit exceeded for {identity}."}]},
                                    headers={**rate_headers, "x-ratelimit-remaining": "0"})
                return reply, None
            bucket[0] -= cost.points  # under the lock, so concurrent queries never overspend
            self.counters["graphql_points"] += cost.points
            self.counters["graphql_queries"] += 1
            rate_headers = self.graphql_limiter.headers(bucket)
            limit_now = rate_limit_object(self.graphql_limiter.limit, int(bucket[0]), bucket[1], cost.points,
                                          cost.nodes)
        timeout = _json_reply(502, {"data": None, "errors": [{"message": (
            "Something went wrong while executing your query. This may be the result of a timeout, or it could "
            "be a GitHub bug.")}]}, headers=rate_headers)
        if self.faults.graphql_max_nodes is not None and cost.nodes > self.faults.graphql_max_nodes:
            with self._lock:
                self.counters["graphql_timeouts"] += 1
            return timeout, None
        answer, seconds = self.graphql.run(document, operation, variables, limit_now)
        if self.faults.graphql_max_seconds is not None and seconds > self.faults.graphql_max_seconds:
            with self._lock:
                self.counters["graphql_timeouts"] += 1
            return timeout, None
        reply = _json_reply(200, answer, headers=rate_headers)
        with self._lock:
            self.counters["status_200"] += 1
            self.counters["graphql_not_found"] += sum(e.get("type") == "NOT_FOUND" for e in answer.get("errors", []))
            if fault:
                self.counters[f"fault_{fault}"] += 1
        if fault == "truncate":
            reply.body = reply.body[: len(reply.body) // 2]
        return reply, fault

    def _control(self, method: str, path: str, body: bytes) -> Reply:
        if path == "/_emulator/stats":
            return _json_reply(200, self.stats())
        if path == "/_emulator/reset-stats" and method == "POST":
            self.reset_stats()
            return _json_reply(200, {"ok": True})
        if path == "/_emulator/mutate" and method == "POST":
            try:
                request = json.loads(body or b"{}")
                op = request["op"]
                if op not in EmulatorState.MUTATIONS:
                    return _error(422, f"unknown mutation {op!r}; one of {', '.join(EmulatorState.MUTATIONS)}")
                result = getattr(self.state, op)(**request.get("args", {}))
            except (KeyError, TypeError, ValueError) as exc:
                return _error(422, f"bad mutation request: {exc}")
            return _json_reply(200, {"ok": True, "result": result})
        return _error(404, "Not Found")

    def _route(self, path: str, query: dict[str, str], base: str) -> Reply:
        parts = path.strip("/").split("/")
        if parts[0] == "users" and len(parts) in (2, 3):
            if len(parts) == 3:
                return _json_reply(200, [], cacheable=True) if parts[2] == "orgs" else _error(404, "Not Found")
            return _json_reply(200, objects.make_user_profile(parts[1]), cacheable=True)
        if parts[0] == "repositories" and len(parts) >= 2 and parts[1].isdigit():
            repo = self.state.by_id.get(int(parts[1]))
            if repo is None or self.state.status.get(repo.full_name.lower()) == 404:
                return _error(404, "Not Found")
            return self._repo_route(repo, parts[2:], query, base, f"/repositories/{parts[1]}")
        if parts[0] == "repos" and len(parts) >= 3:
            full_name = f"{parts[1]}/{parts[2]}".lower()
            if full_name in self.state.moved:
                rest = "/".join(parts[3:])
                location = f"{base}/repositories/{self.state.moved[full_name]}" + (f"/{rest}" if rest else "")
                if query:
                    location += "?" + urlencode(query)
                return _json_reply(301, {"message": "Moved Permanently", "url": location,
                                         "documentation_url": DOCS}, headers={"Location": location})
            repo = self.state.repos.get(full_name)
            if repo is None or self.state.status.get(full_name) == 404:
                return _error(404, "Not Found")
            return self._repo_route(repo, parts[3:], query, base, f"/repos/{parts[1]}/{parts[2]}")
        return _error(404, "Not Found")

    def _repo_route(self, repo: RepoState, rest: list[str], query: dict[str, str], base: str,
                    prefix: str) -> Reply:
        status = self.state.status.get(repo.full_name.lower())
        if status == 451:
            return _error(451, "Repository access blocked",
                          block={"reason": "dmca", "created_at": "2022-01-01T00:00:00Z"})
        if not rest:
            last = max(repo.repo.get("updated_at") or "", repo.newest_update())
            return _json_reply(200, repo.repo, cacheable=True, last_modified=last)
        if rest[0] == "issues" and status == 410:
            return _error(410, "Issues are disabled for this repo")
        link_path = f"{base}{prefix}/{'/'.join(rest)}"
        if rest == ["issues"]:
            return self._issue_list(repo, query, link_path)
        if rest == ["issues", "events"]:
            # GitHub embeds the issue's current state in each event of the repository-wide list.
            return self._page(repo.events, query, link_path, serialize=repo.event_json)
        if len(rest) >= 2 and rest[0] == "issues" and rest[1].isdigit():
            number = int(rest[1])
            if number in repo.deleted:
                return _error(410, "This issue was deleted")
            if number not in repo.issues:
                return _error(404, "Not Found")
            if len(rest) == 2:
                issue = repo.issues.get(number)
                if issue["state"] == "closed":
                    issue["closed_by"] = repo.closer(number)
                return _json_reply(200, issue, cacheable=True, last_modified=issue["updated_at"])
            if rest[2:] == ["events"]:
                # Unlike the repository-wide list, an issue's own events do not embed the issue.
                events = [e for e in reversed(repo.events) if e.number == number]
                return self._page(events, query, link_path, serialize=StoredEvent.without_issue)
            if rest[2:] == ["comments"]:
                return self._page(repo.comments.get(number, []), query, link_path)
            if rest[2:] == ["reactions"]:
                return self._page([], query, link_path)
        if len(rest) == 4 and rest[:2] == ["issues", "comments"] and rest[3] == "reactions":
            return self._page([], query, link_path)
        if rest == ["labels"]:
            return self._page(repo.labels, query, link_path)
        if rest == ["contributors"]:
            if not repo.contributors:
                return Reply(204)
            return self._page(repo.contributors, query, link_path)
        return _error(404, "Not Found")

    def _issue_list(self, repo: RepoState, query: dict[str, str], link_path: str) -> Reply:
        state = query.get("state", "open")
        sort = query.get("sort", "created")
        direction = query.get("direction", "desc")
        if state not in ("open", "closed", "all") or sort not in ("created", "updated", "comments") \
                or direction not in ("asc", "desc"):
            return _error(422, "Validation Failed", errors=[{"resource": "Issue", "code": "invalid",
                                                             "field": "state/sort/direction"}])
        since = None
        if query.get("since"):
            try:
                since = normalize_timestamp(query["since"])
            except ValueError:
                return _error(422, "Validation Failed", errors=[{"field": "since", "code": "invalid"}])
        numbers = repo.ordered(sort, direction) if since is None else repo.updated_since(sort, direction, since)
        if state != "all":
            numbers = [n for n in numbers if repo.issues.field(n, "state") == state]
        return self._page(numbers, query, link_path, serialize=repo.issues.json,
                          stamp=lambda n: repo.issues.field(n, "updated_at"))

    def _page(self, items: Sequence[Any], query: dict[str, str], link_path: str,
              serialize: Callable[[Any], bytes] | None = None,
              stamp: Callable[[Any], str] | None = None) -> Reply:
        """One page of a list with GitHub's Link header; only the page's items are serialized."""
        per_page = _int(query.get("per_page"), 30, 1, 100)
        page = _int(query.get("page"), 1, 1, None)
        if self.faults.max_page is not None and page > self.faults.max_page:
            return _error(422, "In order to keep the API fast for everyone, pagination is limited for this "
                               "resource. Check the rel=last link relation in the Link response header to see "
                               "how far back you can traverse.")
        last_page = max(1, -(-len(items) // per_page))
        start = (page - 1) * per_page
        chunk = items[start:start + per_page]
        links = []

        def link(number: int, rel: str) -> str:
            return f'<{link_path}?{urlencode({**query, "page": number})}>; rel="{rel}"'

        if page > 1:
            links.append(link(min(page - 1, last_page), "prev"))
        if page < last_page:
            links += [link(page + 1, "next"), link(last_page, "last")]
        if page > 1:
            links.append(link(1, "first"))
        headers = {"Link": ", ".join(links)} if links else {}
        newest = max(map(stamp, chunk), default=None) if stamp else None
        return Reply(200, b"[" + b",".join(map(serialize or _dumps, chunk)) + b"]", headers, last_modified=newest,
                     cacheable=True)


def _token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() in ("token", "bearer") and value.strip() else None


def _not_modified(headers: Any, etag: str, last_modified: str | None) -> bool:
    if_none_match = headers.get("If-None-Match")
    if if_none_match:
        wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in wanted or etag.removeprefix("W/") in wanted
    since = parse_http_date(headers.get("If-Modified-Since") or "")
    if since is not None and last_modified:
        return parse_timestamp(last_modified) <= since
    return False


def _int(value: str | None, default: int, low: int, high: int | None) -> int:
    try:
        number = int(value) if value not in (None, "") else default
    except ValueError:
        return default
    number = max(low, number)
    return min(high, number) if high is not None else number


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients expect of GitHub
    # Headers and body go out in separate writes: without this, Nagle's algorithm and delayed ACKs
    # add ~40 ms to every keep-alive answer.
    disable_nagle_algorithm = True
    server_version = "GitHub.com"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the counters tell the story
        pass

    def _serve(self, method: str) -> None:
        emulator: GitHubEmulator = self.server.emulator  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply, fault = emulator.handle(method, self.path, self.headers, body)
        self.send_response(reply.status)
        full_length = len(reply.body)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(full_length))
        self.end_headers()
        if fault == "drop" and reply.body:
            self.wfile.write(reply.body[: full_length // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if reply.body:
            self.wfile.write(reply.body)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")
