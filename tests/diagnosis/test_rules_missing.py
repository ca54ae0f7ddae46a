"""rules_missing: credentials that never reached the server as sent: none (or only cookies
that sign nobody in), sent where the server does not read them, dropped on the way, or lost
on a redirect."""

from __future__ import annotations

import pytest

from companion.diagnosis import diagnose
from companion.diagnosis.models import RedirectFacts

from .builders import BEARER_WWW, BodyError, Credential, SetCookie, SiteContext, bearer, check_diagnosis, cookies, exchange

DRF_NOT_PROVIDED = BodyError(message="Authentication credentials were not provided.")

# (exchange, expected cause, causes that must be in `also`, words the summary must contain)
CASES = [
    pytest.param(
        exchange(cookies=cookies("_ga", "_gid", "OptanonConsent", "csrftoken", "theme"), www=BEARER_WWW),
        "missing_credentials", [], ["_ga (analytics)", "OptanonConsent (consent)", "csrftoken (csrf)", "and 1 more"],
        id="analytics-consent-csrf-and-theme-cookies-are-no-credentials",
    ),
    pytest.param(
        exchange(
            cookies=cookies("theme"), www=BEARER_WWW,
            context=SiteContext(cookies_set_earlier=[SetCookie(name="theme", httponly=True)]),
        ),
        "unknown", [], [],
        id="a-cookie-the-site-set-httponly-may-sign-in-whatever-its-name",
    ),
    pytest.param(
        exchange(
            credentials=[Credential(source="request.header.authoriaztion", length=58)],
            body=BodyError(code="invalid_request_error", message="You didn't provide an API key."),
        ),
        "missing_credentials", [], ["misspelling of Authorization"],
        id="misspelled-authorization-header",
    ),
    pytest.param(
        exchange(credentials=bearer(), body=BodyError(message="No API key found in request")),
        "missing_credentials", [], ["wants an API key"],
        id="a-token-where-the-server-wants-a-key",
    ),
    pytest.param(
        exchange(credentials=[Credential(source="request.authorization", scheme="Token", length=40)], www=("Token",), body=DRF_NOT_PROVIDED),
        "credentials_stripped", [], ["no credentials arrived", "dropped the header"],
        id="token-sent-server-asks-for-token-says-none-came",
    ),
    pytest.param(
        exchange(credentials=[Credential(source="request.authorization", scheme="Token", length=40)], www=('Basic realm="api"',), body=DRF_NOT_PROVIDED),
        "scheme_mismatch", [], ["only offers Basic"],
        id="a-scheme-the-server-does-not-read-is-no-stripping",
    ),
    pytest.param(
        exchange(
            scheme="http", host="127.0.0.1",
            context=SiteContext(redirect=RedirectFacts(from_url="http://localhost:8000/api/me", status=307, scheme="Bearer", cross_origin=True)),
        ),
        "redirect_dropped_credentials", [], ["http://localhost:8000/api/me", "(307)", "another origin"],
        id="cross-origin-redirect-dropped-the-token",
    ),
    pytest.param(
        exchange(
            credentials=bearer(),
            context=SiteContext(redirect=RedirectFacts(from_url="https://api.example.com/me/", status=301, scheme="Bearer")),
        ),
        "unknown", [], [],
        id="a-redirect-whose-follow-up-kept-the-token-explains-nothing",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("ex", "cause", "also", "words"), CASES)
def test_diagnose(ex, cause: str, also: list[str], words: list[str]) -> None:
    check_diagnosis(ex, cause, also, words)


def test_stripped_credentials_go_to_the_sites_developers() -> None:
    """Nothing on the person's side fixes a dropped header: the fix is a report, and the notes
    tell the developers which hop to look at."""
    result = diagnose(
        exchange(credentials=[Credential(source="request.authorization", scheme="Token", length=40)], www=("Token",), body=DRF_NOT_PROVIDED)
    )
    assert [f.id for f in result.fixes] == ["copy_report", "manual"]
    assert any("WSGIPassAuthorization" in note for note in result.developer_notes)
