"""Fetch repositories with the GitHub client and store them: the core of the
``repo_metadata[repo]`` and ``raw_issues[repo]`` partitions.

Two paths give the same rows: REST (:func:`fetch_repository`, one repository per thread) and GraphQL
(:func:`fetch_repositories_graphql`: repositories probed and their issues walked many per query, REST kept
for the contributor count and for repositories GraphQL cannot resolve). ``GitHubAccess.api`` chooses.

A fetch starts from the repository's stored :data:`fetch_state` (the issue cursor and the
newest issue-event id read), asks GitHub only for what changed since, and
:func:`store_fetch` merges it into that repository's rows in one transaction together with the
new cursor, so a crash between the two can never skip changes. :func:`fetch_repositories` does
this for many repositories at once, in threads; :func:`refresh_repository` for one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from issue_assets.github.access import GitHubAccess
from issue_assets.github.client import GitHubClient, RequestStats
from issue_assets.github.errors import RUN_WIDE_ERRORS, GitHubError, RetriesExhausted
from issue_assets.github.graphql import (
    PROBE_BATCH,
    IssueWalk,
    RepositoryProbe,
    fetch_labels,
    probe_repositories,
    walk_issues,
)
from issue_assets.github.labels import DEFAULT_LABELS
from issue_assets.github.times import normalize_timestamp, parse_timestamp, utc_now
from issue_assets.progress import Progress, report
from issue_assets.warehouse import SCHEMAS, Warehouse, conform, replace_rows, repository_rows

ISSUE_COLUMNS = [c for c, _ in SCHEMAS["raw_issues"]]


@dataclass
class FetchState:
    issues_cursor: str | None = None
    newest_event_id: int | None = None
    closers_complete: bool | None = None
    pull_requests: int | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | None) -> FetchState:
        if not row:
            return cls()
        event_id = row.get("newest_event_id")
        return cls(
            issues_cursor=row.get("issues_cursor") or None,
            newest_event_id=None if event_id is None or pd.isna(event_id) else int(event_id),
            closers_complete=row.get("closers_complete"),
            pull_requests=row.get("pull_requests"),
        )


@dataclass
class RepositoryFetch:
    """What one fetch of one repository brought back."""

    repo: str
    state: str  # ok | renamed | not_found | gone | blocked
    fetched_at: datetime
    metadata: dict[str, Any] | None = None  # a repo_metadata row
    changed_issues: pd.DataFrame | None = None  # raw_issues rows updated since the cursor
    closers: dict[int, str] = field(default_factory=dict)
    new_state: FetchState | None = None
    complete: bool = False  # the issue listing started without a cursor: it holds every issue
    stats: RequestStats = field(default_factory=RequestStats)
    message: str = ""

    @property
    def available(self) -> bool:
        return self.state in ("ok", "renamed")


def _timestamp(value: Any) -> datetime | None:
    """A naive UTC datetime (how the warehouse stores times)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:  # the standard library's ISO parser: 15x faster than pd.Timestamp, which is 3 of 4 per issue
            moment = parse_timestamp(value)
        except ValueError:
            moment = pd.Timestamp(value).to_pydatetime()
    else:
        moment = pd.Timestamp(value).to_pydatetime()
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _login(user: Any) -> str | None:
    return user.get("login") if isinstance(user, dict) else None


def issue_row(repo: str, item: Mapping[str, Any], fetched_at: datetime) -> dict[str, Any]:
    """One raw_issues row from a GitHub issue object (as the list endpoint returns it)."""
    reactions = item.get("reactions")
    milestone = item.get("milestone")
    return {
        "repo": repo,
        "number": int(item["number"]),
        "id": item.get("id"),
        "title": item.get("title") or "",
        "body": item.get("body") or "",
        "state": item.get("state"),
        "state_reason": item.get("state_reason"),
        "user_login": _login(item.get("user")),
        "author_association": item.get("author_association"),
        "created_at": _timestamp(item.get("created_at")),
        "updated_at": _timestamp(item.get("updated_at")),
        "closed_at": _timestamp(item.get("closed_at")),
        "closed_by": _login(item.get("closed_by")),  # present on the single-issue endpoint only
        "comments": int(item.get("comments") or 0),
        "labels": [label.get("name") if isinstance(label, dict) else str(label) for label in item.get("labels") or []],
        "assignees": [a.get("login") for a in item.get("assignees") or [] if isinstance(a, dict)],
        "milestone": milestone.get("title") if isinstance(milestone, dict) else None,
        "locked": bool(item.get("locked")),
        "reactions": int(reactions.get("total_count") or 0) if isinstance(reactions, dict) else 0,
        "is_pull_request": "pull_request" in item,
        "html_url": item.get("html_url"),
        "fetched_at": _timestamp(fetched_at),
        "deleted_at": None,
    }


