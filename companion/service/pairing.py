"""Pairing without pasting: a short code made with the token (`companion pair`, or
`companion browse` at launch) that the extension, and only an extension, trades for it.

`POST /api/pair-code` needs the token, like every route. `POST /api/pair` needs none, but it
answers only a browser extension (its `Origin`; a web page cannot send another) that brings
an open code; the token then goes to that extension, once.
"""

from __future__ import annotations

from aiohttp import web

from companion.service.guard import EXTENSION_SCHEMES, VIA_SESSION, answer, error
from companion.service.keys import PAIRING, TOKEN
from companion.service.sessions import PAIR_CODE_TTL_S

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.post("/api/pair-code")
async def pair_code(request: web.Request) -> web.Response:
    if request.get(VIA_SESSION):
        return error(403, "token_required", "a pairing code is made with the API token only")
    # `companion browse` asks for a short life (`?ttl=60`): its code is on a command line, which
    # other users of the machine can read while it is good.
    raw = request.query.get("ttl", "")
    ttl = min(max(int(raw), 10), int(PAIR_CODE_TTL_S)) if raw.isdigit() and len(raw) < 6 else int(PAIR_CODE_TTL_S)
    return answer({"code": request.app[PAIRING].new_code(ttl=ttl), "expires_in": ttl}, status=201)


@routes.post("/api/pair")
async def pair(request: web.Request) -> web.Response:
    if not request.headers.get("Origin", "").startswith(EXTENSION_SCHEMES):
        return error(403, "extension_only", "only the 401 Companion extension pairs with a code")
    try:
        body = await request.json()
    except ValueError:
        return error(400, "bad_json", 'send {"code": "XXXX-XXXX"}')
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not request.app[PAIRING].redeem(code):
        return error(
            401, "invalid_code", "that pairing code is wrong, used or expired: `companion pair` prints a new one",
            **{"WWW-Authenticate": 'Bearer realm="401-companion", error="invalid_token"'},
        )  # fmt: skip
    return answer({"token": request.app[TOKEN]})
