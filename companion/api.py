"""The companion's HTTP API (aiohttp): ingest, events, causes, health.

It sits next to a proxy, so it trusts nothing about where a request came from (the lesson of
CVE-2025-23217): every `/api/*` route but health needs the bearer token, the `Host` header
must name loopback (no DNS rebinding), a browser `Origin` must be an extension's, and no
CORS header is ever sent.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from companion import __version__
from companion.causes import catalogue_json
from companion.diagnose import diagnose
from companion.errors import StoreError
from companion.models import Diagnosis, Event, Exchange
from companion.sites import LOOPBACK_HOSTS, host_of_origin, site_of
from companion.store import Store

__all__ = ["DATA_DIR", "STORE", "STREAM", "TOKEN", "Broadcaster", "create_app", "event_from_exchange"]

log = logging.getLogger(__name__)



class Broadcaster:
    """Fans new events out to the open `/api/stream` responses. A listener that does not keep
    up loses events (and is told so), never slows ingest down."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict | None]] = set()

    def subscribe(self) -> asyncio.Queue[dict | None]:
        queue: asyncio.Queue[dict | None] = asyncio.Queue(STREAM_QUEUE)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict | None]) -> None:
        self._queues.discard(queue)

    def publish(self, item: dict) -> None:
        for queue in self._queues:
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:
                pass

    def close(self) -> None:
        for queue in self._queues:
            while True:
                try:
                    queue.put_nowait(None)
                    break
                except asyncio.QueueFull:
                    queue.get_nowait()


DATA_DIR = web.AppKey("data_dir", Path)
TOKEN = web.AppKey("token", str)
STORE = web.AppKey("store", Store)
STREAM = web.AppKey("stream", Broadcaster)

MAX_INGEST_BYTES = 512 * 1024
STREAM_QUEUE = 256
HEARTBEAT_S = 15.0
MAX_LIMIT = 500
_EXTENSION_SCHEMES = ("chrome-extension://", "moz-extension://", "safari-web-extension://")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers or None)


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[: host_header.find("]") + 1].lower()
    return host_header.rsplit(":", 1)[0].lower() if host_header.count(":") == 1 else host_header.lower()


