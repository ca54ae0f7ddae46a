"""The addon inside mitmproxy's own test harness, feeding a real local HTTP endpoint."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from mitmproxy import exceptions
from mitmproxy.http import Headers, Response
from mitmproxy.test import taddons, tflow

from companion.addon import Companion
from tests.support.testsite import PASSWORD, SESSION_VALUE, make_jwt

TOKEN = "test-api-token"


class Ingest(ThreadingHTTPServer):
    """A stand-in for the service's ingest route that records what it receives."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.auth_headers: list[str] = []
        self.posts = 0
        self.status = 201
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real service (aiohttp) does

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server: Ingest = self.server  # type: ignore[assignment]
        server.auth_headers.append(self.headers.get("Authorization", ""))
        if server.status == 201:
            payload = json.loads(body)
            server.received.extend(payload if isinstance(payload, list) else [payload])
        server.posts += 1
        # Answer like the real service: the stored event, a few KB of JSON.
        answer = json.dumps({"id": "e", "exchange": json.loads(body), "padding": "x" * 4096}).encode()
        self.send_response(server.status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ingest():
    server = Ingest()
    yield server
    server.shutdown()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "token").write_text(TOKEN + "\n")
    return tmp_path


def flow_with(status: int, req_headers: dict[str, str] | None = None, resp_headers: list[tuple[str, str]] | None = None,
              body: bytes = b"", url: str = "http://app.example.com/api/me?token=abc123"):
    flow = tflow.tflow(resp=True)
    flow.request.url = url
    flow.request.headers = Headers()
    for name, value in (req_headers or {}).items():
        flow.request.headers[name] = value
    flow.response = Response.make(status, body, [(n.encode(), v.encode()) for n, v in resp_headers or []])
    return flow


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.01)


@pytest.mark.parametrize(("status", "captured"), [(200, False), (302, False), (403, False), (500, False), (401, True), (407, True)])
def test_captures_only_401_and_407(ingest, data_dir, status, captured):
    """Only 401 and 407 exchanges reach the service; everything else is left alone."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        addon.response(flow_with(status, resp_headers=[("WWW-Authenticate", 'Basic realm="x"')]))
        assert addon.sender.flush()
    assert len(ingest.received) == int(captured)
    if captured:
        assert ingest.received[0]["status"] == status
        assert ingest.auth_headers == [f"Bearer {TOKEN}"]


def test_no_secret_leaves_the_addon(ingest, data_dir):
    """Passwords, tokens, cookie and Set-Cookie values are absent from what the addon sends."""
    jwt = make_jwt(-600)
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        import base64

        basic = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
        addon.response(
            flow_with(
                401,
                {"Authorization": f"Bearer {jwt}", "Cookie": f"sid={SESSION_VALUE}; theme=dark", "X-Api-Key": "key-9f8e7d6c5b4a"},
                [("WWW-Authenticate", 'Bearer error="invalid_token"'), ("Set-Cookie", f"sid={SESSION_VALUE}; Max-Age=0")],
                body=json.dumps({"error": "invalid_token", "error_description": f"token {jwt} expired"}).encode(),
            )
        )
        addon.response(flow_with(401, {"Authorization": f"Basic {basic}"}, [("WWW-Authenticate", 'Basic realm="x"')]))
        assert addon.sender.flush()
    sent = json.dumps(ingest.received)
    for secret in (jwt, jwt.split(".")[2], SESSION_VALUE, PASSWORD, basic, "key-9f8e7d6c5b4a", "abc123"):
        assert secret not in sent
    first = ingest.received[0]
    assert first["request"]["credentials"][0]["jwt"]["claims"]["sub"] == "alice"
    assert [c["name"] for c in first["request"]["cookies"]] == ["sid", "theme"]
    assert first["response"]["set_cookies"][0] == {**first["response"]["set_cookies"][0], "name": "sid", "deletes": True}
    assert first["response"]["body_error"]["code"] == "invalid_token"
    assert ingest.received[1]["request"]["credentials"][0]["username"] == "alice"


def test_service_down_never_blocks_and_overflow_is_counted(data_dir):
    """With nothing listening, the hook returns at once, the buffer stays bounded, drops are counted."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api="http://127.0.0.1:9", companion_data_dir=str(data_dir), companion_buffer=5)
        started = time.monotonic()
        for _ in range(50):
            addon.response(flow_with(401))
        elapsed = time.monotonic() - started
        stats = addon.sender.stats
        assert stats.sent == 0
        # Five wait; up to five more may be on their way to the service at that moment, as
        # one delivery (never dropped: they would arrive all the same).
        assert stats.waiting <= 5 + 5
        assert stats.dropped_overflow >= 50 - 10
        assert stats.dropped_overflow + stats.waiting == 50
    # Not a timing assertion on speed, only a sanity bound far above any real cost:
    # 50 hooks that waited on a dead service would take 50 connection attempts.
    assert elapsed < 30


