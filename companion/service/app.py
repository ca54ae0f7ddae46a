"""The service's application factory: `create_app(data_dir, token)`, which tests call too."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import WSCloseCode, web

from companion.service import events, page, pairing, status
from companion.service.clients import Clients
from companion.service.guard import guard
from companion.service.handlers import MAX_INGEST_BYTES, routes
from companion.service.keys import CLIENTS, DATA_DIR, INGESTS, LOSSES, PAIRING, RETENTION, SESSIONS, STORE, STREAM, TOKEN
from companion.service.pipeline import Losses
from companion.service.sessions import PairingCodes, Sessions
from companion.service.store import DEFAULT_RETENTION, Retention, Store
from companion.service.stream import Broadcaster

__all__ = ["create_app"]


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    app[STORE] = await Store.open(app[DATA_DIR], app[RETENTION])
    yield
    await app[STORE].close()


async def _close_streams(app: web.Application) -> None:
    app[STREAM].close()
    sockets = app[INGESTS]
    for socket in list(sockets):  # an addon's kept-open delivery socket: it reconnects later
        await socket.close(code=WSCloseCode.GOING_AWAY, message=b"the service is stopping")


async def _safe_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every answer: never sniffed into another type, never framed, never cached, never
    read by another origin's page through an `<img>` or `<script>`, no referrer sent on."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    response.headers.setdefault("Referrer-Policy", "no-referrer")


def create_app(data_dir: Path, token: str, retention: Retention = DEFAULT_RETENTION) -> web.Application:
    """The service for the store in `data_dir`, answering to `token`."""
    app = web.Application(middlewares=[guard], client_max_size=MAX_INGEST_BYTES)
    app[DATA_DIR] = data_dir
    app[TOKEN] = token
    app[RETENTION] = retention
    app[STREAM] = Broadcaster()
    app[LOSSES] = Losses()
    app[SESSIONS] = Sessions()
    app[CLIENTS] = Clients()
    app[INGESTS] = weakref.WeakSet()
    app[PAIRING] = PairingCodes()
    app.on_shutdown.append(_close_streams)
    app.on_response_prepare.append(_safe_headers)
    app.cleanup_ctx.append(_store_ctx)
    app.router.add_routes(routes)
    app.router.add_routes(events.routes)
    app.router.add_routes(page.routes)
    app.router.add_routes(pairing.routes)
    app.router.add_routes(status.routes)
    return app
