"""The stored events' routes: list (with filters, paged), one event, delete one or what the
filters match, and the HAR export (DESIGN.md, docs/api.md)."""

from __future__ import annotations

import json
from datetime import datetime

from aiohttp import web

from companion import __version__
from companion.service.guard import answer, error
from companion.service.har import har_entry, har_log_head
from companion.service.keys import STORE
from companion.service.query import MAX_LIMIT, QueryError, parse_query

__all__ = ["MAX_LIMIT", "routes"]

routes = web.RouteTableDef()

_EXPORT_SLICE = 200


def _bad(exc: QueryError) -> web.Response:
    return error(400, "bad_request", str(exc))


@routes.get("/api/events")
async def list_events(request: web.Request) -> web.Response:
    """`{"events": [...], "next": id | null}`, newest first; `next` is the `before=` of the
    following page."""
    try:
        query = parse_query(request.query)
        page = await request.app[STORE].page(query)
    except QueryError as exc:
        return _bad(exc)
    return web.Response(text=page.as_json(), content_type="application/json")


@routes.get("/api/events.har")
async def export_har(request: web.Request) -> web.StreamResponse:
    """The events the filters match (every one, or the newest `limit`), oldest first, as a
    HAR 1.2 file of their redacted exchanges; written a page at a time."""
    try:
        query = parse_query(request.query, max_limit=10_000_000)
        store = request.app[STORE]
        seqs = await store.matching(query, total=query.limit if "limit" in request.query else None)
    except QueryError as exc:
        return _bad(exc)
    day = datetime.now().astimezone().date().isoformat()
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Content-Disposition": f'attachment; filename="401-companion-{day}.har"',
        }
    )
    await response.prepare(request)
    await response.write(har_log_head(__version__).encode())
    seqs.reverse()  # HAR prefers the oldest first
    first = True
    for start in range(0, len(seqs), _EXPORT_SLICE):  # a slice at a time: memory stays flat
        chunk = []
        for event in await store.events_by_seq(seqs[start : start + _EXPORT_SLICE]):
            chunk.append(("" if first else ",") + json.dumps(har_entry(event), ensure_ascii=False, separators=(",", ":")))
            first = False
        await response.write("".join(chunk).encode())
    await response.write(b"]}}")
    await response.write_eof()
    return response


@routes.get("/api/events/{event_id}")
async def get_event(request: web.Request) -> web.Response:
    event = await request.app[STORE].get(request.match_info["event_id"])
    if event is None:
        return error(404, "not_found", "no event with that id (it may have been deleted)")
    return answer(event.model_dump(mode="json"))


@routes.delete("/api/events/{event_id}")
async def delete_event(request: web.Request) -> web.Response:
    deleted = await request.app[STORE].delete(request.match_info["event_id"])
    if not deleted:
        return error(404, "not_found", "no event with that id (it may have been deleted already)")
    return answer({"deleted": deleted})


@routes.delete("/api/events")
async def delete_events(request: web.Request) -> web.Response:
    """Every event the filters match, or all of them without a filter: `{"deleted": n}`."""
    try:
        query = parse_query(request.query, paged=False)
    except QueryError as exc:
        return _bad(exc)
    return answer({"deleted": await request.app[STORE].delete_matching(query)})
