"""The engine: one root cause chosen, symptoms to `also`, `unknown` when nothing tells."""

from __future__ import annotations

import pytest

from companion.diagnosis import PRECEDENCE, diagnose
from companion.diagnosis.catalogue import CAUSES

from .builders import (
    BEARER_WWW,
    NOW,
    BodyError,
    Credential,
    Exchange,
    SiteContext,
    at,
    basic,
    bearer,
    cookies,
    exchange,
    timedelta,
)


@pytest.mark.parametrize(
    "ex",
    [
        pytest.param(exchange(cookies=cookies("cart"), www=BEARER_WWW), id="cookies-but-bearer-wanted"),
        pytest.param(exchange(cookies=cookies("cart"), www=('Custom realm="x"',)), id="unrelated-cookie-custom-scheme"),
        pytest.param(exchange(credentials=bearer(), www=BEARER_WWW), id="bearer-refused-without-a-word"),
        pytest.param(exchange(credentials=bearer()), id="bearer-refused-bare"),
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

def test_every_rule_has_a_catalogue_entry() -> None:
    """A rule whose cause the catalogue lacks would show an event with no title or fixes."""
    assert {cause for cause, _ in PRECEDENCE} | {"unknown"} == set(CAUSES)

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

def test_a_failing_rule_does_not_lose_the_diagnosis(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in one rule must cost that rule only, never the whole event."""
    from companion.diagnosis import engine

    def broken(view: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(engine, "PRECEDENCE", (("expired_token", broken), *engine.PRECEDENCE[1:]))
    assert diagnose(exchange(www=BEARER_WWW)).cause == "missing_credentials"

def test_a_guess_is_no_answer_and_the_symptoms_stay_in_also() -> None:
    """A token refused with no word and no error code could be many things: `unknown`, with
    the loop it causes in `also` and the guess among the evidence, not a coin-flip answer."""
    ex = exchange(credentials=bearer(), www=BEARER_WWW, context=SiteContext(recent_401s_same_request=4))
    result = diagnose(ex)
    assert result.cause == "unknown" and result.also == ["auth_loop"]
    assert any(e.fact.startswith("Possibly invalid_token") for e in result.evidence)


def test_two_equally_sure_readings_are_no_confident_answer() -> None:
    """An API key and a token both sent, and the server only says "Invalid token": either
    could be meant. The answer says so (confidence below 0.5) and names both."""
    ex = exchange(
        credentials=[
            Credential(source="request.authorization", scheme="Bearer", length=40, params={"key_kind": "api_key", "key_prefix": "sk-"}),
            Credential(source="request.header.x-auth-token", length=30),
        ],
        body=BodyError(message="Invalid token"),
    )
    result = diagnose(ex)
    assert result.confidence < 0.5
    assert {result.cause, *result.also} >= {"invalid_token", "invalid_api_key"}
    assert "Or, as likely" in result.summary and "API key" in result.summary and "token" in result.summary
