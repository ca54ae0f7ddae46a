"""Secrets planted in every place a request carries them, sent through the real proxy to a
server that echoes them back every way servers do, then looked for in everything the
companion writes or shows: its files (database, WAL, SHM), its log, every API answer (the
list, each event, the reports, the HAR, the stats), the live stream, and the CLI's output
and exports. DESIGN.md, "Secrets": none may be found. (The popup and the event list page
are searched in tests/e2e/test_secrets_on_screen.py.)"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.conftest import ROOT, Companion, free_port

PASSWORD = "Pw-0planted-7b1e"
SECRETS = {
    "basic password": PASSWORD,
    "bearer token": "bearer-9c4f7e21d8a3b6",
    "unknown scheme word": "wordone-4f8e2a",
    "unknown scheme second word": "wordtwo-7d1c9b",
    "digest cnonce": "cnonce-0a9b8c7d6e",
    "digest response": "6b1f0c2e9d8a7b6c5d4e3f2a1b0c9d8e",
    "nameless cookie": "nameless-c00kie-51a2",
    "session cookie": "sess-v4lue-8e3d2c1b",
    "harmless-named cookie": "theme-s3cret-6a5b",
    "neutral header": "partner-pl41n-3c2d",
    "path key": "PathKey7Q2m9X4r8T1v6Z3w",
    "lowercase path key": "kqzvmxwtplrhbnsyfgdcjw",
    "query key": "qk-1a2b3c4d5e6f",
    "bare Set-Cookie": "bareSetCookie93Fq",
    "Set-Cookie value": "setc00kie-v4l-2f1e",
}


def planted_requests(origin: str) -> list[tuple[str, dict[str, str]]]:
    s = SECRETS
    basic = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    digest = (
        f'Digest username="alice", realm="r", nonce="abc", uri="/d", response="{s["digest response"]}", '
        f'cnonce="{s["digest cnonce"]}", qop=auth, nc=00000001'
    )
    cookies = f"{s['nameless cookie']}; sid={s['session cookie']}; theme={s['harmless-named cookie']}"
    return [
        (f"{origin}/echo/basic", {"Authorization": f"Basic {basic}"}),
        (f"{origin}/echo/bearer", {"Authorization": f"Bearer {s['bearer token']}"}),
        (f"{origin}/echo/words", {"Authorization": f"{s['unknown scheme word']} {s['unknown scheme second word']}"}),
        (f"{origin}/echo/digest", {"Authorization": digest}),
        (f"{origin}/echo/cookies", {"Cookie": cookies, "X-Partner-Plain": s["neutral header"]}),
        (f"{origin}/r/{s['path key']}/go?api_key={s['query key']}", {}),
        (f"{origin}/reset/{s['lowercase path key']}", {}),
    ]


async def echo(request: web.Request) -> web.Response:
    """A 401 that quotes back everything the request carried, the ways real servers do."""
    carried = [v for k, v in request.headers.items() if k.lower() not in {"host", "accept-encoding", "user-agent", "accept", "connection"}]
    path_parts = [p for p in request.path.split("/") if p]
    body = {
        "error": "invalid_request",
        "password": PASSWORD,
        "message": f"refused {' | '.join(carried)} for {' '.join(path_parts)}; pw={PASSWORD}; 'secret': '{SECRETS['neutral header']}'",
        "echo": dict(request.query),
    }
    headers = [
        ("WWW-Authenticate", f'Bearer error="invalid_token", error_description="token {SECRETS["bearer token"]} was revoked"'),
        ("Set-Cookie", SECRETS["bare Set-Cookie"]),
        ("Set-Cookie", f"sid={SECRETS['Set-Cookie value']}; Path=/; HttpOnly"),
        ("X-Echo", SECRETS["session cookie"]),
    ]
    response = web.json_response(body, status=401)
    for name, value in headers:
        response.headers.add(name, value)
    return response


@pytest.fixture(scope="module")
def echo_site() -> Iterator[str]:
    port = free_port()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.run_until_complete(runner.cleanup())
    loop.close()


def found_in(text: str) -> dict[str, str]:
    return {place: secret for place, secret in SECRETS.items() if secret in text}


def raw_get(companion: Companion, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", companion.api_port, timeout=10)
    conn.request("GET", path, headers={"Authorization": f"Bearer {companion.token}"})
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    assert response.status == 200, (path, response.status, body[:300])
    return body


def read_stream(companion: Companion, until: int, seen: list[str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", companion.api_port, timeout=20)
    conn.request("GET", "/api/stream", headers={"Authorization": f"Bearer {companion.token}"})
    response = conn.getresponse()
    events = 0
    while events < until:
        line = response.readline().decode("utf-8", "replace")
        if not line:
            break
        seen.append(line)
        events += line.startswith("event: event")
    conn.close()


def cli(companion: Companion, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "companion.cli", *args, "--data-dir", str(companion.data_dir), "--api-port", str(companion.api_port)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout + done.stderr


def test_no_planted_secret_is_found_anywhere_the_companion_writes_or_shows(companion: Companion, echo_site: str, tmp_path: Path):
    companion.api("DELETE", "/api/events")
    requests = planted_requests(echo_site)
    streamed: list[str] = []
    listener = threading.Thread(target=read_stream, args=(companion, len(requests), streamed), daemon=True)
    listener.start()
    for url, headers in requests:
        status, _ = companion.through_proxy("GET", url, headers)
        assert status == 401
    events = companion.wait_events(len(requests))
    assert len(events) == len(requests)
    listener.join(20)
    places: dict[str, str] = {"the live stream": "".join(streamed)}

    places["the event list (API)"] = raw_get(companion, "/api/events?limit=500")
    places["the summaries (API)"] = raw_get(companion, "/api/events?limit=500&fields=summary")
    places["the stats (API)"] = raw_get(companion, "/api/stats")
    places["the HAR export (API)"] = raw_get(companion, "/api/events.har")
    for event in events:
        places[f"event {event['url']}"] = raw_get(companion, f"/api/events/{event['id']}")
        places[f"report {event['url']}"] = raw_get(companion, f"/api/events/{event['id']}/report")
        places[f"companion events show ({event['url']})"] = cli(companion, "events", "show", event["id"])

    places["companion events"] = cli(companion, "events")
    places["companion events --json"] = cli(companion, "events", "--json")
    har, exported = tmp_path / "x.har", tmp_path / "x.json"
    cli(companion, "events", "export", "--har", str(har))
    cli(companion, "events", "export", "--json", str(exported))
    places["the HAR file (CLI)"] = har.read_text()
    places["the JSON file (CLI)"] = exported.read_text()
    places["the log of companion run"] = companion.printed()
    for path in sorted(companion.data_dir.rglob("*")):
        if path.is_file():
            places[f"the file {path.name}"] = path.read_bytes().decode("latin-1")

    leaks = {where: found for where, text in places.items() if (found := found_in(text))}
    assert not leaks, json.dumps(leaks, indent=1)
    # …and the events are still there to read: the test is not passing on empty answers.
    assert all(e["diagnosis"]["title"] for e in events)
    assert len(json.loads(places["the HAR export (API)"])["log"]["entries"]) == len(requests)
