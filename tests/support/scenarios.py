"""The test site's scenario routes, under /s/: one way for a server to say 401 per cause.

Each route answers the way real servers do (RFC 6750 error codes, RFC 9470 step-up, Digest
with stale=true, Negotiate, a preflight behind auth, a geo block, https-only, SameSite
cookies). `add_scenarios(app)` is called by `tests.support.testsite.create_site()`.

Secrets of these routes: the JWTs signed with the site's key, the opaque tokens below, the
API key, the Digest password (the site's PASSWORD), and session cookie values.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import jwt as pyjwt
from aiohttp import web

from tests.support.testsite import PASSWORD, SIGNING_KEY

__all__ = [
    "API_KEY",
    "COOKIE_KINDS",
    "OPAQUE_EXPIRED",
    "OPAQUE_REVOKED",
    "OPAQUE_VALID",
    "add_scenarios",
    "digest_authorization",
    "digest_nonce",
]

REALM = "testsite"
API_KEY = "sk_live_testsite_0b7e4c2a9d1f8e3b"
OPAQUE_VALID = "opq_valid_5d2a7c9e1b3f4a6c8e0d"
OPAQUE_EXPIRED = "opq_expired_8c1e3a5f7b9d2c4e6a0f"
OPAQUE_REVOKED = "opq_revoked_2f4a6c8e0b1d3f5a7c9e"
STOCK_6750 = "The access token provided is expired, revoked, malformed, or invalid for other reasons"
DIGEST_TTL_S = 60
_NONCE_KEY = b"testsite-digest-nonce-key"
# Which SameSite each cookie scenario sets; the cookie is "<kind>_session", Path=/s/cookie/<kind>.
COOKIE_KINDS = {"strict": "Strict", "lax": "Lax", "none": "None"}
SESSIONS = web.AppKey("scenario_sessions", dict)
"""app_session value → the moment it stops being valid (server-side idle timeout)."""


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _decode(token: str) -> dict:
    return pyjwt.decode(token, SIGNING_KEY, algorithms=["HS256"], audience="testsite")


def _refuse(challenge: str, body: dict | None = None, *, status: int = 401, **headers: str) -> web.Response:
    return web.json_response(body or {"error": "unauthorized"}, status=status, headers={"WWW-Authenticate": challenge, **headers})


def _oauth(error: str, description: str, **params: str) -> web.Response:
    """An RFC 6750 refusal: the same code and description in the challenge and the body."""
    extra = "".join(f', {name}="{value}"' for name, value in params.items())
    challenge = f'Bearer realm="{REALM}", error="{error}", error_description="{description}"{extra}'
    return _refuse(challenge, {"error": error, "error_description": description})


# --- tokens -------------------------------------------------------------------------------


async def jwt_api(request: web.Request) -> web.Response:
    """A JWT API whose error_description says what PyJWT found, as many APIs do."""
    token = _bearer(request)
    if token is None:
        return _refuse(f'Bearer realm="{REALM}"')
    try:
        _decode(token)
    except pyjwt.ExpiredSignatureError:
        return _oauth("invalid_token", "The access token expired")
    except pyjwt.ImmatureSignatureError:
        return _oauth("invalid_token", "The token is not yet valid")
    except pyjwt.InvalidAudienceError:
        return _oauth("invalid_token", "The token was issued for another audience")
    except pyjwt.InvalidSignatureError:
        return _oauth("invalid_token", "Signature verification failed")
    except pyjwt.InvalidTokenError:
        return _oauth("invalid_token", "The access token is malformed")
    return web.json_response({"user": "alice"})


async def opaque_api(request: web.Request) -> web.Response:
    """Opaque tokens checked by introspection; unknown ones get RFC 6750's stock sentence."""
    token = _bearer(request)
    if token is None:
        return _refuse(f'Bearer realm="{REALM}"')
    if token == OPAQUE_VALID:
        return web.json_response({"user": "alice"})
    if token == OPAQUE_EXPIRED:
        return _oauth("invalid_token", "The access token expired")
    if token == OPAQUE_REVOKED:
        return _oauth("invalid_token", "The access token has been revoked")
    return _oauth("invalid_token", STOCK_6750)


def _claims_or_refusal(request: web.Request, challenge: str) -> dict | web.Response:
    """The valid bearer JWT's claims, or the 401 to answer: no token, or a bad one."""
    token = _bearer(request)
    if not token:
        return _refuse(challenge)
    try:
        return _decode(token)
    except pyjwt.InvalidTokenError:
        return _oauth("invalid_token", "The access token is invalid")


