"""The times HTTP sends, read as aware datetimes, and the ISO form the exchange carries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from companion.net.dates import parse_http_date, utc_iso

RFC_EXAMPLE = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # The three formats of RFC 9110 §5.6.7, all the same instant.
        ("Sun, 06 Nov 1994 08:49:37 GMT", RFC_EXAMPLE),
        ("Sunday, 06-Nov-94 08:49:37 GMT", RFC_EXAMPLE),
        ("Sun Nov  6 08:49:37 1994", RFC_EXAMPLE),
        # Servers that send an offset instead of GMT, or none at all.
        ("Sun, 06 Nov 1994 10:49:37 +0200", RFC_EXAMPLE),
        ("Sun, 06 Nov 1994 08:49:37", RFC_EXAMPLE),
        ("Thu, 01 Jan 1970 00:00:00 GMT", datetime(1970, 1, 1, tzinfo=UTC)),
        # Junk and overflow: no date, never an exception.
        (None, None),
        ("", None),
        ("junk", None),
        ("0", None),
        ("Sun, 06 Nov 1994", None),
        ("Sun, 32 Nov 1994 08:49:37 GMT", None),
        ("Sun, 06 Nov 1994 99:49:37 GMT", None),
        ("Sun, 06 Nov 99999 08:49:37 GMT", None),
        ("Sun, 06 Nov 1" + "0" * 30 + " 08:49:37 GMT", None),
        ("Sun, 06 Nov 1994 08:49:37 +9999", None),
    ],
)
def test_parse_http_date(value, expected):
    """`Date` and cookie `Expires` come from servers: every format reads, junk gives None."""
    parsed = parse_http_date(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None  # comparable with the times the addon records


@pytest.mark.parametrize(
    ("ts", "iso"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (784111777, "1994-11-06T08:49:37Z"),
        (1.5, "1970-01-01T00:00:01.500000Z"),
    ],
)
def test_utc_iso(ts, iso):
    """The exchange carries times in UTC with a `Z`, whatever the machine's time zone."""
    assert utc_iso(ts) == iso


def test_a_parsed_date_round_trips_through_utc_iso():
    assert utc_iso(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").timestamp()) == "1994-11-06T08:49:37Z"


def _general_reader(value: str) -> datetime | None:
    """What the standard library reads of an HTTP date (the reader every form falls back to)."""
    import email.utils

    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_FIXDATE = "Sun, 06 Nov 1994 08:49:37 GMT"


@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(_FIXDATE) - 1), st.sampled_from(list("0123456789 ,:-+aAzZ\tx\u0661\u00b2GMTUecDdJjn"))),
        max_size=4,
    ),
    when=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
)
@example(edits=[], when=datetime(5, 11, 6, 8, 49, 37))  # a year below 100: the general reader's two-digit year
@example(edits=[], when=datetime(99, 12, 31))
@example(edits=[(28, "T")], when=datetime(1994, 11, 6))
@settings(max_examples=300)
def test_the_quick_reading_of_the_usual_form_reads_what_the_general_reader_reads(edits, when):
    """The usual form is read by position, the rest by the standard library: for dates of that
    form and near misses (a character changed here and there), both read the same instant, or
    both nothing."""
    value = list(when.strftime("%a, %d %b ") + f"{when.year:04d}" + when.strftime(" %H:%M:%S GMT"))
    for at, char in edits:
        value[at] = char
    text = "".join(value)
    quick = parse_http_date(text)
    assert quick == _general_reader(text)
    if quick is not None:
        assert quick.tzinfo is not None and quick.utcoffset() == _general_reader(text).utcoffset()
