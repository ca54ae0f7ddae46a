"""The popup on a site with many causes: one screen, not eleven. The newest cause is open,
the others one line each; titles, never ids or markdown; and "All events" opens the event
list signed in, on the tab's site."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest

from tests.conftest import Companion
from tests.corpus.replay import exchange_of, load_cases
from tests.e2e.conftest import SCREENSHOTS, Browser

pytestmark = pytest.mark.browser

SITE = "many.test"


def one_case_per_cause() -> list[dict]:
    chosen: dict[str, dict] = {}
    for case in load_cases():
        if case.expected and case.expected not in chosen and not case.data.get("before"):
            chosen[case.expected] = exchange_of(case)
    return list(chosen.values())


def plant(companion: Companion) -> list[dict]:
    """Real shapes from the corpus, moved onto one site, through the real service."""
    companion.api("DELETE", "/api/events")
    stored = []
    for exchange in one_case_per_cause():
        parts = urlsplit(exchange["url"])
        host = f"api.{SITE}"
        exchange.update(
            flow_id=uuid.uuid4().hex, host=host, url=f"https://{host}{parts.path}", initiator=f"https://{SITE}"
        )
        status, event = companion.api("POST", "/api/ingest", body=exchange)
        assert status == 201, event
        stored.append(event)
    return stored


def test_a_site_with_many_causes_fits_one_screen(browser: Browser, companion: Companion):
    stored = plant(companion)
    causes = {e["diagnosis"]["cause"] for e in stored}
    assert len(causes) >= 12, causes
    browser.storage_set({"apiPort": companion.api_port, "apiToken": companion.token})
    page = browser.context.new_page()
    page.goto(f"http://{SITE}/", wait_until="commit")
    popup = browser.popup(browser.tab_id(f"http://{SITE}/*"))
    groups = popup.locator("section.cause-group")
    groups.first.wait_for(state="visible")
    assert groups.count() == len(causes)
    assert popup.locator("section.cause-group:not(.collapsed)").count() == 1  # the newest, open
    newest = stored[-1]["diagnosis"]
    assert groups.first.get_attribute("data-cause") == newest["cause"]
    assert groups.first.locator(".fix.primary-fix").count() == 1

    height = popup.evaluate("document.body.scrollHeight")
    assert height < 900, height  # 815 px for 14 causes; was 6,410 px with 16, every one open
    text = popup.locator("body").inner_text()
    assert "`" not in text
    for event in stored:
        assert event["diagnosis"]["title"].replace("`", "") in text  # a title per cause, even collapsed
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    popup.screenshot(path=str(SCREENSHOTS / "popup-many-causes.png"), full_page=True)

    # One click opens another cause; its "Also" names causes by title.
    with_also = next((e for e in stored if e["diagnosis"]["also"] and e is not stored[-1]), None)
    if with_also is not None:
        group = popup.locator(f'section.cause-group[data-cause="{with_also["diagnosis"]["cause"]}"]')
        group.locator(".cause-toggle").click()
        also = group.locator(".also").inner_text()
        assert with_also["diagnosis"]["also"][0] not in also.split()

    # Same-origin URLs by path: the tab is https://many.test, the API calls are on api.many.test.
    assert f"https://api.{SITE}/" in groups.first.locator(".event-url").first.inner_text()


def test_all_events_opens_the_list_signed_in_on_the_site(browser: Browser, companion: Companion):
    plant(companion)
    browser.storage_set({"apiPort": companion.api_port, "apiToken": companion.token})
    page = browser.context.new_page()
    page.goto(f"http://{SITE}/", wait_until="commit")
    popup = browser.popup(browser.tab_id(f"http://{SITE}/*"))
    popup.locator("section.cause-group").first.wait_for(state="visible")
    with browser.context.expect_page() as opened:
        popup.click("#all-events")
    listing = opened.value
    listing.wait_for_selector("body[data-ready=true]")
    assert listing.url == f"http://127.0.0.1:{companion.api_port}/?site={SITE}"
    assert listing.locator("input[name=site]").input_value() == SITE
    assert listing.locator("#events tbody tr[data-id]").count() >= 12
    assert companion.token not in listing.content()
