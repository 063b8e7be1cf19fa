"""The token budget of a run: GitHub's primary rate limit per token, and the arithmetic of waiting for it.

Every client of a run (one per thread) shares one :class:`TokenPool`: each request is counted
against the token with the most budget left the moment it is taken, so threads never send more
requests than the budget they were told is left, and the pool knows how long the rest of a run must
wait for resets (:meth:`TokenPool.wait_for`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# GitHub's primary rate limit is counted per hour.
RATE_WINDOW_SECONDS = 3600.0


def rate_limit_wait(requests_needed: float, requests_left: float | None, seconds_to_reset: float | None,
                    limit: float | None) -> float:
    """Seconds the work must wait for rate-limit resets: 0 while the budget left covers it.

    Each window beyond the current one adds a whole window (GitHub resets hourly)."""
    if requests_left is None or requests_needed <= requests_left or not limit:
        return 0.0
    windows = math.ceil((requests_needed - requests_left) / limit)
    return max(0.0, seconds_to_reset or 0.0) + (windows - 1) * RATE_WINDOW_SECONDS


@dataclass
class TokenState:
    token: str | None
    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None  # epoch seconds

    @property
    def label(self) -> str:
        return "anonymous" if self.token is None else f"token …{self.token[-4:]}"

    def budget(self, now: float) -> float:
        """Requests this token can still send now (unknown counts as plenty)."""
        if self.remaining is None or (self.reset is not None and now >= self.reset):
            return float("inf")
        return self.remaining

    def update(self, headers: Mapping[str, str]) -> None:
        for attr, header in (("limit", "x-ratelimit-limit"), ("remaining", "x-ratelimit-remaining"),
                             ("reset", "x-ratelimit-reset")):
            value = headers.get(header)
            if value is not None:
                try:
                    setattr(self, attr, int(value))
                except ValueError:
                    pass


def tokens_from(tokens: Sequence[str] | str | None) -> list[str | None]:
    """The token pool of a GITHUB_TOKEN value (comma-separated) or a list; ``[None]``: anonymous."""
    if isinstance(tokens, str):
        tokens = [t.strip() for t in tokens.split(",") if t.strip()]
    return list(tokens) if tokens else [None]


class TokenPool:
    """One or more tokens; requests go out under the one with the most remaining budget."""

    def __init__(self, tokens: Sequence[str | None]):
        self.states = [TokenState(t) for t in tokens] or [TokenState(None)]
        self._lock = threading.Lock()

    def best(self, now: float) -> TokenState:
        return max(self.states, key=lambda s: s.budget(now))

    def take(self, now: float) -> TokenState:
        """The token with the most budget, with one request counted against it at once: threads
        sharing the pool then never send more requests than the budget they were told is left."""
        with self._lock:
            token = self.best(now)
            if token.remaining is not None and token.remaining > 0:
                token.remaining -= 1
            return token

    def seconds_until_available(self, now: float) -> float:
        """0 when some token has budget, else the wait until the earliest reset (plus 1 s of slack)."""
        if any(s.budget(now) > 0 for s in self.states):
            return 0.0
        resets = [s.reset for s in self.states if s.reset is not None]
        return max(0.0, min(resets) - now + 1.0) if resets else 60.0

    def wait_for(self, requests: float, now: float) -> float:
        """Seconds of rate-limit resets that ``requests`` more requests would wait for (0: the budget
        left covers them, or it is not known yet)."""
        if any(s.budget(now) == float("inf") for s in self.states):
            return 0.0
        resets = [s.reset - now for s in self.states if s.reset is not None]
        return rate_limit_wait(requests, sum(s.budget(now) for s in self.states), min(resets, default=None),
                               sum(s.limit or 0 for s in self.states))

    def describe(self, now: float) -> str:
        """Requests left per token and when each budget resets, for the logs."""
        parts = []
        for state in self.states:
            if state.remaining is None:
                parts.append(f"{state.label}: not known yet")
                continue
            resets = f", resets in {max(0, round(state.reset - now))} s" if state.reset is not None else ""
            parts.append(f"{state.label}: {state.remaining} of {state.limit} left{resets}")
        return "; ".join(parts)
