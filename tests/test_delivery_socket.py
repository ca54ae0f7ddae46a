"""The addon's kept-open way in: its sender and the real service over one WebSocket
(`GET /api/ingest`), each message a delivery answered as a batch `POST` is. What goes in is
stored once, what is lost is counted, a service that restarts is found again, and one from
before the socket is posted to."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import WSMsgType, WSServerHandshakeError, web
from aiohttp.test_utils import TestServer

from companion.capture.sender import Sender
from companion.service.app import create_app
from tests.service.test_api import AUTH, TOKEN, exchange


def requests_seen(app: web.Application) -> list[tuple[str, str]]:
    """Record each HTTP request the service gets (an upgrade is one; its messages are not)."""
    seen: list[tuple[str, str]] = []

    @web.middleware
    async def record(request: web.Request, handler):  # type: ignore[no-untyped-def]
        seen.append((request.method, request.path))
        return await handler(request)

    app.middlewares.insert(0, record)
    return seen


async def events_of(port: int) -> list[dict]:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/api/events?limit=500", headers=AUTH) as response:
        return (await response.json())["events"]


def sender_for(port: int, linger_s: float = 0.02) -> Sender:
    return Sender(f"http://127.0.0.1:{port}", lambda: TOKEN, linger_s=linger_s)


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[tuple[TestServer, Sender]]:
    """`app` on a port of loopback, and a started sender pointed at it; both closed after."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    sender = sender_for(server.port)
    sender.start()
    try:
        yield server, sender
    finally:
        await sender.close(drain_s=2)
        await server.close()


async def deliver_one_by_one(sender: Sender, exchanges: list[dict]) -> None:
    for item in exchanges:
        sender.submit(item)
        assert await asyncio.to_thread(sender.flush, 20)


async def test_deliveries_go_as_messages_on_one_socket(tmp_path: Path):
    """Three deliveries cost the service one HTTP request (the upgrade), not three posts."""
    app = create_app(tmp_path, TOKEN)
    seen = requests_seen(app)
    async with serving(app) as (server, sender):
        await deliver_one_by_one(sender, [exchange(flow_id=f"f{n}", url=f"https://api.example.com/me?n={n}") for n in range(3)])
        assert seen == [("GET", "/api/ingest")]
        assert sorted(event["url"] for event in await events_of(server.port)) == [f"https://api.example.com/me?n={n}" for n in range(3)]
        assert sender.stats.sent == 3


async def test_a_restarted_service_is_found_again_and_nothing_is_stored_twice(tmp_path: Path):
    """The service stops (it closes the socket, going away) and starts again on its port: the
    next capture goes on a new socket at once, and each capture is stored once."""
    server = TestServer(create_app(tmp_path, TOKEN), host="127.0.0.1")
    await server.start_server()
    port = server.port
    sender = sender_for(port)
    sender.start()
    try:
        sender.submit(exchange(flow_id="before"))
        assert await asyncio.to_thread(sender.flush, 20)
        await server.close()
        server = TestServer(create_app(tmp_path, TOKEN), host="127.0.0.1", port=port)
        await server.start_server()
        sender.submit(exchange(flow_id="after", url="https://api.example.com/after"))
        assert await asyncio.to_thread(sender.flush, 20)
        urls = sorted(event["url"] for event in await events_of(port))
        assert urls == ["https://api.example.com/after", "https://api.example.com/me"]
    finally:
        await sender.close(drain_s=2)
        await server.close()


async def test_a_service_from_before_the_socket_is_posted_to(tmp_path: Path):
    """A service with no delivery socket answers the upgrade 405: the sender posts instead."""
    app = create_app(tmp_path, TOKEN)
    seen = requests_seen(app)

    @web.middleware
    async def no_socket(request: web.Request, handler):  # type: ignore[no-untyped-def]
        if request.method == "GET" and request.path == "/api/ingest":
            raise web.HTTPMethodNotAllowed("GET", ["POST"])
        return await handler(request)

    app.middlewares.insert(1, no_socket)  # after the recorder
    async with serving(app) as (server, sender):
        await deliver_one_by_one(sender, [exchange(flow_id=f"p{n}", url=f"https://api.example.com/p{n}") for n in range(2)])
        assert seen == [("GET", "/api/ingest"), ("POST", "/api/ingest"), ("POST", "/api/ingest")]
        assert len(await events_of(server.port)) == 2