def metadata_row(repo: str, state: str, http_status: int, message: str, data: Mapping[str, Any] | None,
                 labels: list[dict] | None, contributors: int | None, fetched_at: datetime) -> dict[str, Any]:
    data = data or {}
    license_ = data.get("license")
    label_names = [label.get("name") for label in labels or [] if isinstance(label, dict)]
    return {
        "repo": repo,
        "full_name": data.get("full_name"),
        "state": state,
        "http_status": http_status,
        "message": message or None,
        "github_id": data.get("id"),
        "description": data.get("description"),
        "stars": data.get("stargazers_count"),
        "forks": data.get("forks_count"),
        "watchers": data.get("subscribers_count", data.get("watchers_count")),
        "open_issues_and_prs": data.get("open_issues_count"),
        "language": data.get("language"),
        "license": license_.get("spdx_id") if isinstance(license_, dict) else None,
        "archived": data.get("archived"),
        "is_fork": data.get("fork"),
        "has_issues": data.get("has_issues"),
        "account_type": _login_type(data.get("owner")),
        "created_at": _timestamp(data.get("created_at")),
        "pushed_at": _timestamp(data.get("pushed_at")),
        "labels": label_names if labels is not None else None,
        "n_labels_defined": len(label_names) if labels is not None else None,
        "n_custom_labels": sum(name not in DEFAULT_LABELS for name in label_names) if labels is not None else None,
        "contributors": contributors,
        "fetched_at": _timestamp(fetched_at),
    }


def _login_type(owner: Any) -> str | None:
    return owner.get("type") if isinstance(owner, dict) else None


def fetch_repository(client: GitHubClient, repo: str, previous: FetchState | None = None, *,
                     metadata: bool = True, issues: bool = True, full_refresh: bool = False) -> RepositoryFetch:
    """Fetch what changed in ``repo`` since ``previous`` (everything when ``full_refresh``)."""
    previous = FetchState() if previous is None or full_refresh else previous
    before = client.stats.copy()
    fetched_at = utc_now()
    result = client.get_repo(repo)
    fetch = RepositoryFetch(repo, result.state, fetched_at, complete=previous.issues_cursor is None,
                            message=result.message)
    if not result.available or not result.full_name:
        fetch.metadata = metadata_row(repo, result.state, result.status, result.message, None, None, None, fetched_at)
        fetch.stats = client.stats.since(before)
        return fetch
    name = result.full_name
    if metadata:
        fetch.metadata = metadata_row(repo, result.state, result.status, result.message, result.data,
                                      client.list_labels(name), client.count_contributors(name), fetched_at)
    if issues:
        listing = client.fetch_issues(name, since=previous.issues_cursor)
        events = client.closed_events(name, known_event_id=previous.newest_event_id)
        fetch.changed_issues = pd.DataFrame([issue_row(repo, item, fetched_at) for item in listing.issues],
                                            columns=ISSUE_COLUMNS)
        fetch.closers = events.closers
        fetch.new_state = FetchState(
            issues_cursor=listing.cursor or previous.issues_cursor,
            newest_event_id=events.newest_event_id,
            closers_complete=events.complete if previous.closers_complete is None else
            (previous.closers_complete and events.complete),
            pull_requests=len(listing.pull_requests) if fetch.complete else None,
        )
    fetch.stats = client.stats.since(before)
    return fetch