def test_delivers_once_the_service_comes_up(ingest, data_dir):
    """Exchanges captured while the service was refusing are delivered when it recovers."""
    ingest.status = 503
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        addon.response(flow_with(401))
        wait_for(lambda: len(ingest.auth_headers) >= 1)
        ingest.status = 201
        wait_for(lambda: len(ingest.received) == 1, timeout=10)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"companion_api": "ftp://127.0.0.1:1"}, "http://host:port"),
        ({"companion_buffer": 0}, "at least 1"),
    ],
)
def test_bad_options_are_refused_clearly(data_dir, options, message):
    addon = Companion()
    with taddons.context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match=message):
            tctx.configure(addon, companion_data_dir=str(data_dir), **options)


def test_remembers_cookies_of_normal_responses(ingest, data_dir):
    """A cookie set by a 200 is remembered by name and attributes, so a later 401 can miss it."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        addon.response(flow_with(200, resp_headers=[("Set-Cookie", f"sid={SESSION_VALUE}; Path=/; SameSite=Strict; Secure")]))
        addon.response(flow_with(401, resp_headers=[("WWW-Authenticate", "Bearer")]))
        assert addon.sender.flush()
    earlier = ingest.received[0]["context"]["cookies_set_earlier"]
    assert [(c["name"], c["samesite"], c["secure"]) for c in earlier] == [("sid", "Strict", True)]
    assert SESSION_VALUE not in json.dumps(ingest.received)


def test_a_401_is_delivered_as_it_was_when_its_hook_ran(ingest, data_dir):
    """The exchange is built when its delivery leaves, from what the hook took: an addon that
    edits the flow afterwards, and cookies that later responses set, change nothing of it."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        addon.sender._linger_s = 0.5  # the delivery leaves well after the edits below
        flow = flow_with(
            401, {"Authorization": "Bearer first-token-123"},
            [("WWW-Authenticate", 'Bearer error="invalid_token"'), ("Content-Type", "application/json")],
            body=b'{"error": "invalid_token", "error_description": "The access token expired"}',
        )  # fmt: skip
        addon.response(flow)
        flow.request.headers["Authorization"] = "Bearer edited-token-456"
        flow.response.headers["WWW-Authenticate"] = 'Basic realm="edited"'
        flow.response.content = b'{"error": "edited"}'
        addon.response(flow_with(200, {"Authorization": "Bearer works-now-789"}, [("Set-Cookie", "later=1; Path=/")]))
        addon.response(flow_with(401, {"Authorization": "Bearer first-token-123"}))
        assert ingest.received == []
        assert addon.sender.flush()
    first, second = ingest.received
    assert first["response"]["www_authenticate"] == ['Bearer error="invalid_token"']
    assert first["response"]["body_error"]["message"] == "The access token expired"
    assert first["request"]["credentials"][0]["length"] == len("first-token-123")
    # What the memory learnt between the two, the first does not know and the second does.
    assert (first["context"]["cookies_set_earlier"], first["context"]["last_success_scheme"]) == ([], None)
    assert [c["name"] for c in second["context"]["cookies_set_earlier"]] == ["later"]
    assert second["context"]["last_success_scheme"] == "Bearer"
    assert second["context"]["recent_401s_same_credential"] == 1


