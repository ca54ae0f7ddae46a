"""Who may talk to the service, and JSON errors for whatever goes wrong.

It sits next to a proxy, so it trusts nothing about where a request came from (the lesson of
CVE-2025-23217): every `/api/*` route but health needs the bearer token, the `Host` header
must name loopback (no DNS rebinding), a browser `Origin` must be an extension's or the
service's own, and no CORS header is ever sent.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from companion.errors import StoreError
from companion.net.sites import LOOPBACK_HOSTS
from companion.service.keys import CLIENTS, SESSIONS, TOKEN
from companion.service.sessions import cookie_name

__all__ = ["EXTENSION_SCHEMES", "VIA_SESSION", "answer", "error", "guard"]

log = logging.getLogger(__name__)

EXTENSION_SCHEMES = ("chrome-extension://", "moz-extension://", "safari-web-extension://")
_NO_TOKEN = frozenset({"/api/health", "/api/pair"})
"""`/api/pair` checks what it needs itself: an extension's Origin and an open pairing code."""
_CHALLENGE = 'Bearer realm="401-companion"'

VIA_SESSION = web.RequestKey("via_session", bool)
"""Set on a request the event list page made with its session cookie, not the token."""
_SAFE_METHODS = frozenset({"GET", "HEAD"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, code: str, message: str, **headers: str) -> web.Response:
    """The one shape of every error answer: `{"error": {"code", "message"}}`."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers or None)


def answer(data: object, status: int = 200) -> web.Response:
    """A JSON answer, compact."""
    return web.Response(text=json.dumps(data, separators=(",", ":")), status=status, content_type="application/json")


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[: host_header.find("]") + 1].lower()
    return host_header.rsplit(":", 1)[0].lower() if host_header.count(":") == 1 else host_header.lower()


def _origin_allowed(origin: str, host_header: str) -> bool:
    if origin.startswith(EXTENSION_SCHEMES):
        return True
    # The service's own page (the event list) may call it.
    return _own_origin(origin, host_header)


def _token_refusal(request: web.Request) -> web.Response | None:
    sent = request.headers.get("Authorization", "")
    scheme, _, token = sent.partition(" ")
    if not sent:
        return error(
            401, "unauthorized", "send the API token: Authorization: Bearer <companion token>",
            **{"WWW-Authenticate": _CHALLENGE},
        )  # fmt: skip
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), request.app[TOKEN].encode()):
        return error(
            401, "invalid_token", "the API token is wrong; `companion token` prints the right one",
            **{"WWW-Authenticate": _CHALLENGE + ', error="invalid_token"'},
        )  # fmt: skip
    return None


def _page_session(request: web.Request) -> bool:
    """The event list page's own call: its session cookie, from its own origin. The cookie is
    `SameSite=Strict`, but a page on another port of this machine is same-site, so the browser's
    `Sec-Fetch-Site` (or, failing that, the `Origin`) must say the call came from the page
    itself; a change (DELETE, POST) must carry the page's `Origin`."""
    if not request.app[SESSIONS].valid(request.cookies.get(cookie_name(request.url.port))):
        return False
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in {"same-origin", "none"}:
        return False
    origin = request.headers.get("Origin")
    if request.method not in _SAFE_METHODS:
        return origin is not None and _own_origin(origin, request.headers.get("Host", ""))
    return origin is None or _own_origin(origin, request.headers.get("Host", ""))


def _note_client(request: web.Request, origin: str | None) -> None:
    """Who came with the token: the extension (its Origin), or an addon delivering."""
    if origin is not None and origin.startswith(EXTENSION_SCHEMES):
        request.app[CLIENTS].extension(origin)
    elif request.path == "/api/ingest":
        request.app[CLIENTS].addon(request.headers.get("X-Companion-Sender", ""), request.headers.get("X-Companion-Schema"))


def _own_origin(origin: str, host_header: str) -> bool:
    return origin == f"http://{host_header}" and _host_name(host_header) in LOOPBACK_HOSTS


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Host, Origin and token checks, and JSON errors for whatever goes wrong."""
    host = request.headers.get("Host", "")
    if _host_name(host) not in LOOPBACK_HOSTS:
        return error(421, "bad_host", "this service answers only to 127.0.0.1 or localhost")
    origin = request.headers.get("Origin")
    if origin is not None and not _origin_allowed(origin, host):
        return error(403, "forbidden_origin", f"requests from {origin} are not allowed")
    if request.path.startswith("/api/") and request.path not in _NO_TOKEN:
        if "Authorization" not in request.headers and _page_session(request):
            request[VIA_SESSION] = True
        else:
            refusal = _token_refusal(request)
            if refusal is not None:
                return refusal
            _note_client(request, origin)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        return error(exc.status, code, exc.text if exc.text and not exc.text.startswith(str(exc.status)) else exc.reason)
    except StoreError as exc:
        log.error("store error: %s", exc)
        return error(503, "store_unavailable", str(exc))
    except Exception:
        log.exception("internal error on %s %s", request.method, request.path)
        return error(500, "internal_error", "the companion failed on this request; its log says why")