def merge_issues(previous: pd.DataFrame, changed: pd.DataFrame, closers: Mapping[int, str],
                 complete: bool = False, fetched_at: datetime | None = None) -> pd.DataFrame:
    """A repository's rows after a fetch: changed issues replace their previous version, and each
    closed issue's ``closed_by`` is the newest closer seen (from this fetch's events, else kept).
    A ``complete`` listing holds every issue the repository still has: an issue absent from it was
    deleted or transferred, and keeps its last-seen row with ``deleted_at`` (the first listing
    without it, ``fetched_at``); an issue that comes back is alive again."""
    previous = previous.reindex(columns=ISSUE_COLUMNS)
    changed = changed.reindex(columns=ISSUE_COLUMNS)
    kept = previous[~previous["number"].isin(changed["number"])].copy()
    if complete and not kept.empty:
        gone = kept["deleted_at"].isna()
        kept["deleted_at"] = kept["deleted_at"].astype("datetime64[us]")
        kept.loc[gone, "deleted_at"] = _timestamp(fetched_at or utc_now())
    earlier_closer = dict(zip(previous["number"], previous["closed_by"], strict=True))
    parts = [frame for frame in (kept, changed) if not frame.empty]
    merged = pd.concat(parts, ignore_index=True) if parts else previous.iloc[0:0].copy()
    merged = merged.sort_values("number", kind="stable").reset_index(drop=True)

    def closer(state: str, number: int, current: object) -> str | None:
        if state != "closed":
            return None
        if number in closers:
            return closers[number] or None
        if isinstance(current, str) and current:
            return current
        value = earlier_closer.get(number)
        return value if isinstance(value, str) and value else None

    # An object column keeps None as None (pandas 3 would turn a string column's None into NaN).
    merged["closed_by"] = pd.Series(
        [closer(s, int(n), c) for s, n, c in zip(merged["state"], merged["number"], merged["closed_by"], strict=True)],
        index=merged.index, dtype=object)
    return merged


@dataclass
class StoredFetch:
    repo: str
    state: str
    issues: int | None  # the repository's live issues after the merge (None: issues not fetched)
    changed: int  # issues new or updated since the previous fetch
    open: int | None
    stats: RequestStats
    message: str = ""
    deleted: int = 0  # issues this fetch found deleted or transferred


def _same_issues(previous: pd.DataFrame, merged: pd.DataFrame) -> bool:
    """Whether ``merged`` holds the issues of ``previous`` unchanged. GitHub moves ``updated_at`` with
    every change to an issue; the closer (from the events) and the deletion mark are the stored
    values that can change without it."""
    if len(previous) != len(merged):
        return False
    previous = previous.sort_values("number", kind="stable").reset_index(drop=True)

    def values(frame: pd.DataFrame, column: str) -> list:
        return frame[column].astype(object).where(frame[column].notna(), None).tolist()

    return all(values(previous, c) == values(merged, c) for c in ("number", "updated_at", "closed_by", "deleted_at"))


def load_state(conn: duckdb.DuckDBPyConnection, repo: str) -> FetchState:
    rows = repository_rows(conn, "fetch_state", repo)
    return FetchState.from_row(rows.iloc[0].to_dict() if len(rows) else None)


def store_fetch(conn: duckdb.DuckDBPyConnection, fetch: RepositoryFetch) -> StoredFetch:
    """Write one fetch in the current transaction: repo_metadata, raw_issues and fetch_state rows
    of exactly that repository. An unavailable repository keeps its issues (reported, not erased)."""
    if fetch.metadata is not None:
        replace_rows(conn, "repo_metadata", fetch.repo, pd.DataFrame([fetch.metadata]))
    if fetch.changed_issues is None or fetch.new_state is None:
        return StoredFetch(fetch.repo, fetch.state, None, 0, None, fetch.stats, fetch.message)
    previous = repository_rows(conn, "raw_issues", fetch.repo)
    merged = merge_issues(previous, fetch.changed_issues, fetch.closers, complete=fetch.complete,
                          fetched_at=fetch.fetched_at)
    # A refresh re-reads the newest window; count only the issues that really changed.
    known = dict(zip(previous["number"], previous["updated_at"], strict=True))
    changed = sum(known.get(n) != u for n, u in zip(fetch.changed_issues["number"], fetch.changed_issues["updated_at"],
                                                     strict=True))
    # A refresh that changed nothing rewrites nothing (the cursor below records the fetch).
    if changed or not _same_issues(previous, merged):
        replace_rows(conn, "raw_issues", fetch.repo, merged)
    state = fetch.new_state
    if state.pull_requests is None:
        state.pull_requests = load_state(conn, fetch.repo).pull_requests
    replace_rows(conn, "fetch_state", fetch.repo, conform(pd.DataFrame([{
        "repo": fetch.repo, "issues_cursor": state.issues_cursor, "newest_event_id": state.newest_event_id,
        "closers_complete": state.closers_complete, "pull_requests": state.pull_requests,
        "last_fetched_at": _timestamp(fetch.fetched_at),
    }]), "fetch_state"))
    alive = merged["deleted_at"].isna()
    newly_deleted = int((merged["deleted_at"] == _timestamp(fetch.fetched_at)).sum())  # marked by this fetch
    return StoredFetch(fetch.repo, fetch.state, int(alive.sum()), changed,
                       int((alive & (merged["state"] == "open")).sum()), fetch.stats, fetch.message, newly_deleted)


