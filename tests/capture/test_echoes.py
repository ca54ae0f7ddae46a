"""What a server echoes of the request's own secrets is masked whatever form the echo takes
(DESIGN.md, "Secrets"): in another case, escaped for JSON, HTML or a URL, only the credential
inside a structured value, cut at a field's end, or half of it shaped like a token. Each case
here was kept by the capture before; each asserts the secret is gone from what leaves the
addon and the server's own words are still there."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from mitmproxy.http import Headers, Response
from mitmproxy.test import tflow

from companion.capture import Companion
from companion.capture.echoes import Echoes
from companion.diagnosis.models import Exchange
from companion.wire import MAX_EXCHANGE_BYTES

PASSWORD = "Hunt3rPass77xQ"
JSON = [("Content-Type", "application/json")]
TEXT = [("Content-Type", "text/plain")]


def capture(request_headers, response_headers, body: bytes | str, path: str = "/me") -> dict:
    flow = tflow.tflow(resp=True)
    flow.request.path = path
    flow.request.headers = Headers([(n.encode(), v.encode()) for n, v in request_headers])
    raw = body.encode() if isinstance(body, str) else body
    flow.response = Response.make(401, raw, [(n.encode(), v.encode()) for n, v in response_headers])
    return Companion().capture(flow)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _message(exchange: dict) -> str:
    return (exchange["response"]["body_error"] or {}).get("message") or ""


@pytest.mark.parametrize(
    ("request_headers", "secret"),
    [
        pytest.param([("Authorization", basic("alice", 'pass"word\\77x'))], 'pass"word\\77x', id="quote-and-backslash-in-a-password"),
        pytest.param([("Authorization", f'Bearer "{PASSWORD}"')], PASSWORD, id="quoted-bearer"),
        pytest.param([("Authorization", f"Bearer Bearer {PASSWORD}")], PASSWORD, id="scheme-sent-twice"),
        pytest.param([("Authorization", f'Token token="{PASSWORD}"')], PASSWORD, id="rails-token-param"),
        pytest.param([("Authorization", f'Hawk id="dh37fgj492je", ts="1353832234", mac="{PASSWORD}"')], PASSWORD, id="hawk-mac"),
        pytest.param([("Authentication", f"Bearer {PASSWORD}")], PASSWORD, id="vendor-header-with-scheme"),
        pytest.param([("Cookie", f'sid="{PASSWORD}"')], PASSWORD, id="quoted-cookie"),
        pytest.param([("Cookie", f"sid=s%3A{PASSWORD}.sig0123abc")], PASSWORD, id="express-signed-cookie"),
        pytest.param([("Authorization", basic("alice", PASSWORD) + "==")], PASSWORD, id="basic-padded-twice"),
        pytest.param([("Authorization", basic("alice", "Swordfish#2024:Xk92Lp0QzRt5Wq8zzAbc1"))],
                     "Swordfish#2024:Xk92Lp0QzRt5Wq8zzAbc1", id="half-token-shaped-password"),
    ],
)  # fmt: skip
def test_a_secret_echoed_in_another_form_is_masked(request_headers, secret):
    exchange = capture(request_headers, TEXT, f"unknown credential {secret} for alice")
    dumped = json.dumps(exchange, ensure_ascii=False)
    assert secret not in dumped and json.dumps(secret)[1:-1] not in dumped
    assert PASSWORD not in dumped and "Swordfish" not in dumped
    assert _message(exchange).startswith("unknown credential [masked]")  # the server's words stay


@pytest.mark.parametrize(
    "echo",
    [PASSWORD.upper(), PASSWORD.lower(), quote("Ab+cd/Ef12==xy", safe="")],
    ids=["upper-case", "lower-case", "percent-encoded"],
)
def test_an_echo_in_another_case_or_escaped_for_a_url_is_masked(echo):
    secret = "Ab+cd/Ef12==xy" if "%" in echo else PASSWORD
    exchange = capture([("Cookie", f"sid={secret}")], TEXT, f"session {echo} expired")
    assert _message(exchange) == "session [masked] expired"


def test_a_password_with_quotes_echoed_in_json_is_masked():
    """In a JSON body the echo's quotes and backslashes are escaped: that form is matched too."""
    password = 'hun"ter\\2pass'
    body = json.dumps({"error": "invalid_grant", "error_description": f"wrong password {password}"})
    exchange = capture([("Authorization", basic("alice", password))], JSON, body)
    assert exchange["response"]["body_error"]["message"] == "wrong password [masked]"
    assert "ter" not in json.dumps(exchange)


