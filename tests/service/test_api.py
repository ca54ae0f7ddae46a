"""The service's HTTP API, on a real aiohttp server with a real SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from companion.service.app import create_app
from companion.service.stream import summary_of
from companion.wire import MAX_BODY_BYTES, MAX_CHALLENGES, MAX_COOKIES, MAX_CREDENTIALS, MAX_HEADER_VALUE, MAX_HEADERS

TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def exchange(**overrides) -> dict:
    now = datetime.now(UTC).isoformat()
    base = {
        "flow_id": "f1", "time": now, "method": "GET", "url": "https://api.example.com/me",
        "scheme": "https", "host": "api.example.com", "port": 443, "path": "/me", "status": 401,
        "initiator": "https://app.example.com",
        "request": {"headers": [["Accept", "*/*"]]},
        "response": {"received": now, "www_authenticate": ['Bearer realm="api"']},
    }  # fmt: skip
    base.update(overrides)
    return base


@pytest.fixture
async def client(aiohttp_client, tmp_path: Path):
    return await aiohttp_client(create_app(tmp_path, TOKEN))


async def test_health_needs_no_token_and_tells_no_data(client):
    response = await client.get("/api/health")
    assert response.status == 200
    assert set(await response.json()) == {"status", "version"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/events"), ("GET", "/api/events/x"), ("DELETE", "/api/events"), ("GET", "/api/causes"), ("POST", "/api/ingest")],
)
@pytest.mark.parametrize(
    ("headers", "code", "challenge"),
    [
        ({}, "unauthorized", 'Bearer realm="401-companion"'),
        ({"Authorization": "Bearer wrong"}, "invalid_token", 'Bearer realm="401-companion", error="invalid_token"'),
        ({"Authorization": f"Basic {TOKEN}"}, "invalid_token", 'Bearer realm="401-companion", error="invalid_token"'),
    ],
)
async def test_every_route_but_health_needs_the_token(client, method, path, headers, code, challenge):
    """The companion is a well-behaved 401 server: a challenge and a JSON error."""
    response = await client.request(method, path, headers=headers)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == challenge
    assert (await response.json())["error"]["code"] == code


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Host": "evil.example:8401"}, 421, "bad_host"),
        ({"Host": "127.0.0.1.nip.io"}, 421, "bad_host"),
        ({"Origin": "https://evil.example"}, 403, "forbidden_origin"),
        ({"Origin": "null"}, 403, "forbidden_origin"),
        ({"Origin": "chrome-extension://abcdefghijklmnop"}, 200, None),
        ({"Origin": "moz-extension://0f1e2d3c"}, 200, None),
        ({"Host": "localhost:8401"}, 200, None),
    ],
)
async def test_host_and_origin_are_checked(client, headers, status, code):
    """A page on the web cannot use the API through DNS rebinding or the proxy (CVE-2025-23217)."""
    response = await client.get("/api/events", headers={**AUTH, **headers})
    assert response.status == status
    assert "Access-Control-Allow-Origin" not in response.headers
    if code:
        assert (await response.json())["error"]["code"] == code


async def test_ingest_then_list_get_and_clear(client):
    """An ingested exchange comes back as a diagnosed event, by site and by id, until cleared."""
    response = await client.post("/api/ingest", json=exchange(), headers=AUTH)
    assert response.status == 201
    event = await response.json()
    assert event["site"] == "example.com" and event["initiator_host"] == "app.example.com"
    assert event["diagnosis"]["cause"] == "missing_credentials"
    for site in ("example.com", "api.example.com", "app.example.com"):
        listed = await (await client.get(f"/api/events?site={site}", headers=AUTH)).json()
        assert [e["id"] for e in listed["events"]] == [event["id"]]
    one = await client.get(f"/api/events/{event['id']}", headers=AUTH)
    assert (await one.json())["id"] == event["id"]
    assert (await (await client.delete("/api/events", headers=AUTH)).json()) == {"deleted": 1}
    gone = await client.get(f"/api/events/{event['id']}", headers=AUTH)
    assert gone.status == 404 and (await gone.json())["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "bad_json"),
        (b'{"flow_id": "x"}', 422, "invalid_exchange"),
        (b"5", 422, "invalid_exchange"),
        (b'"text"', 422, "invalid_exchange"),
        (b"\xff\xfe", 400, "bad_json"),
        (b'{"a": "' + b"x" * 600_000 + b'"}', 413, "too_large"),
    ],
)
async def test_bad_ingest_is_a_clear_error_and_stores_nothing(client, body, status, code):
    response = await client.post("/api/ingest", data=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status == status
    assert (await response.json())["error"]["code"] == code
    listed = await (await client.get("/api/events", headers=AUTH)).json()
    assert listed["events"] == []


@pytest.mark.parametrize(("query", "status"), [("limit=0", 400), ("limit=abc", 400), ("limit=501", 400), ("limit=500", 200)])
async def test_limit_is_validated(client, query, status):
    response = await client.get(f"/api/events?{query}", headers=AUTH)
    assert response.status == status
    if status == 400:
        assert (await response.json())["error"]["code"] == "bad_request"


async def test_causes_catalogue(client):
    causes = (await (await client.get("/api/causes", headers=AUTH)).json())["causes"]
    assert {"missing_credentials", "expired_token", "unknown"} <= {c["id"] for c in causes}


async def test_unknown_route_is_a_json_404(client):
    response = await client.get("/api/nope", headers=AUTH)
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_an_exchange_delivered_twice_is_stored_once(client):
    """The addon retries when an answer is lost; the same flow must not become two events."""
    first = await (await client.post("/api/ingest", json=exchange(flow_id="same"), headers=AUTH)).json()
    second = await (await client.post("/api/ingest", json=exchange(flow_id="same"), headers=AUTH)).json()
    assert second["id"] == first["id"]
    listed = await (await client.get("/api/events", headers=AUTH)).json()
    assert len(listed["events"]) == 1


async def test_stream_sends_each_new_event(client):
    """The extension's worker follows new 401s live instead of polling."""
    response = await client.get("/api/stream", headers=AUTH)
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    assert await response.content.readuntil(b"\n\n") == b": connected\n\n"
    stored = await (await client.post("/api/ingest", json=exchange(flow_id="live"), headers=AUTH)).json()
    frame = (await response.content.readuntil(b"\n\n")).decode()
    lines = dict(line.split(": ", 1) for line in frame.strip().splitlines())
    assert lines["event"] == "event" and lines["id"] == stored["id"]
    import json as _json

    data = _json.loads(lines["data"])
    assert data["cause"] == stored["diagnosis"]["cause"] and data["site"] == "example.com"
    assert "exchange" not in data
    response.close()


