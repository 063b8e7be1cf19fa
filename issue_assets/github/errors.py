"""Errors of the GitHub layer. Every message names the URL or input at fault."""

from __future__ import annotations


class GitHubError(Exception):
    """Base class of every error raised by the GitHub layer."""


class InvalidRepoName(GitHubError, ValueError):
    """A repository name is not of the form ``owner/name``."""


class AuthenticationError(GitHubError):
    """GitHub answered 401: the token is missing, expired or wrong."""


class RateLimitExceeded(GitHubError):
    """The rate limit is spent and waiting for the reset is not allowed (``max_wait_seconds``)."""


class APIUnreachable(GitHubError):
    """The API does not answer at all (wrong GITHUB_API_URL, no network): every repository would fail."""


class FetchCancelled(GitHubError):
    """The run stopped this client (interrupted, or an error that concerns every repository)."""


# Errors that concern every repository of a run, not the one being fetched: reported once, and the
# rest of the run stops instead of failing each repository in turn.
RUN_WIDE_ERRORS = (AuthenticationError, RateLimitExceeded, APIUnreachable)


class ResponseFormatError(GitHubError):
    """A response is not the JSON GitHub sends (truncated body, HTML error page, wrong content type)."""


class RetriesExhausted(GitHubError):
    """A transient failure (5xx, timeout, connection error, secondary limit) outlived every retry."""


class GitHubHTTPError(GitHubError):
    """GitHub answered with an error status the client does not recover from."""

    def __init__(self, status: int, url: str, message: str, documentation_url: str | None = None):
        self.status = status
        self.url = url
        self.message = message
        self.documentation_url = documentation_url
        super().__init__(f"GitHub answered {status} for {url}: {message}")


# How GitHub says that a repository (or its issue tracker) cannot be read.
REPOSITORY_STATES = {404: "not_found", 410: "gone", 451: "blocked"}


class RepositoryUnavailable(GitHubHTTPError):
    """The repository is deleted or private (404), its issues are disabled (410) or it is blocked (451)."""

    @property
    def state(self) -> str:
        return REPOSITORY_STATES.get(self.status, "unavailable")
