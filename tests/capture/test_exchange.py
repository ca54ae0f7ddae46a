"""Whatever a server (or a client) puts on the wire, the addon builds an exchange the service
accepts, never raises, and never lets a planted secret through."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mitmproxy.http import Headers, Response
from mitmproxy.test import tflow

from companion.capture import Companion
from companion.capture import exchange as exchange_module
from companion.capture.exchange import parse_set_cookies
from companion.diagnosis.models import Exchange

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
    exchange = Companion().capture(flow_from(status, request_headers, response_headers, body, path))
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
    exchange = json.dumps(Companion().capture(flow))
    assert SECRET not in exchange


def test_a_flood_of_headers_stays_within_what_the_service_accepts():
    """20,000 Set-Cookie lines and huge headers: the exchange stays small, says what it cut."""
    from companion.service.handlers import MAX_INGEST_BYTES

    response_headers = [("Set-Cookie", f"c{n}=v; Path=/") for n in range(20000)]
    response_headers += [("X-Big", "y" * 100_000)] * 200 + [("WWW-Authenticate", 'Bearer realm="' + "r" * 50_000 + '"')] * 100
    flow = flow_from(401, [("Cookie", "; ".join(f"k{n}=v" for n in range(5000)))], response_headers, b"", "/")
    exchange = Companion().capture(flow)
    assert len(json.dumps(exchange)) < MAX_INGEST_BYTES
    assert any(t.startswith("response.set_cookies: 64 of 20000") for t in exchange["truncated"])
    Exchange.model_validate(json.loads(json.dumps(exchange)))


def test_cookie_default_path_never_carries_a_secret_path_segment():
    """A cookie set without Path by /reset/<token>/confirm scopes to that folder; the token stays out."""
    addon = Companion()
    token = "SeCrEtXyZ9876543210abcDEF"
    addon.capture(flow_from(401, [], [("Set-Cookie", "flash=1")], b"", f"/reset/{token}/confirm"))
    later = addon.capture(flow_from(401, [], [], b"", "/api"))
    assert token not in json.dumps(later)
    assert later["context"]["cookies_set_earlier"][0]["default_path"] == "/reset/[masked]"


def test_a_normal_response_s_cookie_without_path_is_scoped_by_the_redacted_path_only():
    """A 200 that sets a cookie without Path from /reset/<token>/confirm (and one with Path=/
    beside it): the first scopes to the redacted folder, the second to its own path, and
    the token is nowhere in what a later 401 carries."""
    addon = Companion()
    token = "SeCrEtXyZ9876543210abcDEF"
    flow = flow_from(200, [], [("Set-Cookie", "flash=1"), ("Set-Cookie", "sid=2; Path=/")], b"", f"/reset/{token}/confirm?t={token}")
    addon.response(flow)
    later = addon.capture(flow_from(401, [], [], b"", "/api"))
    assert token not in json.dumps(later)
    scoped = {c["name"]: (c["path"], c["default_path"]) for c in later["context"]["cookies_set_earlier"]}
    assert scoped == {"flash": (None, "/reset/[masked]"), "sid": ("/", None)}


def _unknown_keys(value, model, where: str = "exchange") -> list[str]:
    """Keys of `value` that `model` (a pydantic model) has no field for, at any depth."""
    import typing

    from pydantic import BaseModel

    found = []
    for key, item in value.items():
        field = model.model_fields.get(key)
        if field is None:
            found.append(f"{where}.{key}")
            continue
        inner = [a for a in typing.get_args(field.annotation) or (field.annotation,) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not inner:
            continue
        items = item if isinstance(item, list) else [item]
        found += [k for sub in items if isinstance(sub, dict) for k in _unknown_keys(sub, inner[0], f"{where}.{key}")]
    return found


def test_every_key_the_addon_writes_is_a_field_the_service_reads():
    """One wire schema: the service ignores unknown keys, so a misspelled one would vanish."""
    from companion.wire import SCHEMA_VERSION

    addon = Companion()
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSIsImV4cCI6MX0.c2lnbmF0dXJl"
    signed_in = flow_from(200, [], [("Set-Cookie", "sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax")], b"", "/login")
    addon.response(signed_in)
    request_headers = [
        ("Authorization", f"Bearer {jwt}"), ("Authorization", "Basic YWxpY2U6c2VjcmV0"),
        ("Authorization", 'Digest username="bob", realm="r", nonce="abc", uri="/x", response="00", qop=auth, nc=00000001, cnonce="c"'),
        ("Authorization", "Negotiate TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw=="),
        ("Proxy-Authorization", "Basic YWxpY2U6c2VjcmV0"), ("X-Api-Key", "k" * 24), ("Cookie", "theme=dark; sid=abc"),
        ("Origin", "https://app.example.com"), ("Referer", "https://app.example.com/page?x=1"),
        ("Sec-Fetch-Site", "same-site"), ("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "empty"),
        ("Access-Control-Request-Method", "GET"), ("User-Agent", "test"),
    ]  # fmt: skip
    response_headers = [
        ("WWW-Authenticate", 'Bearer error="invalid_token"'), ("Proxy-Authenticate", 'Basic realm="p"'),
        ("Set-Cookie", "sid=; Max-Age=0; Path=/"), ("Date", "Mon, 23 Nov 2026 10:00:00 GMT"), ("Content-Type", "application/json"),
    ]  # fmt: skip
    flow = flow_from(401, request_headers, response_headers, b'{"error": "invalid_token", "error_description": "expired"}', "/api?api_key=zzz")
    flow.request.headers["Content-Type"] = "x" * 5000  # something to truncate
    exchange = json.loads(json.dumps(addon.capture(flow)))
    assert exchange["schema_version"] == SCHEMA_VERSION
    assert exchange["context"]["cookies_set_earlier"] and exchange["request"]["credentials"][0]["jwt"]
    assert exchange["response"]["body_error"] and exchange["request"]["proxy_credentials"]
    assert _unknown_keys(exchange, Exchange) == []


@pytest.mark.parametrize(
    ("request_header", "echoed"),
    [
        pytest.param(("Authorization", "Basic " + base64.b64encode(b"alice:CorrectHorseBatteryStaple").decode()),
                     "CorrectHorseBatteryStaple", id="basic-password-in-words"),
        pytest.param(("Authorization", "Bearer lowercaseonlytokenvalue"), "lowercaseonlytokenvalue", id="lowercase-token"),
        pytest.param(("Cookie", "prefs=harmless-looking-value; theme=dark"), "harmless-looking-value", id="cookie-value"),
        pytest.param(("X-Partner-Key", "plainwordsecret"), "plainwordsecret", id="vendor-header"),
    ],
)  # fmt: skip
def test_what_the_server_echoes_of_the_request_is_masked_whatever_it_looks_like(request_header, echoed):
    """Secrets that look like words pass every shape test; they are masked because the request
    carried them, wherever the answer repeats them (body, challenge, headers, reason)."""
    flow = flow_from(
        401, [request_header],
        [("WWW-Authenticate", f'Basic realm="you sent {echoed}"'), ("X-Debug", f"rejected {echoed}")],
        f'{{"error": "invalid", "message": "The credential {echoed} is wrong"}}'.encode(), "/",
    )  # fmt: skip
    flow.response.reason = f"No {echoed}"
    exchange = json.dumps(Companion().capture(flow))
    assert echoed not in exchange
    assert "The credential [masked] is wrong" in exchange


@pytest.mark.parametrize(
    ("headers", "path", "sources", "prefix"),
    [
        ([("X-Shopify-Access-Token", "shpat_" + "a1" * 16)], "/", ["request.header.x-shopify-access-token"], "shpat_"),
        ([("PRIVATE-TOKEN", "glpat-" + "b2" * 10)], "/", ["request.header.private-token"], "glpat-"),
        ([("DD-API-KEY", "c3" * 16), ("DD-APPLICATION-KEY", "d4" * 20)], "/", ["request.header.dd-api-key", "request.header.dd-application-key"], None),
        ([("Ocp-Apim-Subscription-Key", "e5" * 16)], "/", ["request.header.ocp-apim-subscription-key"], None),
        ([("Authorization", "Bearer sk-proj-" + "f6" * 20)], "/", ["request.authorization"], "sk-proj-"),
        ([], "/bot123456789:AAF" + "x" * 32 + "/getMe", ["request.path"], "bot"),
        # Not credentials: the protocol's own headers, CSRF, idempotency, a resource id in the path.
        ([("Access-Control-Request-Headers", "authorization"), ("Sec-Fetch-Site", "same-origin"),
          ("X-CSRF-Token", "g7" * 16), ("Idempotency-Key", "h8" * 16)], "/orders/123e4567-e89b-12d3-a456-426614174000", [], None),
    ],
)  # fmt: skip
def test_credentials_are_found_in_vendor_headers_and_paths(headers, path, sources, prefix):
    """Any header named for a token, key, secret, session, signature or access is a credential
    (and is redacted); a documented key prefix is kept, so a key sent as Bearer is known as one."""
    exchange = Companion().capture(flow_from(401, headers, [], b"", path))
    credentials = exchange["request"]["credentials"]
    assert [c["source"] for c in credentials] == sources
    if prefix:
        assert credentials[0]["params"]["key_prefix"] == prefix
    if sources:
        assert not [value for _, value in headers if value in json.dumps(exchange)]


@pytest.mark.parametrize(
    ("request_headers", "response_headers", "secret"),
    [
        ([("Cookie", "nameless0secret0value; theme=dark")], [], "nameless0secret0value"),
        ([], [("Set-Cookie", "setcookie0without0equals; Path=/")], "setcookie0without0equals"),
        ([("Authorization", "hunter twosecretpart")], [], "hunter"),
        ([("X-Partner-Plain", "plain0partner0value")], [], "plain0partner0value"),
        ([], [("X-Upstream-Debug", "internal0debug0value")], "internal0debug0value"),
    ],
    ids=["cookie-without-a-name", "set-cookie-without-equals", "unknown-first-word", "neutral-request-header", "neutral-response-header"],
)  # fmt: skip
def test_a_value_is_a_secret_unless_shown_otherwise(request_headers, response_headers, secret):
    """A nameless cookie's value is no name, an unknown first word of Authorization no scheme,
    and a header that is not a known-harmless one keeps its name and length only."""
    exchange = Companion().capture(flow_from(401, request_headers, response_headers, b"", "/"))
    assert secret not in json.dumps(exchange)
    if request_headers and request_headers[0][0].startswith("X-"):
        assert dict(exchange["request"]["headers"])[request_headers[0][0]] == f"[redacted: {len(request_headers[0][1])} chars]"


@pytest.mark.parametrize("header", ["Content-Type", "Date", "Sec-Fetch-Site", "User-Agent"])
def test_a_huge_header_is_cut_not_the_401_lost(header):
    """A megabyte in a header the exchange keeps whole (Content-Type, Date …) is cut to fit:
    the service accepts the exchange instead of refusing it as too large."""
    from companion.wire import MAX_EXCHANGE_BYTES

    where = "request" if header in {"Sec-Fetch-Site", "User-Agent"} else "response"
    request_headers = [(header, "x" * 1_000_000)] if where == "request" else []
    response_headers = [(header, "x" * 1_000_000)] if where == "response" else []
    exchange = Companion().capture(flow_from(401, request_headers, response_headers, b"", "/"))
    assert len(json.dumps(exchange).encode()) < MAX_EXCHANGE_BYTES
    Exchange.model_validate(json.loads(json.dumps(exchange)))


def test_a_digest_cnonce_the_server_echoes_is_masked():
    """A server that quotes the client's Digest cnonce or response back has them masked."""
    cnonce, response = "0a4f113b9c2d8e7f", "6629fae49393a05397450978507c4ef1"
    header = f'Digest username="bob", realm="r", nonce="abc", uri="/x", qop=auth, nc=00000001, cnonce="{cnonce}", response="{response}"'
    flow = flow_from(401, [("Authorization", header)], [("WWW-Authenticate", 'Digest realm="r", nonce="new", qop="auth"')],
                     f'{{"error": "bad digest", "message": "cnonce {cnonce} with response {response} refused"}}'.encode(), "/x")  # fmt: skip
    exchange = json.dumps(Companion().capture(flow))
    assert cnonce not in exchange and response not in exchange


