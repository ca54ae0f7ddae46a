"""The one set of accounts every stack app knows, so a test can send the right credentials
and then each wrong one. The Python apps import it; the Node apps get it in their environment
(`node_env()`)."""

from __future__ import annotations

import time
import uuid

import jwt as pyjwt

USER = "alice"
PASSWORD = "correct horse battery"
TOKEN = "tok_alice_7c1e9a3b5d2f4e6a8c0b"
"""An opaque API token (Flask-HTTPAuth's HTTPTokenAuth, DRF's TokenAuthentication, passport-http-bearer)."""
EXPIRED_TOKEN = "tok_alice_expired_4b6d8f0a2c1e3a5c"
"""An opaque token the passport app knows but holds as expired."""
JWT_SECRET = "stack-apps-signing-key-0123456789abcdef"  # HS256 wants 32 bytes or more
REVOKED_JTI = "revoked-5e7a9c1b3d"

__all__ = ["EXPIRED_TOKEN", "JWT_SECRET", "PASSWORD", "REVOKED_JTI", "TOKEN", "USER", "jwt_token", "node_env"]


def jwt_token(exp_in: int = 3600, secret: str = JWT_SECRET, **claims: object) -> str:
    """An HS256 JWT for alice expiring `exp_in` seconds from now (negative: already expired),
    issued an hour ago; `claims` add or replace claims (a library's `type`, `fresh`, `jti`…)."""
    now = int(time.time())
    body = {"sub": USER, "iat": now - 3600, "nbf": now - 3600, "exp": now + exp_in, "jti": uuid.uuid4().hex, **claims}
    return pyjwt.encode(body, secret, algorithm="HS256")


def node_env() -> dict[str, str]:
    return {
        "STACK_USER": USER, "STACK_PASSWORD": PASSWORD, "STACK_TOKEN": TOKEN, "STACK_EXPIRED_TOKEN": EXPIRED_TOKEN,
        "STACK_JWT_SECRET": JWT_SECRET, "STACK_REVOKED_JTI": REVOKED_JTI,
    }  # fmt: skip
