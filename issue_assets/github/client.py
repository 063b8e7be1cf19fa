"""A rate-limit-aware client for the GitHub REST API, built on ``requests``.

The same code path serves api.github.com, GitHub Enterprise (``https://host/api/v3``) and the
project's emulator. What it does for a miner:

* lists a repository's issues and pull requests in ``since``-windows ordered by ``updated``,
  so that no page number ever goes deep (GitHub answers 422 there) and an issue updated or
  deleted during the walk cannot shift another one past a page boundary;
* sends conditional requests from a persistent ETag cache: an unchanged resource costs a
  ``304`` and no rate-limit point;
* spreads work over a pool of tokens, waits for the reset when all are spent, backs off on
  secondary limits, retries 5xx / timeouts / broken bodies with exponential backoff and jitter;
* follows renamed repositories (301) and reports deleted, blocked and issue-less ones as a
  state instead of crashing;
* counts everything it does in :class:`RequestStats`.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

from issue_assets.github.cache import ConditionalCache
from issue_assets.github.errors import (
    REPOSITORY_STATES,
    AuthenticationError,
    FetchCancelled,
    GitHubHTTPError,
    InvalidRepoName,
    RateLimitExceeded,
    RepositoryUnavailable,
    ResponseFormatError,
    RetriesExhausted,
)
from issue_assets.github.times import normalize_timestamp, parse_timestamp
from issue_assets.github.tokens import TokenPool, tokens_from
from issue_assets.progress import format_duration, history_fraction

DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
# GitHub refuses page numbers past this point on large lists (422).
MAX_PAGE = 100
USER_AGENT = "issue-assets (+https://github.com/) python-requests"

logger = logging.getLogger("issue_assets.github")

# GitHub: owner 1-39 alphanumerics or single hyphens; repository name 1-100 of [A-Za-z0-9._-].
_REPO_NAME = re.compile(r"^(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<name>[A-Za-z0-9._-]{1,100})$")
_SECONDARY_LIMIT_TEXT = ("secondary rate limit", "abuse detection", "abuse-rate-limits")
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')


def parse_repo_name(full_name: str) -> tuple[str, str]:
    """Split ``owner/name``; raise :class:`InvalidRepoName` with the offending value otherwise."""
    if not isinstance(full_name, str):
        raise InvalidRepoName(f"repository name must be a string 'owner/name', got {full_name!r}")
    match = _REPO_NAME.match(full_name.strip())
    if not match or match["name"] in {".", ".."}:
        raise InvalidRepoName(
            f"{full_name!r} is not a GitHub repository name of the form 'owner/name' "
            "(owner: letters, digits and hyphens; name: letters, digits, '.', '-' and '_')"
        )
    return match["owner"], match["name"]


def api_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, list[str | None]]:
    """The API's address and token pool: ``GITHUB_API_URL`` (default api.github.com) and ``GITHUB_TOKEN``
    (comma-separated; none: anonymous)."""
    env = os.environ if environ is None else environ
    return env.get("GITHUB_API_URL") or DEFAULT_API_URL, tokens_from(env.get("GITHUB_TOKEN") or None)


def parse_link_header(value: str | None) -> dict[str, str]:
    """``Link: <url>; rel="next", ...`` as ``{"next": url, ...}``."""
    return {rel: url for url, rel in _LINK.findall(value or "")}


def page_number(url: str) -> int:
    values = parse_qs(urlsplit(url).query).get("page")
    try:
        return int(values[-1]) if values else 1
    except ValueError:
        return 1


@dataclass
class RequestStats:
    """What the client did; assets put :meth:`as_metadata` in their materialization metadata."""

    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    redirects: int = 0
    wait_seconds: float = 0.0
    rate_limit_points: int = 0
    by_status: Counter = field(default_factory=Counter)
    graphql_queries: int = 0  # GraphQL requests answered with data (also counted in ``requests``)
    graphql_points: int = 0  # GraphQL points spent (a budget of its own; REST's are rate_limit_points)

    def copy(self) -> RequestStats:
        return RequestStats(
            self.requests, self.not_modified, self.retries, self.redirects,
            self.wait_seconds, self.rate_limit_points, Counter(self.by_status), self.graphql_queries,
            self.graphql_points,
        )

    def since(self, earlier: RequestStats) -> RequestStats:
        """The work done after ``earlier`` (a :meth:`copy` taken before)."""
        by_status = Counter(self.by_status)
        by_status.subtract(earlier.by_status)
        return RequestStats(
            self.requests - earlier.requests,
            self.not_modified - earlier.not_modified,
            self.retries - earlier.retries,
            self.redirects - earlier.redirects,
            round(self.wait_seconds - earlier.wait_seconds, 3),
            self.rate_limit_points - earlier.rate_limit_points,
            +by_status,
            self.graphql_queries - earlier.graphql_queries,
            self.graphql_points - earlier.graphql_points,
        )

    @classmethod
    def total(cls, parts: Iterable[RequestStats]) -> RequestStats:
        """The sum of several clients' work (one client per thread)."""
        out = cls()
        for part in parts:
            out.requests += part.requests
            out.not_modified += part.not_modified
            out.retries += part.retries
            out.redirects += part.redirects
            out.wait_seconds = round(out.wait_seconds + part.wait_seconds, 3)
            out.rate_limit_points += part.rate_limit_points
            out.by_status.update(part.by_status)
            out.graphql_queries += part.graphql_queries
            out.graphql_points += part.graphql_points
        return out

    def as_metadata(self) -> dict[str, Any]:
        return {
            "api_requests": self.requests,
            "api_not_modified": self.not_modified,
            "api_retries": self.retries,
            "api_redirects": self.redirects,
            "api_wait_seconds": round(self.wait_seconds, 3),
            "api_rate_limit_points": self.rate_limit_points,
            "api_graphql_queries": self.graphql_queries,
            "api_graphql_points": self.graphql_points,
            # Keys are HTTP statuses and "error" (no answer at all): sort them as text.
            "api_status_counts": {str(k): v for k, v in sorted(self.by_status.items(), key=lambda kv: str(kv[0]))},
        }


