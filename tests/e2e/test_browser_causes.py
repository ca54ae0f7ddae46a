"""Causes that are browser behaviour, produced by real Chromium and diagnosed from the wire.

http://127.0.0.1:PORT and http://localhost:PORT are different *sites*: a page on the first
calling an API on the second is a cross-site request (Sec-Fetch-Site: cross-site), so the
browser applies SameSite and the page's credentials mode exactly as it would between
app.example and api.example.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.conftest import Companion, Site
from tests.e2e.conftest import Browser

pytestmark = pytest.mark.browser


def other_site(site: Site) -> str:
    return f"http://127.0.0.1:{site.port}"


def call_from_other_site(browser: Browser, site: Site, target: str, **options: str) -> str:
    """Open the caller page on the other site; it fetches `target`; answer what the page saw."""
    page = browser.context.new_page()
    page.goto(f"{other_site(site)}/s/caller?{urlencode({'target': target, **options})}")
    page.wait_for_function("document.getElementById('status').textContent !== 'loading…'")
    return page.locator("#status").inner_text()


def sign_in(browser: Browser, site: Site, kind: str) -> None:
    page = browser.context.new_page()
    page.goto(f"{site.origin}/s/cookie/{kind}/login")
    assert f"{kind}_session" in {c["name"] for c in browser.context.cookies()}
    page.close()


@pytest.mark.parametrize(("kind", "attribute"), [("strict", "SameSite=Strict"), ("lax", "SameSite=Lax")])
def test_samesite_cookie_left_off_a_cross_site_fetch(
    browser: Browser, companion: Companion, site: Site, kind: str, attribute: str
):
    """Signed in on the API's site, called from another site with credentials: "include":
    Chromium leaves the SameSite cookie off, and the companion says which cookie and why."""
    sign_in(browser, site, kind)
    target = f"{site.origin}/s/cookie/{kind}/api?from=cross-site-{kind}"
    assert call_from_other_site(browser, site, target, credentials="include") == "status 401"
    diagnosis = companion.wait_event(target)["diagnosis"]
    assert diagnosis["cause"] == "cookie_not_sent", diagnosis
    assert f'"{kind}_session"' in diagnosis["summary"] and attribute in diagnosis["summary"]
    assert other_site(site) in diagnosis["summary"]


def test_same_site_fetch_sends_the_cookie(browser: Browser, companion: Companion, site: Site):
    """The control: from a page of the same site the same fetch carries the cookie and works,
    so the 401 above is SameSite's doing, not the API's."""
    sign_in(browser, site, "strict")
    page = browser.context.new_page()
    target = f"{site.origin}/s/cookie/strict/api?from=same-site"
    page.goto(f"{site.origin}/s/caller?{urlencode({'target': target})}")
    page.wait_for_function("document.getElementById('status').textContent !== 'loading…'")
    assert page.locator("#status").inner_text() == "status 200"


def test_cross_origin_fetch_without_credentials(browser: Browser, companion: Companion, site: Site):
    """A SameSite=None; Secure cookie may go cross-site, but fetch() without credentials:
    "include" leaves it off: the companion blames the page's credentials mode."""
    sign_in(browser, site, "none")
    target = f"{site.origin}/s/cookie/none/api?from=credentials-omitted"
    assert call_from_other_site(browser, site, target, credentials="same-origin") == "status 401"
    diagnosis = companion.wait_event(target)["diagnosis"]
    assert diagnosis["cause"] == "credentials_not_included", diagnosis
    assert '"none_session"' in diagnosis["summary"] and other_site(site) in diagnosis["summary"]


def test_preflight_behind_auth(browser: Browser, companion: Companion, site: Site):
    """A PUT from another site needs a CORS preflight; the API demands sign-in on it, so the
    PUT is never sent and the companion says the preflight was refused."""
    target = f"{site.origin}/s/cors/api?from=preflight"
    assert call_from_other_site(browser, site, target, method="PUT") == "failed"
    event = companion.wait_event(target)
    assert event["method"] == "OPTIONS"
    assert event["diagnosis"]["cause"] == "cors_preflight_rejected", event["diagnosis"]
    assert "PUT" in event["diagnosis"]["summary"]


def test_analytics_theme_and_csrf_cookies_are_no_credentials(browser: Browser, companion: Companion, site: Site):
    """A page like most of the web's: the site set csrftoken and theme, Google Analytics set _ga
    and _gid, and the API call carries all four but no token: nobody was signed in, and the
    companion says so instead of "unknown"."""
    target = f"{site.origin}/s/jwt?from=shop"
    page = browser.context.new_page()
    page.goto(f"{site.origin}/s/shop?{urlencode({'target': target, 'credentials': 'same-origin'})}")
    page.wait_for_function("document.getElementById('status').textContent !== 'loading…'")
    assert page.locator("#status").inner_text() == "status 401"
    assert {"_ga", "_gid", "csrftoken", "theme"} <= {c["name"] for c in browser.context.cookies(site.origin)}
    event = companion.wait_event(target)
    assert {c["name"] for c in event["exchange"]["request"]["cookies"]} >= {"_ga", "_gid", "csrftoken", "theme"}
    diagnosis = event["diagnosis"]
    assert diagnosis["cause"] == "missing_credentials", diagnosis
    assert "_ga (analytics)" in diagnosis["summary"] and "csrftoken (csrf)" in diagnosis["summary"]
