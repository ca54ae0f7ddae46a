"""Real Chromium (Debian's package) driven by Playwright, with the flags DESIGN.md lists:
the extension loaded unpacked from extension/, the proxy of `companion run`, its CA trusted
for this profile only."""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT, Companion

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
EXTENSION = ROOT / "extension"
# Screenshots land in artifacts/ (ignored) so a test run leaves the tree clean;
# `make screenshots` (UPDATE_SCREENSHOTS=1) refreshes the ones docs/ and the README show.
SCREENSHOTS = ROOT / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") else "artifacts") / "screenshots"


def ca_spki_hash(confdir: Path) -> str:
    """base64(sha256(SPKI)) of mitmproxy's CA: Chromium trusts it for this profile only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate((confdir / "mitmproxy-ca-cert.pem").read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


class Browser:
    def __init__(self, context, extension_id: str):
        self.context = context
        self.extension_id = extension_id

    @property
    def worker(self):
        return self.context.service_workers[0]

    def storage_set(self, values: dict) -> None:
        self.worker.evaluate("values => chrome.storage.local.set(values)", values)

    def tab_id(self, url_pattern: str) -> int:
        return self.worker.evaluate("p => chrome.tabs.query({url: p}).then(t => t[0].id)", url_pattern)

    def popup(self, tab_id: int):
        page = self.context.new_page()
        page.set_viewport_size({"width": 400, "height": 640})
        page.goto(f"chrome-extension://{self.extension_id}/popup/popup.html?tabId={tab_id}")
        return page

    def cookie_names(self, url: str) -> list[str]:
        return sorted(c["name"] for c in self.context.cookies(url))

    def page_tab_id(self, page) -> int:
        """The extension's tab id of a Playwright page (by its URL, which must be unique)."""
        return self.tab_id(page.url)

    def badge(self, tab_id: int) -> dict:
        """The toolbar badge of a tab as the person sees it: its text and its tooltip."""
        return self.worker.evaluate(
            """id => Promise.all([chrome.action.getBadgeText({tabId: id}), chrome.action.getTitle({tabId: id})])
                .then(([text, title]) => ({text, title}))""",
            tab_id,
        )

    def session_value(self, key: str):
        """One value of the worker's storage.session (the stream's state, counters)."""
        return self.worker.evaluate("k => chrome.storage.session.get(k).then(v => v[k] ?? null)", key)

    def wait_until(self, condition, what: str, timeout: float = 15.0):
        """Waits for `condition()` to be truthy (the worker has no wait_for_function)."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.1)


@contextmanager
def launch(companion: Companion, profile: Path, *, api_through_proxy: bool = False, **options) -> Iterator[Browser]:
    """Chromium with the extension, browsing through `companion`'s proxy (loopback included).

    The extension's own calls to the API go direct, as with a browser set to bypass the proxy
    for 127.0.0.1; `api_through_proxy` sends them through the companion's own proxy, as a
    browser that proxies loopback does (the addon then lets the live stream pass unbuffered)."""
    from playwright.sync_api import sync_playwright

    bypass = "<-loopback>" if api_through_proxy else f"<-loopback>;127.0.0.1:{companion.api_port}"
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            user_data_dir=str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-quic",
                f"--proxy-server=http://127.0.0.1:{companion.proxy_port}",
                f"--proxy-bypass-list={bypass}",
                f"--ignore-certificate-errors-spki-list={ca_spki_hash(companion.confdir)}",
                f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}",
            ],
            **options,
        )  # fmt: skip
        try:
            worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
            yield Browser(context, worker.url.split("/")[2])
        finally:
            context.close()


@pytest.fixture
def browser(companion: Companion, tmp_path: Path) -> Iterator[Browser]:
    with launch(companion, tmp_path / "profile") as launched:
        yield launched
