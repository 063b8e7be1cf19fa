"""What the clients of one run share: the API's address, the tokens' budget and the ETag cache.

A requests session is not thread-safe, so each thread gets a client of its own (:meth:`GitHubAccess.client`);
the clients share one :class:`~issue_assets.github.tokens.TokenPool`, so a thread never spends a budget
another one already used up, and one ETag cache, so a refresh answered 304 costs no rate-limit point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from issue_assets.github.cache import ConditionalCache
from issue_assets.github.client import GitHubClient, api_from_env
from issue_assets.github.tokens import TokenPool


@dataclass
class GitHubAccess:
    base_url: str
    tokens: list[str | None]
    cache: ConditionalCache
    parallel: int = 4  # repositories fetched at once
    max_wait_seconds: float | None = None  # longest wait for a rate-limit reset
    pool: TokenPool = field(init=False)

    def __post_init__(self) -> None:
        self.pool = TokenPool(self.tokens)

    @classmethod
    def from_env(cls, cache_path: str | Path, environ: Mapping[str, str] | None = None,
                 **options: Any) -> GitHubAccess:
        """The API and tokens of the environment (``api_from_env``), read now: the same code serves
        github.com, GitHub Enterprise and the emulator."""
        return cls(*api_from_env(environ), ConditionalCache(cache_path), **options)

    def client(self) -> GitHubClient:
        """A new client for one thread; close its ``session`` when the thread is done."""
        return GitHubClient(self.base_url, self.tokens, cache=self.cache, pool=self.pool,
                            max_wait_seconds=self.max_wait_seconds)

    def close(self) -> None:
        self.cache.close()

    def __enter__(self) -> GitHubAccess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
