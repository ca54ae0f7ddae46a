"""The planted secrets of tests/test_secrets_everywhere.py, looked for on screen: the popup
with every cause open and its evidence shown, and the event list page with every event's
detail open. None may be found."""

from __future__ import annotations

import pytest

from tests.conftest import Companion
from tests.e2e.conftest import Browser
from tests.test_secrets_everywhere import echo_site, found_in, planted_requests

pytestmark = pytest.mark.browser

__all__ = ["echo_site"]  # the fixture, shared


def test_no_planted_secret_is_on_screen(browser: Browser, companion: Companion, echo_site: str):
    companion.api("DELETE", "/api/events")
    requests = planted_requests(echo_site)
    for url, headers in requests:
        status, _ = companion.through_proxy("GET", url, headers)
        assert status == 401
    events = companion.wait_events(len(requests))
    assert len(events) == len(requests)

    # The popup, for a tab on the echoing site, every cause opened, every detail shown.
    browser.storage_set({"apiPort": companion.api_port, "apiToken": companion.token})
    page = browser.context.new_page()
    page.goto(f"{echo_site}/home")
    popup = browser.popup(browser.tab_id(f"{echo_site}/*"))
    popup.locator("section.cause-group").first.wait_for(state="visible")
    closed = popup.locator(".cause-toggle[aria-expanded=false]")
    while closed.count():
        closed.first.click()
    popup.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    seen = {"the popup": popup.locator("body").inner_text() + popup.content()}

    # The event list page, each event's detail open.
    status, link = companion.api("POST", "/api/login-code")
    assert status == 201
    listing = browser.context.new_page()
    listing.goto(link["url"])
    listing.wait_for_selector("body[data-ready=true]")
    rows = listing.locator("#events tbody tr[data-id]")
    assert rows.count() >= 1
    seen["the event list"] = listing.locator("body").inner_text()
    for event in events:
        listing.goto(f"http://127.0.0.1:{companion.api_port}/?event={event['id']}")
        listing.wait_for_selector("body[data-ready=true]")
        listing.locator("#detail .detail-head").wait_for(state="visible")
        seen[f"the detail of {event['url']}"] = listing.locator("body").inner_text() + listing.content()

    leaks = {where: found for where, text in seen.items() if (found := found_in(text))}
    assert not leaks, leaks
    assert all(e["diagnosis"]["title"] in seen["the popup"] for e in events if e["url"].startswith(echo_site))