def _store_batch(warehouse: Warehouse, fetched: list[RepositoryFetch], stored: list[StoredFetch],
                 progress: Progress, access: GitHubAccess, log: logging.Logger | logging.LoggerAdapter) -> None:
    """Store the fetches that finished while the last write ran, in one transaction: each repository's
    rows and cursor stay together, and a connection (30-50 ms on a file) serves several."""
    with warehouse.transaction() as conn:
        batch = [store_fetch(conn, result) for result in fetched]
    for result, written in zip(fetched, batch, strict=True):
        stored.append(written)
        if not result.available:
            log.warning("%s is %s (HTTP %s): kept its stored issues", result.repo, result.state,
                        result.metadata and result.metadata.get("http_status"))
        progress.advance()
        # Requests the other repositories of the run will need, at this run's average so far.
        needed = sum(s.stats.requests for s in stored) / len(stored) * (progress.total - progress.done)
        log.info("%s: %s issues, %s changed, %d requests (%d answered 304), %.0f s waited; run: %s; "
                 "rate limit %s", result.repo, written.issues, written.changed, result.stats.requests,
                 result.stats.not_modified, result.stats.wait_seconds,
                 progress.describe(access.pool.wait_for(needed, time.time())), access.pool.describe(time.time()))
        report("fetch", detail=f"{result.repo}: {written.issues} issues, {result.stats.requests} requests")


def refresh_repository(client: GitHubClient, warehouse: Warehouse, repo: str,
                       **options: Any) -> tuple[RepositoryFetch, StoredFetch]:
    """Load the repository's cursor, fetch what changed, store it: one repository, one thread."""
    with warehouse.connect(read_only=True) as conn:
        state = load_state(conn, repo)
    fetch = fetch_repository(client, repo, state, **options)
    with warehouse.transaction() as conn:
        return fetch, store_fetch(conn, fetch)


@dataclass
class FetchRun:
    """What a fetch of several repositories stored, and which failed (and why)."""

    stored: list[StoredFetch]  # sorted by repository
    failed: dict[str, str]
    shared: RequestStats = field(default_factory=RequestStats)  # GraphQL queries, each serving several

    @property
    def stats(self) -> RequestStats:
        return RequestStats.total([*(s.stats for s in self.stored), self.shared])