def _set_cookie(line: str, now: float) -> list[dict]:
    return [{k: c[k] for k in ("name", "value_length", "path", "expires", "deletes")} for c in parse_set_cookies([line], now)]


_BEFORE = 1_700_000_000.0  # 2023, before the Expires below
_AFTER = 1_900_000_000.0  # 2030, after it


@pytest.mark.parametrize(
    ("line", "now", "expected"),
    [
        ("sid=abc123; Path=/; HttpOnly", _BEFORE, [("sid", 6, "/", None, False)]),
        ("sid=zzzzzzzzzz; Path=/; HttpOnly", _BEFORE, [("sid", 10, "/", None, False)]),
        ("sid=abc; Expires=Wed, 21 Oct 2026 07:28:00 GMT", _BEFORE, [("sid", 3, None, "2026-10-21T07:28:00+00:00", False)]),
        ("sid=abc; Expires=Wed, 21 Oct 2026 07:28:00 GMT", _AFTER, [("sid", 3, None, "2026-10-21T07:28:00+00:00", True)]),
        ("sid=xyz; Max-Age=0", _BEFORE, [("sid", 3, None, None, True)]),
        # One line, one cookie, its value up to the first ";" as browsers read it: quotes are
        # no delimiters, and a comma is part of the value (never a second cookie's name).
        ('sid="a;b=c"; Path=/p', _BEFORE, [("sid", 2, "/p", None, False)]),
        ("a=1, b=22; Path=/", _BEFORE, [("a", 7, "/", None, False)]),
        ("ids=YWJj,SGVsbG9Xb3JsZFNlY3JldA==; Path=/", _BEFORE, [("ids", 29, "/", None, False)]),
        ("abc123", _BEFORE, [("", 6, None, None, False)]),
        ("=abc123; Path=/", _BEFORE, [("", 6, "/", None, False)]),
        ("x;y=abc; Path=/", _BEFORE, [("", 1, "/", None, False)]),
    ],
)
def test_a_set_cookie_line_reads_the_same_the_first_time_and_every_time_after(line, now, expected):
    """Lines are parsed once per shape (the value blanked) and remembered: a line seen before,
    or one of the same shape with another value or at another time, reads as its own."""
    keys = ("name", "value_length", "path", "expires", "deletes")
    want = [dict(zip(keys, cookie, strict=True)) for cookie in expected]
    assert _set_cookie(line, now) == want
    assert _set_cookie(line, now) == want


