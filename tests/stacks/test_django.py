"""Django REST framework's 401s, running for real behind the real proxy: TokenAuthentication
and SessionAuthentication (the defaults of the app, with IsAuthenticated), and
djangorestframework-simplejwt's JWTAuthentication on a view of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Companion
from tests.stacks.accounts import JWT_SECRET, TOKEN, jwt_token
from tests.stacks.conftest import App, Refusal, check, python_app, table


def token(key: str) -> dict[str, str]:
    return {"Authorization": f"Token {key}"}


def simplejwt(exp_in: int = 3600, secret: str = JWT_SECRET, token_type: str = "access") -> dict[str, str]:
    """A token as simplejwt's `AccessToken.for_user(alice)` makes it (alice is user 1)."""
    return {"Authorization": "Bearer " + jwt_token(exp_in, secret, token_type=token_type, user_id="1")}


@pytest.fixture(scope="module")
def drf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    database: Path = tmp_path_factory.mktemp("drf") / "db.sqlite3"
    yield from python_app("drf_app", str(database))


R = Refusal
DRF = [
    R("token: nothing sent", "/api/me/", {}, "missing_credentials",
      'DRF\'s NotAuthenticated: "Authentication credentials were not provided." with a Token challenge.'),
    R("token: unknown token", "/api/me/", token("0123456789abcdef0123456789abcdef01234567"), "invalid_token",
      'TokenAuthentication: "Invalid token." (deleted, regenerated, or never issued).', absent=("expired_token",)),
    R("token: sent as Bearer", "/api/me/", {"Authorization": f"Bearer {TOKEN}"}, "scheme_mismatch",
      "TokenAuthentication reads only the keyword Token: a Bearer header counts as no credentials."),
    R("token: keyword without a key", "/api/me/", {"Authorization": "Token"}, "malformed_authorization",
      '"Invalid token header. No credentials provided."'),
    R("token: key with a space in it", "/api/me/", {"Authorization": f"Token {TOKEN[:10]} {TOKEN[10:]}"}, "malformed_authorization",
      '"Invalid token header. Token string should not contain spaces."'),
    R("session: sessionid of a session the server no longer has", "/api/me/", {"Cookie": "sessionid=k3v9x0r1l2m3n4b5v6c7x8z9a0s1d2f3"},
      "expired_session", "SessionAuthentication finds no session (it expired or was flushed) and Django deletes the cookie.",
      absent=("missing_credentials",)),
]  # fmt: skip

SIMPLEJWT = [
    R("simplejwt: nothing sent", "/api/jwt/me/", {}, "missing_credentials", 'JWTAuthentication challenges Bearer realm="api".'),
    R("simplejwt: expired 15 minutes ago", "/api/jwt/me/", simplejwt(-900), "expired_token",
      'code "token_not_valid", message "Token is expired".', absent=("invalid_token",)),
    R("simplejwt: signed with another key", "/api/jwt/me/", simplejwt(secret="another-key-another-key-another-key!"), "invalid_token",
      'code "token_not_valid", message "Token is invalid": a bad signature is no expiry.', absent=("expired_token",)),
    R("simplejwt: refresh token sent as access token", "/api/jwt/me/", simplejwt(token_type="refresh"), "invalid_token",
      '"Token has wrong type": the client sent the refresh token where the access token goes.', absent=("expired_token",)),
    R("simplejwt: DRF 'Token' keyword to a JWT view", "/api/jwt/me/", token(TOKEN), "scheme_mismatch",
      "AUTH_HEADER_TYPES is Bearer: a Token header counts as no credentials."),
]  # fmt: skip


@pytest.mark.parametrize("refusal", table(DRF))
def test_drf_401_is_diagnosed(companion: Companion, drf: App, refusal: Refusal) -> None:
    """Django REST framework's own 401 ({"detail": …}, WWW-Authenticate: Token): the cause a person should be told."""
    check(companion, drf, refusal)


@pytest.mark.parametrize("refusal", table(SIMPLEJWT))
def test_simplejwt_401_is_diagnosed(companion: Companion, drf: App, refusal: Refusal) -> None:
    """simplejwt's 401 (a code and per-token messages): the cause a person should be told."""
    check(companion, drf, refusal)


@pytest.mark.parametrize(("path", "headers"), [("/api/me/", token(TOKEN)), ("/api/jwt/me/", simplejwt())], ids=["token", "simplejwt"])
def test_the_right_credentials_pass(companion: Companion, drf: App, path: str, headers: dict) -> None:
    """The app is not refusing everything: with the right token each view answers 200."""
    assert companion.through_proxy("GET", drf.url(path), headers)[0] == 200