def fetch_repositories(access: GitHubAccess, warehouse: Warehouse, repos: Sequence[str], *, metadata: bool = True,
                       issues: bool = True, full_refresh: bool = False,
                       log: logging.Logger | logging.LoggerAdapter | None = None) -> FetchRun:
    """Fetch ``repos`` (``access.parallel`` at a time, one client per thread) and store each as soon as
    it is fetched. A repository that fails is reported in the result (``failed``), never stored half:
    the others are stored and will not be fetched again from scratch. An error that concerns every
    repository (``RUN_WIDE_ERRORS``: a refused token, a spent rate limit, an API that does not answer)
    stops the run and is raised once. ``log`` gets a line per repository, with the run's progress and
    the rate limit left. With ``access.api == "graphql"`` the repositories are fetched in batched
    GraphQL queries (:func:`fetch_repositories_graphql`)."""
    if access.api == "graphql":
        try:
            return fetch_repositories_graphql(access, warehouse, repos, metadata=metadata, issues=issues,
                                              full_refresh=full_refresh, log=log)
        except BaseException:
            access.stop()  # as below: interrupted or run-wide, the clients still running stop
            raise
    log = log or logging.getLogger(__name__)
    repos = list(repos)
    with warehouse.connect(read_only=True) as conn:
        states = {repo: load_state(conn, repo) for repo in repos}

    def fetch(repo: str) -> RepositoryFetch:
        client = access.client()
        try:
            return fetch_repository(client, repo, states.get(repo, FetchState()), metadata=metadata, issues=issues,
                                    full_refresh=full_refresh)
        finally:
            client.session.close()

    stored: list[StoredFetch] = []
    failed: dict[str, str] = {}
    progress = Progress("fetch", len(repos), "repositories")
    pool = ThreadPoolExecutor(max_workers=max(1, min(access.parallel, len(repos))))
    futures = {pool.submit(fetch, repo): repo for repo in repos}
    pending = set(futures)
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            fetched = []
            for future in sorted(done, key=futures.get):
                # A done future holds its repository's issues: forget it, or a run would keep every
                # repository it fetched in memory until its end.
                repo = futures.pop(future)
                try:
                    fetched.append(future.result())
                except RUN_WIDE_ERRORS:
                    raise  # reported once, by the caller, not once per repository
                except GitHubError as exc:
                    if isinstance(exc, RetriesExhausted):
                        access.check()  # raises APIUnreachable when the API itself stopped answering
                    failed[repo] = f"{type(exc).__name__}: {exc}"
                    progress.advance()
                    log.error("%s (%s): %s", repo, progress.describe(), failed[repo])
                    report("fetch", detail=f"{repo} failed")
            if fetched:
                _store_batch(warehouse, fetched, stored, progress, access, log)
    except BaseException:
        # Interrupted (Ctrl-C, a run cancelled from the UI) or an error that concerns every repository:
        # the fetches still running stop at their next request, and what was stored stays stored.
        access.stop()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return FetchRun(sorted(stored, key=lambda s: s.repo), failed)


# ---------------------------------------------------------------------------------------------- GraphQL


def _stored_list(value: Any) -> list | None:
    if value is None or (not hasattr(value, "__len__") and pd.isna(value)):
        return None
    return list(value)


def _stored_value(value: Any) -> Any:
    return None if value is None or (not isinstance(value, list | tuple) and pd.isna(value)) else value


@dataclass
class _Plan:
    """What the GraphQL path does for one repository after the probe."""

    repo: str
    probe: RepositoryProbe
    previous: FetchState
    live: set[int]
    fetch: RepositoryFetch
    labels: list[dict] | None = None
    contributors: Any = None  # an int, None, or the future of a REST count
    walk: IssueWalk | None = None
    complete: bool = False


