"""The API's routes: health, ingest, stats, causes and the live stream (DESIGN.md). The
stored events' routes are in `events.py`."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web
from pydantic import ValidationError

from companion import __version__
from companion.diagnosis.catalogue import catalogue_json
from companion.errors import IngestError, StoreError
from companion.service.guard import VIA_SESSION, answer, error
from companion.service.keys import CLIENTS, INGESTS, LOSSES, STORE, STREAM
from companion.service.pipeline import MAX_BATCH, Delivery, ingest_batch, ingest_payload
from companion.service.stream import HEARTBEAT_S, sse_lines
from companion.wire import MAX_EXCHANGE_BYTES

__all__ = ["MAX_INGEST_BYTES", "routes"]

log = logging.getLogger(__name__)

MAX_INGEST_BYTES = 2 * MAX_EXCHANGE_BYTES

routes = web.RouteTableDef()


@routes.get("/api/health")
async def health(request: web.Request) -> web.Response:
    """`ok`, or `503 failing` with why while the store refuses writes (a full disk, a file
    made read-only or damaged under it): captures are then being lost, and that is not health."""
    failure = request.app[STORE].write_failure
    if failure is not None:
        return answer(
            {"status": "failing", "version": __version__, "problem": failure,
             "error": {"code": "store_failing", "message": f"the event store refuses writes: {failure}"}},
            status=503,
        )  # fmt: skip
    return answer({"status": "ok", "version": __version__})


@routes.post("/api/ingest")
async def ingest(request: web.Request) -> web.Response:
    """One exchange (answered with the stored event), or a JSON array of them (a batch,
    answered with how many were stored, were already stored, and which were refused)."""
    losses = request.app[LOSSES]
    losses.note_dropped(request.headers.get("X-Companion-Sender", ""), _whole(request.headers.get("X-Companion-Dropped")))
    if request.content_length is not None and request.content_length > MAX_INGEST_BYTES:
        losses.refuse("too large")
        return error(413, "too_large", f"a delivery is at most {MAX_INGEST_BYTES} bytes")
    try:
        payload = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        losses.refuse("not JSON")
        return error(400, "bad_json", f"the body is not JSON: {exc.__class__.__name__}: {str(exc)[:200]}")
    if isinstance(payload, list):
        if len(payload) > MAX_BATCH:
            losses.refuse("batch too large", len(payload))
            return error(413, "too_large", f"a batch is at most {MAX_BATCH} exchanges")
        return answer(await ingest_batch(payload, request.app[STORE], request.app[STREAM], losses))
    try:
        body = await ingest_payload(payload, request.app[STORE], request.app[STREAM])
    except IngestError as exc:
        losses.refuse(str(exc).split(":")[0])
        return error(422, "invalid_exchange", str(exc))
    return answer(body, status=201)


@routes.get("/api/ingest")
async def ingest_stream(request: web.Request) -> web.StreamResponse:
    """The addon's kept-open way in: a WebSocket, each message one delivery
    (`{"dropped": N, "exchanges": [...]}`), each answered in turn as a batch `POST` is. One
    message costs the service a third of what a request costs it (no request to parse, route
    and answer), and an addon delivers a few times a second at 5 % 401s."""
    if request.get(VIA_SESSION):
        return error(403, "token_required", "only an addon with the API token delivers captures")
    socket = web.WebSocketResponse(max_msg_size=MAX_INGEST_BYTES, compress=False, autoping=True)
    if not socket.can_prepare(request).ok:
        return error(400, "not_websocket", "GET /api/ingest is a WebSocket; deliver with POST /api/ingest otherwise")
    await socket.prepare(request)
    request.app[INGESTS].add(socket)
    sender, schema = request.headers.get("X-Companion-Sender", ""), request.headers.get("X-Companion-Schema")
    async for message in socket:
        if message.type != WSMsgType.TEXT:
            continue  # pings are answered by aiohttp; a binary message is nothing the addon sends
        request.app[CLIENTS].addon(sender, schema)  # seen with each delivery, as with each post
        try:
            result = await _delivery(request, message.data, sender)
        except StoreError as exc:  # the socket is open: an answer on it, never an HTTP error
            log.error("store error: %s", exc)
            result = {"error": {"code": "store_unavailable", "message": str(exc)}}
        except Exception:
            log.exception("internal error on a delivery")
            result = {"error": {"code": "internal_error", "message": "the companion failed on this delivery; its log says why"}}
        answered = json.dumps(result, separators=(",", ":"))
        try:
            await socket.send_str(answered)
        except ConnectionResetError:
            break  # the addon went away before its answer: it delivers again, stored once
    return socket


async def _delivery(request: web.Request, text: str, sender: str) -> dict[str, Any]:
    """One WebSocket delivery, stored: the batch's answer, or `{"error": …}` for the whole."""
    losses = request.app[LOSSES]
    try:
        whole = Delivery.model_validate_json(text)
    except ValidationError:
        pass  # read again below, where one bad exchange is refused alone
    else:
        losses.note_dropped(sender, whole.dropped)
        return await ingest_batch(whole.exchanges, request.app[STORE], request.app[STREAM], losses)
    try:
        delivery = json.loads(text)
    except (ValueError, RecursionError) as exc:
        losses.refuse("not JSON")
        return {"error": {"code": "bad_json", "message": f"the message is not JSON: {exc.__class__.__name__}"}}
    exchanges = delivery.get("exchanges") if isinstance(delivery, dict) else None
    if not isinstance(exchanges, list):
        losses.refuse("not a delivery")
        return {"error": {"code": "bad_delivery", "message": 'a delivery is {"dropped": N, "exchanges": [...]}'}}
    dropped = delivery.get("dropped")
    losses.note_dropped(sender, dropped if isinstance(dropped, int) and dropped >= 0 else 0)
    if len(exchanges) > MAX_BATCH:
        losses.refuse("batch too large", len(exchanges))
        return {"error": {"code": "too_large", "message": f"a batch is at most {MAX_BATCH} exchanges"}}
    return await ingest_batch(exchanges, request.app[STORE], request.app[STREAM], losses)


def _whole(text: str | None) -> int:
    return int(text) if text and text.isdigit() and len(text) < 12 else 0


@routes.get("/api/stats")
async def stats(request: web.Request) -> web.Response:
    """Counts by cause and by site, the store's size and retention, and capture losses."""
    return answer({**await request.app[STORE].stats(), "losses": request.app[LOSSES].as_json()})


@routes.get("/api/stream")
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
            # What else waits goes in the same write: a delivery's events come together.
            items = [item]
            while item is not None and not queue.empty():
                item = queue.get_nowait()
                items.append(item)
            closing = items[-1] is None
            if len(items) > closing:
                await response.write(b"".join(sse_lines(each) for each in items if each is not None))
            if closing:
                break
    except ConnectionResetError:
        pass  # the listener went away
    finally:
        request.app[STREAM].unsubscribe(queue)
    return response


@routes.get("/api/causes")
async def causes(request: web.Request) -> web.Response:
    return answer({"causes": catalogue_json()})
