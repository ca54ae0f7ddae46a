"""rules_credentials: what was sent (Basic, Digest, Negotiate, API keys, proxies) and why it was refused."""

from __future__ import annotations

import pytest

from companion.diagnosis import diagnose

from .builders import (
    BEARER_WWW,
    NOW,
    BodyError,
    Credential,
    Exchange,
    SetCookie,
    SiteContext,
    basic,
    bearer,
    check_diagnosis,
    exchange,
    timedelta,
)

# (exchange, expected cause, causes that must be in `also`, words the summary must contain)
CASES = [
    pytest.param(
        exchange(www=BEARER_WWW),
        "missing_credentials",
        [],
        ["no Authorization header", "Bearer"],
        id="missing-credentials",
    ),
    pytest.param(
        exchange(),
        "missing_credentials",
        ["missing_challenge"],
        ["no cookies"],
        id="missing-credentials-no-challenge-is-symptom",
    ),
    pytest.param(
        exchange(credentials=basic(), www=('Basic realm="Admin"',)),
        "invalid_credentials",
        [],
        ['user "alice"', "12-character password", "Admin"],
        id="basic-rejected",
    ),
    pytest.param(
        exchange(credentials=basic(password_length=0), www=('Basic realm="Admin"',)),
        "invalid_credentials",
        [],
        ["empty password"],
        id="basic-empty-password",
    ),
    pytest.param(
        exchange(status=407, proxy_www=('Basic realm="corp"',)),
        "proxy_auth_required",
        [],
        ['Basic realm="corp"', "carried none"],
        id="proxy-407",
    ),
    pytest.param(
        exchange(
            status=407,
            proxy_www=('Basic realm="corp"',),
            proxy_credentials=[
                Credential(source="request.proxy-authorization", scheme="Basic", username="bob", password_length=3)
            ],
        ),
        "proxy_auth_required",
        [],
        ['rejected the Basic proxy credentials for user "bob"'],
        id="proxy-407-rejected",
    ),
    pytest.param(exchange(status=407), "proxy_auth_required", [], ["without saying how"], id="proxy-407-no-challenge"),
    pytest.param(
        exchange(credentials=basic(), www=('Basic realm="r"', 'Bearer realm="r"')),
        "invalid_credentials",
        [],
        ["Basic"],
        id="basic-vs-basic-is-not-scheme-mismatch",
    ),
    pytest.param(
        exchange(credentials=bearer(problems=("doubled_scheme",)), www=BEARER_WWW),
        "malformed_authorization",
        [],
        ["repeats the scheme"],
        id="doubled-scheme",
    ),
    pytest.param(
        exchange(
            credentials=[Credential(source="request.authorization", scheme="Basic", length=5, problems=["not_base64"])],
            www=('Basic realm="r"',),
        ),
        "malformed_authorization",
        [],
        ["not base64"],
        id="basic-not-base64",
    ),
    pytest.param(
        exchange(credentials=basic(), www=BEARER_WWW),
        "scheme_mismatch",
        [],
        ["sent Basic credentials", "only offers Bearer"],
        id="basic-against-bearer",
    ),
    pytest.param(
        exchange(credentials=basic(scheme="Digest"), www=('Digest realm="r", nonce="[masked]", stale=true',)),
        "digest_stale_nonce",
        [],
        ["stale"],
        id="digest-stale",
    ),
    pytest.param(
        exchange(
            credentials=[Credential(source="request.authorization", scheme="Negotiate", length=1800)],
            www=("Negotiate",),
        ),
        "negotiate_failed",
        [],
        ["refused the 1800-character Negotiate token"],
        id="negotiate-refused",
    ),
    pytest.param(
        exchange(www=("Negotiate", "NTLM")),
        "missing_credentials",
        [],
        ["no Authorization header", "Negotiate"],
        id="negotiate-first-leg-is-no-failure-yet",
    ),
    pytest.param(
        exchange(
            credentials=[Credential(source="request.header.x-api-key", length=40)],
            www=BEARER_WWW,
            body=BodyError(message="Invalid API key"),
        ),
        "invalid_api_key",
        [],
        ["40-character API key", "x-api-key header"],
        id="api-key",
    ),
    pytest.param(
        exchange(
            sec_fetch_site="cross-site",
            sec_fetch_mode="navigate",
            sec_fetch_dest="document",
            www=('FormBased realm="x"',),
            context=SiteContext(cookies_set_earlier=[SetCookie(name="sid", samesite="Lax", httponly=True)]),
        ),
        "missing_credentials",
        [],
        [],
        id="lax-cookie-on-top-level-navigation-is-not-samesite",
    ),
    pytest.param(
        exchange(www=('Basic realm="unterminated',), credentials=basic()),
        "invalid_credentials",
        [],
        [],
        id="sloppy-challenge-still-read",
    ),
    pytest.param(
        exchange(www=("=,=",)),
        "missing_credentials",
        ["missing_challenge"],
        [],
        id="unreadable-challenge-is-missing",
    ),
    pytest.param(
        exchange(credentials=[Credential(source="request.query.api_key", length=32)]),
        "invalid_api_key",
        ["missing_challenge"],
        ["URL parameter api_key"],
        id="api-key-in-query",
    ),
    pytest.param(
        exchange(
            path="/api/me",
            www=('FormBased realm="x"',),
            context=SiteContext(cookies_set_earlier=[SetCookie(name="sid", path="/admin", httponly=True)]),
        ),
        "missing_credentials",
        [],
        [],
        id="explicit-path-scoping-is-not-a-cause",
    ),
    pytest.param(
        exchange(
            www=('FormBased realm="x"',),
            context=SiteContext(cookies_set_earlier=[SetCookie(name="sid", domain="login.example.com", httponly=True)]),
        ),
        "missing_credentials",
        [],
        [],
        id="explicit-domain-scoping-is-not-a-cause",
    ),
    pytest.param(
        exchange(
            www=('FormBased realm="x"',),
            context=SiteContext(cookies_set_earlier=[
                SetCookie(name="_ga", max_age=600, set_at=NOW - timedelta(minutes=40)),
            ]),
        ),
        "missing_credentials",
        [],
        [],
        id="expired-tracking-cookie-is-not-a-cause",
    ),
    pytest.param(
        exchange(
            www=('FormBased realm="x"',),
            context=SiteContext(cookies_set_earlier=[
                SetCookie(name="sid", max_age=600, httponly=True, set_at=NOW - timedelta(hours=5)),
            ]),
        ),
        "missing_credentials",
        [],
        [],
        id="session-cookie-expired-hours-ago-is-history",
    ),
    pytest.param(
        exchange(
            credentials=[Credential(source="request.authorization", scheme="NTLM", length=60)],
            www=("NTLM TlRMTVNTUAACAAAA",),
        ),
        "negotiate_failed",
        [],
        ["still under way"],
        id="ntlm-mid-handshake-is-modest",
    ),
]


