"""The toolbar badge in real Chromium: the count of the active tab's 401s, live from the
companion's stream, cleared when the site loads normally again; and what it says unpaired."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import Companion, Site
from tests.e2e.conftest import Browser, launch

pytestmark = pytest.mark.browser


def stream_state(browser: Browser) -> str:
    return (browser.session_value("stream") or {}).get("state", "")


def badge_text_becomes(browser: Browser, tab_id: int, text: str) -> dict:
    return browser.wait_until(lambda: (b := browser.badge(tab_id))["text"] == text and b, f"badge {text!r}")


def test_badge_counts_live_from_the_stream_and_clears_when_the_site_loads_normally(
    browser: Browser, companion: Companion, site: Site
):
    """Signed in, the session ends on the server: every 401 of the page raises the count at
    once (pushed by the stream: polling is off while it is open), and once the person signs
    in again a page that loads without 401 has no badge."""
    browser.storage_set({"apiPort": companion.api_port, "apiToken": companion.token})
    browser.wait_until(lambda: stream_state(browser) == "open", "the stream to open")

    page = browser.context.new_page()
    page.goto(f"{site.origin}/login")
    site.post("/expire-sessions")
    page.goto(f"{site.origin}/")
    page.wait_for_function("document.getElementById('status').textContent === 'error 401'")
    tab = browser.page_tab_id(page)
    badge = badge_text_becomes(browser, tab, "1")
    assert "1 refused (401) on this page of localhost" in badge["title"]

    # No navigation and no polling from here on: only the stream can move the count.
    assert stream_state(browser) == "open"
    assert browser.session_value("pollChain") is None
    seen = browser.session_value("streamEvents") or 0
    for expected in ("2", "3"):
        assert page.evaluate("fetch('/api/me').then(r => r.status)") == 401
        badge_text_becomes(browser, tab, expected)
    assert (browser.session_value("streamEvents") or 0) >= seen + 2

    # Sign in again: the page loads and its API answers 200, the badge is gone. The 401s
    # stay in the companion's history (the popup shows them), they just are not this page's.
    page.goto(f"{site.origin}/login")
    page.goto(f"{site.origin}/")
    page.wait_for_function("document.getElementById('status').textContent === 'signed in'")
    badge = badge_text_becomes(browser, browser.page_tab_id(page), "")
    assert "no 401s for localhost" in badge["title"]
    assert len(companion.events("localhost")) >= 3


def test_badge_asks_to_pair_and_says_when_the_companion_is_not_running(browser: Browser, companion: Companion, site: Site):
    """Unpaired, the badge shows "?" (open the popup to pair); with nothing on the API port it
    shows no count and its tooltip says the companion is not running."""
    page = browser.context.new_page()
    page.goto(f"{site.origin}/ok")
    tab = browser.page_tab_id(page)

    browser.storage_set({"apiPort": companion.api_port, "apiToken": ""})
    badge = badge_text_becomes(browser, tab, "?")
    assert "not paired" in badge["title"]
    assert stream_state(browser) == "not-paired"

    browser.storage_set({"apiPort": 9, "apiToken": companion.token})  # discard: nothing listens
    badge = browser.wait_until(lambda: "not running" in (b := browser.badge(tab))["title"] and b, "not running")
    assert badge["text"] == ""


def test_stream_reaches_the_worker_through_the_proxy(companion: Companion, site: Site, tmp_path: Path):
    """A browser that proxies loopback too (the README's tip for local sites): the addon lets
    the companion's own stream through unbuffered, so the badge still counts live."""
    with launch(companion, tmp_path / "profile", api_through_proxy=True) as browser:
        browser.storage_set({"apiPort": companion.api_port, "apiToken": companion.token})
        page = browser.context.new_page()
        page.goto(f"{site.origin}/ok")
        tab = browser.page_tab_id(page)
        browser.wait_until(lambda: stream_state(browser) == "open", "the stream open through the proxy")
        assert page.evaluate("fetch('/no-challenge').then(r => r.status)") == 401
        badge_text_becomes(browser, tab, "1")


class StreamRefuser(ThreadingHTTPServer):
    """In front of the companion's API: passes every call on, refuses `/api/stream` (502), as
    a filtering proxy or an old companion would. A real server, so the refusal does not depend
    on the test harness reaching into the extension's worker."""

    daemon_threads = True

    def __init__(self, api_port: int) -> None:
        self.api_port = api_port
        super().__init__(("127.0.0.1", 0), _Refuser)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Refuser(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/api/stream"):
            status, content_type, body = 502, "application/json", b'{"error": {"code": "bad_gateway", "message": "no streams here"}}'
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.server.api_port, timeout=10)  # type: ignore[attr-defined]
            headers = {n: v for n, v in self.headers.items() if n.lower() in {"authorization", "accept", "origin"}}
            conn.request("GET", self.path, headers=headers)
            answer = conn.getresponse()
            status, content_type, body = answer.status, answer.getheader("Content-Type", ""), answer.read()
            conn.close()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_badge_falls_back_to_polling_when_the_stream_cannot_get_through(companion: Companion, site: Site, tmp_path: Path):
    """Something between the worker and the service refuses the stream (an old companion, a
    filtering proxy): the worker retries it with a growing delay, and polling still counts."""
    refuser = StreamRefuser(companion.api_port)
    with launch(companion, tmp_path / "profile") as browser:
        browser.storage_set({"apiPort": refuser.server_address[1], "apiToken": companion.token})
        page = browser.context.new_page()
        page.goto(f"{site.origin}/ok")
        tab = browser.page_tab_id(page)
        retrying = browser.wait_until(
            lambda: (s := browser.session_value("stream") or {}).get("state") == "retrying" and s, "a stream retry"
        )
        assert retrying["retryInMs"] > 0
        assert page.evaluate("fetch('/no-challenge').then(r => r.status)") == 401
        badge_text_becomes(browser, tab, "1")
        assert stream_state(browser) != "open"
    refuser.shutdown()