def test_what_the_memory_is_to_learn_waits_in_bounded_steps(ingest, data_dir):
    """What normal responses teach the memory waits in a journal, in the order the flows came:
    a page setting thousands of cookies is learnt in bounded steps, a 401 before them sees none
    of them, and a 401 after them sees them all (newest first)."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        addon.sender._linger_s = 2.0
        addon.response(flow_with(401, resp_headers=[("WWW-Authenticate", "Bearer")]))
        longest = 0
        for n in range(1000):
            addon.response(flow_with(200, resp_headers=[("Set-Cookie", f"c{n}=1; Path=/")]))
            longest = max(longest, len(addon._journal))
        addon.response(flow_with(401, resp_headers=[("WWW-Authenticate", "Bearer")]))
        assert longest <= 257
        assert addon.sender.flush()
    before, after = (exchange["context"]["cookies_set_earlier"] for exchange in ingest.received)
    assert before == []
    assert [cookie["name"] for cookie in after] == [f"c{n}" for n in range(999, 949, -1)]


def test_large_cookies_never_pile_up_in_the_journal(ingest, data_dir):
    """A site setting sixty-four cookies of a thousand characters on every response: at most
    about half a megabyte of their text waits to be learnt at any time."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        heavy = [("Set-Cookie", f"big{n}={'v' * 1000}; Path=/") for n in range(64)]
        most = 0
        for _ in range(40):
            addon.response(flow_with(200, resp_headers=heavy))
            most = max(most, addon._journal_bytes)
        addon.response(flow_with(401, resp_headers=[("WWW-Authenticate", "Bearer")]))
        assert addon.sender.flush()
    assert 0 < most <= 512 * 1024 + 64 * 1024
    assert len(ingest.received[0]["context"]["cookies_set_earlier"]) == 50


def test_long_urls_never_pile_up_in_the_journal(ingest, data_dir):
    """A page whose requests have 100 KB paths and each set one small cookie: what waits to
    be learnt holds each path, and no more than about half a megabyte of them waits."""
    addon = Companion()
    path = "/" + "p" * 100_000
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        longest = 0
        for n in range(100):
            addon.response(flow_with(200, resp_headers=[("Set-Cookie", f"c{n}=1")], url=f"http://app.example.com{path}"))
            longest = max(longest, len(addon._journal))
        addon.response(flow_with(401, resp_headers=[("WWW-Authenticate", "Bearer")]))
        assert addon.sender.flush()
    assert 0 < longest * len(path) <= 512 * 1024 + len(path)
    assert len(ingest.received[0]["context"]["cookies_set_earlier"]) == 50


def test_a_401_holding_much_is_built_in_its_hook(ingest, data_dir):
    """A 401 whose URL alone holds 100 KB is not kept until its delivery leaves: it is built at
    once, as any 401 holding more than 64 KB; a small one waits to be built with its delivery."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        addon.sender._linger_s = 2.0
        addon.response(flow_with(401, url="http://app.example.com/" + "p" * 100_000))
        addon.response(flow_with(401))
        assert [callable(each) for each in addon.sender._buffer] == [False, True]
        assert addon.sender.flush()
    assert len(ingest.received) == 2


def test_each_exchange_is_posted_exactly_once(ingest, data_dir):
    """On one kept-alive connection with multi-KB answers, N captures arrive once each, in
    order: no retries, no duplicates (several may share a post: a batch)."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        for n in range(20):
            addon.response(flow_with(401, url=f"http://app.example.com/api/{n}"))
        assert addon.sender.flush()
        assert addon.sender.stats.sent == 20
    assert 1 <= ingest.posts <= 20
    assert [e["url"] for e in ingest.received] == [f"http://app.example.com/api/{n}" for n in range(20)]