def test_an_echo_across_a_fields_end_leaves_no_head_behind():
    """Echoes are masked before anything is cut: a cut through a secret kept its first half."""
    cookie = "Hunt3rPass77xyzQ"
    body = "y" * 290 + f" {cookie} expired"
    challenge = 'Bearer realm="' + "a" * 1000 + f' {cookie} rest"'
    exchange = capture([("Cookie", f"sid={cookie}")], [("WWW-Authenticate", challenge), *TEXT], body)
    dumped = json.dumps(exchange)
    assert "Hunt3r" not in dumped
    assert exchange["response"]["www_authenticate"][0].startswith('Bearer realm="aaa')


def test_a_session_cookie_is_matched_beside_seventy_tracking_cookies():
    """The matched secrets are bounded, credentials and cookies alike; seventy long tracking
    cookies no longer crowd out the session cookie the server quotes."""
    tracking = "; ".join(f"_ga{n}=GA1.2.{n:010d}.{n:010d}abcdefghijkl" for n in range(70))
    exchange = capture([("Cookie", f"{tracking}; sid=Hunt3rPass77xyzQ")], TEXT, "session Hunt3rPass77xyzQ expired")
    assert _message(exchange) == "session [masked] expired"


def test_the_requests_secrets_echoed_in_its_own_kept_headers_are_masked():
    """The request's headers kept as words (Referer, User-Agent) may carry a secret the request
    sent elsewhere: masked there too."""
    exchange = capture(
        [("Cookie", "sid=Hunt3rPass77xyzQ"), ("Referer", "https://app.example.com/home?s=Hunt3rPass77xyzQ"),
         ("User-Agent", "MyApp/1.0 (Hunt3rPass77xyzQ)")],
        TEXT, "no",
    )  # fmt: skip
    assert "Hunt3rPass77xyzQ" not in json.dumps(exchange)
    assert exchange["request"]["user_agent"] == "MyApp/1.0 ([masked])"


def test_a_set_cookie_value_with_a_comma_is_one_cookie_and_never_a_name():
    """Browsers read one cookie from one line, commas and all; the part of a value after a comma
    was taken for a second cookie's name, and kept."""
    exchange = capture([], [("Set-Cookie", "ids=YWJj,SGVsbG9Xb3JsZFNlY3JldA==; Path=/"), *TEXT], "no")
    assert [c["name"] for c in exchange["response"]["set_cookies"]] == ["ids"]
    assert "SGVsbG9Xb3JsZFNlY3JldA" not in json.dumps(exchange)


def test_no_form_is_built_from_a_parameter_name():
    """Parameter names inside a structured credential (`Credential=`, `Signature=`) are words of
    the server's own messages too (AWS's `SignatureDoesNotMatch`): only values are matched."""
    auth = "Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    echoes = Echoes([auth], ["The request Signature we calculated does not match: SignatureDoesNotMatch"])
    assert echoes.found == []
    assert echoes("SignatureDoesNotMatch") == "SignatureDoesNotMatch"


def test_many_long_cookies_of_many_parts_cost_a_bounded_match():
    """A page may set 128 cookies of 4 KB each made of hundreds of dotted parts: the forms
    matched are bounded, and what the server echoes of them is still masked."""
    values = [".".join(f"p{c:03d}{j:04d}" for j in range(450))[:4000] for c in range(128)]
    cookies = "; ".join(f"c{c}={value}" for c, value in enumerate(values))
    echoes = [(f"X-Echo-{c}", values[c][:900]) for c in range(16)]
    exchange = capture([("Cookie", cookies)], [*echoes, *TEXT], "denied")
    dumped = json.dumps(exchange)
    assert "p0000001" not in dumped and "p0150001" not in dumped
    assert len(Echoes([values[0]], []).forms) <= 16


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("method", lambda flow: setattr(flow.request, "method", "M" * 40)),
        ("url", lambda flow: setattr(flow.request, "path", "/api?a=" + "/" * 6000)),
        ("reason", lambda flow: setattr(flow.response, "reason", "Unauthorized, " * 160)),
        ("host", lambda flow: flow.request.headers.__setitem__("Host", "h" * 1104)),
        ("initiator", lambda flow: flow.request.headers.__setitem__("Referer", "https://" + "r" * 600_000 + ".example/")),
        ("credential source", lambda flow: flow.request.headers.__setitem__("X-Token-" + "n" * 600_000, "abc")),
    ],
)  # fmt: skip
def test_a_field_longer_than_the_service_takes_is_cut_and_the_401_kept(what, change):
    """The service refuses an exchange with a field past its limits, and the 401 is lost: each
    such field is cut in the addon, whatever a page or a server made it."""
    flow = tflow.tflow(resp=True)
    flow.response = Response.make(401, b"no", [(b"Content-Type", b"text/plain")])
    change(flow)
    exchange = Companion().capture(flow)
    sent = json.dumps(exchange, ensure_ascii=False)
    assert len(sent.encode()) <= MAX_EXCHANGE_BYTES  # the sender drops what is larger
    Exchange.model_validate_json(sent)  # and the service accepts it as it is sent