@pytest.mark.parametrize(("ex", "cause", "also", "words"), CASES)
def test_diagnose(ex: Exchange, cause: str, also: list[str], words: list[str]) -> None:
    check_diagnosis(ex, cause, also, words)


def test_scheme_mismatch_names_the_offered_scheme_in_steps() -> None:
    """The manual steps are specialised with what this server actually offers."""
    result = diagnose(exchange(credentials=basic(), www=BEARER_WWW))
    manual = next(f for f in result.fixes if f.id == "manual")
    assert manual.steps[0] == "Send the credentials with the Bearer scheme the server offers."

@pytest.mark.parametrize(
    ("www", "params", "words"),
    [
        ('Basic realm="x"', {"encoding": "utf-8", "non_ascii": "password"}, ["names no charset", "Latin-1"]),
        ('Basic realm="x", charset="UTF-8"', {"encoding": "latin-1", "non_ascii": "user"}, ['charset="UTF-8"', "user has non-ASCII"]),
        ('Basic realm="x", charset="UTF-8"', {"encoding": "utf-8", "non_ascii": "password"}, []),
    ],
)
def test_basic_charset_mismatch_is_named(www: str, params: dict, words: list[str]) -> None:
    """RFC 7617: non-ASCII credentials in an encoding the server does not read are the reason."""
    cred = basic()[0].model_copy(update={"params": params})
    diagnosis = diagnose(exchange(credentials=[cred], www=(www,)))
    assert diagnosis.cause == "invalid_credentials"
    for word in words:
        assert word in diagnosis.summary
    if not words:
        assert "non-ASCII" not in diagnosis.summary