def fetch_repositories_graphql(access: GitHubAccess, warehouse: Warehouse, repos: Sequence[str], *,
                               metadata: bool = True, issues: bool = True, full_refresh: bool = False,
                               log: logging.Logger | logging.LoggerAdapter | None = None) -> FetchRun:
    """:func:`fetch_repositories` through GraphQL, with the same rows and the same store-as-you-go semantics
    (each repository's rows and cursor in one transaction, written as soon as its issues are all in).

    1. A probe query per 100 repositories: metadata, counts, the labels defined (first fetch) and, on a
       refresh, the update time of each one's most recently updated issue.
    2. A repository whose newest update is not past its cursor and whose issue count did not change is
       unchanged: no issue query. The contributor count (REST; GraphQL has none) is asked again only when
       ``pushedAt`` moved, the labels only when their count did.
    3. The others' issues are walked many repositories per query (``github.graphql.walk_issues``); a
       refresh whose walk leaves the count unexplained (an issue deleted or transferred) lists the
       repository whole, which marks the missing issues.
    4. Repositories GraphQL cannot resolve (renamed, deleted, blocked) or whose issues are disabled go
       through the REST path, which reports their state as before.
    """
    log = log or logging.getLogger(__name__)
    repos = list(repos)
    previous_rows = {row["repo"]: row for row in warehouse.previous_fetches(repos).to_dict("records")}
    fetched_at = utc_now()
    client = access.graphql_client()
    stored: list[StoredFetch] = []
    failed: dict[str, str] = {}
    progress = Progress("fetch", len(repos), "repositories")

    def previous_state(repo: str) -> FetchState:
        row = previous_rows.get(repo) or {}
        return FetchState() if full_refresh or not row.get("fetched") else FetchState.from_row(
            {k: _stored_value(row.get(k)) for k in ("issues_cursor", "newest_event_id", "closers_complete",
                                                     "pull_requests")})

    def fail(repo: str, message: str) -> None:
        failed[repo] = message
        progress.advance()
        log.error("%s (%s): %s", repo, progress.describe(), message)
        report("fetch", detail=f"{repo} failed")

    def store(fetches: list[RepositoryFetch]) -> None:
        if fetches:  # the REST path's batch write and per-repository lines
            _store_batch(warehouse, fetches, stored, progress, access, log)

    def rest_fetch(repo: str) -> RepositoryFetch:
        rest = access.client()
        try:
            return fetch_repository(rest, repo, previous_state(repo), metadata=metadata, issues=issues,
                                    full_refresh=full_refresh)
        finally:
            rest.session.close()

    def count_contributors(name: str) -> tuple[int | None, RequestStats]:
        rest = access.client()
        try:
            return rest.count_contributors(name), rest.stats
        finally:
            rest.session.close()

    # 1. The probe, 100 repositories a query.
    probes: dict[str, RepositoryProbe] = {}
    need_labels = [r for r in repos if metadata and (full_refresh or _stored_list(
        (previous_rows.get(r) or {}).get("labels")) is None)]
    refreshing = [r for r in repos if issues and previous_state(r).issues_cursor is not None]
    for start in range(0, len(repos), PROBE_BATCH):
        batch = repos[start:start + PROBE_BATCH]
        try:
            probes.update(probe_repositories(client, batch, labels=need_labels, newest=refreshing))
        except RUN_WIDE_ERRORS:
            raise  # reported once by the caller, not once per repository
        except GitHubError as exc:
            for repo in batch:
                fail(repo, f"{type(exc).__name__}: {exc}")

    with ThreadPoolExecutor(max_workers=max(1, access.parallel)) as pool:
        rest_fetches: dict[str, Any] = {}
        plans: dict[str, _Plan] = {}
        for repo in repos:
            probe = probes.get(repo)
            if probe is None:
                continue
            if probe.error or probe.renamed or probe.repo.get("has_issues") is False:
                if probe.error:
                    log.info("%s: GraphQL says %s; asking REST for its state", repo, probe.error)
                rest_fetches[repo] = pool.submit(rest_fetch, repo)
                continue
            row = previous_rows.get(repo) or {}
            plan = _Plan(repo, probe, previous_state(repo), set(_stored_list(row.get("live_numbers")) or []),
                         RepositoryFetch(repo, "ok", fetched_at, complete=False))
            if metadata:
                stored_labels = _stored_list(row.get("labels"))
                plan.labels = probe.labels if probe.labels is not None else (
                    [{"name": n} for n in stored_labels] if stored_labels is not None
                    and len(stored_labels) == probe.label_count else None)
                pushed = _timestamp(probe.repo.get("pushed_at"))
                known = _stored_value(row.get("contributors"))
                same_push = row.get("metadata_state") in ("ok", "renamed") and _stored_value(row.get("pushed_at")) \
                    is not None and pd.Timestamp(row["pushed_at"]).to_pydatetime() == pushed
                plan.contributors = int(known) if known is not None and same_push and not full_refresh else \
                    pool.submit(count_contributors, probe.repo["full_name"])
            if issues:
                _plan_walk(plan, full_refresh)
            plans[repo] = plan

        # Labels whose count changed since the last fetch (a refresh).
        relabel = [p.repo for p in plans.values() if metadata and p.labels is None]
        if relabel:
            try:
                fresh = fetch_labels(client, relabel)
            except RUN_WIDE_ERRORS:
                raise  # reported once by the caller, not once per repository
            except GitHubError as exc:
                fresh = {}
                for repo in relabel:
                    fail(repo, f"{type(exc).__name__}: {exc}")
                    plans.pop(repo)
            for repo, labels in fresh.items():
                if repo in plans:
                    plans[repo].labels = labels

        def finish(plan: _Plan) -> RepositoryFetch | None:
            """The plan's fetch, once its contributor count is in; None when that failed."""
            fetch = plan.fetch
            if metadata:
                contributors = plan.contributors
                if hasattr(contributors, "result"):
                    try:
                        contributors, rest_stats = contributors.result()
                    except RUN_WIDE_ERRORS:
                        raise  # reported once by the caller, not once per repository
                    except GitHubError as exc:
                        fail(plan.repo, f"{type(exc).__name__}: {exc}")
                        return None
                    fetch.stats = RequestStats.total([fetch.stats, rest_stats])
                fetch.metadata = metadata_row(plan.repo, "ok", 200, "", plan.probe.repo, plan.labels, contributors,
                                              fetched_at)
            if issues:
                walk = plan.walk
                found = walk.issues if walk is not None else {}
                fetch.changed_issues = pd.DataFrame(
                    [issue_row(plan.repo, found[n], fetched_at) for n in sorted(found)], columns=ISSUE_COLUMNS)
                fetch.closers = dict(walk.closers) if walk is not None else {}
                fetch.complete = plan.complete
                cursors = [c for c in (plan.previous.issues_cursor, walk.newest if walk else None) if c]
                fetch.new_state = FetchState(
                    issues_cursor=max(cursors) if cursors else None,
                    newest_event_id=plan.previous.newest_event_id,
                    closers_complete=True if plan.previous.closers_complete is None else
                    plan.previous.closers_complete,
                    pull_requests=plan.probe.pull_requests if plan.complete else None,
                )
            return fetch

        # 2. Repositories with nothing to walk are stored at once.
        store([f for f in (finish(p) for p in plans.values() if p.walk is None) if f is not None])

        # 3. The walks; a refresh whose count does not add up lists the repository whole.
        relist: list[_Plan] = []
        by_walk = {id(p.walk): p for p in plans.values() if p.walk is not None}

        def walked(walks: list[IssueWalk]) -> None:
            ready = []
            for walk in walks:
                plan = by_walk[id(walk)]
                if walk.failed:
                    fail(plan.repo, walk.failed)
                elif walk.error:
                    log.info("%s: GraphQL says %s; asking REST for its state", plan.repo, walk.error)
                    rest_fetches[plan.repo] = pool.submit(rest_fetch, plan.repo)
                elif not plan.complete and len(plan.live | set(walk.issues)) != plan.probe.issues:
                    relist.append(plan)
                else:
                    fetch = finish(plan)
                    if fetch is not None:
                        ready.append(fetch)
            store(ready)

        walk_issues(client, [p.walk for p in plans.values() if p.walk is not None], walked)
        if relist:
            for plan in relist:
                known = len(plan.live | set(plan.walk.issues))
                log.info("%s: %d issues on GitHub, %d known after the refresh: listing it whole to find the "
                         "deleted or transferred ones", plan.repo, plan.probe.issues, known)
                plan.walk, plan.complete = IssueWalk(plan.probe.repo["full_name"], None, plan.probe.issues), True
                by_walk[id(plan.walk)] = plan
            walk_issues(client, [p.walk for p in relist], walked)

        # 4. The REST fallbacks.
        for repo in sorted(rest_fetches):
            try:
                fetch = rest_fetches[repo].result()
            except RUN_WIDE_ERRORS:
                raise  # reported once by the caller, not once per repository
            except GitHubError as exc:
                fail(repo, f"{type(exc).__name__}: {exc}")
                continue
            store([fetch])
    client.session.close()
    return FetchRun(sorted(stored, key=lambda s: s.repo), failed, client.stats.copy())


def _plan_walk(plan: _Plan, full_refresh: bool) -> None:
    """Which issues of the repository to ask for: all (first fetch, full refresh), those updated since the
    cursor (it changed), or none."""
    probe, previous = plan.probe, plan.previous
    name = probe.repo["full_name"]
    if full_refresh or previous.issues_cursor is None:
        plan.complete = True
        if probe.issues or plan.live:
            plan.walk = IssueWalk(name, None, probe.issues)
        return
    newest = normalize_timestamp(probe.newest_update) if probe.newest_update else None
    if (newest is not None and newest > previous.issues_cursor) or probe.issues != len(plan.live):
        new = max(0, probe.issues - len(plan.live))
        # How many changed is unknown: the new ones and a few updated; a longer walk asks for full pages.
        plan.walk = IssueWalk(name, previous.issues_cursor, new + 2)
