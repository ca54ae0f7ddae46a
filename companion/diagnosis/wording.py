"""How the diagnosis words things for a person: times, spans, counts, a server's quoted words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["aware", "fmt_clock", "fmt_span", "plural", "quote"]


def aware(moment: datetime) -> datetime:
    # A timestamp without zone is treated as UTC: that is what the addon sends.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def fmt_clock(moment: datetime, reference: datetime | None = None) -> str:
    """`10:02:11 UTC`, with the date in front when it is not the reference's day."""
    moment = aware(moment).astimezone(UTC)
    if reference is not None and aware(reference).astimezone(UTC).date() == moment.date():
        return moment.strftime("%H:%M:%S UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


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
