"""`GET /api/events.har`: a HAR 1.2 file of the redacted exchanges, valid by the spec, holding
the diagnosis and never a secret of the captured requests."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from mitmproxy.http import Response
from mitmproxy.test import tflow

from companion.capture import Companion
from companion.service.app import create_app

TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

# HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): per object, the required fields
# with their types, then the optional ones. Anything else must be a custom field ("_…").
NUMBER = (int, float)
HAR_SPEC: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "log": ({"version": str, "creator": dict, "entries": list}, {"browser": dict, "pages": list, "comment": str}),
    "creator": ({"name": str, "version": str}, {"comment": str}),
    "entry": (
        {"startedDateTime": str, "time": NUMBER, "request": dict, "response": dict, "cache": dict, "timings": dict},
        {"pageref": str, "serverIPAddress": str, "connection": str, "comment": str},
    ),
    "request": (
        {"method": str, "url": str, "httpVersion": str, "cookies": list, "headers": list, "queryString": list,
         "headersSize": int, "bodySize": int},
        {"postData": dict, "comment": str},
    ),
    "response": (
        {"status": int, "statusText": str, "httpVersion": str, "cookies": list, "headers": list, "content": dict,
         "redirectURL": str, "headersSize": int, "bodySize": int},
        {"comment": str},
    ),
    "cookie": (
        {"name": str, "value": str},
        {"path": str, "domain": str, "expires": str, "httpOnly": bool, "secure": bool, "comment": str},
    ),
    "pair": ({"name": str, "value": str}, {"comment": str}),
    "content": ({"size": int, "mimeType": str}, {"compression": int, "text": str, "encoding": str, "comment": str}),
    "cache": ({}, {"beforeRequest": (dict, type(None)), "afterRequest": (dict, type(None)), "comment": str}),
    "timings": (
        {"send": NUMBER, "wait": NUMBER, "receive": NUMBER},
        {"blocked": NUMBER, "dns": NUMBER, "connect": NUMBER, "ssl": NUMBER, "comment": str},
    ),
}


def _check(kind: str, value: Any, where: str, problems: list[str]) -> None:
    required, optional = HAR_SPEC[kind]
    if not isinstance(value, dict):
        problems.append(f"{where}: not an object")
        return
    for name, types in required.items():
        if name not in value:
            problems.append(f"{where}.{name}: missing")
        elif not isinstance(value[name], types) or (types is int and isinstance(value[name], bool)):
            problems.append(f"{where}.{name}: {type(value[name]).__name__}")
    for name, found in value.items():
        if name in required:
            continue
        if name in optional:
            if not isinstance(found, optional[name]):
                problems.append(f"{where}.{name}: {type(found).__name__}")
        elif not name.startswith("_"):
            problems.append(f"{where}.{name}: not in HAR 1.2 and not a custom field (_name)")


def har_problems(document: Any) -> list[str]:
    """What makes `document` not a HAR 1.2 file, by the spec's required fields and rules."""
    problems: list[str] = []
    if not isinstance(document, dict) or set(document) != {"log"}:
        return ["the root must be an object with `log` alone"]
    log = document["log"]
    _check("log", log, "log", problems)
    if problems:
        return problems
    if log["version"] != "1.2":
        problems.append("log.version is not 1.2")
    _check("creator", log["creator"], "log.creator", problems)
    for n, entry in enumerate(log["entries"]):
        where = f"log.entries[{n}]"
        _check("entry", entry, where, problems)
        if problems:
            return problems
        try:
            started = datetime.fromisoformat(entry["startedDateTime"])
        except ValueError:
            problems.append(f"{where}.startedDateTime: not ISO 8601")
        else:
            if started.tzinfo is None:
                problems.append(f"{where}.startedDateTime: no zone")
        for part in ("request", "response"):
            _check(part, entry[part], f"{where}.{part}", problems)
            for kind, field in (("cookie", "cookies"), ("pair", "headers")):
                for m, item in enumerate(entry[part].get(field, [])):
                    _check(kind, item, f"{where}.{part}.{field}[{m}]", problems)
        for m, item in enumerate(entry["request"].get("queryString", [])):
            _check("pair", item, f"{where}.request.queryString[{m}]", problems)
        _check("content", entry["response"].get("content"), f"{where}.response.content", problems)
        _check("cache", entry["cache"], f"{where}.cache", problems)
        timings = entry["timings"]
        _check("timings", timings, f"{where}.timings", problems)
        if any(timings.get(name, 0) < 0 for name in ("send", "wait", "receive")):
            problems.append(f"{where}.timings: send, wait and receive must not be negative")
        spent = sum(value for name, value in timings.items() if name != "comment" and value != -1)
        if abs(spent - entry["time"]) > 0.01:
            problems.append(f"{where}.time is not the sum of its timings")
    if [e["startedDateTime"] for e in log["entries"]] != sorted(e["startedDateTime"] for e in log["entries"]):
        problems.append("log.entries are not oldest first")
    return problems


