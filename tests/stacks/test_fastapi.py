"""FastAPI's security as its tutorial builds it, running for real on uvicorn behind the real
proxy: OAuth2PasswordBearer with PyJWT-decoded tokens, and HTTPBasic.

FastAPI's dependencies answer the 401 themselves when the header is missing or names another
scheme ({"detail": "Not authenticated"}); a wrong password or a bad token is refused by the
tutorial's code that every FastAPI app copies ("Incorrect username or password", "Could not
validate credentials")."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from tests.conftest import Companion
from tests.stacks.accounts import PASSWORD, TOKEN, USER, jwt_token
from tests.stacks.conftest import App, Refusal, check, python_app, table


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def fastapi_app() -> Iterator[App]:
    yield from python_app("fastapi_app")


R = Refusal
FASTAPI = [
    R("oauth2: nothing sent", "/users/me", {}, "missing_credentials", 'OAuth2PasswordBearer: "Not authenticated", WWW-Authenticate: Bearer.'),
    R("oauth2: Basic sent to a Bearer route", "/users/me", basic(USER, PASSWORD), "scheme_mismatch",
      "OAuth2PasswordBearer takes only Bearer and answers as if nothing came.", absent=("invalid_credentials",)),
    R("oauth2: JWT expired 15 minutes ago", "/users/me", bearer(jwt_token(-900)), "expired_token",
      'The tutorial\'s "Could not validate credentials" hides the reason; the token\'s exp tells it.', absent=("invalid_token",)),
    R("oauth2: JWT signed with another key", "/users/me", bearer(jwt_token(secret="another-key-another-key-another-key!")), "invalid_token",
      "A bad signature, refused with the same words: not an expiry.", absent=("expired_token",)),
    R("oauth2: opaque token where a JWT is wanted", "/users/me", bearer(TOKEN), "invalid_token",
      "PyJWT cannot decode it: the token is not one this API issues."),
    R("basic: nothing sent", "/basic/me", {}, "missing_credentials", 'HTTPBasic: "Not authenticated", WWW-Authenticate: Basic.'),
    R("basic: wrong password", "/basic/me", basic(USER, "wrong password"), "invalid_credentials",
      'The tutorial\'s secrets.compare_digest check: "Incorrect username or password".', absent=("scheme_mismatch",)),
    R("basic: a bearer token sent to a Basic route", "/basic/me", bearer(TOKEN), "scheme_mismatch",
      "HTTPBasic takes only Basic and answers as if nothing came."),
    R("basic: payload not base64", "/basic/me", {"Authorization": f"Basic {USER}:{PASSWORD}"}, "malformed_authorization",
      "HTTPBasic cannot decode the payload.", absent=("invalid_credentials",)),
]  # fmt: skip


@pytest.mark.parametrize("refusal", table(FASTAPI))
def test_fastapi_401_is_diagnosed(companion: Companion, fastapi_app: App, refusal: Refusal) -> None:
    """FastAPI's 401 ({"detail": …} and a bare scheme as challenge): the cause a person should be told."""
    check(companion, fastapi_app, refusal)


@pytest.mark.parametrize(("path", "headers"), [("/users/me", bearer(jwt_token())), ("/basic/me", basic(USER, PASSWORD))], ids=["oauth2", "basic"])
def test_the_right_credentials_pass(companion: Companion, fastapi_app: App, path: str, headers: dict) -> None:
    """The app is not refusing everything: with the right credentials each route answers 200."""
    assert companion.through_proxy("GET", fastapi_app.url(path), headers)[0] == 200