async def orders_export(request: web.Request) -> web.Response:
    """Needs the scope orders:export (RFC 6750 §3.1 insufficient_scope)."""
    claims = _claims_or_refusal(request, f'Bearer realm="{REALM}", scope="orders:export"')
    if isinstance(claims, web.Response):
        return claims
    if "orders:export" not in str(claims.get("scope", "")).split():
        return _oauth(
            "insufficient_scope",
            "The request requires higher privileges than provided by the access token",
            scope="orders:export",
        )
    return web.json_response({"orders": []})


async def admin(request: web.Request) -> web.Response:
    """RFC 9470 step-up: needs acr urn:testsite:mfa, and a sign-in at most 5 minutes old."""
    claims = _claims_or_refusal(request, f'Bearer realm="{REALM}"')
    if isinstance(claims, web.Response):
        return claims
    if claims.get("acr") != "urn:testsite:mfa":
        return _oauth(
            "insufficient_user_authentication",
            "A different authentication level is required",
            acr_values="urn:testsite:mfa",
        )
    if time.time() - float(claims.get("auth_time", 0)) > 300:
        return _oauth("insufficient_user_authentication", "More recent authentication is required", max_age="300")
    return web.json_response({"admin": True})


# --- server-side refusals --------------------------------------------------------------------


async def geo_blocked(request: web.Request) -> web.Response:
    """Refuses by network whatever the credentials, like a WAF in front of the API."""
    return _refuse(
        f'Bearer realm="{REALM}"',
        {"error": "access_denied", "message": f"Access from your IP address {request.remote} is blocked in your region"},
    )


async def https_only(request: web.Request) -> web.Response:
    """An API that accepts credentials only over https and says so in its 401."""
    if request.secure:
        return web.json_response({"user": "alice"})
    return _refuse(
        f'Bearer realm="{REALM}"',
        {"error": "https_required", "message": "HTTPS is required: credentials are only accepted over a secure connection"},
    )


async def cors_api(request: web.Request) -> web.Response:
    """Auth applied to every method, OPTIONS included: CORS preflights can never succeed."""
    origin = request.headers.get("Origin", "*")
    cors = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
    try:
        if _bearer(request):
            _decode(_bearer(request) or "")
            return web.json_response({"ok": True}, headers=cors)
    except pyjwt.InvalidTokenError:
        pass
    return _refuse(f'Bearer realm="{REALM}"', **cors)


async def api_key_api(request: web.Request) -> web.Response:
    """An API key in X-Api-Key or ?api_key=."""
    key = request.headers.get("X-Api-Key") or request.query.get("api_key")
    if key == API_KEY:
        return web.json_response({"ok": True})
    message = "Invalid API key provided" if key else "No API key provided"
    return _refuse(f'ApiKey realm="{REALM}"', {"error": {"code": "invalid_api_key", "message": message}})


async def loop(request: web.Request) -> web.Response:
    """Answers 401 to everything, the same way every time: clients that retry loop here."""
    return _refuse(f'Bearer realm="{REALM}"', {"message": "Unauthorized"})


async def custom_scheme(request: web.Request) -> web.Response:
    """A legacy scheme no client knows; gives nothing else away."""
    return web.Response(status=401, text="Unauthorized", headers={"WWW-Authenticate": f'X-Legacy realm="{REALM}"'})


# --- Digest (RFC 7616, MD5, qop=auth) and Negotiate ------------------------------------------


def digest_nonce(issued_at: float) -> str:
    """A nonce as this site issues it: its time and a MAC, so an old one is recognised."""
    stamp = str(int(issued_at))
    return f"{stamp}.{hmac.new(_NONCE_KEY, stamp.encode(), hashlib.sha256).hexdigest()[:24]}"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _digest_response(user: str, password: str, method: str, uri: str, nonce: str, cnonce: str) -> str:
    ha1, ha2 = _md5(f"{user}:{REALM}:{password}"), _md5(f"{method}:{uri}")
    return _md5(f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}")


def digest_authorization(user: str, password: str, method: str, uri: str, nonce: str, cnonce: str = "0a4f113b") -> str:
    """The Authorization header a client computes for a Digest challenge (RFC 7616 §3.4)."""
    response = _digest_response(user, password, method, uri, nonce, cnonce)
    return (
        f'Digest username="{user}", realm="{REALM}", nonce="{nonce}", uri="{uri}", qop=auth, '
        f'nc=00000001, cnonce="{cnonce}", response="{response}", algorithm=MD5'
    )


def _digest_challenge(stale: bool = False) -> str:
    tail = ", stale=true" if stale else ""
    return f'Digest realm="{REALM}", qop="auth", algorithm=MD5, nonce="{digest_nonce(time.time())}"{tail}'