def test_no_cookie_value_is_kept_by_the_parsed_lines_it_remembers():
    """What the capture remembers of Set-Cookie lines holds names and attributes, never a value."""
    secrets = ("s3cr3tSESSIONvalue", "an0therSecretVal", "thirdSecretValue")
    parse_set_cookies([f"session={secrets[0]}; Path=/; Secure", f"a={secrets[1]}, b={secrets[2]}; Path=/"], _BEFORE)
    remembered = repr(exchange_module._SHAPES)
    assert "session=" in remembered and not any(secret in remembered for secret in secrets)


def test_a_value_echoing_the_requests_secret_is_masked_each_time_and_never_remembered():
    """Values that masking leaves as they were are remembered (the next 401 costs a lookup);
    one that carries what the request sent is masked on every capture, and is not kept."""
    request = [("X-Api-Key", SECRET), ("Accept", "application/json")]
    response = [("Server", f"edge echo {SECRET}"), ("WWW-Authenticate", 'Bearer realm="api"')]
    captures = [Companion().capture(flow_from(401, request, response, b"", "/me")) for _ in range(2)]
    for captured in captures:
        assert SECRET not in json.dumps(captured)
        assert ("Accept", "application/json") in [tuple(h) for h in captured["request"]["headers"]]
    assert captures[0]["response"]["headers"] == captures[1]["response"]["headers"]
    assert SECRET not in repr(exchange_module._AS_THEY_WERE)
    assert ("challenge", 'Bearer realm="api"') in exchange_module._AS_THEY_WERE


