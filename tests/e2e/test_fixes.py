"""Every fix of the popup checked for its effect in real Chromium, not for the click alone:
cookies really gone (subdomains and partitions too), storage and cache really empty, the page
really fetched again past the cache, the right pages really opened, the report on the
clipboard really free of the secrets the requests carried.

The 401s come from real requests through `companion run`: the shared test site (expired
session on `localhost`) and a small shop below on `127.0.0.1` (another site: its own cookie
jar) that fails the ways the remaining fixes need, and counts what it serves.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aiohttp import web

from tests.conftest import Companion, Site, free_port
from tests.e2e.conftest import SCREENSHOTS, Browser
from tests.support.testsite import make_jwt

pytestmark = pytest.mark.browser

SHOP_PASSWORD = "shop-password-5f1e9d27c3"
SHOP_COOKIE = "shopsess-8d3b6a1f0e4c7a92"
EXPIRED_JWT = make_jwt(-600)

SHOP_HOME = """<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script src="/counted.js"></script></head><body><h1>Shop</h1></body></html>"""


@dataclass
class Shop:
    port: int
    hits: Counter = field(default_factory=Counter)
    cache_headers: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def shop_app(shop: Shop) -> web.Application:
    async def home(request: web.Request) -> web.Response:
        return web.Response(text=SHOP_HOME, content_type="text/html")

    async def counted(request: web.Request) -> web.Response:
        """Cacheable for an hour: only a reload that bypasses the cache fetches it again."""
        shop.hits["counted.js"] += 1
        shop.cache_headers.append(request.headers.get("Cache-Control", ""))
        return web.Response(
            text=f"window.served = {shop.hits['counted.js']};",
            content_type="application/javascript",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    async def service_worker(request: web.Request) -> web.Response:
        return web.Response(text="self.addEventListener('fetch', () => {});", content_type="application/javascript")

    async def token_api(request: web.Request) -> web.Response:
        return web.json_response(
            {"error": "invalid_token", "error_description": "The access token expired"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="shop", error="invalid_token", error_description="The access token expired"'},
        )

    async def basic(request: web.Request) -> web.Response:
        return web.Response(status=401, text="Unauthorized", headers={"WWW-Authenticate": 'Basic realm="shop"'})

    async def insecure(request: web.Request) -> web.Response:
        return web.json_response(
            {"error": "https_required", "message": "HTTPS required: sign in over https"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="shop"'},
        )

    app = web.Application()
    app.router.add_get("/", home)
    app.router.add_get("/counted.js", counted)
    app.router.add_get("/sw.js", service_worker)
    app.router.add_get("/api/orders", token_api)
    app.router.add_get("/basic", basic)
    app.router.add_get("/insecure", insecure)
    return app


@pytest.fixture(scope="module")
def shop() -> Iterator[Shop]:
    shop = Shop(free_port())
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(shop_app(shop))
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", shop.port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield shop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.run_until_complete(runner.cleanup())
    loop.close()


@pytest.fixture(scope="module")
def failures(companion: Companion, site: Site, shop: Shop) -> dict[str, dict]:
    """One real 401 per cause the fixes need, sent through the proxy with planted secrets;
    the stored events by cause."""
    basic = base64.b64encode(f"alice:{SHOP_PASSWORD}".encode()).decode()
    cookie = {"Cookie": f"shop={SHOP_COOKIE}"}
    sent = [
        (f"{site.origin}/api/me", {"Cookie": f"sid=sess-{'0' * 32}; theme=dark"}),
        (f"{shop.origin}/api/orders", {"Authorization": f"Bearer {EXPIRED_JWT}", **cookie}),
        (f"{shop.origin}/basic", {"Authorization": f"Basic {basic}"}),
        (f"{shop.origin}/insecure", {}),
    ]
    for url, headers in sent:
        status, _ = companion.through_proxy("GET", url, headers)
        assert status == 401
    events = {companion.wait_event(url)["diagnosis"]["cause"]: companion.wait_event(url) for url, _ in sent}
    assert set(events) >= {"expired_session", "expired_token", "invalid_credentials", "insecure_transport"}, set(events)
    return events


def open_popup(browser: Browser, companion: Companion, url: str):
    """The site's page in a tab, and the popup for that tab (paired)."""
    browser.storage_set({"apiPort": companion.api_port, "apiToken": companion.token})
    page = browser.context.new_page()
    page.goto(url)
    popup = browser.popup(browser.tab_id(url.split("?")[0] + "*"))
    popup.locator("section.cause-group").first.wait_for(state="visible")
    return page, popup


