"""GitHub's timestamp format (``2017-10-10T16:00:00Z``), parsed and written in one place."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO 8601 timestamp as GitHub writes or accepts it; naive values are taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an ISO 8601 timestamp") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """Write a datetime the way GitHub does: UTC, whole seconds, ``Z`` suffix."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_timestamp(value: str | datetime) -> str:
    """Any accepted timestamp, rewritten in GitHub's canonical form (so strings compare in time order)."""
    return format_timestamp(value if isinstance(value, datetime) else parse_timestamp(value))


def http_date(moment: datetime) -> str:
    """An RFC 7231 date for ``Last-Modified``."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)