@pytest.fixture
async def socket(aiohttp_client, tmp_path: Path):
    client = await aiohttp_client(create_app(tmp_path, TOKEN))
    async with client.ws_connect("/api/ingest", headers={**AUTH, "X-Companion-Sender": "s1"}) as ws:
        yield client, ws


async def test_each_message_is_answered_with_counts_and_a_bad_one_costs_only_itself(socket):
    client, ws = socket
    await ws.send_str(json.dumps({"dropped": 3, "exchanges": [exchange(flow_id="a"), exchange(flow_id="b"), {"status": 200}]}))
    answer = await ws.receive_json()
    assert (answer["stored"], answer["duplicates"], [r["index"] for r in answer["refused"]]) == (2, 0, [2])
    for bad in ("not json", json.dumps([exchange()]), json.dumps({"exchanges": "x"})):
        await ws.send_str(bad)
        assert "error" in await ws.receive_json()
    await ws.send_str(json.dumps({"dropped": 3, "exchanges": [exchange(flow_id="a")]}))  # the same again
    assert (await ws.receive_json())["duplicates"] == 1
    stats = await (await client.get("/api/stats", headers=AUTH)).json()
    assert stats["losses"]["dropped_by_addon"] == 3
    assert stats["losses"]["refused_by_service"] == 4


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {**AUTH, "Origin": "http://127.0.0.1:9999"}, {**AUTH, "Host": "evil.example"}],
)
async def test_the_socket_opens_only_to_the_token_on_loopback(aiohttp_client, tmp_path: Path, headers):
    """A web page can open a WebSocket to any port without CORS: only the bearer token (which
    no page has) opens this one, from no foreign origin, to a loopback Host."""
    client = await aiohttp_client(create_app(tmp_path, TOKEN))
    with pytest.raises(WSServerHandshakeError) as refused:
        async with client.ws_connect("/api/ingest", headers=headers) as ws:
            await ws.receive()
    assert refused.value.status in (401, 403, 421)


async def test_a_plain_get_is_told_to_post(aiohttp_client, tmp_path: Path):
    client = await aiohttp_client(create_app(tmp_path, TOKEN))
    response = await client.get("/api/ingest", headers=AUTH)
    assert response.status == 400 and (await response.json())["error"]["code"] == "not_websocket"


async def test_the_service_stopping_closes_the_socket_going_away(tmp_path: Path):
    """Stopping the service never waits on an addon's open socket: it is closed, 1001."""
    server = TestServer(create_app(tmp_path, TOKEN), host="127.0.0.1")
    await server.start_server()
    import aiohttp

    async with aiohttp.ClientSession() as session, session.ws_connect(server.make_url("/api/ingest"), headers=AUTH) as ws:
        closing = asyncio.create_task(server.close())
        message = await asyncio.wait_for(ws.receive(), 10)
        await asyncio.wait_for(closing, 10)
    assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
    assert ws.close_code == 1001


async def test_each_delivery_counts_the_addon_as_seen(socket):
    """`companion doctor` tells a live addon from the status: each message counts, as each post did."""
    client, ws = socket
    for n in range(3):
        await ws.send_str(json.dumps({"dropped": 0, "exchanges": [exchange(flow_id=f"s{n}")]}))
        await ws.receive_json()
    addons = (await (await client.get("/api/status", headers=AUTH)).json())["addons"]
    assert addons["s1"]["requests"] == 4  # the handshake and three deliveries


