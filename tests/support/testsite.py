"""A local site that fails with 401 in every way the tests need: a real aiohttp server.

Run it alone to browse the scenarios through the proxy by hand:

    .venv/bin/python -m tests.support.testsite --port 8999

Secrets it knows (the tests plant them and then look for them in the store):
    Basic user `alice` with password PASSWORD, bearer tokens signed with a test key,
    the session cookie `sid`.

The routes here are the basics; tests/testsite_scenarios.py adds one route (under /s/) per
way a server says 401, for tests/test_scenarios.py.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import secrets
import time

import jwt as pyjwt
from aiohttp import web

__all__ = ["PASSWORD", "SESSION_VALUE", "create_site", "make_jwt"]

PASSWORD = "correct-horse-battery-staple-7731"
SESSION_VALUE = "sess-3f9a1c7e5b2d4f60a8e1c3b5d7f9a2c4"
SIGNING_KEY = "testsite-signing-key-0123456789abcdef0123456789"
REALM = "testsite"
SESSIONS = web.AppKey("sessions", set)


def make_jwt(exp_offset_s: int, **claims: object) -> str:
    """A signed HS256 token expiring `exp_offset_s` seconds from now (negative: expired)."""
    now = int(time.time())
    body = {"sub": "alice", "iat": now - 3600, "exp": now + exp_offset_s, "aud": "testsite", **claims}
    return pyjwt.encode(body, SIGNING_KEY, algorithm="HS256")


def _basic_ok(header: str) -> bool:
    scheme, _, payload = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(payload.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return user == "alice" and password == PASSWORD


HOME = """<!doctype html>
<html><head><meta charset="utf-8"><title>Test site</title></head>
<body><h1>Test site</h1>
<p id="status">loading…</p>
<script src="/app.js"></script>
</body></html>
"""

# The page calls its API the way single-page apps do; the result is shown on the page.
APP_JS = """
(async () => {
  const status = document.getElementById("status");
  const target = new URLSearchParams(location.search).get("call") || "/api/me";
  const response = await fetch(target, {credentials: "include"});
  status.textContent = response.status === 200 ? "signed in" : `error ${response.status}`;
})();
"""


async def home(request: web.Request) -> web.Response:
    return web.Response(text=HOME, content_type="text/html")


async def app_js(request: web.Request) -> web.Response:
    return web.Response(text=APP_JS, content_type="application/javascript")


async def login(request: web.Request) -> web.Response:
    """Signs in: a fresh session cookie and two harmless ones, like a real sign-in sets."""
    session = SESSION_VALUE if request.query.get("fixed") else "sess-" + secrets.token_hex(16)
    request.app[SESSIONS].add(session)
    response = web.Response(text="<!doctype html><title>Signed in</title><p>Signed in.</p>", content_type="text/html")
    response.set_cookie("sid", session, path="/", httponly=True, samesite="Lax")
    response.set_cookie("theme", "dark", path="/")
    response.set_cookie("csrftoken", "csrf-" + SESSION_VALUE[::-1], path="/")
    return response


async def me(request: web.Request) -> web.Response:
    """A session-cookie API: without a valid `sid` it answers 401 and deletes the cookie."""
    if request.cookies.get("sid") in request.app[SESSIONS]:
        return web.json_response({"user": "alice"})
    response = web.json_response(
        {"error": "session_expired", "message": "Your session has expired, please sign in again"}, status=401
    )
    response.headers["WWW-Authenticate"] = f'Cookie realm="{REALM}"'
    if "sid" in request.cookies:
        response.del_cookie("sid", path="/")
    return response


async def expire_sessions(request: web.Request) -> web.Response:
    """Ends every session on the server side, as a timeout or a deploy would."""
    request.app[SESSIONS].clear()
    return web.json_response({"ok": True})


async def basic(request: web.Request) -> web.Response:
    if _basic_ok(request.headers.get("Authorization", "")):
        return web.json_response({"user": "alice"})
    return web.Response(
        status=401, text="Unauthorized", headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'}
    )


async def bearer(request: web.Request) -> web.Response:
    """A JWT API answering like RFC 6750 says, expiry named in error_description."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    challenge = f'Bearer realm="{REALM}"'
    if scheme.lower() != "bearer" or not token:
        return web.Response(status=401, headers={"WWW-Authenticate": challenge})
    try:
        pyjwt.decode(token, SIGNING_KEY, algorithms=["HS256"], audience="testsite")
    except pyjwt.ExpiredSignatureError:
        description = "The access token expired"
    except pyjwt.InvalidTokenError:
        description = "The access token is invalid"
    else:
        return web.json_response({"user": "alice"})
    return web.json_response(
        {"error": "invalid_token", "error_description": description},
        status=401,
        headers={"WWW-Authenticate": f'{challenge}, error="invalid_token", error_description="{description}"'},
    )


async def no_challenge(request: web.Request) -> web.Response:
    """A misconfigured server: 401 without any WWW-Authenticate."""
    return web.json_response({"message": "Unauthorized"}, status=401)


async def proxy_auth(request: web.Request) -> web.Response:
    """Plays a corporate proxy that wants credentials."""
    return web.Response(
        status=407, text="Proxy Authentication Required",
        headers={"Proxy-Authenticate": 'Basic realm="corp-proxy"'},
    )  # fmt: skip


async def ok(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def create_site() -> web.Application:
    app = web.Application()
    app[SESSIONS] = set()
    app.router.add_get("/", home)
    app.router.add_get("/app.js", app_js)
    app.router.add_get("/login", login)
    app.router.add_get("/api/me", me)
    app.router.add_post("/expire-sessions", expire_sessions)
    app.router.add_get("/basic", basic)
    app.router.add_get("/bearer", bearer)
    app.router.add_get("/no-challenge", no_challenge)
    app.router.add_get("/proxy-auth", proxy_auth)
    app.router.add_get("/ok", ok)
    # Imported here: the scenarios use this module's secrets, so it must be loaded first.
    from tests.support.scenarios import add_scenarios

    add_scenarios(app)
    return app


def self_signed_context(host: str = "localhost"):
    """A TLS context with a throw-away certificate for `host` (the proxy checks nothing
    upstream in tests: `ssl_insecure`); made at start, never written to disk."""
    import datetime
    import ssl
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.NamedTemporaryFile("wb") as pem:  # load_cert_chain reads files only
        pem.write(cert.public_bytes(serialization.Encoding.PEM))
        pem.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        pem.flush()
        context.load_cert_chain(pem.name)
    return context


def main() -> None:
    parser = argparse.ArgumentParser(description="the 401 Companion test site")
    parser.add_argument("--port", type=int, default=8999)
    parser.add_argument("--tls", action="store_true", help="serve https with a throw-away certificate for localhost")
    args = parser.parse_args()
    scheme = "https" if args.tls else "http"
    web.run_app(
        create_site(), host="127.0.0.1", port=args.port, ssl_context=self_signed_context() if args.tls else None,
        print=lambda *_: print(f"test site on {scheme}://localhost:{args.port}", flush=True),
    )  # fmt: skip


if __name__ == "__main__":
    main()