def test_header_text_past_the_budget_keeps_its_length_only():
    """Masking reads the URLs and pairs of every header value kept as words; 128 headers of 8 KB
    of URL pairs cost the proxy over a second. Past 16 KB of such text in one exchange, a value
    keeps its length only, and the exchange says so."""
    pairs = "http://a/?" + "a=%zz&" * 1365
    flow = tflow.tflow(resp=True)
    flow.request.headers = Headers([(b"Accept", f"{pairs}{n}".encode()) for n in range(64)])
    flow.response = Response.make(401, b"no", [(b"Link", f"{pairs}{n}".encode()) for n in range(64)])
    exchange = Companion().capture(flow)
    kept = [value for _, value in exchange["response"]["headers"] + exchange["request"]["headers"]]
    assert sum(value.startswith("[redacted: ") for value in kept) >= 100
    assert any("kept as their lengths only" in note for note in exchange["truncated"])


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", f"username=alice&password={PASSWORD}&remember=on"),
        ("application/json", json.dumps({"user": {"name": "alice", "password": PASSWORD}})),
        ("multipart/form-data; boundary=X", f'--X\r\nContent-Disposition: form-data; name="password"\r\n\r\n{PASSWORD}\r\n--X--\r\n'),
        ("text/xml", f"<soap:Envelope><soap:Body><login><user>alice</user><password>{PASSWORD}</password></login></soap:Body></soap:Envelope>"),
        ("application/json", json.dumps({"user": "alice", "contraseña": PASSWORD})),
    ],
    ids=["form", "json", "multipart", "soap", "spanish-form-field"],
)
def test_a_login_forms_password_echoed_by_the_server_is_masked(content_type, body):
    """A form login sends its password in the request body: the body is read for the secrets
    it carried (never kept), and the server's echo of them is masked."""
    flow = tflow.tflow(resp=True)
    flow.request.method = "POST"
    flow.request.headers = Headers([(b"Content-Type", content_type.encode())])
    flow.request.content = body.encode()
    flow.response = Response.make(401, f"Password {PASSWORD} is incorrect for alice".encode(), [(b"Content-Type", b"text/plain")])
    exchange = Companion().capture(flow)
    assert PASSWORD not in json.dumps(exchange)
    assert _message(exchange) == "Password [masked] is incorrect for alice"


@pytest.mark.parametrize(
    ("password", "body", "content_type"),
    [
        ("my/secret/pw1", r'{"error": "bad password my\/secret\/pw1"}', "application/json"),  # PHP's json_encode
        ("k#9Lq2&w<Z>7", r'{"error": "bad password k#9Lq2\u0026w\u003cZ\u003e7"}', "application/json"),  # Go's
        ("Pässwört123", json.dumps({"message": "bad password Pässwört123"}), "application/json"),  # Python's, ASCII-escaped
        ("pass+word+1", "<p>Wrong password pass&#43;word&#43;1</p>", "text/html"),  # Go's html/template
    ],
    ids=["php-slashes", "go-json", "python-ascii", "html-entities"],
)
def test_a_secret_the_server_escaped_its_own_way_is_masked_once_unescaped(password, body, content_type):
    """Servers escape what they echo in ways no form foresees; each field read from the body is
    matched again once its escapes are undone."""
    exchange = capture([("Authorization", basic("bob", password))], [("Content-Type", content_type)], body)
    assert password not in json.dumps(exchange, ensure_ascii=False)
    assert "[masked]" in _message(exchange) or "[masked]" in (exchange["response"]["body_error"] or {}).get("code", "")


