"""The times HTTP sends (`Date`, `Expires`: RFC 9110 §5.6.7) and the ISO form the wire carries."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime

__all__ = ["parse_http_date", "utc_iso"]


_MONTHS = {name: n for n, name in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_DIGITS = ((5, 7), (12, 16), (17, 19), (20, 22), (23, 25))


def _fixdate(value: str) -> datetime | None:
    """The preferred form, `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate), read by position:
    nearly every server sends it, and the general reader costs ten times as much. None for
    anything else, which the general reader then reads."""
    if len(value) != 29 or value[3:5] != ", " or value[25:] != " GMT" or value[7] != " " or value[11] != " ":
        return None
    if value[16] != " " or value[19] != ":" or value[22] != ":" or not (value[:3].isascii() and value[:3].isalpha()):
        return None
    month = _MONTHS.get(value[8:11].lower())
    numbers = [value[a:b] for a, b in _DIGITS]
    if month is None or not all(n.isascii() and n.isdigit() for n in numbers):
        return None
    day, year, hour, minute, second = map(int, numbers)
    if year < 100:
        return None  # the general reader takes "0094" for a two-digit year, 1994
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP date as an aware datetime; None when absent or unreadable."""
    if not value or len(value) > 128:  # a date is some 30 characters; megabytes are no date
        return None
    fixed = _fixdate(value)
    if fixed is not None:
        return fixed
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def utc_iso(ts: float) -> str:
    """An epoch time as ISO 8601 in UTC, as the exchange carries times."""
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
