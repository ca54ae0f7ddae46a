"""Express's auth middlewares, running for real on Node behind the real proxy: express-jwt
(errors answered by Express's default error handler) and Passport with passport-http's Basic
and passport-http-bearer's Bearer strategies. Skipped without Node outside CI; failed in CI."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from tests.conftest import Companion
from tests.stacks.accounts import EXPIRED_TOKEN, PASSWORD, REVOKED_JTI, TOKEN, USER, jwt_token
from tests.stacks.conftest import App, Refusal, check, node_app, table


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def express_jwt() -> Iterator[App]:
    yield from node_app("express_jwt_app.mjs")


@pytest.fixture(scope="module")
def express_jwt_production() -> Iterator[App]:
    """The same app as deployed: with NODE_ENV=production Express's error page says only "Unauthorized"."""
    yield from node_app("express_jwt_app.mjs", env={"NODE_ENV": "production"})


@pytest.fixture(scope="module")
def passport() -> Iterator[App]:
    yield from node_app("express_passport_app.mjs")


R = Refusal
EXPRESS_JWT = [
    R("express-jwt: no token", "/api/me", {}, "missing_credentials",
      'UnauthorizedError "No authorization token was found" (credentials_required), no challenge.'),
    R("express-jwt: expired 15 minutes ago", "/api/me", bearer(jwt_token(-900)), "expired_token",
      'jsonwebtoken\'s TokenExpiredError: "jwt expired".', absent=("invalid_token",)),
    R("express-jwt: invalid signature", "/api/me", bearer(jwt_token(secret="another-key-another-key-another-key!")), "invalid_token",
      '"invalid signature": the token was signed by someone else, or the key rotated.', absent=("expired_token",)),
    R("express-jwt: revoked", "/api/me", bearer(jwt_token(jti=REVOKED_JTI)), "invalid_token",
      'isRevoked said yes: "The token has been revoked." (revoked_token).', absent=("expired_token",)),
    R("express-jwt: Basic sent", "/api/me", basic(USER, PASSWORD), "scheme_mismatch",
      '"Format is Authorization: Bearer [token]" (credentials_bad_scheme).', absent=("invalid_credentials",)),
    R("express-jwt: Bearer without a token", "/api/me", {"Authorization": "Bearer"}, "malformed_authorization",
      '"Format is Authorization: Bearer [token]" (credentials_bad_format): the header has no token.'),
]  # fmt: skip

# In production the page names no reason: what the request carried must tell, or nothing does.
EXPRESS_JWT_PRODUCTION = [
    R("production: no token", "/api/me", {}, "missing_credentials", "Nothing was sent, and that is on the wire."),
    R("production: expired 15 minutes ago", "/api/me", bearer(jwt_token(-900)), "expired_token",
      "The page says only Unauthorized, but the token's exp was before the server's Date."),
    R("production: invalid signature", "/api/me", bearer(jwt_token(secret="another-key-another-key-another-key!")), "unknown",
      "A token that looks fine and a bare Unauthorized: nothing on the wire says why, so no confident guess.",
      absent=("expired_token",)),
]  # fmt: skip

PASSPORT = [
    R("basic: nothing sent", "/basic/me", {}, "missing_credentials", 'BasicStrategy challenges Basic realm="Users".'),
    R("basic: wrong password", "/basic/me", basic(USER, "wrong password"), "invalid_credentials",
      "The verify callback said done(null, false).", absent=("scheme_mismatch",)),
    R("basic: a bearer token sent", "/basic/me", bearer(TOKEN), "scheme_mismatch",
      "BasicStrategy ignores a Bearer header and challenges Basic again."),
    R("bearer: nothing sent", "/bearer/me", {}, "missing_credentials", 'BearerStrategy challenges Bearer realm="Users".'),
    R("bearer: unknown token", "/bearer/me", bearer("tok_mallory_0f1e2d3c4b5a6978"), "invalid_token",
      'RFC 6750 error="invalid_token" and no word of expiry.', absent=("expired_token",)),
    R("bearer: expired token, said so in error_description", "/bearer/me", bearer(EXPIRED_TOKEN), "expired_token",
      'The verify callback\'s message becomes error_description="The access token expired".'),
    R("bearer: Basic sent", "/bearer/me", basic(USER, PASSWORD), "scheme_mismatch",
      "BearerStrategy ignores a Basic header and challenges Bearer again.", absent=("invalid_credentials",)),
]  # fmt: skip


@pytest.mark.parametrize("refusal", table(EXPRESS_JWT))
def test_express_jwt_401_is_diagnosed(companion: Companion, express_jwt: App, refusal: Refusal) -> None:
    """express-jwt's UnauthorizedError as Express answers it (an HTML error page, no challenge): the cause a person should be told."""
    check(companion, express_jwt, refusal)


@pytest.mark.parametrize("refusal", table(EXPRESS_JWT_PRODUCTION))
def test_express_jwt_in_production_401_is_diagnosed(companion: Companion, express_jwt_production: App, refusal: Refusal) -> None:
    """express-jwt behind Express's production error page (no message, no challenge): only the request can tell."""
    check(companion, express_jwt_production, refusal)


@pytest.mark.parametrize("refusal", table(PASSPORT))
def test_passport_401_is_diagnosed(companion: Companion, passport: App, refusal: Refusal) -> None:
    """Passport's 401 (its strategies' challenges, body "Unauthorized"): the cause a person should be told."""
    check(companion, passport, refusal)


@pytest.mark.parametrize(
    ("app", "path", "headers"),
    [("express_jwt", "/api/me", bearer(jwt_token())), ("passport", "/basic/me", basic(USER, PASSWORD)), ("passport", "/bearer/me", bearer(TOKEN))],
    ids=["express-jwt", "passport basic", "passport bearer"],
)
def test_the_right_credentials_pass(companion: Companion, request: pytest.FixtureRequest, app: str, path: str, headers: dict) -> None:
    """The apps are not refusing everything: with the right credentials each route answers 200."""
    running: App = request.getfixturevalue(app)
    assert companion.through_proxy("GET", running.url(path), headers)[0] == 200
