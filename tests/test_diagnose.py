"""diagnose(): one root cause per 401/407 exchange, from the facts the exchange carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from companion.causes import CAUSES, FIX_IDS
from companion.diagnose import diagnose
from companion.diagnosis import PRECEDENCE, findings
from companion.models import (
    BodyError,
    Credential,
    Exchange,
    JwtInfo,
    RequestFacts,
    ResponseFacts,
    SentCookie,
    SetCookie,
    SiteContext,
)

NOW = datetime(2026, 11, 23, 10, 16, 11, tzinfo=UTC)
STOCK_6750 = "The access token provided is expired, revoked, malformed, or invalid for other reasons"


def exchange(
    *,
    status: int = 401,
    method: str = "GET",
    scheme: str = "https",
    host: str = "api.example.com",
    path: str = "/me",
    www: tuple[str, ...] = (),
    date: datetime | None = NOW,
    received: datetime = NOW + timedelta(seconds=1),
    body: BodyError | None = None,
    set_cookies: tuple[SetCookie, ...] = (),
    proxy_www: tuple[str, ...] = (),
    context: SiteContext | None = None,
    **request: Any,
) -> Exchange:
    """A minimal valid Exchange; keyword arguments not named here go to RequestFacts."""
    return Exchange(
        flow_id="flow-1",
        time=NOW,
        method=method,
        url=f"{scheme}://{host}{path}",
        scheme=scheme,
        host=host,
        port=443 if scheme == "https" else 80,
        path=path,
        status=status,
        request=RequestFacts(**request),
        response=ResponseFacts(
            www_authenticate=list(www),
            proxy_authenticate=list(proxy_www),
            date=date,
            date_raw=date.strftime("%a, %d %b %Y %H:%M:%S GMT") if date else None,
            received=received,
            body_error=body,
            set_cookies=list(set_cookies),
        ),
        context=context or SiteContext(),
    )


def bearer(
    claims: dict[str, Any] | None = None, *, length: int = 420, problems: tuple[str, ...] = ()
) -> list[Credential]:
    jwt = JwtInfo(header={"alg": "RS256"}, claims=claims) if claims is not None else None
    return [
        Credential(source="request.authorization", scheme="Bearer", length=length, jwt=jwt, problems=list(problems))
    ]


def basic(user: str = "alice", password_length: int = 12, scheme: str = "Basic") -> list[Credential]:
    return [
        Credential(
            source="request.authorization", scheme=scheme, length=20, username=user, password_length=password_length
        )
    ]


def at(moment: datetime) -> float:
    return moment.timestamp()


def cookies(*names: str) -> list[SentCookie]:
    return [SentCookie(name=name, length=32) for name in names]


BEARER_WWW = ('Bearer realm="api"',)

# (exchange, expected cause, causes that must be in `also`, words the summary must contain)
CASES = [
    # --- issue #2 ---
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
        exchange(credentials=bearer({"exp": at(NOW - timedelta(minutes=14))}), www=BEARER_WWW),
        "expired_token",
        [],
        ["exp (10:02:11 UTC) is 14 minutes before the server's Date"],
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
    # --- negatives: things that must NOT be read as expiry or mismatch ---
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
        "invalid_token",
        [],
        ["without an error code"],
        id="exp-past-by-local-clock-only-is-not-expired",
    ),
    pytest.param(
        exchange(credentials=basic(), www=('Basic realm="r"', 'Bearer realm="r"')),
        "invalid_credentials",
        [],
        ["Basic"],
        id="basic-vs-basic-is-not-scheme-mismatch",
    ),
    pytest.param(
        exchange(cookies=cookies("sid"), body=BodyError(message="Session expired, please log in again")),
        "expired_session",
        ["missing_challenge"],
        ["session has ended"],
        id="session-text-is-not-expired-token",
    ),
    # --- issue #3 ---
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
        exchange(credentials=bearer({"nbf": at(NOW + timedelta(minutes=3))}), www=BEARER_WWW),
        "token_not_yet_valid",
        [],
        ["nbf (10:19:11 UTC) is 3 minutes after the server's Date"],
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
        "negotiate_failed",
        ["missing_credentials"],
        ["normal as a first step"],
        id="negotiate-first-leg-is-modest",
    ),
    pytest.param(
        exchange(method="OPTIONS", access_control_request_method="PUT", origin="https://app.example"),
        "cors_preflight_rejected",
        ["missing_challenge"],
        ["OPTIONS for a PUT from https://app.example"],
        id="cors-preflight",
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
            credentials=bearer(),
            www=BEARER_WWW,
            context=SiteContext(recent_401s_same_request=4, recent_401s_same_credential=4),
        ),
        "invalid_token",
        ["auth_loop"],
        [],
        id="loop-is-symptom",
    ),
    pytest.param(
        exchange(credentials=bearer(), body=BodyError(message="Access denied: your IP address is not allowed")),
        "ip_blocked",
        ["missing_challenge"],
        ["IP address"],
        id="ip-blocked",
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
    # --- issue #3, further branches ---
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
        exchange(cookies=cookies("theme"), www=('Custom realm="x"',), context=SiteContext(recent_401s_same_request=5)),
        "auth_loop",
        [],
        ["6th 401 for GET api.example.com/me"],
        id="loop-alone-is-primary",
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
            context=SiteContext(cookies_set_earlier=[SetCookie(name="sid", default_path="/auth", httponly=True)]),
        ),
        "cookie_not_sent",
        [],
        ["set without a Path by a page under /auth/", "not to /api/me"],
        id="cookie-default-path",
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
    """Each exchange gets the root cause a person would name, with the facts in its summary."""
    result = diagnose(ex)
    assert result.cause == cause, result.summary
    assert set(also) <= set(result.also), result.also
    assert cause not in result.also
    for word in words:
        assert word in result.summary
    assert result.title == CAUSES[cause].title
    assert result.evidence and all(e.source and e.fact for e in result.evidence)
    assert {f.id for f in result.fixes} <= set(FIX_IDS)


@pytest.mark.parametrize(
    "ex",
    [
        pytest.param(exchange(cookies=cookies("theme"), www=BEARER_WWW), id="cookies-but-bearer-wanted"),
        pytest.param(
            exchange(cookies=cookies("theme"), www=('Custom realm="x"',)), id="unrelated-cookie-custom-scheme"
        ),
        pytest.param(exchange(status=403), id="not-a-401"),
    ],
)
def test_ambiguous_is_unknown_with_checklist(ex: Exchange) -> None:
    """Never a confident wrong answer: without telling facts the answer is `unknown`."""
    result = diagnose(ex)
    assert result.cause == "unknown"
    assert result.confidence < 0.5
    manual = next(f for f in result.fixes if f.id == "manual")
    assert not manual.one_click and len(manual.steps) >= 3


@pytest.mark.parametrize(
    ("ex", "expected_evidence"),
    [
        (
            exchange(credentials=bearer({"exp": at(NOW - timedelta(minutes=14))}), www=BEARER_WWW),
            {"request.authorization", "response.date"},
        ),
        (
            exchange(credentials=basic(), www=('Basic realm="r"',)),
            {"request.authorization", "response.www-authenticate"},
        ),
        (exchange(), {"request.authorization", "request.cookie", "response.www-authenticate"}),
    ],
)
def test_evidence_names_its_header(ex: Exchange, expected_evidence: set[str]) -> None:
    """Evidence points at the header each fact came from, so a person can check it."""
    assert expected_evidence <= {e.source for e in diagnose(ex).evidence}


def test_server_side_causes_carry_developer_notes() -> None:
    """A missing challenge is the site's fault, even as a symptom: its developers get notes."""
    result = diagnose(exchange(credentials=bearer({"exp": at(NOW - timedelta(minutes=1))})))
    assert result.cause == "expired_token" and "missing_challenge" in result.also
    assert any("WWW-Authenticate" in note for note in result.developer_notes)


