"""How the diagnosis words things for a person: times, spans, counts, a server's quoted words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["aware", "fmt_clock", "fmt_span", "plural", "quote", "utc_or_none"]

# A year's margin inside datetime's range (years 1 to 9999): a moment between these can be
# moved to UTC and have the rules' leeways and cookie lifetimes added without overflowing.
_EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
_LATEST = datetime(9998, 12, 31, tzinfo=UTC)


def aware(moment: datetime) -> datetime:
    # A timestamp without zone is treated as UTC: that is what the addon sends.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def utc_or_none(moment: datetime | None) -> datetime | None:
    """`moment` in UTC, or None when it is absent or too near the ends of the calendar to
    compute with (a server's `Date: … 9999`, a cookie's Expires there): such a time is
    unusable, and treated as absent."""
    if moment is None:
        return None
    moment = aware(moment)
    # Comparing aware datetimes never overflows; moving one to UTC may, hence the check first.
    if not _EARLIEST <= moment <= _LATEST:
        return None
    return moment.astimezone(UTC)


def _in_utc(moment: datetime) -> datetime | None:
    try:
        return aware(moment).astimezone(UTC)
    except OverflowError:  # `9999-12-31T23:59:59-23:59` is past the calendar's end in UTC
        return None


def fmt_clock(moment: datetime, reference: datetime | None = None) -> str:
    """`10:02:11 UTC`, with the date in front when it is not the reference's day."""
    utc = _in_utc(moment)
    if utc is None:
        return aware(moment).isoformat(sep=" ")  # shown as given, its offset with it
    day = _in_utc(reference) if reference is not None else None
    if day is not None and day.date() == utc.date():
        return utc.strftime("%H:%M:%S UTC")
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC")


def plural(count: int | float, word: str) -> str:
    count = int(count)
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def fmt_span(span: timedelta) -> str:
    """A duration as a person says it: `14 minutes`, `3 hours`, `2 days`."""
    seconds = abs(span.total_seconds())
    if seconds < 90:
        return plural(round(seconds), "second")
    if seconds < 90 * 60:
        return plural(round(seconds / 60), "minute")
    if seconds < 48 * 3600:
        return plural(round(seconds / 3600), "hour")
    return plural(round(seconds / 86400), "day")


def quote(text: str, limit: int = 120) -> str:
    """A server's words, shortened and quoted for a summary."""
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"