def _origin_allowed(origin: str, host_header: str) -> bool:
    if origin.startswith(_EXTENSION_SCHEMES):
        return True
    # The service's own pages (the event list) may call it.
    return origin in {f"http://{host_header}"} and _host_name(host_header) in LOOPBACK_HOSTS


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Host, Origin and token checks, and JSON errors for whatever goes wrong."""
    host = request.headers.get("Host", "")
    if _host_name(host) not in LOOPBACK_HOSTS:
        return error(421, "bad_host", "this service answers only to 127.0.0.1 or localhost")
    origin = request.headers.get("Origin")
    if origin is not None and not _origin_allowed(origin, host):
        return error(403, "forbidden_origin", f"requests from {origin} are not allowed")
    if request.path.startswith("/api/") and request.path != "/api/health":
        sent = request.headers.get("Authorization", "")
        scheme, _, token = sent.partition(" ")
        challenge = 'Bearer realm="401-companion"'
        if not sent:
            return error(401, "unauthorized", "send the API token: Authorization: Bearer <companion token>", **{"WWW-Authenticate": challenge})
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), request.app[TOKEN].encode()):
            return error(
                401, "invalid_token", "the API token is wrong; `companion token` prints the right one",
                **{"WWW-Authenticate": challenge + ', error="invalid_token"'},
            )
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
    except Exception:  # noqa: BLE001 - a bug answers JSON like every other error, and is logged
        log.exception("internal error on %s %s", request.method, request.path)
        return error(500, "internal_error", "the companion failed on this request; its log says why")


def _fallback_diagnosis(exc: Exception) -> Diagnosis:
    return Diagnosis(
        cause="unknown",
        confidence=0.0,
        title="The cause could not be worked out",
        summary=f"The companion failed while diagnosing this exchange ({exc.__class__.__name__}); the exchange was kept.",
    )


def event_from_exchange(exchange: Exchange) -> Event:
    try:
        diagnosis = diagnose(exchange)
    except Exception as exc:  # noqa: BLE001 - a bug in one rule must not lose the event
        log.exception("diagnosis failed for %s %s", exchange.method, exchange.host)
        diagnosis = _fallback_diagnosis(exc)
    initiator_host = host_of_origin(exchange.initiator)
    return Event(
        id=uuid.uuid4().hex,
        time=exchange.time,
        method=exchange.method,
        url=exchange.url,
        host=exchange.host,
        site=site_of(exchange.host),
        status=exchange.status,
        initiator=exchange.initiator,
        initiator_host=initiator_host,
        diagnosis=diagnosis,
        exchange=exchange,
    )


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data, separators=(",", ":")), status=status, content_type="application/json")


async def health(request: web.Request) -> web.Response:
    return _json({"status": "ok", "version": __version__})


async def ingest(request: web.Request) -> web.Response:
    if request.content_length is not None and request.content_length > MAX_INGEST_BYTES:
        return error(413, "too_large", f"an exchange is at most {MAX_INGEST_BYTES} bytes")
    try:
        payload = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return error(400, "bad_json", f"the body is not JSON: {exc.__class__.__name__}: {str(exc)[:200]}")
    try:
        exchange = Exchange.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        return error(422, "invalid_exchange", f"{where}: {first['msg']} ({exc.error_count()} problem(s))")
    event = event_from_exchange(exchange)
    try:
        event.model_dump_json()  # the store's own serialization: what it cannot store is refused now
    except PydanticSerializationError as exc:
        return error(422, "invalid_exchange", f"the exchange cannot be stored: {str(exc)[:200]}")
    event, created = await request.app[STORE].add(event)
    body = event.model_dump(mode="json")
    if created:  # a delivery retried after a lost answer is no new 401
        request.app[STREAM].publish(_summary(body))
    return _json(body, status=201)


def _summary(event: dict) -> dict:
    """What the stream carries: enough to count and label, not the whole exchange."""
    diagnosis = event["diagnosis"]
    keep = ("id", "time", "method", "url", "host", "site", "status", "initiator", "initiator_host")
    return {**{k: event[k] for k in keep}, "cause": diagnosis["cause"], "title": diagnosis["title"]}


async def stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: `event: event` with each new event's summary as it is stored;
    a comment line every 15 s keeps the connection (and an extension worker) alive."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await response.prepare(request)
    queue = request.app[STREAM].subscribe()
    try:
        await response.write(b": connected\n\n")
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), HEARTBEAT_S)
            except TimeoutError:
                await response.write(b": ping\n\n")
                continue
            if item is None:
                break
            data = json.dumps(item, separators=(",", ":"))
            await response.write(f"id: {item['id']}\nevent: event\ndata: {data}\n\n".encode())
    except ConnectionResetError:
        pass  # the listener went away
    finally:
        request.app[STREAM].unsubscribe(queue)
    return response


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", "50")
    try:
        limit = int(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"limit must be a whole number, not {raw!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise web.HTTPBadRequest(text=f"limit must be between 1 and {MAX_LIMIT}")
    return limit


async def list_events(request: web.Request) -> web.Response:
    site = request.query.get("site") or None
    events = await request.app[STORE].recent(site=site, limit=_limit(request))
    return _json({"events": [e.model_dump(mode="json") for e in events]})


async def get_event(request: web.Request) -> web.Response:
    event = await request.app[STORE].get(request.match_info["event_id"])
    if event is None:
        return error(404, "not_found", "no event with that id (it may have been cleared)")
    return _json(event.model_dump(mode="json"))


async def clear_events(request: web.Request) -> web.Response:
    return _json({"deleted": await request.app[STORE].clear()})


async def causes(request: web.Request) -> web.Response:
    return _json({"causes": catalogue_json()})


def create_app(data_dir: Path, token: str) -> web.Application:
    """The service for the store in `data_dir`, answering to `token`."""
    app = web.Application(middlewares=[guard], client_max_size=MAX_INGEST_BYTES)
    app[DATA_DIR] = data_dir
    app[TOKEN] = token
    app[STREAM] = Broadcaster()

    async def close_streams(app: web.Application) -> None:
        app[STREAM].close()

    app.on_shutdown.append(close_streams)

    async def store_ctx(app: web.Application):
        app[STORE] = await Store.open(data_dir)
        yield
        await app[STORE].close()

    app.cleanup_ctx.append(store_ctx)
    app.router.add_get("/api/health", health)
    app.router.add_post("/api/ingest", ingest)
    app.router.add_get("/api/events", list_events)
    app.router.add_delete("/api/events", clear_events)
    app.router.add_get("/api/events/{event_id}", get_event)
    app.router.add_get("/api/causes", causes)
    app.router.add_get("/api/stream", stream)
    return app
