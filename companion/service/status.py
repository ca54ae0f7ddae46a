"""`GET /api/status`: what `companion doctor` checks from inside the service: its version and
wire schema, the store (path, size, retention, health of its last write), and who has been
talking to it (the extension, the proxy addons)."""

from __future__ import annotations

from aiohttp import web

from companion import __version__
from companion.service.guard import answer
from companion.service.keys import CLIENTS, LOSSES, STORE
from companion.wire import SCHEMA_VERSION

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/api/status")
async def status(request: web.Request) -> web.Response:
    store = request.app[STORE]
    stats = await store.stats()
    return answer({
        "version": __version__,
        "wire_schema": SCHEMA_VERSION,
        "data_dir": str(store.path.parent),
        "store": {**stats["store"], "events": stats["events"]},
        "losses": request.app[LOSSES].as_json(),
        **request.app[CLIENTS].as_json(),
    })  # fmt: skip
