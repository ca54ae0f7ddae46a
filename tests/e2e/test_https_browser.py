"""Chromium on an https site through the proxy: the CA trusted for the profile, a 401 caught."""

from __future__ import annotations

import pytest

from tests.conftest import Companion, Site
from tests.e2e.conftest import Browser

pytestmark = pytest.mark.browser


def test_https_page_loads_through_the_proxy_and_its_401_is_diagnosed(browser: Browser, companion: Companion, tls_site: Site):
    """No certificate error for the person, and the page's failing API call names its cause."""
    page = browser.context.new_page()
    response = page.goto(f"{tls_site.origin}/?call=/bearer")
    assert response is not None and response.ok  # a certificate error would fail the navigation
    page.wait_for_function("document.getElementById('status').textContent === 'error 401'")
    event = companion.wait_event(f"{tls_site.origin}/bearer")
    assert event["diagnosis"]["cause"] == "missing_credentials"
    assert event["exchange"]["request"]["sec_fetch_mode"] == "cors"
    assert event["initiator"] == tls_site.origin