def test_repeated_401s_are_counted_for_loop_detection(ingest, data_dir):
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        for _ in range(3):
            addon.response(flow_with(401, {"Authorization": "Bearer same-token-123"}))
        assert addon.sender.flush()
    counts = [(e["context"]["recent_401s_same_request"], e["context"]["recent_401s_same_credential"]) for e in ingest.received]
    assert counts == [(0, 0), (1, 1), (2, 2)]


def test_the_companions_own_api_is_never_captured(ingest, data_dir):
    """An unpaired extension gets 401 from the companion; with loopback proxied, that is no site's 401."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        addon.response(flow_with(401, resp_headers=[("WWW-Authenticate", "Bearer")], url=f"{ingest.url}/api/events"))
        addon.response(flow_with(401, resp_headers=[("WWW-Authenticate", "Bearer")], url="http://127.0.0.1:1/api/events"))
        assert addon.sender.flush()
    assert [e["url"] for e in ingest.received] == ["http://127.0.0.1:1/api/events"]


@pytest.mark.parametrize(("sent", "remembered"), [("Bearer abc123", "Bearer"), ("abc123def456ghi789", None), (make_jwt(60), None)])
def test_the_scheme_that_worked_is_remembered_never_the_token(ingest, data_dir, sent, remembered):
    """A token sent without a scheme must not be remembered as 'the scheme that worked'."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        addon.response(flow_with(200, {"Authorization": sent}))
        addon.response(flow_with(401, resp_headers=[("WWW-Authenticate", "Bearer")]))
        assert addon.sender.flush()
    assert ingest.received[0]["context"]["last_success_scheme"] == remembered
    assert sent.split()[-1] not in json.dumps(ingest.received)


def test_one_item_the_service_keeps_failing_on_does_not_block_the_rest(ingest, data_dir):
    """A service bug on one exchange (5xx every time) costs that exchange, not all later ones."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        ingest.status = 500
        addon.response(flow_with(401, url="http://app.example.com/poison"))
        wait_for(lambda: ingest.posts >= 5, timeout=20)
        ingest.status = 201
        addon.response(flow_with(401, url="http://app.example.com/next"))
        wait_for(lambda: len(ingest.received) == 1, timeout=20)
        assert addon.sender.stats.rejected == 1
    assert ingest.received[0]["url"] == "http://app.example.com/next"


def test_changing_options_keeps_what_was_waiting(ingest, data_dir):
    """Captures waiting for a down service survive the addon being pointed at the right one."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api="http://127.0.0.1:9", companion_data_dir=str(data_dir))
        for n in range(3):
            addon.response(flow_with(401, url=f"http://app.example.com/{n}"))
        tctx.configure(addon, companion_api=ingest.url)
        wait_for(lambda: len(ingest.received) == 3, timeout=10)


def test_a_403_does_not_count_as_the_scheme_that_worked(ingest, data_dir):
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        addon.response(flow_with(403, {"Authorization": "Bearer abc123"}))
        addon.response(flow_with(401, resp_headers=[("WWW-Authenticate", "Bearer")]))
        assert addon.sender.flush()
    assert ingest.received[0]["context"]["last_success_scheme"] is None


def test_a_normal_response_flooding_set_cookie_is_remembered_bounded(ingest, data_dir):
    """A flood of Set-Cookie on a normal response leaves memory bounded (at most 64 cookies
    from it, nothing large), as it does for a captured 401."""
    addon = Companion()
    flood = [("Set-Cookie", f"c{n}=v; Path=/") for n in range(20000)]
    flood.insert(0, ("Set-Cookie", "big=" + "x" * 1_000_000))
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        addon.response(flow_with(200, resp_headers=flood))
        addon.response(flow_with(401, resp_headers=[("WWW-Authenticate", "Bearer")]))
        assert addon.sender.flush()
    remembered = ingest.received[0]["context"]["cookies_set_earlier"]
    assert 0 < len(remembered) <= 64
    assert len(json.dumps(remembered)) < 64 * 1024