def run_fix(popup, cause: str, fix: str, *, confirm: bool = False) -> str:
    group = popup.locator(f'section.cause-group[data-cause="{cause}"]')
    if group.locator(".cause-toggle").get_attribute("aria-expanded") == "false":
        group.locator(".cause-toggle").click()  # only the newest cause is open at first
    group.locator(f'.fixes button[data-fix="{fix}"]').click()
    if confirm:
        group.locator("button.confirm-fix").click()
    popup.wait_for_function(
        "cause => document.querySelector(`section[data-cause='${cause}'] .fix-result.done, "
        "section[data-cause='${cause}'] .fix-result.failed`)",
        arg=cause,
    )
    return group.locator(".fix-result").inner_text()


def all_cookies(browser: Browser) -> list[dict]:
    """Every cookie of the profile, partitioned ones included (as the extension sees them)."""
    return browser.worker.evaluate(
        """async () => {
          const seen = [...await chrome.cookies.getAll({}), ...await chrome.cookies.getAll({partitionKey: {}})];
          return [...new Map(seen.map(c => [JSON.stringify([c.domain, c.name, c.partitionKey ?? null]), c])).values()]
            .map(c => ({domain: c.domain, name: c.name, partitioned: Boolean(c.partitionKey)}));
        }"""
    )


def plant_cookies(browser: Browser, shop: Shop) -> None:
    """Cookies of `localhost` itself, two of its subdomains, a partitioned one, and one of
    another site (127.0.0.1) that must survive."""
    browser.context.add_cookies([
        {"name": "root", "value": "r", "domain": "localhost", "path": "/"},
        {"name": "app_pref", "value": "a", "domain": ".app.localhost", "path": "/"},
        {"name": "api_sess", "value": "s", "domain": "api.localhost", "path": "/v1"},
        {"name": "other_site", "value": "o", "url": shop.origin},
    ])  # fmt: skip
    browser.worker.evaluate(
        """() => chrome.cookies.set({url: "https://widgets.localhost/", name: "embedded", value: "e",
             secure: true, sameSite: "no_restriction", partitionKey: {topLevelSite: "https://example.com"}})"""
    )


def localhost_cookies(browser: Browser) -> list[dict]:
    return [c for c in all_cookies(browser) if c["domain"].lstrip(".").endswith("localhost")]


def test_clear_cookies_asks_first_then_removes_every_subdomain_and_partition(
    browser: Browser, companion: Companion, site: Site, shop: Shop, failures: dict
):
    """Cancel keeps every cookie; one confirmation removes the cookies of localhost and of its
    subdomains, the partitioned one too, and leaves other sites' cookies alone."""
    _, popup = open_popup(browser, companion, f"{site.origin}/login")
    plant_cookies(browser, shop)
    before = localhost_cookies(browser)
    assert {c["name"] for c in before} >= {"sid", "theme", "csrftoken", "root", "app_pref", "api_sess", "embedded"}
    assert any(c["partitioned"] for c in before)

    group = popup.locator('section.cause-group[data-cause="expired_session"]')
    group.locator('.fixes button[data-fix="clear_cookies"]').click()
    question = group.locator(".fix-confirm")
    question.wait_for(state="visible")
    assert "localhost and its subdomains" in question.inner_text()
    group.locator("button.cancel-fix").click()
    assert question.is_hidden()
    assert localhost_cookies(browser) == before

    result = run_fix(popup, "expired_session", "clear_cookies", confirm=True)
    assert "Removed" in result and "partitioned" in result
    assert popup.locator(".fix-confirm:not([hidden])").count() == 0  # asked once, not twice
    assert localhost_cookies(browser) == []
    assert [c["name"] for c in all_cookies(browser)] == ["other_site"]