async def digest(request: web.Request) -> web.Response:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("digest "):
        return web.Response(status=401, text="Unauthorized", headers={"WWW-Authenticate": _digest_challenge()})
    params = {k: quoted or bare for k, quoted, bare in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', header[7:])}
    nonce = params.get("nonce", "")
    stamp = nonce.partition(".")[0]
    genuine = stamp.isdigit() and hmac.compare_digest(nonce, digest_nonce(int(stamp)))
    wanted = _digest_response(
        params.get("username", ""), PASSWORD, request.method, params.get("uri", ""), nonce, params.get("cnonce", "")
    )
    right = genuine and hmac.compare_digest(params.get("response", ""), wanted)
    if right and time.time() - int(stamp) <= DIGEST_TTL_S:
        return web.json_response({"user": params.get("username")})
    # A right answer to an old nonce is "stale": the client may retry without asking the person.
    return web.Response(status=401, text="Unauthorized", headers={"WWW-Authenticate": _digest_challenge(stale=right)})


async def windows(request: web.Request) -> web.Response:
    """Windows sign-in (SPNEGO): any ticket offered is refused, as when the KDC does not know it."""
    response = web.Response(status=401, text="Unauthorized: the Kerberos ticket was not accepted")
    response.headers.add("WWW-Authenticate", "Negotiate")
    if not request.headers.get("Authorization"):
        response.headers.add("WWW-Authenticate", "NTLM")
    return response


# --- cookies and sessions ----------------------------------------------------------------------


async def session_login(request: web.Request) -> web.Response:
    """Signs in with `app_session`; `?idle=N` makes the server end it after N seconds."""
    value = "as-" + secrets.token_hex(16)
    request.app[SESSIONS][value] = time.time() + float(request.query.get("idle", 1800))
    response = web.json_response({"signed_in": True})
    response.set_cookie("app_session", value, path="/s/session", httponly=True, samesite="Lax", max_age=1800)
    return response


async def session_me(request: web.Request) -> web.Response:
    value = request.cookies.get("app_session")
    until = request.app[SESSIONS].get(value or "")
    if until is not None and time.time() < until:
        return web.json_response({"user": "alice"})
    response = web.json_response(
        {"error": "session_expired", "message": "Your session timed out after a period of inactivity"}, status=401
    )
    response.headers["WWW-Authenticate"] = f'Cookie realm="{REALM}"'
    if value is not None:
        response.del_cookie("app_session", path="/s/session")
    return response


async def secure_login(request: web.Request) -> web.Response:
    """Sets a Secure session cookie, as a site served over https would."""
    response = web.json_response({"signed_in": True})
    response.set_cookie("secure_sid", "ss-" + secrets.token_hex(16), path="/s/secure", secure=True, httponly=True)
    return response


async def secure_account(request: web.Request) -> web.Response:
    if request.cookies.get("secure_sid"):
        return web.json_response({"user": "alice"})
    return _refuse(f'Cookie realm="{REALM}"', {"error": "not_signed_in", "message": "Please sign in"})


async def cookie_login(request: web.Request) -> web.Response:
    """Sets `<kind>_session` with SameSite=<kind>, scoped to /s/cookie/<kind>."""
    kind = request.match_info["kind"]
    if kind not in COOKIE_KINDS:
        raise web.HTTPNotFound()
    response = web.Response(text=f"<!doctype html><title>Signed in</title><p>Signed in ({kind}).</p>", content_type="text/html")
    response.set_cookie(
        f"{kind}_session", f"{kind}-" + secrets.token_hex(16), path=f"/s/cookie/{kind}",
        httponly=True, samesite=COOKIE_KINDS[kind], secure=kind == "none",
    )  # fmt: skip
    return response


async def cookie_api(request: web.Request) -> web.Response:
    """Needs `<kind>_session`; answers CORS for credentialed fetches from any origin."""
    kind = request.match_info["kind"]
    origin = request.headers.get("Origin")
    cors = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"} if origin else {}
    if request.cookies.get(f"{kind}_session"):
        return web.json_response({"user": "alice"}, headers=cors)
    return _refuse(f'Cookie realm="{REALM}"', {"error": "not_signed_in", "message": "Please sign in"}, **cors)


CALLER_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>Caller</title></head>
<body><p id="status">loading…</p><script src="/s/caller.js"></script></body></html>
"""
# Fetches ?target= with ?credentials= (include, omit, same-origin) and ?method=, like a SPA on
# another site calling an API; the outcome is written on the page.
CALLER_JS = """
(async () => {
  const params = new URLSearchParams(location.search);
  const status = document.getElementById("status");
  try {
    const response = await fetch(params.get("target"), {
      method: params.get("method") || "GET",
      credentials: params.get("credentials") || "include",
    });
    status.textContent = `status ${response.status}`;
  } catch (error) {
    status.textContent = "failed";
  }
})();
"""


async def caller(request: web.Request) -> web.Response:
    return web.Response(text=CALLER_HTML, content_type="text/html")


# A page like most of the web's: the server sets a CSRF cookie (as Django does) and a theme,
# Google Analytics' tag sets _ga and _gid from script, and then the page calls an API that
# wants a bearer token it does not have.
SHOP_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title>
<script>
  document.cookie = "_ga=GA1.1.1234567890.1700000000; path=/; max-age=63072000";
  document.cookie = "_gid=GA1.1.987654321.1700000000; path=/; max-age=86400";
</script></head>
<body><p id="status">loading…</p><script src="/s/caller.js"></script></body></html>
"""


async def shop(request: web.Request) -> web.Response:
    response = web.Response(text=SHOP_HTML, content_type="text/html")
    response.set_cookie("csrftoken", secrets.token_hex(16), path="/", samesite="Lax")
    response.set_cookie("theme", "dark", path="/", samesite="Lax")
    return response


async def caller_js(request: web.Request) -> web.Response:
    return web.Response(text=CALLER_JS, content_type="application/javascript")


async def auth_login(request: web.Request) -> web.Response:
    """Signs in but sets its cookie without a Path: browsers scope it to /s/auth only."""
    response = web.Response(text="<!doctype html><title>Signed in</title>", content_type="text/html")
    response.headers.add("Set-Cookie", f"auth_sid=as-{secrets.token_hex(16)}; HttpOnly; SameSite=Lax")
    return response


async def short_login(request: web.Request) -> web.Response:
    """A session that lives two seconds, as a short idle timeout would."""
    response = web.Response(text="<!doctype html><title>Signed in</title>", content_type="text/html")
    response.set_cookie("short_sid", "ss-" + secrets.token_hex(16), path="/", httponly=True, max_age=2)
    return response


async def cookie_guarded(request: web.Request) -> web.Response:
    """Needs the cookie named in the route; a 401 without any challenge hint otherwise."""
    name = request.match_info["cookie"]
    if request.cookies.get(name):
        return web.json_response({"user": "alice"})
    return _refuse(f'Cookie realm="{REALM}"', {"error": "not_signed_in", "message": "Please sign in"})


# --- redirects and bare refusals ---------------------------------------------------------


async def moved(request: web.Request) -> web.Response:
    """An API that moved to another origin (here 127.0.0.1 for localhost, as it might be from
    http to https or to a new host): a 307 that keeps the method and the query."""
    target = f"http://127.0.0.1:{request.url.port}/s/jwt" + (f"?{request.query_string}" if request.query_string else "")
    raise web.HTTPTemporaryRedirect(target)


async def behind_a_proxy(request: web.Request) -> web.Response:
    """An API behind a front server that does not pass Authorization on (Apache's mod_wsgi
    without WSGIPassAuthorization): the application never sees the token it was sent, and
    answers as Django REST framework does when no credentials arrive."""
    return _refuse("Token", {"detail": "Authentication credentials were not provided."})


async def bare(request: web.Request) -> web.Response:
    """A 401 with nothing in it: no challenge, no body."""
    return web.Response(status=401)


def add_scenarios(app: web.Application) -> None:
    app[SESSIONS] = {}
    app.router.add_get("/s/moved", moved)
    app.router.add_get("/s/bare", bare)
    app.router.add_get("/s/behind-proxy", behind_a_proxy)
    app.router.add_get("/s/jwt", jwt_api)
    app.router.add_get("/s/opaque", opaque_api)
    app.router.add_get("/s/orders/export", orders_export)
    app.router.add_get("/s/admin", admin)
    app.router.add_get("/s/geo", geo_blocked)
    app.router.add_get("/s/https-only", https_only)
    app.router.add_route("*", "/s/cors/api", cors_api)
    app.router.add_get("/s/apikey", api_key_api)
    app.router.add_get("/s/loop", loop)
    app.router.add_get("/s/legacy", custom_scheme)
    app.router.add_get("/s/digest", digest)
    app.router.add_get("/s/windows", windows)
    app.router.add_get("/s/session/login", session_login)
    app.router.add_get("/s/session/me", session_me)
    app.router.add_get("/s/secure/login", secure_login)
    app.router.add_get("/s/secure/account", secure_account)
    app.router.add_get("/s/cookie/{kind}/login", cookie_login)
    app.router.add_get("/s/cookie/{kind}/api", cookie_api)
    app.router.add_get("/s/caller", caller)
    app.router.add_get("/s/shop", shop)
    app.router.add_get("/s/caller.js", caller_js)
    app.router.add_get("/s/auth/login", auth_login)
    app.router.add_get("/s/short/login", short_login)
    app.router.add_get("/s/needs/{cookie}", cookie_guarded)