@pytest.mark.parametrize(
    ("location", "cross_origin"),
    [("https://api.example.com/v2/me?token=abc123", True), ("/api/me/?token=abc123", False)],
    ids=["to-another-origin", "trailing-slash-same-origin"],
)
def test_a_redirect_after_credentials_is_remembered_for_the_401_that_follows(ingest, data_dir, location, cross_origin):
    """A request with a token is redirected; the request to the new address comes without it
    and gets 401: the captured exchange says where it was redirected from."""
    addon = Companion()
    token = make_jwt(3600)
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        first = flow_with(307, {"Authorization": f"Bearer {token}"}, [("Location", location)])
        addon.response(first)
        target = location if location.startswith("http") else "http://app.example.com" + location
        addon.response(flow_with(401, resp_headers=[("WWW-Authenticate", "Bearer")], url=target))
        assert addon.sender.flush()
    redirect = ingest.received[0]["context"]["redirect"]
    assert redirect["status"] == 307 and redirect["scheme"] == "Bearer" and redirect["cross_origin"] is cross_origin
    assert redirect["from_url"] == "http://app.example.com/api/me?token=REDACTED"
    assert token not in json.dumps(ingest.received) and "abc123" not in json.dumps(ingest.received)


@pytest.mark.parametrize(
    ("req_headers", "resp_headers", "cookies", "scheme"),
    [
        ({}, [("SET-COOKIE", "sid=v1; Path=/")], ["sid"], None),
        ({}, [("set-cookie", "sid=v1; Path=/")], ["sid"], None),
        ({"AUTHORIZATION": "Basic dTpw"}, [], [], "Basic"),
        ({"X-Set-Cookie": "no", "Authorizations": "no"}, [("Set-Cookie2", "old=1"), ("X-Set-Cookie", "sid=1")], [], None),
    ],
)
def test_the_guard_on_normal_responses_finds_what_it_looks_for_in_any_case(ingest, data_dir, req_headers, resp_headers, cookies, scheme):
    """Every response passes the guard, so it scans raw header names itself: a Set-Cookie or an
    Authorization in any case is noticed, a header that merely looks alike is not."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        addon.response(flow_with(200, req_headers, resp_headers))
        addon.response(flow_with(401, resp_headers=[("WWW-Authenticate", "Bearer")]))
        assert addon.sender.flush()
    context = ingest.received[0]["context"]
    assert [c["name"] for c in context["cookies_set_earlier"]] == cookies
    assert context["last_success_scheme"] == scheme


def test_unloading_the_script_stops_the_sender_without_an_error(ingest, data_dir):
    """`mitmdump -s companion/addon.py` reloads or unloads the script by calling `done` the
    synchronous way: that must work, and leave no sender running."""
    addon = Companion()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, companion_api=ingest.url, companion_data_dir=str(data_dir))
        addon.response(flow_with(401, resp_headers=[("WWW-Authenticate", 'Basic realm="x"')]))
        tctx.master.addons.remove(addon)
    assert len(ingest.received) == 1  # what waited went before it stopped


def test_an_overflowing_journal_does_its_oldest_only():
    """Past its bounds the journal does its oldest operations, as many as bring it back within
    them, in order: one hook never does the whole journal's work at once (with pages that set
    many cookies, that was 40 ms of the proxy's thread in one response)."""
    from companion.capture.addon import _MAX_JOURNAL, _MAX_JOURNAL_BYTES

    addon = Companion()
    done: list[int] = []
    for n in range(_MAX_JOURNAL + 10):
        addon._later(lambda n=n: done.append(n))
    assert done == list(range(10)) and len(addon._journal) == _MAX_JOURNAL

    addon, done = Companion(), []
    for n in range(6):  # each holds a quarter of what the journal may: the fifth overflows it
        addon._later(lambda n=n: done.append(n), _MAX_JOURNAL_BYTES // 4)
    assert done == [0, 1] and addon._journal_bytes == _MAX_JOURNAL_BYTES
