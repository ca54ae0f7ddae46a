"""Flask's two auth libraries, running for real behind the real proxy: Flask-HTTPAuth (Basic
with `verify_password`, Bearer with `HTTPTokenAuth`) and Flask-JWT-Extended (`jwt_required`,
freshness, a blocklist). Each 401 below is the library's own answer."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from tests.conftest import Companion
from tests.stacks.accounts import PASSWORD, REVOKED_JTI, TOKEN, USER, jwt_token
from tests.stacks.conftest import App, Refusal, check, python_app, table


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def flask_jwt(exp_in: int = 3600, **claims: object) -> str:
    """A token as Flask-JWT-Extended's `create_access_token` makes it."""
    return jwt_token(exp_in, **{"type": "access", "fresh": False, **claims})


@pytest.fixture(scope="module")
def httpauth() -> Iterator[App]:
    yield from python_app("flask_httpauth_app")


@pytest.fixture(scope="module")
def jwt_extended() -> Iterator[App]:
    yield from python_app("flask_jwt_app")


R = Refusal
HTTPAUTH = [
    R("basic: nothing sent", "/basic", {}, "missing_credentials",
      "The browser's first request to a Basic-protected page: Flask-HTTPAuth challenges with Basic."),
    R("basic: wrong password", "/basic", basic(USER, "wrong password"), "invalid_credentials",
      "verify_password returned nothing for a known user and a wrong password.", absent=("scheme_mismatch",)),
    R("basic: unknown user", "/basic", basic("mallory", PASSWORD), "invalid_credentials",
      "verify_password returned nothing for a user it does not know."),
    R("basic: a bearer token sent to a Basic-only route", "/basic", bearer(TOKEN), "scheme_mismatch",
      "Flask-HTTPAuth ignores an Authorization header of another scheme and challenges Basic again."),
    R("basic: payload not base64", "/basic", {"Authorization": f"Basic {USER}:{PASSWORD}"}, "malformed_authorization",
      "Werkzeug cannot decode the Basic payload, so the library sees no credentials.", absent=("invalid_credentials",)),
    R("token: nothing sent", "/token", {}, "missing_credentials", "HTTPTokenAuth challenges Bearer."),
    R("token: unknown token", "/token", bearer("tok_mallory_0f1e2d3c4b5a6978"), "invalid_token",
      "verify_token returned nothing: the token is not (or no longer) one the app knows.", absent=("expired_token",)),
    R("token: Basic sent to a Bearer route", "/token", basic(USER, PASSWORD), "scheme_mismatch",
      "A password where the app wants a token: the challenge names Bearer only.", absent=("invalid_credentials",)),
    R("token: DRF-style 'Token' scheme to a Bearer route", "/token", {"Authorization": f"Token {TOKEN}"}, "scheme_mismatch",
      "The right token under the wrong scheme word."),
]  # fmt: skip

JWT_EXTENDED = [
    R("jwt: no Authorization header", "/protected", {}, "missing_credentials",
      'jwt_required() answers {"msg": "Missing JWT in headers or cookies …"} and no challenge.'),
    R("jwt: expired 15 minutes ago", "/protected", bearer(flask_jwt(-900)), "expired_token",
      'The library answers {"msg": "Token has expired"}.', absent=("invalid_token",)),
    R("jwt: expired, in the access_token_cookie", "/protected", {"Cookie": f"access_token_cookie={flask_jwt(-900)}"},
      "expired_token", "JWT_TOKEN_LOCATION includes cookies: the same expiry, carried by a cookie."),
    R("jwt: revoked by the blocklist loader", "/protected", bearer(flask_jwt(jti=REVOKED_JTI)), "invalid_token",
      'token_in_blocklist_loader said yes: {"msg": "Token has been revoked"}, not an expiry.', absent=("expired_token",)),
    R("jwt: a fresh token required, a refreshed one sent", "/fresh", bearer(flask_jwt()), "step_up_required",
      'jwt_required(fresh=True) wants the user to sign in again: {"msg": "Fresh token required"}.',
      absent=("expired_token", "invalid_token")),
    R("jwt: Basic sent where a Bearer JWT is wanted", "/protected", basic(USER, PASSWORD), "scheme_mismatch",
      "The library says it is missing the 'Bearer' type in the Authorization header.", absent=("credentials_stripped",)),
]  # fmt: skip


@pytest.mark.parametrize("refusal", table(HTTPAUTH))
def test_flask_httpauth_401_is_diagnosed(companion: Companion, httpauth: App, refusal: Refusal) -> None:
    """Flask-HTTPAuth's 401, through the proxy: the cause a person should be told."""
    check(companion, httpauth, refusal)


@pytest.mark.parametrize("refusal", table(JWT_EXTENDED))
def test_flask_jwt_extended_401_is_diagnosed(companion: Companion, jwt_extended: App, refusal: Refusal) -> None:
    """Flask-JWT-Extended's 401 (a JSON `msg`, no WWW-Authenticate): the cause a person should be told."""
    check(companion, jwt_extended, refusal)


@pytest.mark.parametrize(
    ("app", "path", "headers"),
    [
        ("httpauth", "/basic", basic(USER, PASSWORD)),
        ("httpauth", "/token", bearer(TOKEN)),
        ("jwt_extended", "/protected", bearer(flask_jwt())),
        ("jwt_extended", "/fresh", bearer(flask_jwt(fresh=True))),
    ],
    ids=["basic", "token", "jwt", "fresh jwt"],
)
def test_the_right_credentials_pass(companion: Companion, request: pytest.FixtureRequest, app: str, path: str, headers: dict) -> None:
    """The apps are not refusing everything: with the right credentials each route answers 200."""
    running: App = request.getfixturevalue(app)
    assert companion.through_proxy("GET", running.url(path), headers)[0] == 200
