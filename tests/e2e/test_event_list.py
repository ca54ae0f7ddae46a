"""The event list page in real Chromium: what a person reviews after browsing with the proxy
on. The 401s are real ones, made through `companion run`'s proxy against the test site."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.conftest import Companion, Site
from tests.e2e.conftest import CHROMIUM, SCREENSHOTS

pytestmark = pytest.mark.browser

SECRET = "Pl4nted-bearer-secret-0c0ffee"


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


def fill(companion: Companion, site: Site) -> None:
    """Real 401s of several causes, from the test site through the proxy."""
    companion.api("DELETE", "/api/events")
    companion.through_proxy("GET", f"{site.origin}/basic", {"Authorization": "Basic dXNlcjp3cm9uZy1wYXNzd29yZA=="})
    companion.through_proxy("GET", f"{site.origin}/bearer", {"Authorization": f"Bearer {SECRET}"})
    for _ in range(3):  # the same request failing again: one row with a count
        companion.through_proxy("GET", f"{site.origin}/no-challenge")
    companion.through_proxy("GET", f"{site.origin}/api/me")
    companion.wait_events(6)


def login_link(companion: Companion, site: str | None = None) -> str:
    status, body = companion.api("POST", "/api/login-code" + (f"?site={site}" if site else ""))
    assert status == 201, body
    return body["url"]


def open_page(chromium, companion: Companion, **context_options):
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True, **context_options)
    page = context.new_page()
    page.goto(login_link(companion))
    page.wait_for_selector("body[data-ready=true]")
    return context, page


def wait_rows(page, count: int) -> None:
    """Waits for the list to show `count` rows (without evaluating strings: the page's CSP
    forbids eval, which `wait_for_function` needs)."""
    from playwright.sync_api import expect

    expect(page.locator("#events tbody tr[data-id]")).to_have_count(count)


def rows(page) -> list[str]:
    return page.locator("#events tbody tr[data-id]").all_inner_texts()


def test_the_list_shows_every_event_with_its_cause_and_the_filters_narrow_it(chromium, companion: Companion, site: Site):
    fill(companion, site)
    stored = companion.events()
    context, page = open_page(chromium, companion)
    try:
        assert page.url == f"http://127.0.0.1:{companion.api_port}/"  # no code left in the address bar
        shown = rows(page)
        assert len(shown) == 4  # six events, the three repeats on one row
        assert any("×3" in row for row in shown)
        titles = {e["diagnosis"]["title"] for e in stored}
        for title in titles:
            assert any(title in row for row in shown), title
        assert not any(re.search(r"\b(missing_challenge|invalid_credentials)\b", row) for row in shown)
        # local date and time with its zone, and how long ago
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+", shown[0]) and "just now" in shown[0]
        summary = page.locator("#summary").inner_text()
        assert "6 events stored" in summary and "6 today" in summary
        assert page.locator("#older").is_hidden() and page.locator("#delete-shown").is_hidden()  # one page, no filter

        basic = next(e for e in stored if e["url"].endswith("/basic"))
        page.select_option("select[name=cause]", basic["diagnosis"]["cause"])
        wait_rows(page, 1)
        assert basic["diagnosis"]["title"] in rows(page)[0]
        assert f"cause={basic['diagnosis']['cause']}" in page.url
        assert page.locator("#delete-shown").is_visible()
        page.reload()  # the address keeps the view
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("select[name=cause]").input_value() == basic["diagnosis"]["cause"]
        assert len(rows(page)) == 1

        page.click("button[type=reset]")
        wait_rows(page, 4)
        page.fill("input[name=q]", "no-challenge")
        wait_rows(page, 1)
        assert "/no-challenge" in rows(page)[0]
        page.fill("input[name=q]", "nothing-matches-this")
        page.wait_for_selector("#empty:not([hidden])")
        assert "No event matches" in page.locator("#empty").inner_text()
        page.fill("input[name=q]", "")
        page.select_option("select[name=status]", "407")
        page.wait_for_selector("#empty:not([hidden])")
        page.select_option("select[name=status]", "401")
        wait_rows(page, 4)
        page.check("input[name=group]")
        page.wait_for_selector("#events tr.group")
        assert "localhost" in page.locator("#events tr.group").first.inner_text()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.click("button[type=reset]")
        wait_rows(page, 4)
        page.screenshot(path=str(SCREENSHOTS / "event-list.png"))
    finally:
        context.close()


def test_the_detail_view_explains_one_event_with_its_evidence_and_headers(chromium, companion: Companion, site: Site):
    fill(companion, site)
    bearer = next(e for e in companion.events() if e["url"].endswith("/bearer"))
    for theme in ("light", "dark"):
        context, page = open_page(chromium, companion, color_scheme=theme)
        try:
            page.locator(f"#events tbody tr[data-id='{bearer['id']}']").click()
            pane = page.locator("#detail")
            pane.wait_for(state="visible")
            text = pane.inner_text()
            assert bearer["diagnosis"]["title"] in text
            assert bearer["diagnosis"]["summary"].replace("`", "") in text
            for evidence in bearer["diagnosis"]["evidence"]:
                assert evidence["source"] in text
            assert "Request ·" in text and "Response · 401" in text
            assert "WWW-Authenticate" in text and "Authorization" in text
            assert SECRET not in text and SECRET not in page.content()
            assert f"event={bearer['id']}" in page.url
            page.screenshot(path=str(SCREENSHOTS / f"event-detail{'-dark' if theme == 'dark' else ''}.png"))
            page.keyboard.press("Escape")
            pane.wait_for(state="hidden")
            assert "event=" not in page.url
        finally:
            context.close()


def test_the_list_works_from_the_keyboard(chromium, companion: Companion, site: Site):
    fill(companion, site)
    context, page = open_page(chromium, companion)
    try:
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.name") == "q"
        page.locator("#events tbody tr[data-id]").first.focus()
        page.keyboard.press("ArrowDown")
        second = page.evaluate("document.activeElement.dataset.id")
        page.keyboard.press("Enter")
        page.locator("#detail").wait_for(state="visible")
        assert f"event={second}" in page.url
    finally:
        context.close()


def test_delete_one_and_clear_all(chromium, companion: Companion, site: Site):
    fill(companion, site)
    first = companion.events()[0]
    context, page = open_page(chromium, companion)
    try:
        page.locator(f"#events tbody tr[data-id='{first['id']}']").click()
        page.locator("#detail button.danger").click()
        page.locator("#confirm-ok").click()
        page.wait_for_selector(f"#events tbody tr[data-id='{first['id']}']", state="detached")
        assert first["id"] not in {e["id"] for e in companion.events()}
        assert len(companion.events()) == 5

        page.click("#clear-all")
        page.locator("#confirm button[value=cancel]").click()  # asks once; cancelling keeps everything
        assert len(companion.events()) == 5
        page.click("#clear-all")
        page.locator("#confirm-ok").click()
        page.wait_for_selector("#empty:not([hidden])")
        assert companion.events() == []
    finally:
        context.close()


def test_a_new_401_appears_without_a_reload(chromium, companion: Companion, site: Site):
    fill(companion, site)
    context, page = open_page(chromium, companion)
    try:
        page.wait_for_selector("#live.on")
        companion.through_proxy("GET", f"{site.origin}/bearer?fresh=1", {"Authorization": "Bearer another-one-123456"})
        page.wait_for_selector("#events tbody tr.fresh")
        assert "/bearer?fresh=1" in rows(page)[0]
    finally:
        context.close()


def test_the_har_export_parses_and_holds_no_secret(chromium, companion: Companion, site: Site):
    fill(companion, site)
    context, page = open_page(chromium, companion)
    try:
        with page.expect_download() as download:
            page.click("#export-har")
        path = download.value.path()
        har = json.loads(open(path, encoding="utf-8").read())
        assert har["log"]["version"] == "1.2"
        assert len(har["log"]["entries"]) == 6
        assert {entry["response"]["status"] for entry in har["log"]["entries"]} == {401}
        assert SECRET not in open(path, encoding="utf-8").read()
    finally:
        context.close()


def test_a_login_link_works_once_and_only_once(chromium, companion: Companion):
    link = login_link(companion)
    first = chromium.new_context()
    second = chromium.new_context()
    try:
        page = first.new_page()
        page.goto(link)
        page.wait_for_selector("body[data-ready=true]")
        cookies = first.cookies()
        assert [c["httpOnly"] for c in cookies] == [True] and cookies[0]["sameSite"] == "Strict"
        assert page.evaluate("document.cookie") == ""  # the page's own script cannot read it
        other = second.new_page()
        response = other.goto(link)
        assert response is not None and response.status == 401
        assert "companion open" in other.inner_text("body")
    finally:
        first.close()
        second.close()


ATTACK = """<!doctype html><html><body>
<iframe id="framed" src="http://127.0.0.1:{port}/"></iframe>
<script>
window.results = (async () => {{
  const api = "http://127.0.0.1:{port}";
  const out = {{}};
  try {{ const r = await fetch(api + "/api/events", {{credentials: "include"}}); out.read = await r.text(); }}
  catch (e) {{ out.read = "blocked: " + e.name; }}
  try {{ const r = await fetch(api + "/api/events", {{credentials: "include", mode: "no-cors"}}); out.opaque = r.type; }}
  catch (e) {{ out.opaque = "blocked: " + e.name; }}
  try {{ await fetch(api + "/api/events", {{method: "DELETE", credentials: "include"}}); out.delete = "sent"; }}
  catch (e) {{ out.delete = "blocked: " + e.name; }}
  try {{ await fetch(api + "/api/events", {{method: "POST", credentials: "include", mode: "no-cors",
        headers: {{"Content-Type": "text/plain"}}, body: "x"}}); out.post = "sent"; }}
  catch (e) {{ out.post = "blocked: " + e.name; }}
  await new Promise(r => setTimeout(r, 500));
  return out;
}})();
</script></body></html>"""


def test_an_attacker_page_cannot_read_frame_or_change_the_list(chromium, companion: Companion, site: Site):
    """The worst case: a page on another port of this machine is same-site, so the browser
    sends the SameSite=Strict cookie along."""
    fill(companion, site)
    context, page = open_page(chromium, companion)
    try:
        attacker = context.new_page()
        attack_url = f"http://127.0.0.1:{site.port}/attack"
        attacker.route(attack_url, lambda route: route.fulfill(status=200, content_type="text/html", body=ATTACK.format(port=companion.api_port)))
        attacker.goto(attack_url)
        results = attacker.evaluate("window.results")
        assert results["read"].startswith("blocked")
        assert results["opaque"] in {"opaque", "blocked: TypeError"}
        frame = attacker.frame_locator("#framed")
        assert frame.locator("#events").count() == 0  # the list never renders inside another page
        assert len(companion.events()) == 6  # nothing deleted
        assert page.locator("#events tbody tr[data-id]").count() == 4
    finally:
        context.close()


def test_the_banner_of_companion_run_links_to_the_list(chromium, companion: Companion):
    printed = companion.printed("Events")
    link = re.search(r"Events\s+(http://127\.0\.0\.1:\d+/login\?code=[\w-]+)", printed)
    assert link, printed
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(link.group(1))
        page.wait_for_selector("body[data-ready=true]")
        assert page.title() == "Events · 401 Companion"
    finally:
        context.close()


def test_older_events_load_a_page_at_a_time(chromium, companion: Companion):
    from tests.service.test_api import exchange

    companion.api("DELETE", "/api/events")
    batch = [exchange(flow_id=f"page-{n}", url=f"https://api.example.com/items/{n}", path=f"/items/{n}") for n in range(130)]
    status, answer = companion.api("POST", "/api/ingest", body=batch)
    assert status == 200 and answer["stored"] == 130
    context, page = open_page(chromium, companion)
    try:
        wait_rows(page, 100)
        assert "/items/129" in rows(page)[0]
        page.click("#older")
        wait_rows(page, 130)
        assert "/items/0" in rows(page)[-1]
        assert page.locator("#older").is_hidden()
    finally:
        context.close()
