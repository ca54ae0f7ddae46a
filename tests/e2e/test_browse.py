"""`companion browse` for real: Debian's Chromium launched by the command itself (headless),
then watched over the DevTools protocol. From nothing to a diagnosis with no setting changed
by hand: the page goes through the proxy, its 401 is on the badge, the extension is paired
without a pasted token; and the companion is left as it was found."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, Companion, Site, free_port, wait_port

pytestmark = pytest.mark.browser


def browse(companion: Companion, url: str, debug_port: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "companion.cli", "browse", url, "--browser", "chromium", "--headless",
            "--data-dir", str(companion.data_dir), "--api-port", str(companion.api_port),
            "--listen-port", str(companion.proxy_port), "--confdir", str(companion.confdir),
            f"--browser-arg=--remote-debugging-port={debug_port}", "--browser-arg=--no-sandbox", *extra,
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