@dataclass
class Response:
    """A decoded GitHub answer (fresh or replayed from the cache after a 304)."""

    url: str
    status: int
    data: Any
    headers: Mapping[str, str]
    links: dict[str, str]
    from_cache: bool = False


@dataclass
class RepoResult:
    """A repository as GitHub reports it; ``state`` is ``ok``, ``renamed``, ``not_found``, ``gone``
    or ``blocked`` (the last three without ``data``)."""

    requested: str
    state: str
    full_name: str | None
    data: dict | None
    status: int
    message: str = ""

    @property
    def available(self) -> bool:
        return self.data is not None


@dataclass
class IssuePage:
    """One page of a repository's issues and pull requests, oldest update first.

    ``resume_since`` is the cursor to store *together with* this page's rows: restarting the
    walk from it after a crash loses nothing (at worst it re-reads a few rows, which are upserts).
    """

    items: list[dict]
    since: str | None
    resume_since: str | None
    last: bool


@dataclass
class IssueListing:
    issues: list[dict]
    pull_requests: list[dict]
    cursor: str | None
    pages: int


@dataclass
class ClosedEvents:
    """Who closed what, from the repository's issue-events list (newest first)."""

    closers: dict[int, str]
    newest_event_id: int | None
    events_read: int
    complete: bool  # False when the walk stopped at GitHub's page limit


CachePolicy = Literal["always", "never", "final"]


