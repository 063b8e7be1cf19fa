"""The GitHub layer: REST client, GitHub emulator, snapshot format and synthetic snapshots.

Plain Python, usable without Dagster.
"""

from issue_assets.github.client import (
    ClosedEvents,
    GitHubClient,
    IssueListing,
    IssuePage,
    RepoResult,
    RequestStats,
    parse_repo_name,
)
from issue_assets.github.errors import (
    AuthenticationError,
    GitHubError,
    GitHubHTTPError,
    InvalidRepoName,
    RateLimitExceeded,
    RepositoryUnavailable,
    ResponseFormatError,
    RetriesExhausted,
)

__all__ = [
    "AuthenticationError",
    "ClosedEvents",
    "GitHubClient",
    "GitHubError",
    "GitHubHTTPError",
    "InvalidRepoName",
    "IssueListing",
    "IssuePage",
    "RateLimitExceeded",
    "RepoResult",
    "RepositoryUnavailable",
    "RequestStats",
    "ResponseFormatError",
    "RetriesExhausted",
    "parse_repo_name",
]
