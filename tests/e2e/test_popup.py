"""The whole path in real Chromium: browse through the proxy, get a 401, fix it from the popup.

Debian's chromium, driven by Playwright with the flags DESIGN.md lists; the extension loaded
unpacked from extension/; `companion run` as the proxy and service; the local test site.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import Companion, Site
from tests.e2e.conftest import SCREENSHOTS, Browser

pytestmark = pytest.mark.browser


def session_ends_under_the_page(browser: Browser, companion: Companion, site: Site):
    """Sign in, end the session on the server, load the page: its API call gets 401.
    Returns the page and the session cookie's value (a secret to look for later)."""
    page = browser.context.new_page()
    page.goto(f"{site.origin}/login")
    assert browser.cookie_names(site.origin) == ["csrftoken", "sid", "theme"]
    session_value = next(c["value"] for c in browser.context.cookies(site.origin) if c["name"] == "sid")
    site.post("/expire-sessions")
    page.goto(f"{site.origin}/")
    page.wait_for_function("document.getElementById('status').textContent === 'error 401'")
    event = companion.wait_event(f"{site.origin}/api/me")
    assert event["diagnosis"]["cause"] == "expired_session"
    return page, session_value


def test_expired_session_diagnosed_and_fixed_from_the_popup(browser: Browser, companion: Companion, site: Site):
    """A person's day: signed in, the session ends on the server, the page fails with 401; the
    popup says the session expired, "Clear cookies" removes the site's cookies, and signing
    in again makes the page work."""
    page, session_value = session_ends_under_the_page(browser, companion, site)

    # Not paired yet: the popup says how, and one paste of `companion token` pairs it.
    browser.storage_set({"apiPort": companion.api_port})
    popup = browser.popup(browser.tab_id(f"{site.origin}/*"))
    popup.locator("#state-not-paired").wait_for(state="visible")
    assert "companion token" in popup.locator("#state-not-paired").inner_text()
    popup.fill("#token-input", companion.token)
    popup.click("#pair-button")

    group = popup.locator('section.cause-group[data-cause="expired_session"]')
    group.wait_for(state="visible")
    assert "session" in group.locator(".cause-title").inner_text().lower()
    assert group.locator(".summary").inner_text().strip()
    group.locator("details.evidence").evaluate("d => d.open = true")
    assert "set-cookie" in group.locator("details.evidence").inner_text().lower()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    popup.screenshot(path=str(SCREENSHOTS / "popup-expired-session.png"), full_page=True)

    # Nothing secret on screen.
    text = popup.locator("body").inner_text()
    assert session_value not in text and companion.token not in text

    # One click (and one confirmation): every cookie of the site is gone from the browser.
    group.locator('button[data-fix="clear_cookies"]').click()
    group.locator("button.confirm-fix").click()
    result = group.locator(".fix-result")
    result.wait_for(state="visible")
    popup.wait_for_function("() => document.querySelector('.fix-result.done, .fix-result.failed')")
    assert "Removed" in result.inner_text() and "csrftoken" in result.inner_text()
    assert browser.cookie_names(site.origin) == []

    # Signing in again works.
    page.goto(f"{site.origin}/login")
    page.goto(f"{site.origin}/")
    page.wait_for_function("document.getElementById('status').textContent === 'signed in'")

    # The secret the browser held never reached the store.
    for path in companion.data_dir.glob("events.sqlite3*"):
        assert session_value.encode() not in path.read_bytes()


def test_popup_says_when_the_companion_is_not_running(browser: Browser, companion: Companion, site: Site):
    """With nothing on the API port, the popup says so and how to start it."""
    page = browser.context.new_page()
    page.goto(f"{site.origin}/ok")
    dead_port = 9  # discard: nothing listens there
    browser.storage_set({"apiPort": dead_port, "apiToken": "whatever"})
    popup = browser.popup(browser.tab_id(f"{site.origin}/*"))
    state = popup.locator("#state-not-running")
    state.wait_for(state="visible")
    assert "make run" in state.inner_text() or "companion run" in state.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    popup.screenshot(path=str(SCREENSHOTS / "popup-not-running.png"), full_page=True)


def test_popup_says_when_the_site_had_no_401(browser: Browser, companion: Companion, site: Site):
    page = browser.context.new_page()
    page.goto(f"http://127.0.0.1:{site.port}/ok")
    browser.storage_set({"apiPort": companion.api_port, "apiToken": companion.token})
    popup = browser.popup(browser.tab_id(f"http://127.0.0.1:{site.port}/*"))
    popup.locator("#state-empty").wait_for(state="visible")
    assert json.loads(page.locator("body").inner_text()) == {"ok": True}


def test_the_popup_works_from_the_keyboard(browser: Browser, companion: Companion, site: Site):
    """Tab reaches the fixes, Enter asks, Escape cancels (nothing removed), Enter twice acts."""
    session_ends_under_the_page(browser, companion, site)
    browser.storage_set({"apiPort": companion.api_port, "apiToken": companion.token})
    popup = browser.popup(browser.tab_id(f"{site.origin}/*"))
    group = popup.locator('section.cause-group[data-cause="expired_session"]')
    group.wait_for(state="visible")

    def tab_to_clear_cookies() -> None:
        for _ in range(40):
            popup.keyboard.press("Tab")
            if popup.evaluate("document.activeElement?.dataset?.fix") == "clear_cookies":
                return
        raise AssertionError("Tab never reached the Clear cookies button")

    tab_to_clear_cookies()
    popup.keyboard.press("Enter")
    assert popup.evaluate("document.activeElement.classList.contains('confirm-fix')")
    popup.keyboard.press("Escape")
    popup.wait_for_function("() => !document.querySelector('.fix-confirm:not([hidden]) .confirm-fix')")
    assert browser.cookie_names(site.origin) == ["csrftoken", "theme"]  # the server deleted sid

    tab_to_clear_cookies()
    popup.keyboard.press("Enter")
    popup.keyboard.press("Enter")
    popup.wait_for_function("() => document.querySelector('.fix-result.done')")
    assert browser.cookie_names(site.origin) == []
