"""What the clients of one run share: the API's address, which API mines (REST or GraphQL), the tokens'
two budgets and the ETag cache.

A requests session is not thread-safe, so each thread gets a client of its own (:meth:`GitHubAccess.client`);
the clients share one :class:`~issue_assets.github.tokens.TokenPool`, so a thread never spends a budget
another one already used up, and one ETag cache, so a refresh answered 304 costs no rate-limit point.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from issue_assets.github.cache import ConditionalCache
from issue_assets.github.client import GitHubClient, api_from_env
from issue_assets.github.errors import APIUnreachable, GitHubHTTPError, RetriesExhausted
from issue_assets.github.graphql import GraphQLClient
from issue_assets.github.tokens import TokenPool

APIS = ("auto", "graphql", "rest")


def resolve_api(api: str | None, tokens: list[str | None]) -> str:
    """``graphql`` or ``rest``: ``auto`` (the default) is GraphQL when a token is set (GitHub refuses
    anonymous GraphQL) and REST otherwise."""
    choice = (api or "auto").strip().lower()
    if choice not in APIS:
        raise ValueError(f"ISSUE_ASSETS_API (or the github resource's api) must be one of {', '.join(APIS)}, "
                         f"got {api!r}")
    has_token = any(tokens)
    if choice == "graphql" and not has_token:
        raise ValueError("api=graphql needs a token: GitHub serves no anonymous GraphQL. Set GITHUB_TOKEN, or "
                         "use api=rest (or auto)")
    if choice == "auto":
        return "graphql" if has_token else "rest"
    return choice


@dataclass
class GitHubAccess:
    base_url: str
    tokens: list[str | None]
    cache: ConditionalCache
    parallel: int = 4  # repositories fetched at once
    max_wait_seconds: float | None = None  # longest wait for a rate-limit reset
    api: str = "auto"  # auto | graphql | rest (resolved in __post_init__)
    pool: TokenPool = field(init=False)
    stopped: threading.Event = field(init=False, default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.api = resolve_api(self.api, self.tokens)
        self.pool = TokenPool(self.tokens)

    @classmethod
    def from_env(cls, cache_path: str | Path, environ: Mapping[str, str] | None = None,
                 **options: Any) -> GitHubAccess:
        """The API and tokens of the environment (``api_from_env``) and ``ISSUE_ASSETS_API``, read now: the
        same code serves github.com, GitHub Enterprise and the emulator."""
        env = os.environ if environ is None else environ
        options.setdefault("api", env.get("ISSUE_ASSETS_API") or "auto")
        return cls(*api_from_env(env), ConditionalCache(cache_path), **options)

    def client(self) -> GitHubClient:
        """A new client for one thread; close its ``session`` when the thread is done. Every client
        stops (raises FetchCancelled at its next request or during a wait) once :meth:`stop` is called."""
        return GitHubClient(self.base_url, self.tokens, cache=self.cache, pool=self.pool,
                            max_wait_seconds=self.max_wait_seconds, should_stop=self.stopped.is_set)

    def stop(self) -> None:
        self.stopped.set()

    def check(self, timeout: float = 10.0) -> None:
        """One free request per token (``/rate_limit``): raises :class:`APIUnreachable` when the API does not
        answer and :class:`AuthenticationError` when it refuses a token, before a run spends time on
        every repository."""
        for token in dict.fromkeys(self.tokens):
            client = GitHubClient(self.base_url, [token], timeout=timeout, max_retries=1, backoff_base=0.5)
            try:
                client.rate_limit()
            except RetriesExhausted as exc:
                raise APIUnreachable(f"{self.base_url} does not answer ({exc}): check GITHUB_API_URL and the "
                                     "network") from None
            except GitHubHTTPError as exc:
                if exc.status != 404:  # GitHub Enterprise without rate limiting answers 404 here: it answered
                    raise
            finally:
                client.session.close()

    def graphql_client(self) -> GraphQLClient:
        """A GraphQL client on the run's token pool (its GraphQL points budget); close its ``session``."""
        return GraphQLClient(self.base_url, self.tokens, pool=self.pool, max_wait_seconds=self.max_wait_seconds,
                             should_stop=self.stopped.is_set)

    def close(self) -> None:
        self.cache.close()

    def __enter__(self) -> GitHubAccess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
