"""What a hostile server sends must not make a rule raise (the engine would catch it, but the
person would get a wrong `unknown`), nor make a diagnosis slow: values no calendar holds,
numbers that are not numbers, claims of the wrong type, and headers of thousands of challenges."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timezone

import pytest

from companion.diagnosis import diagnose
from companion.diagnosis.facts import _parsed, make_view
from companion.diagnosis.wording import fmt_clock
from companion.net.challenge import MAX_CHALLENGES_TOTAL

from .builders import NOW, Exchange, SetCookie, SiteContext, at, bearer, exchange, timedelta

# The end of the calendar, in UTC and at the last offset before it (UTC+0 there is year 10000).
YEAR_9999 = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
YEAR_9999_WEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59)))
STEP_UP = 'Bearer error="insufficient_user_authentication", max_age="{}"'


def _session_set_earlier(**attributes: object) -> SiteContext:
    return SiteContext(cookies_set_earlier=[SetCookie(name="session", httponly=True, **attributes)])  # type: ignore[arg-type]


# (exchange, the cause a person would be told)
CASES = [
    pytest.param(exchange(credentials=bearer({}), www=(STEP_UP.format("99999999999999"),)), "step_up_required", id="max-age-past-timedelta"),
    pytest.param(exchange(credentials=bearer({}), www=(STEP_UP.format("²"),)), "step_up_required", id="max-age-superscript-digit"),
    pytest.param(
        exchange(credentials=bearer({"scope": [1, 2]}), www=('Bearer error="insufficient_scope", scope="repo"',)),
        "insufficient_scope",
        id="scope-claim-of-numbers",
    ),
    pytest.param(
        exchange(credentials=bearer({"nbf": at(NOW + timedelta(minutes=5))}), www=('Bearer realm="api"',), date=YEAR_9999),
        "token_not_yet_valid",
        id="nbf-and-date-at-year-9999",
    ),
    pytest.param(
        exchange(credentials=bearer({"exp": at(NOW - timedelta(minutes=5))}), www=('Bearer realm="api"',), date=YEAR_9999_WEST),
        "expired_token",
        id="exp-and-date-past-the-calendar-in-utc",
    ),
    pytest.param(
        exchange(credentials=bearer({"exp": at(NOW - timedelta(minutes=5))}), www=('Bearer realm="api"',), date=datetime(1, 1, 1, tzinfo=UTC)),
        "expired_token",
        id="exp-and-date-at-year-1",
    ),
    pytest.param(
        exchange(context=_session_set_earlier(set_at=NOW - timedelta(minutes=5), max_age=10**18)),
        "missing_credentials",
        id="cookie-max-age-past-timedelta",
    ),
    pytest.param(
        exchange(context=_session_set_earlier(set_at=datetime(9998, 12, 30, tzinfo=UTC), max_age=400 * 86400)),
        "missing_credentials",
        id="cookie-max-age-past-the-calendar",
    ),
    pytest.param(
        exchange(context=_session_set_earlier(expires=(NOW - timedelta(minutes=5)).replace(tzinfo=None))),
        "cookie_not_sent",
        id="cookie-expires-without-zone",
    ),
]


@pytest.mark.parametrize(("ex", "cause"), CASES)
def test_a_hostile_value_is_treated_as_absent(ex: Exchange, cause: str, caplog: pytest.LogCaptureFixture) -> None:
    """Each hostile shape gets the diagnosis the rest of the exchange shows, and no rule fails."""
    with caplog.at_level(logging.ERROR, logger="companion.diagnosis"):
        result = diagnose(ex)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("companion.diagnosis")] == []
    assert result.cause == cause, result.summary


def test_a_date_past_the_calendar_is_no_reference_clock() -> None:
    """A Date no clock shows is not the server's clock: the time the response arrived is, and
    the evidence says the Date could not be used."""
    ex = exchange(credentials=bearer({"exp": at(NOW - timedelta(minutes=5))}), www=('Bearer realm="api"',), date=YEAR_9999_WEST)
    result = diagnose(ex)
    assert "5 minutes before the time the response arrived" in result.summary
    assert any(e.fact.startswith("No usable Date header") for e in result.evidence), result.evidence


def test_a_time_past_the_calendar_in_utc_is_shown_as_given() -> None:
    assert fmt_clock(YEAR_9999_WEST, NOW) == "9999-12-31 23:59:59-23:59"


def _flood(tag: str) -> tuple[str, ...]:
    """16 lines of 1 KB, each a different run of 500 one-letter challenges."""
    return tuple((f"{tag}{line} " + "a " * 512)[:1024] for line in range(16))


def test_a_flood_of_challenges_is_diagnosed_in_bounded_work() -> None:
    """Thousands of challenges in the headers a capture keeps: the rules see a bounded number
    (reading every one took the diagnosis 80 ms of CPU; `bench/hostile.py` measures it)."""
    ex = exchange(credentials=bearer(), www=_flood("w"), proxy_www=_flood("p"))
    view = make_view(ex)
    assert len(view.challenges) <= MAX_CHALLENGES_TOTAL and len(view.proxy_challenges) <= MAX_CHALLENGES_TOTAL
    assert "too_many_challenges" in view.challenges.problems
    _parsed.cache_clear()  # a site's repeated challenge is parsed once: parse it here too
    assert diagnose(ex).cause != "unknown"
