"""Whatever a server (or a client) puts on the wire, the addon builds an exchange the service
accepts, never raises, and never lets a planted secret through."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mitmproxy.http import Headers, Response
from mitmproxy.test import tflow

from companion.exchange import build_exchange
from companion.memory import SiteMemory
from companion.models import Exchange

KEY = b"k" * 32
SECRET = "Zx9-PLANTED-s3cr3t-Qw7"

header_names = st.sampled_from(
    ["WWW-Authenticate", "Proxy-Authenticate", "Set-Cookie", "Content-Type", "Date", "Location", "X-Request-Id",
     "Authorization", "Cookie", "X-Api-Key", "Origin", "Referer", "Sec-Fetch-Site", "X-Custom"]
)  # fmt: skip
header_values = st.text(st.characters(codec="latin-1", exclude_characters="\r\n\x00"), max_size=300)
bodies = st.one_of(st.binary(max_size=2000), st.text(max_size=2000).map(str.encode))


def flow_from(status: int, request_headers, response_headers, body: bytes, path: str):
    flow = tflow.tflow(resp=True)
    flow.request.path = path
    flow.request.headers = Headers([(n.encode(), v.encode("latin-1")) for n, v in request_headers])
    flow.response = Response.make(status, body, [(n.encode(), v.encode("latin-1")) for n, v in response_headers])
    return flow


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.sampled_from([401, 407]),
    request_headers=st.lists(st.tuples(header_names, header_values), max_size=8),
    response_headers=st.lists(st.tuples(header_names, header_values), max_size=8),
    body=bodies,
    path=st.text(st.characters(codec="ascii", exclude_characters=" #\r\n\x00"), max_size=80).map(lambda p: "/" + p),
)
def test_any_wire_input_gives_a_valid_exchange(status, request_headers, response_headers, body, path):
    """No input makes the capture raise, and the service always accepts what the addon sends."""
    memory = SiteMemory()
    exchange = build_exchange(flow_from(status, request_headers, response_headers, body, path), key=KEY, memory=memory)
    Exchange.model_validate(json.loads(json.dumps(exchange)))


secret_places = st.sampled_from(
    [
        ("Authorization", f"Bearer {SECRET}"),
        ("Authorization", SECRET),
        ("Cookie", f"sid={SECRET}; theme=dark"),
        ("X-Api-Key", SECRET),
        ("X-Auth-Token", SECRET),
        ("Referer", f"https://app.example.com/cb?code={SECRET}"),
        ("Origin", f"https://user:{SECRET}@app.example.com"),
    ]
)


@settings(max_examples=100, deadline=None)
@given(place=secret_places, noise=st.lists(st.tuples(header_names, header_values), max_size=4), body=bodies)
def test_a_planted_secret_never_leaves_the_addon(place, noise, body):
    response_headers = [*noise, ("Set-Cookie", f"sid={SECRET}; Path=/")]
    flow = flow_from(401, [place], response_headers, body + f' {{"error": "bad token {SECRET}"}}'.encode(), f"/x?access_token={SECRET}")
    exchange = json.dumps(build_exchange(flow, key=KEY, memory=SiteMemory()))
    assert SECRET not in exchange


def test_a_flood_of_headers_stays_within_what_the_service_accepts():
    """20,000 Set-Cookie lines and huge headers: the exchange stays small, says what it cut."""
    from companion.api import MAX_INGEST_BYTES

    response_headers = [("Set-Cookie", f"c{n}=v; Path=/") for n in range(20000)]
    response_headers += [("X-Big", "y" * 100_000)] * 200 + [("WWW-Authenticate", 'Bearer realm="' + "r" * 50_000 + '"')] * 100
    flow = flow_from(401, [("Cookie", "; ".join(f"k{n}=v" for n in range(5000)))], response_headers, b"", "/")
    exchange = build_exchange(flow, key=KEY, memory=SiteMemory())
    assert len(json.dumps(exchange)) < MAX_INGEST_BYTES
    assert any(t.startswith("response.set_cookies: 64 of 20000") for t in exchange["truncated"])
    Exchange.model_validate(json.loads(json.dumps(exchange)))


def test_cookie_default_path_never_carries_a_secret_path_segment():
    """A cookie set without Path by /reset/<token>/confirm scopes to that folder; the token stays out."""
    memory = SiteMemory()
    token = "SeCrEtXyZ9876543210abcDEF"
    build_exchange(flow_from(401, [], [("Set-Cookie", "flash=1")], b"", f"/reset/{token}/confirm"), key=KEY, memory=memory)
    later = build_exchange(flow_from(401, [], [], b"", "/api"), key=KEY, memory=memory)
    assert token not in json.dumps(later)
    assert later["context"]["cookies_set_earlier"][0]["default_path"] == "/reset/[masked]"