_NAMES = st.sampled_from(["Content-Type", "content-type", "CONTENT-TYPE", "Date", "Set-Cookie", "X-Api-Key", "WWW-Authenticate", "Cookie"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_NAMES, st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=20)), max_size=8))
def test_headers_read_once_answer_as_mitmproxy_does(pairs):
    """The capture reads a message's fields once (`Fields`); every name it asks for must get
    what mitmproxy's own `Headers` answer: repeated fields joined, names in any case."""
    headers = Headers([(name.encode(), value.encode("utf-8", "surrogateescape")) for name, value in pairs])
    fields = exchange_module.Fields(headers.fields)
    assert fields.pairs == list(headers.items(multi=True))
    for name in {name.lower() for name, _ in pairs} | {"origin"}:
        assert fields.get_all(name) == headers.get_all(name)
        assert fields.get(name) == headers.get(name)
        assert exchange_module._values_named(headers.fields, name.encode()) == headers.get_all(name)


@settings(max_examples=200, deadline=None)
@given(
    host=st.one_of(
        st.sampled_from(["Example.COM", "example.com:8443", "[::1]:8080", "xn--bcher-kva.example", "bücher.example", "", "a" * 300, "a" * 1024]),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=30),
    ),
    http2=st.booleans(),
)
def test_the_host_a_request_is_filed_under_is_mitmproxy_s_pretty_host(host, http2):
    """The addon reads a request's host from its Host header (or HTTP/2 authority) through a
    cache; it must answer what mitmproxy's `pretty_host` answers, lowered, for any value, but
    for userinfo (`user:password@host`), which it never keeps (the host after it alone), and a
    value longer than any host (255), for which it answers the request's own host."""
    flow = tflow.tflow()
    if http2:
        flow.request.http_version = "HTTP/2.0"
        flow.request.authority = host
    else:
        flow.request.headers["Host"] = host
    if "@" in host:
        host_alone = tflow.tflow()
        host_alone.request.headers["Host"] = host.rpartition("@")[2]
        flow = host_alone if host.rpartition("@")[2] else flow
    if len(flow.request.host_header or "") > 255:
        assert exchange_module.site_host_of(flow.request.host_header, flow.request.host) == flow.request.host.lower()
        return
    try:
        expected = flow.request.pretty_host.lower()
    except Exception as exc:  # noqa: BLE001 - whatever mitmproxy raises, the cache raises too
        with pytest.raises(type(exc)):
            exchange_module.site_host_of(flow.request.host_header, flow.request.host)
        return
    assert exchange_module.site_host_of(flow.request.host_header, flow.request.host) == expected
    assert exchange_module.site_host_of(flow.request.host_header, flow.request.host) == expected  # and again, from the cache


def test_a_set_cookie_of_megabytes_is_read_for_what_is_kept_only():
    """A line of megabytes that are no UTF-8 (4 ns a byte to decode) is read for its first
    kilobytes: kept cut, saying how much more it held."""
    fields = ((b"Set-Cookie", b"sid=" + b"\xff" * 16_000_000),)
    (line,) = exchange_module.set_cookie_lines(fields)
    assert line.startswith("sid=") and line.endswith(f"[… {16_000_004 - exchange_module.MAX_HEADER_VALUE} more bytes]")
    assert len(line) < 2 * exchange_module.MAX_HEADER_VALUE
