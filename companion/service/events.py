"""The stored events' routes: list (with filters), one event, delete (DESIGN.md)."""

from __future__ import annotations

from aiohttp import web

from companion.service.guard import answer, error
from companion.service.keys import STORE

__all__ = ["MAX_LIMIT", "routes"]

MAX_LIMIT = 500

routes = web.RouteTableDef()


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", "50")
    try:
        limit = int(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"limit must be a whole number, not {raw!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise web.HTTPBadRequest(text=f"limit must be between 1 and {MAX_LIMIT}")
    return limit


@routes.get("/api/events")
async def list_events(request: web.Request) -> web.Response:
    site = request.query.get("site") or None
    events = await request.app[STORE].recent(site=site, limit=_limit(request))
    return answer({"events": [e.model_dump(mode="json") for e in events]})


@routes.get("/api/events/{event_id}")
async def get_event(request: web.Request) -> web.Response:
    event = await request.app[STORE].get(request.match_info["event_id"])
    if event is None:
        return error(404, "not_found", "no event with that id (it may have been cleared)")
    return answer(event.model_dump(mode="json"))


@routes.delete("/api/events")
async def clear_events(request: web.Request) -> web.Response:
    return answer({"deleted": await request.app[STORE].clear()})
