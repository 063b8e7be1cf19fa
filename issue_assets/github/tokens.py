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


# GitHub's two primary budgets: REST requests ("core") and GraphQL points ("graphql"), 5,000 an hour each.
RESOURCES = ("core", "graphql")


@dataclass
class Budget:
    """One primary budget of one token: what GitHub's ``x-ratelimit-*`` headers last said of it."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None  # epoch seconds

    def left(self, now: float) -> float:
        """What can still be spent now (unknown counts as plenty)."""
        if self.remaining is None or (self.reset is not None and now >= self.reset):
            return float("inf")
        return self.remaining


class TokenState:
    """A token and its two budgets; ``limit``/``remaining``/``reset`` are the REST one's."""

    def __init__(self, token: str | None):
        self.token = token
        self.budgets = {resource: Budget() for resource in RESOURCES}

    def __repr__(self) -> str:
        return f"TokenState({self.label}, {self.budgets})"

    @property
    def core(self) -> Budget:
        return self.budgets["core"]

    limit = property(lambda self: self.core.limit, lambda self, v: setattr(self.core, "limit", v))
    remaining = property(lambda self: self.core.remaining, lambda self, v: setattr(self.core, "remaining", v))
    reset = property(lambda self: self.core.reset, lambda self, v: setattr(self.core, "reset", v))

    @property
    def label(self) -> str:
        return "anonymous" if self.token is None else f"token …{self.token[-4:]}"

    def budget(self, now: float, resource: str = "core") -> float:
        """Requests (GraphQL: points) this token can still spend now; anonymous callers have no GraphQL."""
        if resource == "graphql" and self.token is None:
            return 0.0
        return self.budgets[resource].left(now)

    def update(self, headers: Mapping[str, str]) -> None:
        """Read ``x-ratelimit-*`` into the budget ``x-ratelimit-resource`` names (REST's when none)."""
        resource = "graphql" if headers.get("x-ratelimit-resource") == "graphql" else "core"
        budget = self.budgets[resource]
        for attr, header in (("limit", "x-ratelimit-limit"), ("remaining", "x-ratelimit-remaining"),
                             ("reset", "x-ratelimit-reset")):
            value = headers.get(header)
            if value is not None:
                try:
                    setattr(budget, attr, int(value))
                except ValueError:
                    pass


def tokens_from(tokens: Sequence[str] | str | None) -> list[str | None]:
    """The token pool of a GITHUB_TOKEN value (comma-separated) or a list; ``[None]``: anonymous."""
    if isinstance(tokens, str):
        tokens = [t.strip() for t in tokens.split(",") if t.strip()]
    return list(tokens) if tokens else [None]


class TokenPool:
    """One or more tokens; requests go out under the one with the most budget left of the resource they
    spend (``core``: REST requests, ``graphql``: GraphQL points)."""

    def __init__(self, tokens: Sequence[str | None]):
        self.states = [TokenState(t) for t in tokens] or [TokenState(None)]
        self._lock = threading.Lock()

    def best(self, now: float, resource: str = "core") -> TokenState:
        return max(self.states, key=lambda s: s.budget(now, resource))

    def take(self, now: float, resource: str = "core", cost: int = 1) -> TokenState:
        """The token with the most budget, with ``cost`` counted against it at once: threads sharing the
        pool then never spend more than the budget they were told is left."""
        with self._lock:
            token = self.best(now, resource)
            budget = token.budgets[resource]
            if budget.remaining is not None and budget.remaining > 0:
                budget.remaining = max(0, budget.remaining - cost)
            return token

    def seconds_until_available(self, now: float, resource: str = "core") -> float:
        """0 when some token has budget, else the wait until the earliest reset (plus 1 s of slack)."""
        if any(s.budget(now, resource) > 0 for s in self.states):
            return 0.0
        resets = [s.budgets[resource].reset for s in self.states if s.budgets[resource].reset is not None]
        return max(0.0, min(resets) - now + 1.0) if resets else 60.0

    def wait_for(self, requests: float, now: float, resource: str = "core") -> float:
        """Seconds of rate-limit resets that ``requests`` more requests (GraphQL: points) would wait for (0:
        the budget left covers them, or it is not known yet)."""
        states = [s for s in self.states if resource == "core" or s.token is not None]
        if not states or any(s.budget(now, resource) == float("inf") for s in states):
            return 0.0
        budgets = [s.budgets[resource] for s in states]
        resets = [b.reset - now for b in budgets if b.reset is not None]
        return rate_limit_wait(requests, sum(s.budget(now, resource) for s in states), min(resets, default=None),
                               sum(b.limit or 0 for b in budgets))

    def describe(self, now: float) -> str:
        """Budget left per token (REST requests; GraphQL points once known) and when each resets, for the logs."""
        parts = []
        for state in self.states:
            if state.remaining is None and state.budgets["graphql"].remaining is None:
                parts.append(f"{state.label}: not known yet")
                continue
            known = []
            for resource, unit in (("core", ""), ("graphql", " GraphQL points")):
                budget = state.budgets[resource]
                if budget.remaining is None:
                    continue
                resets = f", resets in {max(0, round(budget.reset - now))} s" if budget.reset is not None else ""
                known.append(f"{budget.remaining} of {budget.limit}{unit} left{resets}")
            parts.append(f"{state.label}: " + "; ".join(known))
        return "; ".join(parts)