def test_open_https_only_offered_over_http() -> None:
    """Offering "open the https version" on an https page would be a fix that does nothing."""
    ctx = SiteContext(cookies_set_earlier=[SetCookie(name="sid", secure=True)])
    over_http = diagnose(exchange(scheme="http", context=ctx))
    assert over_http.fixes[0].id == "open_https"
    assert all(f.id != "open_https" for f in diagnose(exchange(scheme="https", context=ctx)).fixes)


def test_scheme_mismatch_names_the_offered_scheme_in_steps() -> None:
    """The manual steps are specialised with what this server actually offers."""
    result = diagnose(exchange(credentials=basic(), www=BEARER_WWW))
    manual = next(f for f in result.fixes if f.id == "manual")
    assert manual.steps[0] == "Send the credentials with the Bearer scheme the server offers."


def test_every_rule_has_a_catalogue_entry() -> None:
    """A rule whose cause the catalogue lacks would show an event with no title or fixes."""
    assert {cause for cause, _ in PRECEDENCE} | {"unknown"} == set(CAUSES)


def test_summary_never_carries_the_query_string() -> None:
    """Paths may carry secrets in their query; summaries are shown and exported."""
    ex = exchange(path="/me?token=s3cr3t", context=SiteContext(recent_401s_same_request=2))
    result = diagnose(ex)
    assert "s3cr3t" not in result.summary + "".join(e.fact for e in result.evidence)