def test_the_checker_finds_what_breaks_the_spec():
    """The checks above can fail: a file missing a required field or with a stray one is refused."""
    assert har_problems({"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": []}}) == []
    assert har_problems({"log": {"version": "1.2", "entries": []}}) == ["log.creator: missing"]
    stray = {"log": {"version": "1.2", "creator": {"name": "x", "version": "1", "extra": 1}, "entries": []}}
    assert har_problems(stray) == ["log.creator.extra: not in HAR 1.2 and not a custom field (_name)"]


JWT_SIGNATURE = "SIGNATUREsecretQ9x8w7v6u5t4s3r2q1p0o9n8m7l6k5"
JWT = ".".join(
    base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
    for part in ({"alg": "RS256", "typ": "JWT"}, {"sub": "alice", "exp": 1700000000, "iat": 1699990000})
) + "." + JWT_SIGNATURE  # fmt: skip
PASSWORD = "PASSWORDsecret-hunter2-Zq8"
BASIC = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
SECRETS = [
    JWT, JWT_SIGNATURE, "COOKIEVALUEsecret-4f3e2d1c", "APIKEYsecret-9a8b7c6d5e", "QUERYTOKENsecret-1a2b3c4d",
    "SETCOOKIEsecret-5e6f7a8b", "THEMECOOKIEsecret-ddd", PASSWORD, BASIC, "SESSIONsecret-0f9e8d7c",
]  # fmt: skip


def _flows() -> list[dict]:
    """Three 401s as the addon captures them (it redacts before anything leaves it), each
    carrying secrets in every place a request and a response can."""
    companion = Companion()
    captured = []

    bearer = tflow.tflow(resp=True)
    bearer.request.url = "https://api.example.com/v1/orders?page=2&access_token=QUERYTOKENsecret-1a2b3c4d"
    bearer.request.headers["Authorization"] = f"Bearer {JWT}"
    bearer.request.headers["Cookie"] = "sid=COOKIEVALUEsecret-4f3e2d1c; theme=THEMECOOKIEsecret-ddd"
    bearer.request.headers["X-Api-Key"] = "APIKEYsecret-9a8b7c6d5e"
    bearer.request.headers["Origin"] = "https://app.example.com"
    bearer.response = Response.make(
        401,
        json.dumps({"error": "invalid_token", "error_description": f"The token {JWT} has expired"}).encode(),
        {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"', "Content-Type": "application/json",
         "Set-Cookie": "refresh=SETCOOKIEsecret-5e6f7a8b; Path=/; Secure; HttpOnly; SameSite=Strict"},
    )  # fmt: skip
    captured.append(companion.capture(bearer))

    basic = tflow.tflow(resp=True)
    basic.request.url = "https://intranet.example.org/reports"
    basic.request.headers["Authorization"] = f"Basic {BASIC}"
    basic.response = Response.make(
        401, f"Login failed for alice with password {PASSWORD}".encode(),
        {"WWW-Authenticate": 'Basic realm="intranet"', "Content-Type": "text/plain"},
    )  # fmt: skip
    captured.append(companion.capture(basic))

    session = tflow.tflow(resp=True)
    session.request.url = "https://shop.example.net/account"
    session.request.headers["Cookie"] = "session=SESSIONsecret-0f9e8d7c"
    session.response = Response.make(
        401, b"<html>Session expired</html>",
        {"Set-Cookie": "session=; Max-Age=0; Path=/", "Content-Type": "text/html", "Location": "https://shop.example.net/login"},
    )  # fmt: skip
    captured.append(companion.capture(session))
    for n, exchange in enumerate(captured):
        exchange["flow_id"] = f"har-{n}"
        exchange["time"] = f"2026-11-23T10:0{n}:00Z"
        exchange["response"]["received"] = f"2026-11-23T10:0{n}:00.250Z"
    return captured


@pytest.fixture
async def client(aiohttp_client, tmp_path: Path):
    client = await aiohttp_client(create_app(tmp_path, TOKEN))
    response = await client.post("/api/ingest", json=_flows(), headers=AUTH)
    assert (await response.json())["stored"] == 3
    return client


async def _har(client, query: str = "") -> tuple[Any, str, dict]:
    response = await client.get(f"/api/events.har{query}", headers=AUTH)
    assert response.status == 200, await response.text()
    text = await response.text()
    return json.loads(text), text, dict(response.headers)