class GitHubClient:
    """A client for the parts of the GitHub REST API that issue mining needs."""

    def __init__(
        self,
        base_url: str = DEFAULT_API_URL,
        tokens: Sequence[str] | str | None = None,
        *,
        cache: ConditionalCache | None = None,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        max_retries: int = 6,
        backoff_base: float = 1.0,
        backoff_cap: float = 120.0,
        secondary_limit_wait: float = 60.0,
        max_wait_seconds: float | None = None,
        max_page: int = MAX_PAGE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        log: logging.Logger | logging.LoggerAdapter | None = None,
        pool: TokenPool | None = None,
        page_log_interval: float = 10.0,
        should_stop: Callable[[], bool] | None = None,
    ):
        """``pool``: the budget view of clients that share the same tokens (one client per thread,
        one pool per run), so that a thread does not spend a budget another one already used up.
        ``page_log_interval``: seconds between two progress lines of one long walk (its first and
        last page are always logged); under Dagster each line is an event of the run's log, whose
        storage costs far more than the request when pages come fast. ``should_stop``: asked before
        each request and during waits; once it answers True the client raises :class:`FetchCancelled`."""
        base_url = (base_url or DEFAULT_API_URL).strip()
        if not urlsplit(base_url).scheme or not urlsplit(base_url).netloc:
            raise ValueError(f"GITHUB_API_URL must be an absolute http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        tokens = tokens_from(tokens)
        if pool is not None and [state.token for state in pool.states] != tokens:
            raise ValueError("a shared token pool must hold exactly the client's tokens")
        self.pool = pool if pool is not None else TokenPool(tokens)
        self.cache = cache if cache is not None else ConditionalCache()
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.secondary_limit_wait = secondary_limit_wait
        self.max_wait_seconds = max_wait_seconds
        self.max_page = max_page
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self.log = log or logger
        self.page_log_interval = page_log_interval
        self.should_stop = should_stop
        self.stats = RequestStats()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> GitHubClient:
        """A client for :func:`api_from_env`'s API and tokens."""
        return cls(*api_from_env(environ), **kwargs)

    # ------------------------------------------------------------------ low level

    def url_for(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> str:
        """The absolute request URL, with query parameters in a stable order (the cache key)."""
        url = path_or_url if "://" in path_or_url else f"{self.base_url}/{path_or_url.lstrip('/')}"
        if params:
            split = urlsplit(url)
            merged = {k: v[-1] for k, v in parse_qs(split.query).items()}
            merged.update({k: str(v) for k, v in params.items() if v is not None})
            url = split._replace(query=urlencode(sorted(merged.items()))).geturl()
        return url

    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return delay * (0.5 + self._rng.random() / 2)  # jitter: spread retries of parallel workers

    def _wait(self, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        if self.max_wait_seconds is not None and seconds > self.max_wait_seconds:
            raise RateLimitExceeded(f"{why}: would wait {seconds:.0f} s, more than max_wait_seconds="
                                    f"{self.max_wait_seconds:.0f}")
        self.log.warning("%s: waiting %.1f s", why, seconds)
        self.stats.wait_seconds += seconds
        if self.should_stop is None:
            self._sleep(seconds)
            return
        # Waits for a rate-limit reset last up to an hour: a stopped run must not sit them out.
        left = seconds
        while left > 0:
            self._stop_if_asked()
            self._sleep(min(1.0, left))
            left -= 1.0

    def _stop_if_asked(self) -> None:
        if self.should_stop is not None and self.should_stop():
            raise FetchCancelled("the run stopped this fetch")

    def _retry(self, attempt: int, url: str, reason: str, delay: float | None = None) -> int:
        """Count a retry and sleep before it, or raise when retries are exhausted."""
        if attempt >= self.max_retries:
            raise RetriesExhausted(f"GET {url} failed {attempt + 1} times; last: {reason}")
        self.stats.retries += 1
        self._wait(self._backoff(attempt) if delay is None else delay,
                   f"GET {url}: {reason} (retry {attempt + 1}/{self.max_retries})")
        return attempt + 1

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None,
            cache: CachePolicy = "always") -> Response:
        """GET one resource; ``cache`` says when to remember the response for conditional requests:
        ``final`` stores only the last page of a list (the one a refresh asks for again)."""
        url = self.url_for(path_or_url, params)
        attempt = 0
        redirects = 0
        while True:
            self._stop_if_asked()
            now = self._clock()
            self._wait(self.pool.seconds_until_available(now),
                       f"rate limit spent on all {len(self.pool.states)} token(s)")
            token = self.pool.take(self._clock())
            headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
            if token.token:
                headers["Authorization"] = f"Bearer {token.token}"
            cached = self.cache.get(url)
            if cached is not None:
                # RFC 9110: If-None-Match wins over If-Modified-Since; send the stronger one only.
                if cached.etag:
                    headers["If-None-Match"] = cached.etag
                elif cached.last_modified:
                    headers["If-Modified-Since"] = cached.last_modified
            try:
                raw = self.session.get(url, headers=headers, timeout=self.timeout, allow_redirects=False)
                body = raw.content  # read fully here so that a dropped connection is retried
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                self.stats.requests += 1
                self.stats.by_status["error"] += 1
                attempt = self._retry(attempt, url, f"{type(exc).__name__}: {exc}")
                continue
            status = raw.status_code
            self.stats.requests += 1
            self.stats.by_status[status] += 1
            token.update(raw.headers)
            if status == 304:
                self.stats.not_modified += 1
                if cached is None:
                    raise ResponseFormatError(f"GET {url}: 304 Not Modified to an unconditional request")
                return Response(url, 200, self._decode(url, cached.body, "application/json"), raw.headers,
                                parse_link_header(cached.link), from_cache=True)
            self.stats.rate_limit_points += 1
            if status in (301, 302, 307, 308):
                location = raw.headers.get("Location")
                redirects += 1
                if not location or redirects > 5:
                    raise GitHubHTTPError(status, url, "redirect without Location, or a redirect loop")
                self.stats.redirects += 1
                target = urljoin(url, location)
                self.log.info("GET %s moved (%s) to %s", url, status, target)
                url = target
                continue
            if status == 401:
                raise AuthenticationError(
                    f"GitHub answered 401 for {url} with {token.label}: "
                    f"{_message(body) or 'Bad credentials'}. Set GITHUB_TOKEN to a valid token "
                    "(several may be given, separated by commas)."
                )
            if status in (403, 429):
                message = _message(body)
                retry_after = raw.headers.get("Retry-After")
                if retry_after is not None or any(t in message.lower() for t in _SECONDARY_LIMIT_TEXT):
                    delay = _seconds(retry_after)
                    attempt = self._retry(
                        attempt, url, f"secondary rate limit ({message or status})",
                        delay if delay is not None else max(self.secondary_limit_wait, self._backoff(attempt)),
                    )
                    continue
                remaining = raw.headers.get("x-ratelimit-remaining", "")
                if remaining.lstrip("-").isdigit() and int(remaining) <= 0:
                    token.remaining = 0
                    if token.reset is None or token.reset <= self._clock():
                        # No usable reset time (or clocks disagree): back off instead of spinning.
                        attempt = self._retry(attempt, url, "rate limit exceeded with no future reset time",
                                              max(self.secondary_limit_wait, self._backoff(attempt)))
                        continue
                    self.log.warning("rate limit spent for %s (reset at %s)", token.label, token.reset)
                    continue  # the pool switches token or waits for the reset
                raise GitHubHTTPError(status, url, message or "Forbidden", _doc_url(body))
            if status >= 500:
                attempt = self._retry(attempt, url, f"server error {status}")
                continue
            if status in REPOSITORY_STATES:
                raise RepositoryUnavailable(status, url, _message(body) or raw.reason or "", _doc_url(body))
            if status >= 400:
                raise GitHubHTTPError(status, url, _message(body) or raw.reason or "", _doc_url(body))
            if status == 204 or not body:
                return Response(url, status, None, raw.headers, parse_link_header(raw.headers.get("Link")))
            try:
                data = self._decode(url, body, raw.headers.get("Content-Type", ""))
            except ResponseFormatError as exc:
                attempt = self._retry(attempt, url, str(exc))  # truncated or proxy-mangled: try again
                continue
            links = parse_link_header(raw.headers.get("Link"))
            if cache == "always" or (cache == "final" and "next" not in links):
                self.cache.put(url, raw.headers.get("ETag"), raw.headers.get("Last-Modified"),
                               raw.headers.get("Link"), body)
            return Response(url, status, data, raw.headers, links)

    @staticmethod
    def _decode(url: str, body: bytes, content_type: str) -> Any:
        if "json" not in content_type.lower():
            raise ResponseFormatError(
                f"GET {url}: expected JSON, got content type {content_type or 'none'!r}: {body[:80]!r}"
            )
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ResponseFormatError(f"GET {url}: invalid JSON ({exc}) in {len(body)} bytes") from exc

    def paginate(self, path: str, params: Mapping[str, Any] | None = None,
                 cache: CachePolicy = "always") -> Iterator[Response]:
        """Every page of a list, following ``Link: rel="next"``."""
        response = self.get(path, params, cache=cache)
        yield response
        while "next" in response.links:
            response = self.get(response.links["next"], cache=cache)
            yield response

    # ------------------------------------------------------------------ repository resources

    def get_repo(self, full_name: str) -> RepoResult:
        """The repository object; renamed repositories are followed, unavailable ones reported."""
        owner, name = parse_repo_name(full_name)
        requested = f"{owner}/{name}"
        try:
            response = self.get(f"/repos/{owner}/{name}")
        except RepositoryUnavailable as exc:
            return RepoResult(requested, exc.state, None, None, exc.status, exc.message)
        data = _expect(response, dict)
        actual = data.get("full_name") or requested
        state = "ok" if actual.lower() == requested.lower() else "renamed"
        if state == "renamed":
            self.log.warning("repository %s was renamed to %s", requested, actual)
        return RepoResult(requested, state, actual, data, response.status)

    def iter_issue_pages(self, full_name: str, since: str | datetime | None = None) -> Iterator[IssuePage]:
        """A repository's issues and pull requests updated at or after ``since``, page by page.

        Each request asks for ``since=<newest update seen so far>`` (page 1) instead of following
        ``page=N+1``: a page number never grows past 1 except inside a burst of more than 100
        items updated in the same second, and an issue updated or deleted mid-walk cannot shift
        an unseen one onto an already-read page. Items on a window's edge come back twice;
        callers keep the latest version by ``id`` (``fetch_issues`` does).
        """
        owner, name = parse_repo_name(full_name)
        path = f"/repos/{owner}/{name}/issues"
        cursor = normalize_timestamp(since) if since is not None else None
        page = 1
        while True:
            params: dict[str, Any] = {"state": "all", "sort": "updated", "direction": "asc",
                                      "per_page": PER_PAGE, "since": cursor}
            if page > 1:
                params["page"] = page
            response = self.get(path, params, cache="final")
            items = _expect(response, list)
            if "next" not in response.links:
                yield IssuePage(items, cursor, cursor, last=True)
                return
            newest = max((normalize_timestamp(i["updated_at"]) for i in items if i.get("updated_at")),
                         default=None)
            if newest is not None and (cursor is None or newest > cursor):
                yield IssuePage(items, cursor, newest, last=False)
                cursor, page = newest, 1
            else:
                if page + 1 > self.max_page:
                    raise GitHubHTTPError(
                        422, response.url,
                        f"more than {self.max_page * PER_PAGE} items of {owner}/{name} were updated at "
                        f"{cursor}: GitHub's page limit leaves no way to list them all",
                    )
                yield IssuePage(items, cursor, cursor, last=False)
                page += 1

    def fetch_issues(self, full_name: str, since: str | datetime | None = None) -> IssueListing:
        """All issues and pull requests updated since ``since``, deduplicated, split by kind."""
        latest: dict[int, dict] = {}
        pages = 0
        cursor = None
        started, first = self._clock(), None
        page_log = _WalkLog(self.page_log_interval)
        for page in self.iter_issue_pages(full_name, since):
            pages += 1
            for item in page.items:
                latest[item["id"]] = item
            cursor = page.resume_since
            if first is None and page.items and page.items[0].get("updated_at"):
                first = parse_timestamp(page.items[0]["updated_at"])
            # A walk of one page gets its repository's line only.
            if (pages > 1 or not page.last) and page_log.due(self._clock(), page.last):
                self._log_issue_page(full_name, pages, len(page.items), len(latest), first, page, started)
        ordered = sorted(latest.values(), key=lambda i: i["number"])
        return IssueListing(
            issues=[i for i in ordered if "pull_request" not in i],
            pull_requests=[i for i in ordered if "pull_request" in i],
            cursor=cursor,
            pages=pages,
        )

    def _log_issue_page(self, full_name: str, number: int, items: int, seen: int, first: datetime | None,
                        page: IssuePage, started: float) -> None:
        """A progress line of a long walk: how far it has come, its time left, the requests left."""
        now = self._clock()
        if page.last:
            where = "last page"
        else:
            reached = parse_timestamp(page.resume_since) if page.resume_since else None
            fraction = history_fraction(first, reached, datetime.fromtimestamp(now, UTC))
            where = f"updated up to {page.resume_since}"
            if fraction is not None and fraction >= 0.05:  # below that, too little to go on
                left = (now - started) * (1 - fraction) / fraction
                where += f", about {fraction:.0%} of its history, {format_duration(left)} left"
        self.log.info("%s: issues page %d: %d items, %d so far (%s); %s", full_name, number, items, seen, where,
                      self.pool.describe(now))

    def list_labels(self, full_name: str) -> list[dict]:
        owner, name = parse_repo_name(full_name)
        labels: list[dict] = []
        for response in self.paginate(f"/repos/{owner}/{name}/labels", {"per_page": PER_PAGE}):
            labels.extend(_expect(response, list))
        return labels

    def count_contributors(self, full_name: str) -> int | None:
        """Contributors (logins, as the repository page counts them) in one request: with
        ``per_page=1`` the page number of ``rel="last"`` is the count. ``None`` when GitHub
        refuses to count (a history too large to list)."""
        owner, name = parse_repo_name(full_name)
        try:
            response = self.get(f"/repos/{owner}/{name}/contributors", {"per_page": 1})
        except GitHubHTTPError as exc:
            if exc.status == 403 and "too large" in exc.message.lower():
                self.log.warning("%s: GitHub does not list contributors: %s", full_name, exc.message)
                return None
            raise
        if response.data is None:  # 204: an empty repository
            return 0
        if "last" in response.links:
            return page_number(response.links["last"])
        return len(_expect(response, list))

    def closed_events(self, full_name: str, known_event_id: int | None = None) -> ClosedEvents:
        """The closer of each closed issue, from the repository's issue events (newest first).

        One request per 100 events instead of one per issue; with ``known_event_id`` (the newest
        event id of the previous run) the walk stops at events already read. The first page is
        cached, so a refresh with no new events costs one 304.
        """
        owner, name = parse_repo_name(full_name)
        closers: dict[int, str] = {}
        newest: int | None = None
        read = 0
        page_cache: CachePolicy = "always"
        url: str | None = self.url_for(f"/repos/{owner}/{name}/issues/events", {"per_page": PER_PAGE})
        page_log = _WalkLog(self.page_log_interval)
        while url:
            if page_number(url) > self.max_page:
                return ClosedEvents(closers, newest, read, complete=False)
            try:
                response = self.get(url, cache=page_cache)
            except GitHubHTTPError as exc:
                if exc.status == 422:  # the page limit: older events are out of reach
                    return ClosedEvents(closers, newest, read, complete=False)
                raise
            page_cache = "never"
            for event in _expect(response, list):
                event_id = event.get("id")
                if known_event_id is not None and event_id is not None and event_id <= known_event_id:
                    return ClosedEvents(closers, newest or known_event_id, read, complete=True)
                read += 1
                if newest is None and event_id is not None:
                    newest = event_id
                number = (event.get("issue") or {}).get("number")
                if event.get("event") == "closed" and number is not None and number not in closers:
                    closers[number] = (event.get("actor") or {}).get("login") or ""
            url = response.links.get("next")
            long_walk = url or page_number(response.url) > 1  # as for the issue pages
            if long_walk and page_log.due(self._clock(), last=not url):
                self.log.info("%s: issue events page %d: %d events read, %d closers; %s", full_name,
                              page_number(response.url), read, len(closers), self.pool.describe(self._clock()))
        return ClosedEvents(closers, newest if newest is not None else known_event_id, read, complete=True)

    def rate_limit(self) -> dict:
        """``/rate_limit`` (free: it does not count against the limit)."""
        return _expect(self.get("/rate_limit", cache="never"), dict)


class _WalkLog:
    """When a long walk logs a page: its first, its last, and one every ``interval`` seconds between."""

    def __init__(self, interval: float):
        self.interval = interval
        self._last: float | None = None

    def due(self, now: float, last: bool) -> bool:
        if last or self._last is None or now - self._last >= self.interval:
            self._last = now
            return True
        return False


def _expect(response: Response, kind: type) -> Any:
    if not isinstance(response.data, kind):
        raise ResponseFormatError(
            f"GET {response.url}: expected a JSON {kind.__name__}, got {type(response.data).__name__}"
        )
    return response.data


def _message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        return body[:200].decode("utf-8", "replace").strip() if body else ""
    if not isinstance(data, dict):
        return ""
    message = str(data.get("message", ""))
    errors = data.get("errors")
    if errors:
        message += " " + json.dumps(errors, ensure_ascii=False)
    return message


def _doc_url(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        return None
    return data.get("documentation_url") if isinstance(data, dict) else None


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
