"""The event list page: `GET /`, its sign-in (`/login?code=…`, `POST /api/login-code`), its
static files, and the text report of one event.

The page is plain HTML, CSS and one ES module served from `static/`, no framework and no
build step. It calls the same API as the extension, signed in by a session cookie instead of
the bearer token (guard.py says when a cookie is accepted).
"""

from __future__ import annotations

from importlib import resources
from urllib.parse import quote

from aiohttp import web

from companion.config import DEFAULT_API_PORT
from companion.diagnosis.catalogue import catalogue_json
from companion.service.guard import VIA_SESSION, answer, error
from companion.service.keys import SESSIONS, STORE
from companion.service.report import text_report
from companion.service.sessions import CODE_TTL_S, SESSION_TTL_S, cookie_name

__all__ = ["PAGE_CSP", "login_url", "routes"]

routes = web.RouteTableDef()

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_STATIC = {"list.js": "text/javascript", "format.js": "text/javascript", "list.css": "text/css"}
_PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _static(name: str) -> bytes:
    return resources.files("companion.service").joinpath("static", name).read_bytes()


def login_url(port: int, code: str, site: str | None = None) -> str:
    url = f"http://127.0.0.1:{port}/login?code={code}"
    return url + (f"&site={_quote(site)}" if site else "")


def _quote(text: str) -> str:
    return quote(text, safe="")


def _sign_in_page(challenge: str) -> web.Response:
    """How to open the page, as a 401 with its challenge."""
    return web.Response(
        status=401, body=_static("signin.html"), content_type="text/html", charset="utf-8",
        headers={**_PAGE_HEADERS, "WWW-Authenticate": challenge},
    )  # fmt: skip


def _signed_in(request: web.Request) -> bool:
    return request.app[SESSIONS].valid(request.cookies.get(cookie_name(request.url.port)))


@routes.get("/")
async def page(request: web.Request) -> web.Response:
    """The event list, for a signed-in browser; otherwise how to sign in (a 401, as the
    companion is itself a well-behaved 401 server)."""
    if not _signed_in(request):
        return _sign_in_page('Bearer realm="401-companion"')
    return web.Response(body=_static("index.html"), content_type="text/html", charset="utf-8", headers=_PAGE_HEADERS)


@routes.get("/static/{name}")
async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in _STATIC:
        return error(404, "not_found", "no such file")
    return web.Response(body=_static(name), content_type=_STATIC[name], headers=_PAGE_HEADERS)


@routes.get("/login")
async def login(request: web.Request) -> web.Response:
    """Trade a one-time code for a session cookie, then leave for `/` so the code is in
    neither the address bar nor the history."""
    session = request.app[SESSIONS].redeem(request.query.get("code", ""))
    if session is None:
        return _sign_in_page('Bearer realm="401-companion", error="invalid_token"')
    site = request.query.get("site", "")
    target = "/" + (f"?site={_quote(site[:253])}" if site else "")
    response = web.Response(status=303, headers={"Location": target, "Referrer-Policy": "no-referrer"})
    response.set_cookie(
        cookie_name(request.url.port), session, max_age=int(SESSION_TTL_S), path="/", httponly=True, samesite="Strict"
    )
    return response


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    request.app[SESSIONS].end(request.cookies.get(cookie_name(request.url.port)))
    response = web.Response(status=303, headers={"Location": "/"})
    response.del_cookie(cookie_name(request.url.port), path="/")
    return response


@routes.post("/api/login-code")
async def login_code(request: web.Request) -> web.Response:
    """A one-time sign-in link for the page; only with the token (a signed-in page cannot
    mint more)."""
    if request.get(VIA_SESSION):
        return error(403, "token_required", "a sign-in link is made with the API token only")
    code = request.app[SESSIONS].new_code()
    site = request.query.get("site") or None
    port = request.url.port or DEFAULT_API_PORT
    return answer({"code": code, "url": login_url(port, code, site), "expires_in": int(CODE_TTL_S)}, status=201)


@routes.get("/api/events/{event_id}/report")
async def report(request: web.Request) -> web.Response:
    event = await request.app[STORE].get(request.match_info["event_id"])
    if event is None:
        return error(404, "not_found", "no event with that id (it may have been cleared)")
    catalogue = {c["id"]: c for c in catalogue_json()}
    titles = {cause: c["title"] for cause, c in catalogue.items()}
    notes = catalogue.get(event.diagnosis.cause, {}).get("developer_notes") or []
    return web.Response(
        text=text_report(event, titles, notes),
        content_type="text/plain",
        headers={"Content-Disposition": f'attachment; filename="401-companion-{event.id[:12]}.txt"'},
    )