async def test_stream_needs_the_token(client):
    response = await client.get("/api/stream")
    assert response.status == 401


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (json.dumps(exchange(status=10**30)).encode(), 422, "invalid_exchange"),
        (json.dumps(exchange(port=70000)).encode(), 422, "invalid_exchange"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "bad_json"),
        (json.dumps(exchange(host="\ud800")).encode(), 422, "invalid_exchange"),
    ],
    ids=["huge-status", "bad-port", "deep-nesting", "lone-surrogate"],
)
async def test_payloads_that_cannot_be_stored_are_refused_not_crashed_on(client, body, status, code):
    """Nothing a client sends makes the service answer a non-JSON 500 or store half an event."""
    response = await client.post("/api/ingest", data=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status == status
    assert (await response.json())["error"]["code"] == code
    assert (await (await client.get("/api/events", headers=AUTH)).json())["events"] == []


async def test_a_retried_delivery_is_not_streamed_twice(client):
    """The stream tells of new 401s; a delivery deduplicated by flow id is not one."""
    stream = await client.get("/api/stream", headers=AUTH)
    await stream.content.readuntil(b"\n\n")
    for _ in range(2):
        await client.post("/api/ingest", json=exchange(flow_id="again"), headers=AUTH)
    await client.post("/api/ingest", json=exchange(flow_id="other"), headers=AUTH)
    frames = [(await stream.content.readuntil(b"\n\n")).decode() for _ in range(2)]
    flow_ids = []
    for frame in frames:
        event_id = dict(line.split(": ", 1) for line in frame.strip().splitlines())["id"]
        flow_ids.append((await (await client.get(f"/api/events/{event_id}", headers=AUTH)).json())["exchange"]["flow_id"])
    assert flow_ids == ["again", "other"]
    stream.close()


async def test_a_diagnosis_that_fails_keeps_the_event_with_the_checklist(client, monkeypatch):
    """A bug in the diagnosis costs the diagnosis, never the event: it is stored as unknown,
    says the companion failed, and still offers the general fixes (with their titles)."""
    from companion.service import pipeline

    def broken(exchange):
        raise RuntimeError("bug")

    monkeypatch.setattr(pipeline, "diagnose", broken)
    response = await client.post("/api/ingest", json=exchange(flow_id="f-broken"), headers=AUTH)
    assert response.status == 201
    diagnosis = (await response.json())["diagnosis"]
    assert diagnosis["cause"] == "unknown" and "failed while diagnosing" in diagnosis["summary"]
    fixes = {fix["id"]: fix["title"] for fix in diagnosis["fixes"]}
    assert "copy_report" in fixes and all(fixes.values())


async def test_every_answer_says_nosniff_and_no_framing(client):
    """The service's answers, errors included, are never sniffed into another type or framed."""
    for method, path, headers in [("GET", "/api/health", {}), ("GET", "/api/events", AUTH), ("GET", "/api/events", {}), ("GET", "/nope", AUTH)]:
        response = await client.request(method, path, headers=headers)
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("X-Frame-Options") == "DENY", path


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": 200},
        {"request": {"credentials": [{"source": "request.authorization", "jwt": {"claims": _nested(220)}}]}},
        {"request": {"credentials": [{"source": "request.authorization", "jwt": {"claims": {"exp": 10**400}}}]}},
        {"url": "https://api.example.com/" + "x" * 500_000},
    ],
    ids=["not-a-401", "claims-220-deep", "exp-10^400", "half-a-megabyte-url"],
)
async def test_ingest_refuses_what_no_capture_sends(client, overrides):
    """Validated at the edge: what could not be listed back, or is no 401, is never stored."""
    body = json.dumps(exchange(**overrides)).encode()
    response = await client.post("/api/ingest", data=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status in (413, 422), await response.text()
    listed = await (await client.get("/api/events", headers=AUTH)).json()
    assert listed["events"] == []


def _cookie(n: int) -> dict:
    return {"name": f"c{n}"}


def _over(bound: int, item) -> list:
    return [item(n) for n in range(bound + 1)]


def _with(request: dict | None = None, response: dict | None = None, **fields) -> dict:
    base = exchange(**fields)
    base["request"] = {**base["request"], **(request or {})}
    base["response"] = {**base["response"], **(response or {})}
    return base


# (exchange one past a bound the addon keeps to, the field the refusal names)
OVER_BOUNDS = [
    pytest.param(_with(response={"www_authenticate": _over(MAX_CHALLENGES, lambda n: f"S{n}")}), "response.www_authenticate", id="www-authenticate-lines"),
    pytest.param(_with(response={"www_authenticate": ["a"] * 60_000}), "response.www_authenticate", id="60k-www-authenticate-lines"),
    pytest.param(_with(response={"proxy_authenticate": _over(MAX_CHALLENGES, lambda n: f"S{n}")}), "response.proxy_authenticate", id="proxy-authenticate-lines"),
    pytest.param(_with(response={"www_authenticate": ["a " * MAX_HEADER_VALUE]}), "response.www_authenticate.0", id="www-authenticate-line-length"),
    pytest.param(_with(response={"headers": _over(MAX_HEADERS, lambda n: [f"X-{n}", "v"])}), "response.headers", id="response-headers"),
    pytest.param(_with(request={"headers": _over(MAX_HEADERS, lambda n: [f"X-{n}", "v"])}), "request.headers", id="request-headers"),
    pytest.param(_with(request={"headers": [["X-Long", "v" * 4 * MAX_HEADER_VALUE]]}), "request.headers.0.1", id="request-header-length"),
    pytest.param(
        _with(request={"credentials": _over(MAX_CREDENTIALS, lambda n: {"source": "request.authorization"})}),
        "request.credentials",
        id="credentials",
    ),
    pytest.param(
        _with(request={"proxy_credentials": _over(MAX_CREDENTIALS, lambda n: {"source": "request.proxy-authorization"})}),
        "request.proxy_credentials",
        id="proxy-credentials",
    ),
    pytest.param(_with(request={"cookies": _over(MAX_COOKIES, _cookie)}), "request.cookies", id="cookies"),
    pytest.param(_with(response={"set_cookies": _over(MAX_COOKIES, _cookie)}), "response.set_cookies", id="set-cookies"),
    pytest.param(_with(context={"cookies_set_earlier": _over(MAX_COOKIES, _cookie)}), "context.cookies_set_earlier", id="cookies-set-earlier"),
    pytest.param(
        _with(response={"body_error": {"message": "expired " * MAX_BODY_BYTES}}), "response.body_error.message", id="body-error-message"
    ),
    pytest.param(_with(truncated=["x"] * 10_000), "truncated", id="truncated"),
    pytest.param(_with(response={"received": "9999-12-31T23:59:59-23:59"}), "response.received", id="received-no-clock-shows"),
]


@pytest.mark.parametrize(("body", "field"), OVER_BOUNDS)
async def test_ingest_refuses_more_than_a_capture_keeps(client, body, field):
    """What the addon keeps of one exchange at most is what the service accepts: one over a
    bound is refused with an error that names the field, and is never diagnosed."""
    response = await client.post("/api/ingest", json=body, headers=AUTH)
    assert response.status == 422, await response.text()
    error = (await response.json())["error"]
    assert error["code"] == "invalid_exchange" and error["message"].startswith(f"{field}: "), error


async def test_ingest_accepts_all_a_capture_keeps(client):
    """The bounds are the addon's own: an exchange at every one of them is stored."""
    # A line the addon cut: its first MAX_HEADER_VALUE characters, then what it cut, in words.
    lines = [(f'Bearer realm="r{n}", ' + "a" * MAX_HEADER_VALUE)[:MAX_HEADER_VALUE] + f"[… {10**9} more chars]" for n in range(MAX_CHALLENGES)]
    body = _with(
        request={"headers": [[f"X-{n}", "v"] for n in range(MAX_HEADERS)], "cookies": [_cookie(n) for n in range(MAX_COOKIES)]},
        response={"www_authenticate": lines, "proxy_authenticate": lines, "set_cookies": [_cookie(n) for n in range(MAX_COOKIES)]},
    )
    response = await client.post("/api/ingest", json=body, headers=AUTH)
    assert response.status == 201, await response.text()


async def test_a_batch_is_stored_together_and_one_bad_exchange_costs_only_itself(client):
    """POST /api/ingest with an array: each good exchange stored (a retried one not twice),
    a bad one refused alone and counted in /api/stats with why."""
    batch = [exchange(flow_id=f"b{n}") for n in range(5)] + [{"flow_id": "broken"}, exchange(flow_id="b0")]
    response = await client.post("/api/ingest", json=batch, headers={**AUTH, "X-Companion-Sender": "addon-1", "X-Companion-Dropped": "7"})
    assert response.status == 200
    answer = await response.json()
    assert (answer["stored"], answer["duplicates"], [r["index"] for r in answer["refused"]]) == (5, 1, [5])
    listed = await (await client.get("/api/events", headers=AUTH)).json()
    assert len(listed["events"]) == 5
    stats = await (await client.get("/api/stats", headers=AUTH)).json()
    assert stats["events"] == 5 and stats["by_cause"] == {"missing_credentials": 5} and stats["by_site"] == {"example.com": 5}
    assert stats["losses"]["refused_by_service"] == 1 and stats["losses"]["dropped_by_addon"] == 7
    assert stats["store"]["bytes"] > 0 and stats["store"]["keep"] > 0


async def test_a_batch_refused_in_two_places_answers_each_in_order(client, monkeypatch):
    """A batch is validated and diagnosed whole, then packed whole: an exchange refused at
    packing (one that cannot be serialized) and one refused at validation are both answered,
    in the batch's order, and every other exchange is stored."""
    from pydantic_core import PydanticSerializationError

    from companion.service.store import Store

    pack = Store.pack

    def fussy(self, event):
        if event.exchange is not None and event.exchange.flow_id == "unpackable":
            raise PydanticSerializationError("cannot serialize")
        return pack(self, event)

    monkeypatch.setattr(Store, "pack", fussy)
    batch = [exchange(flow_id="c0"), exchange(flow_id="unpackable"), exchange(flow_id="c2"), {"flow_id": "broken"}, exchange(flow_id="c4")]
    answer = await (await client.post("/api/ingest", json=batch, headers=AUTH)).json()
    assert (answer["stored"], [r["index"] for r in answer["refused"]]) == (3, [1, 3])
    assert "cannot be stored" in answer["refused"][0]["message"]
    listed = await (await client.get("/api/events", headers=AUTH)).json()
    assert sorted(e["exchange"]["flow_id"] for e in listed["events"]) == ["c0", "c2", "c4"]


async def test_a_batch_over_the_limit_is_refused_whole_and_counted(client):
    from companion.service.pipeline import MAX_BATCH

    response = await client.post("/api/ingest", json=[{}] * (MAX_BATCH + 1), headers=AUTH)
    assert response.status == 413
    stats = await (await client.get("/api/stats", headers=AUTH)).json()
    assert stats["losses"]["refused_by_service"] == MAX_BATCH + 1


async def test_a_batch_streams_each_new_event_to_a_listener(client):
    """The addon delivers everything as a batch now: each new event of one still reaches the
    extension live, a retried one does not."""
    response = await client.get("/api/stream", headers=AUTH)
    assert await response.content.readuntil(b"\n\n") == b": connected\n\n"
    await client.post("/api/ingest", json=[exchange(flow_id="s1"), exchange(flow_id="s2")], headers=AUTH)
    await client.post("/api/ingest", json=[exchange(flow_id="s1"), exchange(flow_id="s3")], headers=AUTH)
    summaries = []
    for _ in range(3):
        frame = (await response.content.readuntil(b"\n\n")).decode()
        summaries.append(json.loads(next(line for line in frame.splitlines() if line.startswith("data: "))[6:]))
    events = (await (await client.get("/api/events", headers=AUTH)).json())["events"]
    assert [s["id"] for s in summaries] == [e["id"] for e in reversed(events)] and len(events) == 3
    # Each summary is exactly the stored event's, as the API answers it (times and all).
    for summary in summaries:
        stored = await (await client.get(f"/api/events/{summary['id']}", headers=AUTH)).json()
        assert summary == summary_of(stored)
    response.close()


async def test_with_no_listener_no_summary_is_made(client, monkeypatch):
    """Announcing costs a summary per event: with nobody following the stream, none is made."""
    from companion.service import pipeline

    def no_summary(event):
        raise AssertionError("a summary was made for nobody")

    monkeypatch.setattr(pipeline, "summary_of", no_summary)
    response = await client.post("/api/ingest", json=[exchange(flow_id="q1")], headers=AUTH)
    assert response.status == 200 and (await response.json())["stored"] == 1


async def test_health_is_not_ok_while_the_store_refuses_writes(aiohttp_client, tmp_path: Path, monkeypatch):
    """Another process holds the store's file locked (a backup tool, a second companion on
    the same data dir): captures fail, and health says so (503, with why) instead of "ok",
    until a write succeeds again."""
    import sqlite3

    from companion.service import store

    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.2)
    client = await aiohttp_client(create_app(tmp_path, TOKEN))
    assert (await client.post("/api/ingest", json=[exchange(flow_id="before")], headers=AUTH)).status == 200
    other = sqlite3.connect(tmp_path / "events.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        refused = await client.post("/api/ingest", json=[exchange(flow_id="during", url="https://api.example.com/x")], headers=AUTH)
        assert refused.status == 503
        health = await client.get("/api/health")
        assert health.status == 503
        body = await health.json()
        assert body["status"] == "failing" and body["error"]["code"] == "store_failing" and "locked" in body["problem"]
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert (await client.post("/api/ingest", json=[exchange(flow_id="after", url="https://api.example.com/y")], headers=AUTH)).status == 200
    assert (await (await client.get("/api/health")).json())["status"] == "ok"


async def test_events_that_wait_together_all_arrive_before_the_stream_ends(client):
    """Events announced together (a delivery's) reach the listener together and in order; when
    the service stops, what waits is written before the stream ends."""
    from companion.service.keys import STREAM

    response = await client.get("/api/stream", headers=AUTH)
    assert await response.content.readuntil(b"\n\n") == b": connected\n\n"
    broadcaster = client.server.app[STREAM]
    for n in range(3):
        broadcaster.publish({"id": f"e{n}", "cause": "expired_token"})
    first = (await response.content.readuntil(b"\n\n")).decode()
    for n in range(3, 5):
        broadcaster.publish({"id": f"e{n}", "cause": "expired_token"})
    broadcaster.close()
    rest = (await response.content.read()).decode()
    ids = [json.loads(line[6:])["id"] for line in (first + rest).splitlines() if line.startswith("data: ")]
    assert ids == ["e0", "e1", "e2", "e3", "e4"]
