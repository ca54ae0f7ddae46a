"""The corpus of real-world 401/407 exchanges (tests/corpus/cases, see README.md there),
replayed through the addon and the diagnosis as the product runs them (tests/corpus/replay.py).

One test per case asserts the primary cause. The diagnosis is wrong on some cases today; those
are listed in KNOWN_WRONG (with what it says today) and marked `xfail(strict=True)`: a case that
starts passing fails the run until it leaves the list, and a new mistake fails it too. The list
is grouped by the kind of mistake: it is the work plan of the diagnosis work (issue 8).

The shape of every case is checked (`replay.case_problems`); the cases whose shape is broken
today are in KNOWN_BROKEN, which is held to the same rule: exactly those, no more, no fewer.
`bench/diagnosis.py` prints the accuracy, the confusion table and the confidently-wrong count.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus.replay import (
    CASES_DIR,
    Case,
    CorpusError,
    case_problems,
    corpus_problems,
    read_case_file,
    replay,
)

MIN_CASES = 150
MIN_APIS = 40

# The cases whose primary cause is wrong today, with what the diagnosis names (and its
# confidence) today, grouped by the kind of mistake.
KNOWN_WRONG: dict[str, str] = {
    # missing_challenge named while the body says the API key is invalid (key sent as Bearer/Bot/SSWS, no challenge)
    "airtable-authentication-required": "missing_challenge (0.9)",
    "airtable-pat-not-accepted": "missing_challenge (0.9)",
    "anthropic-api-key-sent-as-bearer": "missing_challenge (0.9)",
    "cohere-invalid-api-token": "missing_challenge (0.9)",
    "discord-bot-token-rejected": "missing_challenge (0.9)",
    "gemini-api-key-plus-bogus-bearer": "missing_challenge (0.9)",
    "grafana-invalid-api-key": "missing_challenge (0.9)",
    "huggingface-invalid-credentials-header": "missing_challenge (0.9)",
    "mistral-codestral-key-on-platform-endpoint": "missing_challenge (0.9)",
    "mistral-invalid-key-detail": "missing_challenge (0.9)",
    "notion-api-token-invalid": "missing_challenge (0.9)",
    "okta-e0000011-invalid-api-token": "missing_challenge (0.9)",
    "openai-incorrect-api-key": "missing_challenge (0.9)",
    "openai-key-from-another-provider": "missing_challenge (0.9)",
    "openai-mismatched-organization": "missing_challenge (0.9)",
    "openai-no-organization": "missing_challenge (0.9)",
    "sendgrid-api-key-id-instead-of-key": "missing_challenge (0.9)",
    "sendgrid-authorization-grant-invalid": "missing_challenge (0.9)",
    "sendgrid-permission-denied-wrong-credentials": "missing_challenge (0.9)",
    "stripe-invalid-api-key": "missing_challenge (0.9)",
    "supabase-invalid-apikey": "missing_challenge (0.9)",
    # missing_challenge named while the body says the token is invalid, revoked or for another audience/tenant (Bearer sent, no challenge)
    "anthropic-oauth-token-invalidated": "missing_challenge (0.9)",
    "auth0-management-api-invalid-signature": "missing_challenge (0.9)",
    "auth0-management-api-invalid-token": "missing_challenge (0.9)",
    "azure-arm-wrong-audience": "missing_challenge (0.9)",
    "azure-arm-wrong-tenant": "missing_challenge (0.9)",
    "bitbucket-scoped-token-rejected": "missing_challenge (0.9)",
    "digitalocean-unable-to-authenticate": "missing_challenge (0.9)",
    "flask-jwt-extended-revoked": "missing_challenge (0.9)",
    "ghcr-token-not-accepted": "missing_challenge (0.9)",
    "github-bad-credentials-graphql": "missing_challenge (0.9)",
    "github-bad-credentials-pat": "missing_challenge (0.9)",
    "github-bad-credentials-token-scheme": "missing_challenge (0.9)",
    "gitlab-token-in-wrong-header": "missing_challenge (0.9)",
    "google-identity-unauthenticated-generic": "missing_challenge (0.9)",
    "google-identity-userinfo-invalid-credentials": "missing_challenge (0.9)",
    "heroku-invalid-credentials": "missing_challenge (0.9)",
    "laravel-sanctum-unauthenticated-revoked-token": "missing_challenge (0.9)",
    "microsoft-graph-compact-token-parsing": "missing_challenge (0.9)",
    "twitter-v2-unauthorized": "missing_challenge (0.9)",
    # missing_challenge named while the body names another root cause (expiry in the details, fresh token, missing scope, no API key)
    "flask-jwt-extended-fresh-token-required": "missing_challenge (0.9)",
    "google-identity-unauthenticated-access-token-expired": "missing_challenge (0.9)",
    "openai-restricted-key-missing-scope": "missing_challenge (0.9)",
    "supabase-auth-apikey-header-dropped": "missing_challenge (0.9)",
    # missing_credentials named: the credential went in a header or URL the capture does not know as one
    "telegram-bot-token-rejected": "missing_challenge (0.9)",
    # missing_credentials / expired_session named: the credentials were in the request body (token endpoint, sign-in form) and the body says they are wrong
    "devise-invalid-email-or-password": "expired_session (0.5)",
    "entra-id-token-aadsts7000215-invalid-secret": "missing_credentials (0.8)",
    "keycloak-token-unauthorized-client-older": "missing_credentials (0.8)",
    "okta-e0000004-authn-failed": "missing_credentials (0.8)",
    # scheme_mismatch named while the server's own words say the credential itself was rejected (or ask for an OTP)
    "auth0-authz-extension-token-challenge": "scheme_mismatch (0.8)",
    "jira-api-token-authentication-failed": "scheme_mismatch (0.8)",
    "kubernetes-gke-unauthorized-basic-challenge": "scheme_mismatch (0.8)",
    "npm-publish-otp-required": "scheme_mismatch (0.8)",
    # invalid_api_key named for a key-like header or URL parameter although the challenge/body speak of the token (expired, unparsable)
    "firebase-rtdb-could-not-parse-auth-token": "invalid_api_key (0.75)",
    "gitlab-pat-expired": "invalid_api_key (0.75)",
    # expired_token named from a message that says "incorrect or expired"
    "square-application-id-instead-of-token": "expired_token (0.85)",
    "square-token-incorrect-or-expired": "expired_token (0.85)",
    # unknown: the challenge's error="insufficient_claims" (a claims challenge) is not read as step-up
    "entra-id-claims-challenge-insufficient-claims": "unknown (0.2)",
    "microsoft-graph-claims-challenge": "unknown (0.2)",
    # invalid_credentials named for an API key sent as Basic (Mailgun's user "api")
    "mailgun-key-rejected": "invalid_credentials (0.65)",
    "mailgun-us-endpoint-for-eu-domain": "invalid_credentials (0.65)",
    # malformed_authorization named for a bare token an authorizer expects without a scheme (AWS Cognito)
    "aws-apigw-cognito-authorizer-rejects-token": "malformed_authorization (0.9)",
    # negotiate_failed named on the first, credential-less leg of a Windows sign-in
    "iis-windows-auth-anonymous-challenge": "negotiate_failed (0.6)",
    # credentials_stripped expected: a DESIGN.md cause the catalogue does not have yet
    "django-rest-framework-apache-mod-wsgi-strips-authorization": "invalid_token (0.5)",
    # wrong since the diagnosis changed: to look at
    "openai-misspelled-authorization-header": "invalid_api_key (0.85)",
}

# The cases whose shape `replay.case_problems` rejects today, and why. Not edited here: the
# case files are the researchers'; these wait for the catalogue or the case to change.
KNOWN_BROKEN: dict[str, str] = {
    "django-rest-framework-not-provided-scheme-not-enabled": (
        "expect.also names credentials_stripped: a cause id of DESIGN.md that companion.diagnosis.catalogue does not have yet"
    ),
    "django-rest-framework-apache-mod-wsgi-strips-authorization": (
        "expect.cause is credentials_stripped: a cause id of DESIGN.md that companion.diagnosis.catalogue does not have yet"
    ),
}

FILES = sorted(CASES_DIR.glob("*.json"))


def _readable(path: Path) -> list[Case]:
    """The cases of one file; a file that does not parse fails `test_case_file` alone, so
    that one broken file does not hide the other cases."""
    try:
        return read_case_file(path)
    except CorpusError:
        return []


CASES = [case for path in FILES for case in _readable(path)]


def _case_param(case: Case) -> object:
    marks = []
    if case.id in KNOWN_WRONG:
        marks.append(
            pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"today the diagnosis says {KNOWN_WRONG[case.id]} (issue 8)")
        )
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_case_param(case) for case in CASES])
def test_primary_cause(case: Case) -> None:
    diagnosis = replay(case)
    assert diagnosis.cause == case.expected, (
        f"{case.where}: expected {case.expected}, the diagnosis names {diagnosis.cause} "
        f"(confidence {diagnosis.confidence}, also {diagnosis.also}): {diagnosis.summary}"
    )


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_case_file(path: Path) -> None:
    """The file parses as an array of cases, and each case has the shape of README.md."""
    cases = read_case_file(path)  # raises CorpusError, naming the file and the place
    assert cases, f"{path.name} holds no case"
    report = []
    for case in cases:
        problems = case_problems(case)
        if case.id in KNOWN_BROKEN:
            if not problems:
                report.append(f"{case.where}: passes the shape check now; remove it from KNOWN_BROKEN")
        elif problems:
            report.append(f"{case.where}:\n    " + "\n    ".join(problems))
    assert not report, "\n".join(report)


def test_case_ids_are_unique() -> None:
    duplicates = {
        where: problems for where, problems in corpus_problems(CASES).items() if any(p.startswith("id: also used") for p in problems)
    }
    assert not duplicates, duplicates


def test_known_lists_name_cases() -> None:
    ids = {case.id for case in CASES}
    assert not set(KNOWN_WRONG) - ids, f"KNOWN_WRONG names no such case: {sorted(set(KNOWN_WRONG) - ids)}"
    assert not set(KNOWN_BROKEN) - ids, f"KNOWN_BROKEN names no such case: {sorted(set(KNOWN_BROKEN) - ids)}"


def test_corpus_coverage() -> None:
    apis = {case.data.get("api") for case in CASES}
    assert len(CASES) >= MIN_CASES, f"{len(CASES)} cases, fewer than {MIN_CASES}"
    assert len(apis) >= MIN_APIS, f"{len(apis)} distinct APIs, fewer than {MIN_APIS}"
