"""The times HTTP sends (`Date`, `Expires`: RFC 9110 §5.6.7) and the ISO form the wire carries."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime

__all__ = ["parse_http_date", "utc_iso"]


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP date as an aware datetime; None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def utc_iso(ts: float) -> str:
    """An epoch time as ISO 8601 in UTC, as the exchange carries times."""
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
