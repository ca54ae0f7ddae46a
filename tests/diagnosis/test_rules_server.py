"""rules_server: what the server does around the credentials: loops, preflights, network blocks, no challenge."""

from __future__ import annotations

import pytest

from companion.diagnosis import diagnose, findings

from .builders import (
    BodyError,
    Credential,
    Exchange,
    SiteContext,
    bearer,
    check_diagnosis,
    cookies,
    exchange,
)

# (exchange, expected cause, causes that must be in `also`, words the summary must contain)
CASES = [
    pytest.param(
        exchange(method="OPTIONS", access_control_request_method="PUT", origin="https://app.example"),
        "cors_preflight_rejected",
        ["missing_challenge"],
        ["OPTIONS for a PUT from https://app.example"],
        id="cors-preflight",
    ),
    pytest.param(
        exchange(credentials=bearer(), body=BodyError(message="Access denied: your IP address is not allowed")),
        "ip_blocked",
        ["missing_challenge"],
        ["IP address"],
        id="ip-blocked",
    ),
    pytest.param(
        exchange(cookies=cookies("cart"), www=('Custom realm="x"',), context=SiteContext(recent_401s_same_request=5)),
        "unknown",
        ["auth_loop"],
        ["nothing in the exchange shows why"],
        id="loop-alone-is-a-symptom-beside-unknown",
    ),
]


@pytest.mark.parametrize(("ex", "cause", "also", "words"), CASES)
def test_diagnose(ex: Exchange, cause: str, also: list[str], words: list[str]) -> None:
    check_diagnosis(ex, cause, also, words)


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

def test_summary_never_carries_the_query_string() -> None:
    """Paths may carry secrets in their query; summaries are shown and exported."""
    ex = exchange(path="/me?token=s3cr3t", context=SiteContext(recent_401s_same_request=2))
    result = diagnose(ex)
    assert "s3cr3t" not in result.summary + "".join(e.fact for e in result.evidence)
