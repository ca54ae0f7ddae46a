"""rules_tokens: bearer tokens and JWTs: expiry, clock skew, scope, step-up, and the server's RFC 6750 words."""

from __future__ import annotations

import pytest

from companion.diagnosis import diagnose

from .builders import (
    BEARER_WWW,
    NOW,
    STOCK_6750,
    BodyError,
    Exchange,
    SiteContext,
    at,
    bearer,
    check_diagnosis,
    exchange,
    timedelta,
)

# (exchange, expected cause, causes that must be in `also`, words the summary must contain)
CASES = [
    pytest.param(
        exchange(credentials=bearer({"exp": at(NOW - timedelta(minutes=14))}), www=BEARER_WWW),
        "expired_token",
        [],
        ["expiry time (10:02:11 UTC) is 14 minutes before the server's Date"],
        id="jwt-exp-before-date",
    ),
    pytest.param(
        exchange(credentials=bearer({"exp": at(NOW - timedelta(hours=3))}), www=BEARER_WWW, date=None, received=NOW),
        "expired_token",
        [],
        ["3 hours before the time the response arrived"],
        id="jwt-exp-falls-back-to-received",
    ),
    pytest.param(
        exchange(
            credentials=bearer(), www=('Bearer error="invalid_token", error_description="The access token expired"',)
        ),
        "expired_token",
        [],
        ["says the bearer token expired"],
        id="server-says-expired",
    ),
    pytest.param(
        exchange(credentials=bearer(), body=BodyError(code="token_expired", message="JWT expired", field="json:error")),
        "expired_token",
        ["missing_challenge"],
        ["expired"],
        id="body-says-expired-no-challenge",
    ),
    pytest.param(
        exchange(
            credentials=bearer({"exp": at(NOW - timedelta(minutes=5))}),
            www=BEARER_WWW,
            context=SiteContext(recent_401s_same_request=3, recent_401s_same_credential=3),
        ),
        "expired_token",
        ["auth_loop"],
        ["5 minutes"],
        id="expired-with-loop-symptom",
    ),
    pytest.param(
        exchange(credentials=bearer(), www=(f'Bearer error="invalid_token", error_description="{STOCK_6750}"',)),
        "invalid_token",
        [],
        ['error="invalid_token"', "nothing says it expired"],
        id="rfc6750-stock-text-opaque-is-invalid",
    ),
    pytest.param(
        exchange(
            credentials=bearer({"exp": at(NOW + timedelta(minutes=40)), "aud": "other"}),
            www=(f'Bearer error="invalid_token", error_description="{STOCK_6750}"',),
        ),
        "invalid_token",
        [],
        ["invalid_token"],
        id="rfc6750-stock-text-live-jwt-is-invalid",
    ),
    pytest.param(
        exchange(
            credentials=bearer({"exp": at(NOW + timedelta(minutes=5))}),
            www=BEARER_WWW,
            received=NOW + timedelta(minutes=10),
        ),
        "unknown",
        [],
        ["nothing in the exchange shows why"],
        id="exp-past-by-local-clock-only-is-not-expired",
    ),
    pytest.param(
        exchange(credentials=bearer({"nbf": at(NOW + timedelta(minutes=3))}), www=BEARER_WWW),
        "token_not_yet_valid",
        [],
        ["start time (nbf, 10:19:11 UTC) is 3 minutes after the server's Date"],
        id="nbf-in-future",
    ),
    pytest.param(
        exchange(credentials=bearer(), www=('Bearer error="insufficient_scope", scope="repo:write"',)),
        "insufficient_scope",
        [],
        ["repo:write"],
        id="insufficient-scope",
    ),
    pytest.param(
        exchange(
            credentials=bearer({"acr": "0"}),
            www=('Bearer error="insufficient_user_authentication", acr_values="mfa", max_age="300"',),
        ),
        "step_up_required",
        [],
        ['acr_values="mfa"'],
        id="rfc9470-step-up",
    ),
    pytest.param(
        exchange(
            credentials=bearer(),
            www=BEARER_WWW,
            context=SiteContext(recent_401s_same_request=4, recent_401s_same_credential=4),
        ),
        "unknown",
        ["auth_loop"],
        [],
        id="loop-is-symptom",
    ),
    pytest.param(
        exchange(credentials=bearer({"iat": at(NOW + timedelta(minutes=10))}), www=BEARER_WWW),
        "token_not_yet_valid",
        [],
        ["iat", "10 minutes after the server's Date"],
        id="iat-in-future",
    ),
    pytest.param(
        exchange(
            credentials=bearer({"exp": at(NOW + timedelta(minutes=30))}),
            www=('Bearer error="invalid_token", error_description="Token has expired"',),
        ),
        "expired_token",
        [],
        ["Token has expired"],
        id="server-says-expired-although-exp-ahead",
    ),
    pytest.param(
        exchange(
            credentials=bearer(), www=('Bearer error="insufficient_scope"',), body=BodyError(code="invalid_token")
        ),
        "insufficient_scope",
        [],
        ["lacks the scope"],
        id="scope-beats-generic-invalid",
    ),
]


@pytest.mark.parametrize(("ex", "cause", "also", "words"), CASES)
def test_diagnose(ex: Exchange, cause: str, also: list[str], words: list[str]) -> None:
    check_diagnosis(ex, cause, also, words)


def test_summary_quotes_the_sentence_not_the_code() -> None:
    """A person understands "JWT expired" better than "token_expired"."""
    ex = exchange(credentials=bearer(), body=BodyError(code="token_expired", message="JWT expired"))
    assert "“JWT expired”" in diagnose(ex).summary

def test_clock_skew_is_stated() -> None:
    """When this computer's clock is off, the person must be told: it explains odd expiries."""
    ex = exchange(
        credentials=bearer({"nbf": at(NOW + timedelta(minutes=3))}),
        www=BEARER_WWW,
        received=NOW + timedelta(minutes=20),
    )
    facts = [e.fact for e in diagnose(ex).evidence]
    assert "This computer's clock is 20 minutes ahead of the server's Date" in facts

@pytest.mark.parametrize(
    ("www", "claims", "words"),
    [
        (
            'Bearer error="insufficient_user_authentication", acr_values="urn:mfa"',
            {"acr": "urn:pwd"},
            ["stronger sign-in, such as a second factor", 'acr_values="urn:mfa"', "level is “urn:pwd”"],
        ),
        (
            'Bearer error="insufficient_user_authentication", max_age="300"',
            {"auth_time": at(NOW - timedelta(hours=2))},
            ["fresh sign-in, at most 5 minutes old", 'max_age="300"', "2 hours before the server's Date"],
        ),
        (
            'Bearer error="insufficient_user_authentication", acr_values="mfa", max_age="600"',
            {},
            ["stronger, fresh sign-in (such as a second factor, at most 10 minutes old)"],
        ),
    ],
    ids=["acr", "max-age", "both"],
)
def test_step_up_says_what_kind_of_sign_in(www: str, claims: dict, words: list[str]) -> None:
    """A person must read what to do (a second factor, a fresh sign-in), not only acr_values."""
    result = diagnose(exchange(credentials=bearer(claims), www=(www,)))
    assert result.cause == "step_up_required"
    for word in words:
        assert word in result.summary, result.summary

def test_scope_summary_names_what_the_token_has() -> None:
    result = diagnose(
        exchange(credentials=bearer({"scope": "repo:read"}), www=('Bearer error="insufficient_scope", scope="repo:write"',))
    )
    assert "it needs “repo:write”; the token only has “repo:read”" in result.summary