async def test_an_addon_gone_before_its_answer_loses_nothing_and_breaks_nothing(aiohttp_client, tmp_path: Path, caplog):
    """The proxy stops right after a delivery: what it sent is stored, and the service goes on
    without an error of its own."""
    client = await aiohttp_client(create_app(tmp_path, TOKEN))
    ws = await client.ws_connect("/api/ingest", headers=AUTH)
    await ws.send_str(json.dumps({"dropped": 0, "exchanges": [exchange(flow_id="last")]}))
    await ws.close()
    for _ in range(100):
        events = (await (await client.get("/api/events", headers=AUTH)).json())["events"]
        if events:
            break
        await asyncio.sleep(0.05)
    assert [event["exchange"]["flow_id"] for event in events] == ["last"]
    assert "internal error" not in caplog.text


async def test_a_failing_store_is_answered_on_the_socket_and_retried(socket, monkeypatch):
    """The store refusing writes mid-socket is an answer on the socket (the addon retries it as
    a failure of the service), never an HTTP error written into an open WebSocket."""
    from companion.capture import sender as sender_module
    from companion.errors import StoreError
    from companion.service import handlers

    _, ws = socket

    async def failing(*args, **kwargs):
        raise StoreError("the disk is full")

    monkeypatch.setattr(handlers, "ingest_batch", failing)
    await ws.send_str(json.dumps({"dropped": 0, "exchanges": [exchange(flow_id="x")]}))
    answer = await ws.receive_str()
    assert json.loads(answer)["error"]["code"] == "store_unavailable"
    assert sender_module._websocket_status(answer.encode()) == 503
    monkeypatch.undo()
    await ws.send_str(json.dumps({"dropped": 0, "exchanges": [exchange(flow_id="x")]}))
    assert (await ws.receive_json())["stored"] == 1


async def test_a_delivery_read_in_one_pass_is_stored_as_the_careful_reading_stores_it(aiohttp_client, tmp_path: Path):
    """A valid delivery is read and validated in one pass; one the pass refuses (a bad exchange,
    a count written oddly) is read again exchange by exchange. Either way the stored events,
    the answer and the counted losses are those of the careful reading, here the POST."""
    deliveries = [
        {"dropped": 5, "exchanges": [exchange(flow_id="p1"), exchange(flow_id="p2", url="https://api.example.com/ä?x=1")]},
        {"exchanges": [exchange(flow_id="p3")]},  # no count: none dropped
        {"dropped": 1.0, "exchanges": [exchange(flow_id="p4")]},  # a count that is no whole number counts none
        {"dropped": 4, "exchanges": [exchange(flow_id="p5"), {**exchange(flow_id="p6"), "status": 200}]},
    ]
    answers: dict[str, list[dict]] = {}
    events: dict[str, list[dict]] = {}
    losses: dict[str, dict] = {}
    for way in ("socket", "post"):
        (tmp_path / way).mkdir()
        client = await aiohttp_client(create_app(tmp_path / way, TOKEN))
        answers[way] = []
        if way == "socket":
            async with client.ws_connect("/api/ingest", headers={**AUTH, "X-Companion-Sender": "s1"}) as ws:
                for delivery in deliveries:
                    await ws.send_str(json.dumps(delivery))
                    answers[way].append(await ws.receive_json())
        else:
            for delivery in deliveries:
                response = await client.post("/api/ingest", json=delivery["exchanges"], headers=AUTH)
                answers[way].append(await response.json())
        listed = await (await client.get("/api/events?limit=50", headers=AUTH)).json()
        events[way] = [{k: v for k, v in event.items() if k != "id"} for event in listed["events"]]
        losses[way] = (await (await client.get("/api/stats", headers=AUTH)).json())["losses"]
    assert answers["socket"] == answers["post"]
    assert [e["exchange"]["flow_id"] for e in events["socket"]] and events["socket"] == events["post"]
    assert losses["socket"]["refused_by_service"] == losses["post"]["refused_by_service"] == 1
    assert losses["socket"]["dropped_by_addon"] == 5  # the most the addon said it had dropped