@pytest.mark.parametrize(
    ("ex", "absent"),
    [
        pytest.param(
            exchange(credentials=bearer(problems=("doubled_scheme",)), www=BEARER_WWW),
            "invalid_token",
            id="broken-header-explains-refusal",
        ),
        pytest.param(
            exchange(credentials=bearer({"nbf": at(NOW + timedelta(minutes=3))}), www=BEARER_WWW),
            "invalid_token",
            id="skew-explains-refusal",
        ),
        pytest.param(
            exchange(method="OPTIONS", access_control_request_method="PUT"),
            "missing_credentials",
            id="preflight-never-has-credentials",
        ),
        pytest.param(
            exchange(credentials=basic(), www=('Basic realm="r"',)), "scheme_mismatch", id="basic-against-basic"
        ),
        pytest.param(
            exchange(credentials=bearer({"iat": at(NOW + timedelta(minutes=10))}), www=BEARER_WWW),
            "invalid_token",
            id="iat-skew-explains-refusal",
        ),
        pytest.param(
            exchange(
                credentials=bearer({"exp": at(NOW + timedelta(hours=1))}),
                www=BEARER_WWW,
                body=BodyError(code="access_denied", message="Access from your IP address is blocked in your region"),
            ),
            "invalid_token",
            id="no-guess-about-the-token-beside-a-stated-network-block",
        ),
        pytest.param(
            exchange(
                scheme="http",
                credentials=bearer(),
                www=BEARER_WWW,
                body=BodyError(code="https_required", message="HTTPS is required"),
            ),
            "invalid_token",
            id="no-guess-about-the-token-beside-https-required",
        ),
    ],
)
def test_derived_readings_stay_out_of_also(ex: Exchange, absent: str) -> None:
    """`also` lists causes that hold on their own, not consequences of the primary cause."""
    assert absent not in diagnose(ex).also


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


def test_a_failing_rule_does_not_lose_the_diagnosis(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in one rule must cost that rule only, never the whole event."""
    from companion.diagnosis import engine

    def broken(view: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(engine, "PRECEDENCE", (("expired_token", broken), *engine.PRECEDENCE[1:]))
    assert diagnose(exchange(www=BEARER_WWW)).cause == "missing_credentials"


def test_a_guess_stays_in_also_beside_an_equally_weak_primary() -> None:
    """Guesses are dropped from `also` only beside a surer primary, never all of them."""
    ex = exchange(credentials=bearer(), www=BEARER_WWW, context=SiteContext(recent_401s_same_request=4))
    result = diagnose(ex)
    assert result.cause == "invalid_token" and result.also == ["auth_loop"]


@pytest.mark.parametrize(
    ("credentials", "says_credential"),
    [(None, False), (bearer(), True)],
    ids=["nothing-sent", "token-sent"],
)
def test_loop_mentions_the_same_credential_only_when_one_was_sent(
    credentials: list[Credential] | None, says_credential: bool
) -> None:
    """Requests without credentials share an empty fingerprint; "the same credential" would be false."""
    context = SiteContext(recent_401s_same_request=3, recent_401s_same_credential=3)
    ex = exchange(cookies=cookies("lang"), www=('Custom realm="x"',), credentials=credentials or [], context=context)
    summary = next(f.summary for f in findings(ex) if f.cause == "auth_loop")
    assert ("same credential" in summary) is says_credential


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