async def test_the_export_is_a_har_1_2_file_to_download(client):
    document, _, headers = await _har(client)
    assert har_problems(document) == []
    assert headers["Content-Type"].startswith("application/json")
    assert re.fullmatch(r'attachment; filename="401-companion-\d{4}-\d\d-\d\d\.har"', headers["Content-Disposition"])
    log = document["log"]
    assert log["creator"]["name"] == "401 Companion" and len(log["entries"]) == 3


async def test_no_planted_secret_is_in_the_har(client):
    """Tokens, the JWT's signature, cookie and Set-Cookie values, the API key, the Basic
    password (and its base64) and what the servers echoed of them: none is in the file."""
    _, text, _ = await _har(client)
    found = [secret for secret in SECRETS if secret in text]
    assert found == []


async def test_each_entry_is_the_exchange_as_captured_and_redacted(client):
    """What a developer opening the file in DevTools expects to find, and the diagnosis."""
    events = {e["url"].split("?")[0]: e for e in (await (await client.get("/api/events", headers=AUTH)).json())["events"]}
    document, _, _ = await _har(client)
    entries = {entry["request"]["url"].split("?")[0]: entry for entry in document["log"]["entries"]}
    assert list(entries) == ["https://api.example.com/v1/orders", "https://intranet.example.org/reports", "https://shop.example.net/account"]

    bearer = entries["https://api.example.com/v1/orders"]
    request_headers = {h["name"].lower(): h["value"] for h in bearer["request"]["headers"]}
    assert re.fullmatch(r"\[redacted: \d+ chars\]", request_headers["authorization"])
    assert re.fullmatch(r"\[redacted: \d+ chars\]", request_headers["x-api-key"])
    assert {c["name"] for c in bearer["request"]["cookies"]} == {"sid", "theme"}
    assert all(re.fullmatch(r"\[redacted: \d+ chars\]", c["value"]) for c in bearer["request"]["cookies"])
    assert {q["name"] for q in bearer["request"]["queryString"]} == {"page", "access_token"}
    (refresh,) = bearer["response"]["cookies"]
    assert (refresh["name"], refresh["path"], refresh["httpOnly"], refresh["secure"]) == ("refresh", "/", True, True)
    assert bearer["response"]["status"] == 401 and bearer["response"]["content"]["mimeType"] == "application/json"
    assert json.loads(bearer["response"]["content"]["text"])["error"] == "invalid_token"

    assert bearer["time"] == bearer["timings"]["wait"] == 250
    session = entries["https://shop.example.net/account"]
    assert session["response"]["redirectURL"] == "https://shop.example.net/login"
    for url, entry in entries.items():
        diagnosis = events[url]["diagnosis"]
        assert entry["_companion"]["cause"] == diagnosis["cause"] and entry["_companion"]["title"] == diagnosis["title"]
        assert entry["_companion"]["event"] == events[url]["id"] and diagnosis["summary"] in entry["comment"]


@pytest.mark.parametrize(
    ("query", "hosts"),
    [
        ("", ["api.example.com", "intranet.example.org", "shop.example.net"]),
        ("?site=example.org", ["intranet.example.org"]),
        ("?limit=1", ["shop.example.net"]),
        ("?limit=2", ["intranet.example.org", "shop.example.net"]),
        ("?q=orders", ["api.example.com"]),
        ("?since=2026-11-23T10:01:00Z&until=2026-11-23T10:01:00Z", ["intranet.example.org"]),
        ("?status=407", []),
    ],
)
async def test_the_export_holds_what_the_filters_show(client, query, hosts):
    document, _, _ = await _har(client, query)
    assert har_problems(document) == []
    assert [e["request"]["url"].split("/")[2] for e in document["log"]["entries"]] == hosts


async def test_a_bad_filter_is_refused_before_any_file_is_written(client):
    response = await client.get("/api/events.har?since=last-week", headers=AUTH)
    assert response.status == 400 and (await response.json())["error"]["code"] == "bad_request"


async def test_the_export_is_valid_against_the_har_1_2_json_schema(client, tmp_path: Path):
    """Checked by the schema the HAR tools share (`har-schema`, with Ajv), not only by ours."""
    import shutil
    import subprocess

    from tests.conftest import IN_CI, ROOT

    validator = ROOT / "tests" / "support" / "validate-har.mjs"
    if shutil.which("node") is None or not (ROOT / "node_modules" / "har-schema").is_dir():
        if IN_CI:
            raise AssertionError("node and node_modules (npm ci) are needed to validate the HAR")
        pytest.skip("node or node_modules missing (`make test` installs them)")
    _, text, _ = await _har(client)
    exported = tmp_path / "export.har"
    exported.write_text(text)
    done = subprocess.run(["node", str(validator), str(exported)], capture_output=True, text=True, timeout=60, check=False)
    verdict = json.loads(done.stdout)
    assert verdict == {"valid": True, "errors": []}, verdict
    assert len(json.loads(text)["log"]["entries"]) >= 3
