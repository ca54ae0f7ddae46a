"""rules_cookies: cookies sent and refused, sent twice, or withheld by the browser."""

from __future__ import annotations

import pytest

from companion.diagnosis import diagnose

from .builders import (
    NOW,
    BodyError,
    Exchange,
    SentCookie,
    SetCookie,
    SiteContext,
    check_diagnosis,
    cookies,
    exchange,
    timedelta,
)

# (exchange, expected cause, causes that must be in `also`, words the summary must contain)
CASES = [
    pytest.param(
        exchange(cookies=cookies("sid"), body=BodyError(message="Session expired, please log in again")),
        "expired_session",
        ["missing_challenge"],
        ["session has ended"],
        id="session-text-is-not-expired-token",
    ),
    pytest.param(
        exchange(
            cookies=[SentCookie(name="sid", length=10), SentCookie(name="sid", length=40)], www=('FormBased realm="x"',)
        ),
        "conflicting_cookies",
        [],
        ['"sid" 2 times', "10 and 40"],
        id="duplicate-cookie",
    ),
    pytest.param(
        exchange(cookies=cookies("a"), cookie_header_length=9000, www=('FormBased realm="x"',)),
        "conflicting_cookies",
        [],
        ["9,000 bytes"],
        id="oversized-cookie-header",
    ),
    pytest.param(
        exchange(cookies=cookies("sid", "theme"), set_cookies=(SetCookie(name="sid", deletes=True, max_age=0),)),
        "expired_session",
        ["missing_challenge"],
        ['"sid"', "deletes it"],
        id="session-cookie-deleted",
    ),
    pytest.param(
        exchange(
            scheme="http", context=SiteContext(cookies_set_earlier=[SetCookie(name="sid", secure=True, httponly=True)])
        ),
        "insecure_transport",
        ["missing_credentials"],
        ['Secure cookie "sid"', "plain http"],
        id="secure-cookie-over-http",
    ),
    pytest.param(
        exchange(
            sec_fetch_site="cross-site",
            sec_fetch_mode="cors",
            origin="https://shop.example",
            www=('FormBased realm="x"',),
            context=SiteContext(
                cookies_set_earlier=[SetCookie(name="sid", samesite="Lax", httponly=True, secure=True)]
            ),
        ),
        "cookie_not_sent",
        ["missing_credentials"],
        ['"sid"', "SameSite=Lax", "https://shop.example"],
        id="samesite-lax-cross-site",
    ),
    pytest.param(
        exchange(
            sec_fetch_site="cross-site",
            sec_fetch_mode="cors",
            origin="https://app.example",
            www=('FormBased realm="x"',),
            context=SiteContext(
                cookies_set_earlier=[SetCookie(name="sid", samesite="None", secure=True, httponly=True)]
            ),
        ),
        "credentials_not_included",
        ["missing_credentials"],
        ["https://app.example", '"sid"', 'credentials: "include"'],
        id="fetch-without-credentials",
    ),
    pytest.param(
        exchange(
            path="/api/me",
            www=('FormBased realm="x"',),
            context=SiteContext(cookies_set_earlier=[SetCookie(name="sid", default_path="/auth", httponly=True)]),
        ),
        "cookie_not_sent",
        [],
        ["set without a Path by a page under /auth/", "not to /api/me"],
        id="cookie-default-path",
    ),
    pytest.param(
        exchange(
            www=('FormBased realm="x"',),
            context=SiteContext(cookies_set_earlier=[
                SetCookie(name="sid", max_age=600, httponly=True, set_at=NOW - timedelta(minutes=40)),
            ]),
        ),
        "cookie_not_sent",
        [],
        ['"sid"', "expired at", "30 minutes before this request"],
        id="session-cookie-expired",
    ),
    pytest.param(
        exchange(
            sec_fetch_site="cross-site",
            sec_fetch_mode="navigate",
            sec_fetch_dest="iframe",
            www=('FormBased realm="x"',),
            context=SiteContext(cookies_set_earlier=[SetCookie(name="sid", samesite="None", secure=True)]),
        ),
        "cookie_not_sent",
        ["missing_credentials"],
        ["third-party cookies"],
        id="third-party-blocking-in-iframe",
    ),
    pytest.param(
        exchange(scheme="http", www=('Bearer error="invalid_request", error_description="HTTPS is required"',)),
        "insecure_transport",
        [],
        ["only over https", "HTTPS is required"],
        id="https-required-text",
    ),
    pytest.param(
        exchange(scheme="http", set_cookies=(SetCookie(name="sid", secure=True),), www=('FormBased realm="x"',)),
        "insecure_transport",
        [],
        ['Secure cookie "sid" over plain http'],
        id="secure-cookie-set-over-http",
    ),
]


@pytest.mark.parametrize(("ex", "cause", "also", "words"), CASES)
def test_diagnose(ex: Exchange, cause: str, also: list[str], words: list[str]) -> None:
    check_diagnosis(ex, cause, also, words)


def test_open_https_only_offered_over_http() -> None:
    """Offering "open the https version" on an https page would be a fix that does nothing."""
    ctx = SiteContext(cookies_set_earlier=[SetCookie(name="sid", secure=True)])
    over_http = diagnose(exchange(scheme="http", context=ctx))
    assert over_http.fixes[0].id == "open_https"
    assert all(f.id != "open_https" for f in diagnose(exchange(scheme="https", context=ctx)).fixes)
