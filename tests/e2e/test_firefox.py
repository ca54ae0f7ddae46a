"""The end-to-end path in real Firefox ESR: browse through the proxy (http, and https with the
CA trusted for the test profile only), the badge, pairing in the popup, the cause, and every
fix checked for its effect; where Firefox cannot do what Chromium does, the popup says so.

Debian's firefox-esr, driven headless by puppeteer-core over WebDriver BiDi (the facts in
DESIGN.md). Each node script in tests/e2e/firefox/ launches a fresh profile with the
extension built for Firefox, does what a person would, and prints what they would have seen
as JSON; these tests start the real companion and sites, run the script, and assert.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT, Companion, Site
from tests.e2e import test_fixes
from tests.e2e.test_fixes import EXPIRED_JWT, SHOP_COOKIE, SHOP_PASSWORD, Shop

FIREFOX = os.environ.get("FIREFOX", "/usr/bin/firefox-esr")
SCRIPTS = ROOT / "tests" / "e2e" / "firefox"


def _missing() -> list[str]:
    missing = [] if Path(FIREFOX).exists() else [f"Firefox ESR at {FIREFOX}"]
    missing += [tool for tool in ("certutil", "node") if shutil.which(tool) is None]
    if not (ROOT / "node_modules" / "puppeteer-core").is_dir():
        missing.append("puppeteer-core (npm ci)")
    return missing


# Outside CI a machine without Firefox skips with the reason; in CI they run, and fail.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.firefox,
    pytest.mark.skipif(
        not IN_CI and bool(_missing()),
        reason=f"missing {', '.join(_missing())}: `make test` installs firefox-esr, libnss3-tools and puppeteer-core",
    ),
]

# The shop and its 401s of the Chromium fix tests, for this module's companion.
shop = test_fixes.shop
failures = test_fixes.failures


@pytest.fixture(scope="module")
def firefox_extension(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extension as scripts/build-extension builds it for Firefox (its own copy)."""
    tmp = tmp_path_factory.mktemp("firefox-extension")
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build-extension"), "--out", str(tmp / "dist"), "--build", str(tmp / "build")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return tmp / "build" / "firefox"