def test_clear_site_data_empties_storage_cache_and_service_workers(
    browser: Browser, companion: Companion, shop: Shop, failures: dict
):
    """localStorage, IndexedDB, Cache Storage, the service worker and the cookies of the shop
    are really gone after one confirmed click."""
    page, popup = open_popup(browser, companion, f"{shop.origin}/")
    page.evaluate(
        """async () => {
          localStorage.setItem("cart", "3 items");
          await new Promise((ok, fail) => {
            const open = indexedDB.open("shopdb", 1);
            open.onupgradeneeded = () => open.result.createObjectStore("orders");
            open.onsuccess = () => {
              const tx = open.result.transaction("orders", "readwrite");
              tx.objectStore("orders").put("order-1", 1);
              tx.oncomplete = () => { open.result.close(); ok(); };
            };
            open.onerror = fail;
          });
          await (await caches.open("shop-v1")).put("/offline", new Response("offline page"));
          await navigator.serviceWorker.register("/sw.js");
          await navigator.serviceWorker.ready;
          document.cookie = "cart_id=42; path=/";
        }"""
    )
    inventory = """async () => ({
        local: localStorage.length,
        idb: (await indexedDB.databases()).map(d => d.name),
        caches: await caches.keys(),
        workers: (await navigator.serviceWorker.getRegistrations()).length,
        cookies: document.cookie,
    })"""
    assert page.evaluate(inventory) == {"local": 1, "idb": ["shopdb"], "caches": ["shop-v1"], "workers": 1, "cookies": "cart_id=42"}

    result = run_fix(popup, "expired_token", "clear_site_data", confirm=True)
    assert "Cleared cache, storage and service workers" in result and "cart_id" in result
    page.reload()
    assert page.evaluate(inventory) == {"local": 0, "idb": [], "caches": [], "workers": 0, "cookies": ""}


def test_reload_fetches_the_page_again_past_the_cache(browser: Browser, companion: Companion, shop: Shop, failures: dict):
    """The shop's script is cacheable for an hour; the fix makes the browser ask the server
    for it again, saying no-cache."""
    page, popup = open_popup(browser, companion, f"{shop.origin}/")
    served = page.evaluate("window.served")
    hits = shop.hits["counted.js"]
    page.goto(f"{shop.origin}/")  # a normal visit: the script comes from the cache
    assert shop.hits["counted.js"] == hits

    result = run_fix(popup, "expired_token", "reload")
    assert "without the cache" in result
    page.wait_for_function("served => window.served > served", arg=served)
    assert shop.hits["counted.js"] == hits + 1
    assert "no-cache" in shop.cache_headers[-1]


@pytest.mark.parametrize(
    ("cause", "fix", "expected_path", "https"),
    [
        ("expired_token", "open_login", "/", False),
        ("insecure_transport", "open_https", "/insecure", True),
    ],
)
def test_fix_opens_the_right_address_in_a_new_tab(
    browser: Browser, companion: Companion, shop: Shop, failures: dict, cause: str, fix: str, expected_path: str, https: bool
):
    """open_login opens the site's root, open_https the same page over https, each in a new
    tab beside the page (which stays)."""
    start = f"{shop.origin}/insecure" if https else f"{shop.origin}/"
    page, popup = open_popup(browser, companion, start)
    tab = browser.tab_id(start)
    result = run_fix(popup, cause, fix)
    expected = f"{'https' if https else 'http'}://127.0.0.1:{shop.port}{expected_path}"
    assert expected in result
    opened = browser.wait_until(
        lambda: browser.worker.evaluate(
            "([url, opener]) => chrome.tabs.query({}).then(ts => ts.find(t => (t.pendingUrl || t.url) === url && t.openerTabId === opener) ?? null)",
            [expected, tab],
        ),
        f"a tab at {expected}",
    )
    assert opened["id"] != tab
    assert page.url == start  # the failing page is still there


def test_open_private_window_opens_one_or_says_how_to_allow_it(
    browser: Browser, companion: Companion, shop: Shop, failures: dict
):
    """Either a private window with the page really exists afterwards, or the popup explains
    how to let the extension open one and where to go by hand."""
    page, popup = open_popup(browser, companion, f"{shop.origin}/")
    cdp = browser.context.new_cdp_session(page)
    targets_before = {t["targetId"] for t in cdp.send("Target.getTargets")["targetInfos"]}
    result = run_fix(popup, "invalid_credentials", "open_private_window")
    failed = popup.locator('section[data-cause="invalid_credentials"] .fix-result.failed').count() == 1
    if failed:
        assert "Allow in Incognito" in result and f"{shop.origin}/" in result
    else:
        assert "private window" in result
        new = browser.wait_until(
            lambda: [
                t for t in cdp.send("Target.getTargets")["targetInfos"]
                if t["targetId"] not in targets_before and t["type"] == "page" and t["url"].startswith(shop.origin)
            ],
            "a new private window",
        )  # fmt: skip
        own_context = next(t for t in cdp.send("Target.getTargets")["targetInfos"] if t["url"] == page.url)["browserContextId"]
        assert all(t["browserContextId"] != own_context for t in new)  # another, private, context


