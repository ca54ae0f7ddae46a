"""Every cause id, produced by the local test site and seen through the real proxy.

One table: each row is what a client sends (after the earlier requests the cause depends on,
through the same proxy so the addon's memory sees them), and what the companion must say:
the primary cause, the causes that must also hold, the causes that must NOT appear (the
negative cases: a refusal that is not an expiry, a Basic rejection that is not a scheme
mismatch …), and the concrete names and numbers the summary must carry.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

import pytest

from companion.capture.redact import redact_url
from tests.conftest import Companion, Site
from tests.support.scenarios import (
    API_KEY,
    OPAQUE_EXPIRED,
    OPAQUE_REVOKED,
    OPAQUE_VALID,
    digest_authorization,
    digest_nonce,
)
from tests.support.testsite import PASSWORD, make_jwt


def now() -> int:
    return int(time.time())


def good_jwt() -> str:
    return make_jwt(3600)


# A page on http://127.0.0.1:PORT is another *site* than http://localhost:PORT.
OTHER_ORIGIN = "http://127.0.0.1:{port}"
CROSS_SITE_FETCH = {"Origin": OTHER_ORIGIN, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
# A page on app.example.test calling its sibling api.example.test (same site, other host).
APP_FETCH = {"Origin": "http://app.example.test:{port}", "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors"}
CROSS_SITE_NAVIGATION = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Call:
    path: str
    headers: dict[str, str] | Callable[[], dict[str, str]] = field(default_factory=dict)
    """Headers, or a function making them when sent (tokens and nonces are made fresh)."""
    method: str = "GET"
    send_cookies: bool = False
    """Send back the cookies the earlier calls of the scenario set, as a browser would."""
    host: str | None = None
    """Another name for the site than the scenario's (a sibling host of the same site)."""


@dataclass(frozen=True)
class Scenario:
    id: str
    call: Call
    cause: str
    also: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    """Causes that must be neither the primary nor in `also`."""
    words: tuple[str, ...] = ()
    """What the summary must say (names, numbers)."""
    unsaid: tuple[str, ...] = ()
    """What the summary must not say (a fact that is not one)."""
    before: tuple[Call, ...] = ()
    repeat: int = 1
    pause: float = 0.0
    """Seconds between the earlier calls and this one (for cookies that must expire first)."""
    status: int = 401
    host: str = "localhost"
    """The site's name as the client addresses it (sent as the Host header)."""


