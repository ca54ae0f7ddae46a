"""Real Chromium (Debian's package) driven by Playwright, with the flags DESIGN.md lists:
the extension loaded unpacked from extension/, the proxy of `companion run`, its CA trusted
for this profile only."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, Companion

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
EXTENSION = ROOT / "extension"
SCREENSHOTS = ROOT / "docs" / "screenshots"


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


@pytest.fixture
def browser(companion: Companion, tmp_path: Path) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-quic",
                f"--proxy-server=http://127.0.0.1:{companion.proxy_port}",
                "--proxy-bypass-list=<-loopback>",
                f"--ignore-certificate-errors-spki-list={ca_spki_hash(companion.confdir)}",
                f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}",
            ],
        )  # fmt: skip
        try:
            worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
            yield Browser(context, worker.url.split("/")[2])
        finally:
            context.close()