def run_in_firefox(script: str, tmp: Path, companion: Companion, extension: Path, **config: object) -> dict:
    """Runs tests/e2e/firefox/<script>.mjs with a fresh profile in `tmp`; what it saw."""
    config = {
        "firefox": FIREFOX, "profile": str(tmp / "profile"), "extension": str(extension),
        "caFile": str(companion.confdir / "mitmproxy-ca-cert.pem"),
        "proxyPort": companion.proxy_port, "apiPort": companion.api_port, "token": companion.token, **config,
    }  # fmt: skip
    config_file = tmp / f"{script}.json"
    config_file.write_text(json.dumps(config))
    node = subprocess.Popen(
        ["node", str(SCRIPTS / f"{script}.mjs"), str(config_file)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        out, err = node.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        # SIGTERM first: puppeteer closes the Firefox it started (a SIGKILL would orphan it).
        node.terminate()
        out, err = node.communicate(timeout=30)
        raise AssertionError(f"{script}.mjs did not finish in 300 s:\n{err}") from None
    assert node.returncode == 0, f"{script}.mjs failed:\n{err}"
    return json.loads(out)


def test_session_ends_and_firefox_pairs_names_the_cause_and_clears_the_cookies(
    companion: Companion, site: Site, firefox_extension: Path, tmp_path: Path
):
    """A person's day in Firefox over http: the popup says when the companion is not running;
    signed in, the session ends on the server, the page fails with 401; the badge asks to pair, one paste pairs, the popup names the cause,
    the badge counts live, "Clear cookies" signs the person out and signing in works again."""
    seen = run_in_firefox("session", tmp_path, companion, firefox_extension, site=site.origin)

    assert seen["badgeNotRunning"]["text"] == ""
    assert "companion run" in seen["notRunning"] and "http://127.0.0.1:9" in seen["notRunning"]

    assert seen["cookiesSignedIn"] == ["csrftoken", "sid", "theme"]
    assert seen["badgeUnpaired"] == {"text": "?", "title": "401 Companion: not paired, open to pair"}
    assert "companion token" in seen["notPaired"]

    cause = seen["cause"]
    assert cause["cause"] == "expired_session"
    assert "session" in cause["title"].lower() and cause["summary"].strip()
    assert "set-cookie" in cause["evidence"].lower()
    assert "clear_cookies" in cause["fixes"]
    for secret in (seen["sessionValue"], companion.token):
        assert secret not in seen["popupText"]

    assert seen["badgePaired"] == {"text": "1", "title": "401 Companion: 1 refused (401) on this page of localhost"}
    assert seen["fetchAgain"] == 401 and seen["badgeAfterFetch"]["text"] == "2"

    assert seen["clearCookies"]["ok"] and "Removed" in seen["clearCookies"]["text"]
    assert "csrftoken" in seen["clearCookies"]["text"]
    assert seen["cookiesAfterClear"] == []
    assert seen["signedInAgain"]
    assert seen["badgeSignedIn"] == {"text": "", "title": "401 Companion: no 401s for localhost on this page"}

    # The session the browser held never reached the store.
    for path in companion.data_dir.glob("events.sqlite3*"):
        assert seen["sessionValue"].encode() not in path.read_bytes()


def test_https_site_loads_through_the_proxy_with_the_ca_trusted_for_the_profile(
    companion: Companion, tls_site: Site, firefox_extension: Path, tmp_path: Path
):
    """No certificate error (the CA is in the test profile's own certificate database, nowhere
    else), and the page's failing API call is on the badge and named in the popup."""
    seen = run_in_firefox("https", tmp_path, companion, firefox_extension, site=tls_site.origin)
    assert seen["navigation"] == {"status": 200, "url": f"{tls_site.origin}/?call=/bearer", "title": "Test site"}
    assert seen["pageStatus"] == "error 401"
    assert seen["badge"]["text"] == "1"
    event = companion.wait_event(f"{tls_site.origin}/bearer")
    assert event["diagnosis"]["cause"] == "missing_credentials"
    shown = next(c for c in seen["causes"] if c["cause"] == "missing_credentials")
    assert shown["title"] == event["diagnosis"]["title"]


@pytest.fixture(scope="module")
def fixes(
    companion: Companion, site: Site, shop: Shop, failures: dict, firefox_extension: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict:
    """Every fix run once in one Firefox (tests/e2e/firefox/fixes.mjs), each part on its own."""
    return run_in_firefox(
        "fixes", tmp_path_factory.mktemp("firefox-fixes"), companion, firefox_extension, site=site.origin, shop=shop.origin
    )


def part(fixes: dict, name: str) -> dict:
    seen = fixes[name]
    assert "error" not in seen, seen.get("error")
    return seen


def localhost(cookies: list[dict]) -> list[dict]:
    return [c for c in cookies if c["domain"].lstrip(".").endswith("localhost")]


def test_clear_cookies_asks_then_removes_every_subdomain_and_partition(fixes: dict):
    """Cancel keeps every cookie; one confirmation removes those of localhost, its subdomains
    and a partitioned one, and leaves another site's alone."""
    seen = part(fixes, "clearCookies")
    before = localhost(seen["before"])
    assert {c["name"] for c in before} >= {"sid", "theme", "csrftoken", "root", "app_pref", "api_sess", "embedded"}
    assert any(c["partitioned"] for c in before)
    assert "localhost and its subdomains" in seen["question"]
    assert seen["afterCancel"] == seen["before"]
    assert seen["result"]["ok"] and "Removed" in seen["result"]["text"] and "1 of them partitioned" in seen["result"]["text"]
    assert [c["name"] for c in seen["after"]] == ["other_site"]


def test_clear_site_data_empties_storage_and_says_what_firefox_cannot_clear(fixes: dict):
    """localStorage, IndexedDB, the service worker and the cookies of the shop are gone. Firefox
    does not let an extension clear one site's HTTP cache or Cache Storage: the popup says so,
    with where to remove them by hand, and they are indeed still there."""
    seen = part(fixes, "clearSiteData")
    assert seen["before"] == {"local": 1, "idb": ["shopdb"], "caches": ["shop-v1"], "workers": 1, "cookies": "other_site=o; cart_id=42"}
    text = seen["result"]["text"]
    assert seen["result"]["ok"] and "cart_id" in text and "Cleared localStorage, IndexedDB and service workers" in text
    assert "Firefox does not let an extension clear one site's cache or Cache Storage" in text
    assert "Manage Data" in text and seen["limit"] in text  # the same words before the click
    assert seen["after"] == {"local": 0, "idb": [], "caches": ["shop-v1"], "workers": 0, "cookies": ""}
    assert not seen["scriptFetchedAgain"]  # the cached script: what the popup warns about


def test_reload_fetches_the_page_again_past_the_cache(fixes: dict, shop: Shop):
    """A normal visit takes the shop's script from the cache; the fix makes Firefox ask the
    server again, saying no-cache."""
    seen = part(fixes, "reload")
    assert seen["servedOnVisit"] == seen["served"]
    assert seen["result"]["ok"] and "without the cache" in seen["result"]["text"]
    assert seen["servedAfterFix"] > seen["served"]
    assert "no-cache" in shop.cache_headers


@pytest.mark.parametrize(
    ("fix", "start", "expected"),
    [("open_login", "/?for=open_login", "http://127.0.0.1:{port}/"), ("open_https", "/insecure", "https://127.0.0.1:{port}/insecure")],
)
def test_fix_opens_the_right_address_in_a_new_tab(fixes: dict, shop: Shop, fix: str, start: str, expected: str):
    """open_login opens the site's root, open_https the page over https, beside the page."""
    seen = part(fixes, "openTabs")[fix]
    url = expected.format(port=shop.port)
    assert seen["result"]["ok"] and url in seen["result"]["text"]
    assert [t["url"] for t in seen["opened"]] == [url]
    assert seen["pageStays"] == f"{shop.origin}{start}"


def test_private_window_needs_the_person_to_allow_it_and_then_opens(fixes: dict, shop: Shop):
    """Firefox runs an extension in private windows only once the person allows it: until then
    the popup says where to allow it and how to open one by hand; once allowed, a private
    window with the page opens."""
    seen = part(fixes, "privateWindow")
    refused = seen["refused"]
    assert not refused["ok"]
    assert '"Run in Private Windows" to Allow' in refused["text"] and "about:addons" in refused["text"]
    assert f"{shop.origin}/?for=open_private_window" in refused["text"]
    assert "Run in Private Windows" in seen["limitBefore"] and seen["limitAllowed"] == ""

    assert seen["allowed"]["ok"] and "private window" in seen["allowed"]["text"]
    assert [t["url"] for t in seen["privateTabs"]] == [f"{shop.origin}/?for=open_private_window&allowed"]


def test_copy_report_pastes_a_report_without_secrets(fixes: dict, failures: dict, shop: Shop):
    """What Ctrl+V pastes after "Copy a report" names what failed and why, and none of the
    password, token or cookie value the requests carried."""
    reports = part(fixes, "copyReport")
    token = reports["expired_token"]
    event = failures["expired_token"]
    assert token["result"]["ok"] and "Copied" in token["result"]["text"]
    report = token["pasted"]
    assert "[expired_token]" in report and event["diagnosis"]["title"] in report
    assert f"GET {shop.origin}/api/orders -> 401" in report and event["id"] in report
    basic = reports["invalid_credentials"]["pasted"]
    assert "[invalid_credentials]" in basic
    for secret in (EXPIRED_JWT, EXPIRED_JWT.split(".")[2], SHOP_COOKIE, SHOP_PASSWORD):
        assert secret not in report and secret not in basic


def test_manual_shows_the_catalogue_steps(fixes: dict, failures: dict):
    """The person's steps for the cause, as the catalogue gives them, one click away."""
    seen = part(fixes, "manual")
    steps = next(f["steps"] for f in failures["expired_token"]["diagnosis"]["fixes"] if f["id"] == "manual")
    assert steps and seen["steps"] == steps
