"""`companion browse` for real: Debian's Chromium launched by the command itself (headless),
then watched over the DevTools protocol. From nothing to a diagnosis with no setting changed
by hand: the page goes through the proxy, its 401 is on the badge, the extension is paired
without a pasted token; and the companion is left as it was found."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT, Companion, Site, free_port, wait_port
from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


def browse(companion: Companion, url: str, debug_port: int | None, *, browser: str = "chromium") -> subprocess.Popen[str]:
    debugging = [f"--browser-arg=--remote-debugging-port={debug_port}", "--browser-arg=--no-sandbox"] if debug_port else []
    return subprocess.Popen(
        [
            sys.executable, "-m", "companion.cli", "browse", url, "--browser", browser, "--headless",
            "--data-dir", str(companion.data_dir), "--api-port", str(companion.api_port),
            "--listen-port", str(companion.proxy_port), "--confdir", str(companion.confdir), *debugging,
        ],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def watch(debug_port: int, proc: subprocess.Popen[str]):
    """Playwright attached to the browser `companion browse` started."""
    from playwright.sync_api import sync_playwright

    wait_port(debug_port, proc, timeout=60)
    playwright = sync_playwright().start()
    browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{debug_port}")
    return playwright, browser


def wait_for(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def extension_worker(context):
    return wait_for(lambda: context.service_workers and context.service_workers[0], "the extension's worker")


def tab_at(worker, url: str) -> int:
    """The id of the tab showing `url` (as the extension sees the tabs)."""
    find = "u => chrome.tabs.query({}).then(ts => ts.find(t => t.url === u && t.status === 'complete')?.id ?? null)"
    return wait_for(lambda: worker.evaluate(find, url), f"a tab at {url}")


def close(browser) -> None:
    """Closes the browser itself (Browser.close), as a person closing its window."""
    browser.new_browser_cdp_session().send("Browser.close")


def test_browse_opens_a_paired_browser_through_the_proxy(companion: Companion, site: Site):
    companion.api("DELETE", "/api/events")
    url = f"{site.origin}/bearer"
    debug_port = free_port()
    proc = browse(companion, url, debug_port)
    playwright, browser = watch(debug_port, proc)
    try:
        worker = extension_worker(browser.contexts[0])
        tab = tab_at(worker, url)  # the pairing page went on to the asked-for URL
        event = companion.wait_event(url)  # through the proxy: captured and diagnosed
        assert event["status"] == 401
        token = worker.evaluate("chrome.storage.local.get('apiToken').then(v => v.apiToken ?? null)")
        assert token == companion.token  # paired, and nothing was pasted
        badge = wait_for(lambda: worker.evaluate("id => chrome.action.getBadgeText({tabId: id})", tab), "the badge")
        assert badge == "1"
        # …and its popup explains it, as the README shows it.
        extension_id = worker.url.split("/")[2]
        popup = browser.contexts[0].new_page()
        popup.set_viewport_size({"width": 400, "height": 520})
        popup.goto(f"chrome-extension://{extension_id}/popup/popup.html?tabId={tab}")
        popup.locator("section.cause-group").first.wait_for(state="visible")
        assert event["diagnosis"]["title"] in popup.locator("body").inner_text()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        popup.screenshot(path=str(SCREENSHOTS / "browse-popup.png"))
        close(browser)
    finally:
        playwright.stop()
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "Using the companion running on port" in out
    assert f"Opening chromium ({'/usr/bin/chromium'}" in out and str(companion.data_dir / "browsers" / "chromium") in out
    assert companion.proc is not None and companion.proc.poll() is None  # a companion it did not start keeps running


def test_browse_starts_the_companion_when_needed_and_stops_it_after(tmp_path: Path, site: Site):
    """On a fresh machine: no companion running, no CA yet, no profile."""
    fresh = Companion(free_port(), free_port(), tmp_path / "data", tmp_path / "mitmproxy")
    debug_port = free_port()
    proc = browse(fresh, f"{site.origin}/basic", debug_port)
    playwright, browser = watch(debug_port, proc)
    try:
        tab_at(extension_worker(browser.contexts[0]), f"{site.origin}/basic")
        assert fresh.wait_event(f"{site.origin}/basic")["diagnosis"]["cause"] in {"missing_credentials", "invalid_credentials"}
        close(browser)
    finally:
        playwright.stop()
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "Starting the companion" in out and "Stopped the companion this command had started" in out
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", fresh.api_port), timeout=1).close()
    assert (fresh.data_dir / "browsers" / "chromium").is_dir()  # kept for the next launch


@pytest.mark.firefox
@pytest.mark.skipif(
    not IN_CI and not (shutil.which("firefox-esr") and shutil.which("certutil")),
    reason="firefox-esr or certutil missing: `make test` installs firefox-esr and libnss3-tools",
)
def test_browse_in_firefox_pairs_and_browses_through_the_proxy(tmp_path: Path, site: Site):
    """Firefox ESR from a fresh profile: the proxy by its prefs, the CA in its own certificate
    database, the extension installed in it. The pairing page goes on to the asked-for page
    only once the code was traded for the token, so the 401 arriving proves all three."""
    fresh = Companion(free_port(), free_port(), tmp_path / "data", tmp_path / "mitmproxy")
    url = f"{site.origin}/bearer?firefox=1"
    proc = browse(fresh, url, None, browser="firefox")
    try:
        event = wait_for(lambda: next((e for e in events_of(fresh) if e["url"] == url), None), "the 401 through Firefox", 60)
        assert event["diagnosis"]["cause"] == "missing_credentials"  # a browser sends no token by itself
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: the browser closes, the companion it started stops
        out, _ = proc.communicate(timeout=60)
    assert "Opening firefox" in out and "installed in the profile and paired" in out, out
    assert "Stopped the companion this command had started" in out, out
    profile = fresh.data_dir / "browsers" / "firefox"
    assert (profile / "cert9.db").is_file() and (profile / "extensions" / "401-companion@example.invalid.xpi").is_file()
    assert "network.proxy.http_port" in (profile / "user.js").read_text()


def events_of(companion: Companion) -> list[dict]:
    try:
        return companion.events()
    except OSError:  # not started yet
        return []