S = Scenario
SCENARIOS = [
    # missing_credentials
    S("basic: nothing sent", Call("/basic"), "missing_credentials", words=("no Authorization header", "Basic")),
    S("jwt api: nothing sent", Call("/s/jwt"), "missing_credentials", absent=("invalid_token",), words=("Bearer",)),
    # invalid_credentials, and it is not a scheme mismatch
    S("basic: wrong password", Call("/basic", lambda: basic("alice", "wrong-password")), "invalid_credentials",
      absent=("scheme_mismatch",), words=('user "alice"', "14-character password", 'realm "testsite"')),
    S("basic: non-ASCII password sent as Latin-1 to a UTF-8 server",
      Call("/basic", {"Authorization": "Basic " + base64.b64encode("alice:pässwörd".encode("latin-1")).decode()}),
      "invalid_credentials", absent=("malformed_authorization",), words=("non-ASCII", 'charset="UTF-8"', "Latin-1")),
    S("digest: wrong password, fresh nonce",
      Call("/s/digest", lambda: {"Authorization": digest_authorization("alice", "nope", "GET", "/s/digest", digest_nonce(now()))}),
      "invalid_credentials", absent=("digest_stale_nonce", "scheme_mismatch"), words=('user "alice"', "Digest")),
    # malformed_authorization
    S("doubled Bearer scheme", Call("/s/jwt", lambda: {"Authorization": f"Bearer Bearer {good_jwt()}"}),
      "malformed_authorization", absent=("expired_token",), words=("repeats the scheme",)),
    S("token 'undefined'", Call("/s/opaque", lambda: bearer("undefined")), "malformed_authorization", words=("placeholder",)),
    S("basic payload not base64", Call("/basic", {"Authorization": "Basic alice:secret"}), "malformed_authorization",
      absent=("invalid_credentials",), words=("not base64",)),
    # scheme_mismatch
    S("bearer sent to a Basic site", Call("/basic", lambda: bearer(good_jwt())), "scheme_mismatch", words=("Bearer", "only offers Basic")),
    S("basic sent to a Bearer api", Call("/s/jwt", lambda: basic("alice", PASSWORD)), "scheme_mismatch",
      absent=("invalid_credentials",), words=("Basic", "only offers Bearer")),
    # expired_token, and refusals that are not expiries
    S("jwt expired 15 minutes ago", Call("/s/jwt", lambda: bearer(make_jwt(-900))), "expired_token",
      absent=("invalid_token",), words=("15 minutes before the server's Date",)),
    S("opaque token, server says expired", Call("/s/opaque", lambda: bearer(OPAQUE_EXPIRED)), "expired_token",
      words=("The access token expired",)),
    S("opaque token revoked: not an expiry", Call("/s/opaque", lambda: bearer(OPAQUE_REVOKED)), "invalid_token",
      absent=("expired_token",), words=("revoked",)),
    S("RFC 6750 stock text on an opaque token: not an expiry", Call("/s/opaque", lambda: bearer("opq_unknown_1a2b3c4d5e6f7a8b9c")),
      "invalid_token", absent=("expired_token",), words=('error="invalid_token"', "nothing says it expired")),
    S("jwt with a bad signature: not an expiry", Call("/s/jwt", lambda: bearer(good_jwt()[:-6] + "AAAAAA")), "invalid_token",
      absent=("expired_token",), words=("Signature verification failed",)),
    S("jwt for another audience", Call("/s/jwt", lambda: bearer(make_jwt(3600, aud="billing"))), "invalid_token",
      absent=("expired_token",), words=("audience",)),
    # token_not_yet_valid
    S("jwt nbf 10 minutes ahead", Call("/s/jwt", lambda: bearer(make_jwt(3600, nbf=now() + 600))), "token_not_yet_valid",
      absent=("invalid_token", "expired_token"), words=("nbf", "10 minutes after the server's Date")),
    S("jwt iat 10 minutes ahead", Call("/s/jwt", lambda: bearer(make_jwt(3600, iat=now() + 600))), "token_not_yet_valid",
      absent=("invalid_token",), words=("iat", "10 minutes")),
    # insufficient_scope
    S("token lacks orders:export", Call("/s/orders/export", lambda: bearer(make_jwt(3600, scope="orders:read"))),
      "insufficient_scope", absent=("invalid_token",), words=("orders:export", "orders:read")),
    # step_up_required (RFC 9470)
    S("step-up: acr_values", Call("/s/admin", lambda: bearer(make_jwt(3600, acr="urn:testsite:pwd"))), "step_up_required",
      absent=("invalid_token", "insufficient_scope"), words=("second factor", 'acr_values="urn:testsite:mfa"', "urn:testsite:pwd")),
    S("step-up: max_age", Call("/s/admin", lambda: bearer(make_jwt(3600, acr="urn:testsite:mfa", auth_time=now() - 3600))),
      "step_up_required", words=("at most 5 minutes old", 'max_age="300"', "60 minutes before")),
    # expired_session
    S("session ended on the server", Call("/s/session/me", send_cookies=True), "expired_session",
      before=(Call("/s/session/login?idle=0"),), absent=("expired_token", "cookie_not_sent"), words=('"app_session"', "deletes")),
    S("unknown sid: session expired, not a token", Call("/api/me", {"Cookie": "sid=sess-0000aaaa1111bbbb; theme=dark"}),
      "expired_session", absent=("expired_token",), words=('"sid"',)),
    # conflicting_cookies
    S("sid sent twice", Call("/api/me", {"Cookie": "sid=sess-old-0123456789; theme=dark; sid=sess-new-9876543210"}),
      "conflicting_cookies", also=("expired_session",), words=('"sid" 2 times',)),
    # cookie_not_sent (SameSite on a cross-site fetch; the real browser does it in tests/e2e)
    S("SameSite=Strict cookie left off a cross-site fetch", Call("/s/cookie/strict/api", CROSS_SITE_FETCH),
      "cookie_not_sent", before=(Call("/s/cookie/strict/login"),), absent=("credentials_not_included",),
      words=('"strict_session"', "SameSite=Strict", "127.0.0.1")),
    S("SameSite=Lax cookie left off a cross-site fetch", Call("/s/cookie/lax/api", CROSS_SITE_FETCH),
      "cookie_not_sent", before=(Call("/s/cookie/lax/login"),), words=('"lax_session"', "SameSite=Lax")),
    S("cookie set without a Path under /s/auth, API elsewhere", Call("/s/needs/auth_sid"), "cookie_not_sent",
      before=(Call("/s/auth/login"),), host="signin.test", words=('"auth_sid"', "without a Path", "/s/auth/")),
    S("session cookie set without Domain by app., API on api.", Call("/s/needs/auth_sid", APP_FETCH), "cookie_not_sent",
      before=(Call("/s/auth/login", host="app.example.test"),), host="api.example.test",
      words=('"auth_sid"', "app.example.test set it without a Domain", "not to api.example.test")),
    S("another host's own cookie is not a cause", Call("/s/needs/auth_sid"), "missing_credentials",
      before=(Call("/s/auth/login", host="www.other.test"),), host="api.other.test", absent=("cookie_not_sent",)),
    S("session cookie expired before the call", Call("/s/needs/short_sid"), "cookie_not_sent",
      before=(Call("/s/short/login"),), pause=2.5, host="timeout.test",
      words=('"short_sid"', "expired at", "before this request")),
    S("Lax cookie missing on a top-level navigation: not SameSite", Call("/s/cookie/lax/api", CROSS_SITE_NAVIGATION),
      "missing_credentials", before=(Call("/s/cookie/lax/login"),), absent=("cookie_not_sent",)),
    # credentials_not_included
    S("cross-site fetch without credentials", Call("/s/cookie/none/api", CROSS_SITE_FETCH), "credentials_not_included",
      before=(Call("/s/cookie/none/login"),), absent=("cookie_not_sent",), words=('"none_session"', 'credentials: "include"')),
    # cors_preflight_rejected
    S("preflight behind auth",
      Call("/s/cors/api", {"Origin": OTHER_ORIGIN, "Access-Control-Request-Method": "PUT",
                           "Access-Control-Request-Headers": "authorization"}, method="OPTIONS"),
      "cors_preflight_rejected", absent=("missing_credentials",), words=("PUT", "127.0.0.1")),
    S("OPTIONS that is no preflight", Call("/s/cors/api", method="OPTIONS"), "missing_credentials",
      absent=("cors_preflight_rejected",)),
    # invalid_api_key
    S("wrong API key in a header", Call("/s/apikey", {"X-Api-Key": "sk_live_wrong_9f8e7d6c5b4a3f2e"}), "invalid_api_key",
      absent=("ip_blocked", "missing_credentials"), words=("x-api-key",)),
    S("wrong API key in the URL", Call("/s/apikey?api_key=sk_live_wrong_1a2b3c4d5e6f7a8b"), "invalid_api_key",
      words=("api_key",)),
    # ip_blocked
    S("IP blocked by region, good token", Call("/s/geo", lambda: bearer(good_jwt())), "ip_blocked",
      absent=("expired_token", "invalid_token"), words=("IP address",)),
    # missing_challenge is a symptom: beside the root cause, or beside unknown when nothing tells
    S("token refused by a server that sends no challenge", Call("/no-challenge", lambda: bearer("opq_some_token_0a1b2c3d4e5f")),
      "invalid_token", also=("missing_challenge",), words=("Unauthorized",)),
    S("a bare 401 after a token that looks fine", Call("/s/bare", lambda: bearer("opq_some_token_0a1b2c3d4e5f")),
      "unknown", also=("missing_challenge",), words=("nothing in the exchange shows why",)),
    # digest_stale_nonce: the password was right, the nonce old
    S("digest: right password, stale nonce",
      Call("/s/digest", lambda: {"Authorization": digest_authorization("alice", PASSWORD, "GET", "/s/digest", digest_nonce(now() - 600))}),
      "digest_stale_nonce", absent=("invalid_credentials",), words=('user "alice"', "stale")),
    # negotiate_failed
    S("Kerberos ticket refused", Call("/s/windows", {"Authorization": "Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaADAgEFoQMCAQ6iBwMFACAAAACjggS"}),
      "negotiate_failed", absent=("scheme_mismatch",), words=("Negotiate",)),
    # proxy_auth_required
    S("proxy wants sign-in", Call("/proxy-auth"), "proxy_auth_required", status=407, words=('realm="corp-proxy"',)),
    S("proxy refuses the proxy credentials", Call("/proxy-auth", {"Proxy-Authorization": basic("bob", "x")["Authorization"]}),
      "proxy_auth_required", status=407, words=('user "bob"',)),
    # auth_loop: as the symptom beside a root cause, and alone
    S("expired token retried in a loop", Call("/s/jwt", lambda: bearer(make_jwt(-300))), "expired_token",
      also=("auth_loop",), repeat=3, words=("5 minutes",)),
    S("same request refused three times", Call("/s/loop", {"Cookie": "lang=en"}), "missing_credentials", also=("auth_loop",),
      repeat=3, words=("lang (preference)",)),
    # insecure_transport
    S("https-only API over http", Call("/s/https-only", lambda: bearer(good_jwt())), "insecure_transport",
      absent=("expired_token", "invalid_token"), words=("only over https", "http://localhost:{port}/s/https-only")),
    S("Secure cookie cannot go over http", Call("/s/secure/account", send_cookies=True), "insecure_transport",
      host="intranet.test", before=(Call("/s/secure/login"),), words=('"secure_sid"', "http://intranet.test")),
    # unknown: nothing on the wire says why; never a confident wrong answer
    S("legacy scheme, a cookie of unknown purpose", Call("/s/legacy", {"Cookie": "cart=3"}), "unknown"),
    S("one bare refusal, a cookie of unknown purpose", Call("/s/loop", {"Cookie": "cart=3"}), "unknown"),
    # cookies that sign nobody in are no credentials
    S("only a language cookie", Call("/s/legacy", {"Cookie": "lang=en"}), "missing_credentials", words=("lang (preference)",)),
    S("only analytics, consent and CSRF cookies",
      Call("/s/jwt", {"Cookie": "_ga=GA1.1.123.456; _gid=GA1.1.789; OptanonConsent=isGpcEnabled=0; csrftoken=abc123"}),
      "missing_credentials", absent=("expired_session", "unknown"), words=("_ga (analytics)", "csrftoken (csrf)")),
    # credentials_stripped: the token left the client, the application never saw it
    S("token dropped by a front server", Call("/s/behind-proxy", {"Authorization": "Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}),
      "credentials_stripped", words=("no credentials arrived", "not provided")),
]  # fmt: skip


@dataclass
class Client:
    """A plain HTTP client configured with the proxy, that keeps the cookies it is given
    (honouring Secure like a browser: never over http to a name that is not localhost)."""

    companion: Companion
    site: Site
    host: str
    jar: dict[str, tuple[str, bool]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.site.port}{path}"

    def send(self, call: Call, path: str) -> int:
        made = call.headers() if callable(call.headers) else call.headers
        headers = {k: v.replace("{port}", str(self.site.port)) for k, v in made.items()}
        headers["Host"] = f"{call.host or self.host}:{self.site.port}"
        if call.send_cookies:
            sendable = [f"{n}={v}" for n, (v, secure) in self.jar.items() if not secure or self.host == "localhost"]
            if sendable:
                headers["Cookie"] = "; ".join(sendable)
        conn = http.client.HTTPConnection("127.0.0.1", self.companion.proxy_port, timeout=10)
        try:
            # The request line names localhost (where the site listens); the Host header names
            # the site as the client addressed it, and that is what the proxy reports.
            conn.request(call.method, f"http://localhost:{self.site.port}{path}", headers=headers)
            response = conn.getresponse()
            response.read()
            for line in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(line).items():
                    self.jar[name] = (morsel.value, bool(morsel["secure"]))
            return response.status
        finally:
            conn.close()


def wait_for_events(companion: Companion, url: str, count: int, timeout: float = 10.0) -> list[dict]:
    """The stored events of `url`, newest first, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in companion.events() if e["url"] == url]
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) >= count, f"{len(found)} of {count} events for {url}"
            return found
        time.sleep(0.05)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario_is_diagnosed(companion: Companion, site: Site, scenario: Scenario) -> None:
    """What a person sees after this 401: the right cause, and a summary with the specifics."""
    client = Client(companion, site, scenario.host)
    for earlier in scenario.before:
        assert client.send(earlier, earlier.path) < 400
    time.sleep(scenario.pause)
    case = "case=" + "-".join(scenario.id.split())[:40].replace("'", "").replace(":", "")
    path = scenario.call.path + ("&" if "?" in scenario.call.path else "?") + case
    for _ in range(scenario.repeat):
        assert client.send(scenario.call, path) == scenario.status
    event = wait_for_events(companion, redact_url(client.url(path)), scenario.repeat)[0]
    diagnosis = event["diagnosis"]
    summary = diagnosis["summary"]
    assert diagnosis["cause"] == scenario.cause, (diagnosis["cause"], summary, diagnosis["also"])
    assert set(scenario.also) <= set(diagnosis["also"]), diagnosis["also"]
    for cause in scenario.absent:
        assert cause != diagnosis["cause"] and cause not in diagnosis["also"], (cause, diagnosis["also"])
    for word in scenario.words:
        assert word.replace("{port}", str(site.port)) in summary, summary
    for word in scenario.unsaid:
        assert word not in summary, summary
    assert diagnosis["evidence"] and diagnosis["fixes"]
    if scenario.cause == "unknown":
        assert diagnosis["confidence"] < 0.5 and diagnosis["fixes"][-1]["id"] == "manual"
    else:
        assert diagnosis["confidence"] >= 0.5
    assert event["host"] == scenario.host and event["status"] == scenario.status


def test_every_cause_has_a_scenario() -> None:
    """The issue's bar: each cause id of DESIGN.md is produced by the site at least once."""
    from companion.diagnosis.catalogue import CAUSES

    # Symptoms are never the primary cause: they show in `also` (scenarios above); the
    # redirect needs two requests (test_a_redirect_that_drops_the_token_is_named).
    produced = {s.cause for s in SCENARIOS} | {a for s in SCENARIOS for a in s.also} | {"redirect_dropped_credentials"}
    assert produced == set(CAUSES)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/s/jwt", lambda: bearer(make_jwt(3600))),
        ("/s/opaque", lambda: bearer(OPAQUE_VALID)),
        ("/s/apikey", lambda: {"X-Api-Key": API_KEY}),
        ("/s/orders/export", lambda: bearer(make_jwt(3600, scope="orders:read orders:export"))),
        ("/s/admin", lambda: bearer(make_jwt(3600, acr="urn:testsite:mfa", auth_time=now()))),
        ("/s/digest", lambda: {"Authorization": digest_authorization("alice", PASSWORD, "GET", "/s/digest", digest_nonce(now()))}),
    ],
    ids=["jwt", "opaque", "apikey", "scope", "step-up", "digest"],
)
def test_the_right_credentials_work(companion: Companion, site: Site, path: str, headers: Callable[[], dict]) -> None:
    """The scenario routes are real: with the right credentials each one answers 200, so the
    401s above come from what was wrong, not from a site that refuses everything."""
    assert companion.through_proxy("GET", f"{site.origin}{path}", headers())[0] == 200


def test_a_redirect_that_drops_the_token_is_named(companion: Companion, site: Site) -> None:
    """A client with a token is redirected to another origin and follows without it (as
    browsers, curl -L and most HTTP clients do): the 401 there is the redirect's doing."""
    token = good_jwt()
    first = f"http://localhost:{site.port}/s/moved?case=redirect"
    status, _ = companion.through_proxy("GET", first, {"Authorization": f"Bearer {token}"})
    assert status == 307
    target = f"http://127.0.0.1:{site.port}/s/jwt?case=redirect"
    status, _ = companion.through_proxy("GET", target)
    assert status == 401
    diagnosis = companion.wait_event(target)["diagnosis"]
    assert diagnosis["cause"] == "redirect_dropped_credentials", diagnosis
    assert f"localhost:{site.port}/s/moved" in diagnosis["summary"] and "307" in diagnosis["summary"]
    assert token not in json.dumps(diagnosis)