def test_a_gzipped_login_form_is_read_for_its_password():
    flow = tflow.tflow(resp=True)
    flow.request.method = "POST"
    flow.request.headers = Headers([(b"Content-Type", b"application/x-www-form-urlencoded"), (b"Content-Encoding", b"gzip")])
    flow.request.content = f"username=bob&password={PASSWORD}".encode()  # mitmproxy encodes it as the header says
    flow.response = Response.make(401, f"wrong password {PASSWORD}".encode(), [(b"Content-Type", b"text/plain")])
    assert PASSWORD not in json.dumps(Companion().capture(flow))


@pytest.mark.parametrize(
    ("cookie", "response_headers", "body"),
    [
        ("last_login=TODAY", JSON, '{"timestamp": "TODAYT10:00:00.000+00:00", "status": 401}'),  # Spring Boot's
        ("pref=00:00:00", [("Date", "Mon, 01 Jan 2024 00:00:00 GMT"), *TEXT], "no"),
        ("a=masked", [("Link", "masked " * 170), *TEXT], "no"),
    ],
    ids=["a-date-echoed", "a-time-echoed", "the-mask-itself"],
)
def test_an_echo_never_makes_the_service_refuse_the_401(cookie, response_headers, body):
    """Masking an echo must leave the exchange one the service takes: the addon's own time fields
    are never masked, and a value masked fits where it fitted."""
    today = capture([], TEXT, "no")["response"]["received"][:10]  # the day the addon stamps
    exchange = capture([("Cookie", cookie.replace("TODAY", today))], response_headers, body.replace("TODAY", today))
    Exchange.model_validate_json(json.dumps(exchange, ensure_ascii=False))


def test_odd_requests_never_lose_the_401():
    """A JSON body with a lone surrogate, a Host header whose letters grow when lowered, a Host
    header with userinfo: captured, accepted, and no password kept."""
    flow = tflow.tflow(resp=True)
    flow.request.headers = Headers([(b"Content-Type", b"application/json"), (b"Host", "\u0130".encode() * 1000)])
    flow.request.content = b'{"password": "\\ud800hunter2x"}'
    flow.response = Response.make(401, b"no", [(b"Content-Type", b"text/plain")])
    Exchange.model_validate_json(json.dumps(Companion().capture(flow), ensure_ascii=False))
    flow.request.headers["Host"] = "bob:Summer2024x@example.com"
    exchange = Companion().capture(flow)
    assert "Summer2024x" not in json.dumps(exchange) and exchange["host"] == "example.com"


def test_a_server_echoing_many_long_secrets_costs_a_bounded_masking():
    """128 cookies of near-identical long values, echoed into 63 headers and the body: past a
    bounded amount of comparing, a text is masked whole (it cost a second of the proxy's CPU)."""
    values = ["a" * (450 + n) + "ba" for n in range(128)]
    cookies = "; ".join(f"c{n}={value}" for n, value in enumerate(values))
    exchange = capture([("Cookie", cookies)], [*(("Link", "a" * 1280) for _ in range(63)), *TEXT], "a" * 590 + "ba")
    headers = [value for name, value in exchange["response"]["headers"] if name == "Link"]
    assert headers and all(value.startswith(("[masked] (", "[redacted: ")) for value in headers)
    assert "ab" not in json.dumps(exchange["response"])


@pytest.mark.parametrize(
    ("authorization", "text"),
    [
        ('Digest username="bob", realm="api@host.com", nonce="abc", uri="/", response="6629fae49393a05397450978507c4ef1", algorithm=SHA-256',
         "Invalid username or password: response mismatch (algorithm SHA-256) for realm api@host.com"),
        ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, "
         "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
         "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z; check X-Amz-Date and content-type"),
    ],
    ids=["digest", "aws-sigv4"],
)
def test_the_words_and_numbers_of_a_structured_credential_are_no_echo(authorization, text):
    """Only the parts of a structured credential that look like a key are matched on their own:
    its parameter names, plain words and numbers (`username`, `content-type`, a date) are words
    of the server's own messages, which the diagnosis reads."""
    assert Echoes([authorization.partition(" ")[2]], [text])(text) == text


def test_a_pin_sent_as_a_json_number_is_masked_where_echoed():
    flow = tflow.tflow(resp=True)
    flow.request.method = "POST"
    flow.request.headers = Headers([(b"Content-Type", b"application/json")])
    flow.request.content = b'{"account": "alice", "pin": 98765432109}'
    flow.response = Response.make(401, b"PIN 98765432109 is wrong", [(b"Content-Type", b"text/plain")])
    assert "98765432109" not in json.dumps(Companion().capture(flow))