def test_copy_report_puts_a_redacted_report_on_the_clipboard(
    browser: Browser, companion: Companion, shop: Shop, failures: dict
):
    """The report names what failed and why, and none of the password, token or cookie value
    the requests carried."""
    page, popup = open_popup(browser, companion, f"{shop.origin}/")
    # Chromium grants no permission to extension origins from outside; the clipboard is the
    # browser's, so the shop's page reads back what the popup wrote.
    browser.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=shop.origin)

    def clipboard() -> str:
        page.bring_to_front()
        text = page.evaluate("navigator.clipboard.readText()")
        popup.bring_to_front()
        return text

    page.bring_to_front()
    page.evaluate("navigator.clipboard.writeText('nothing copied yet')")
    popup.bring_to_front()
    run_fix(popup, "expired_token", "copy_report")
    report = clipboard()
    event = failures["expired_token"]
    assert "Copied" in popup.locator('section[data-cause="expired_token"] .fix-result').inner_text()
    assert "[expired_token]" in report and event["diagnosis"]["title"] in report
    assert f"GET {shop.origin}/api/orders -> 401" in report and event["id"] in report
    for secret in (EXPIRED_JWT, EXPIRED_JWT.split(".")[2], SHOP_COOKIE, SHOP_PASSWORD):
        assert secret not in report
    run_fix(popup, "invalid_credentials", "copy_report")
    report = clipboard()
    assert "[invalid_credentials]" in report and SHOP_PASSWORD not in report


def test_manual_shows_the_steps_and_screenshots(browser: Browser, companion: Companion, shop: Shop, failures: dict):
    """The manual fix lists the catalogue's steps for the cause; the popup is saved in light
    and dark for docs/extension.md."""
    _, popup = open_popup(browser, companion, f"{shop.origin}/")
    run_fix(popup, "expired_token", "manual")
    steps = next(f["steps"] for f in failures["expired_token"]["diagnosis"]["fixes"] if f["id"] == "manual")
    shown = popup.locator('section[data-cause="expired_token"] .fix-result li').all_inner_texts()
    assert steps and shown == [step.replace("`", "") for step in steps]  # as text, without markdown

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # As a person sees it: the popup at its largest (600 px), from the top.
    popup.set_viewport_size({"width": 380, "height": 600})
    popup.evaluate("window.scrollTo(0, 0)")  # running the fix scrolled its group into view
    popup.screenshot(path=str(SCREENSHOTS / "popup-fixes.png"))
    popup.emulate_media(color_scheme="dark")
    assert popup.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    background = popup.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    popup.screenshot(path=str(SCREENSHOTS / "popup-dark.png"))


def test_clearing_one_hosted_app_leaves_its_sibling_apps_alone(browser: Browser, companion: Companion):
    """`myapp.vercel.app` and `other.vercel.app` are two sites by today's public suffix list:
    clearing the cookies of one app never signs the person out of another app on the platform."""
    now = datetime.now(UTC).isoformat()
    status, event = companion.api("POST", "/api/ingest", body={
        "flow_id": "vercel-1", "time": now, "method": "GET", "url": "http://myapp.vercel.app/api/me",
        "scheme": "http", "host": "myapp.vercel.app", "port": 80, "path": "/api/me", "status": 401,
        "request": {"cookies": [{"name": "session", "length": 32}]},
        "response": {"received": now, "set_cookies": [{"name": "session", "deletes": True}]},
    })  # fmt: skip
    assert status == 201 and event["site"] == "myapp.vercel.app"
    browser.context.add_cookies([
        {"name": "session", "value": "m", "domain": "myapp.vercel.app", "path": "/"},
        {"name": "pref", "value": "p", "domain": ".myapp.vercel.app", "path": "/"},
        {"name": "api_sess", "value": "a", "domain": "api.myapp.vercel.app", "path": "/"},
        {"name": "session", "value": "o", "domain": "other.vercel.app", "path": "/"},
        {"name": "pref", "value": "q", "domain": ".other.vercel.app", "path": "/"},
    ])  # fmt: skip
    # The app's page in a tab (no network here: the browser answers for the app itself).
    browser.context.route("http://myapp.vercel.app/**", lambda route: route.fulfill(body="<h1>my app</h1>", content_type="text/html"))
    _, popup = open_popup(browser, companion, "http://myapp.vercel.app/")
    result = run_fix(popup, "expired_session", "clear_cookies", confirm=True)
    assert "Removed 3 cookies for myapp.vercel.app" in result, result
    assert sorted((c["domain"].lstrip("."), c["name"]) for c in all_cookies(browser)) == [
        ("other.vercel.app", "pref"), ("other.vercel.app", "session"),
    ]  # fmt: skip
