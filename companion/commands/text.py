"""How the `companion` command prints: a server's text escaped (`shown`), times with their
date and zone, lines wrapped to the terminal; and the times a person types (`--since 1h`)."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import textwrap
from datetime import UTC, date, datetime, time, timedelta

__all__ = ["api_time", "moment", "moment_until", "one_line", "printed_time", "shown", "width", "wrapped"]

# Control characters and bidirectional overrides: a server's text must never move the cursor,
# clear the screen, retitle the window or reorder what the person reads.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """Text that came from a server, safe for a terminal: control codes shown escaped."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


# --- times ---------------------------------------------------------------------------------

_AGO = re.compile(r"(\d{1,6})\s*(s|sec|m|min|h|d|w)", re.IGNORECASE)
_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_UNITS = {"s": "seconds", "sec": "seconds", "m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def moment(text: str, now: datetime | None = None) -> datetime:
    """A point in time from what a person types: `30m`, `1h`, `2d`, `1w` (that long ago),
    `today` and `yesterday` (the day's start, local time), `now`, or ISO 8601 (`2026-11-23`,
    `2026-11-23 21:00`, `2026-11-23T20:00:00Z`; without an offset, local time)."""
    return _moment(text, now, end_of_day=False)


def moment_until(text: str, now: datetime | None = None) -> datetime:
    """`moment` for the end of a range: a day (`2026-11-22`, `today`, `yesterday`) is
    included whole, so `--since yesterday --until yesterday` is all of yesterday."""
    return _moment(text, now, end_of_day=True)


def _moment(text: str, now: datetime | None, end_of_day: bool) -> datetime:
    now = now or datetime.now(UTC)
    word = text.strip().lower()
    ago = _AGO.fullmatch(word)
    if ago:
        return now - timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
    if word == "now":
        return now
    day: date | None = None
    if word in {"today", "yesterday"}:
        day = now.astimezone().date() - timedelta(days=1 if word == "yesterday" else 0)
    elif _DAY.fullmatch(word):
        try:
            day = date.fromisoformat(word)
        except ValueError:
            day = None
    if day is not None:
        if end_of_day:
            # The last microsecond of the day by the local clock (the API's `until` includes it).
            return datetime.combine(day + timedelta(days=1), time()).astimezone() - timedelta(microseconds=1)
        return datetime.combine(day, time()).astimezone()
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a time is 30m, 1h, 2d, 1w, today, yesterday or ISO 8601 (2026-11-23, 2026-11-23T21:00Z), not {text!r}"
        ) from None
    return parsed if parsed.tzinfo else parsed.astimezone()


def api_time(when: datetime) -> str:
    """The form the API's `since=`/`until=` take: ISO 8601 in UTC."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def printed_time(iso: str, utc: bool = False) -> str:
    """`2026-11-23 21:04:05 CET`: the date, the time to the second, and the zone."""
    try:
        when = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return shown(str(iso))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC) if utc else when.astimezone()
    return when.strftime("%Y-%m-%d %H:%M:%S ") + (when.tzname() or when.strftime("%z"))


# --- layout --------------------------------------------------------------------------------


def width() -> int | None:
    """The width to wrap to: the terminal's, or `COLUMNS` when set; None (no wrapping) when
    the output goes to a pipe or a file, so that grep and scripts get one line per line."""
    if os.environ.get("COLUMNS", "").strip().isdigit() or sys.stdout.isatty():
        return max(40, shutil.get_terminal_size().columns)
    return None


def one_line(text: object) -> str:
    """A server's text on one line: its line breaks cannot fake another event's lines."""
    return shown(" ".join(str(text).split()))


def wrapped(text: str, width: int | None, indent: str = "", hang: str | None = None) -> list[str]:
    """`text` (already `shown`) wrapped to `width`; URLs and other long words are never cut."""
    hang = indent if hang is None else hang
    if width is None:
        return [indent + text]
    return textwrap.wrap(
        text, width, initial_indent=indent, subsequent_indent=hang, break_long_words=False, break_on_hyphens=False
    ) or [indent]
