"""What `companion browse` decides before it launches anything: which browser, the extension's
id, the pairing page's address, Chrome's refusal said plainly. (The launches themselves are in
tests/e2e/test_browse.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from companion.commands import browse
from companion.errors import ConfigError


def fake_path(monkeypatch, tmp_path: Path, *names: str) -> None:
    for name in names:
        exe = tmp_path / name
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))


@pytest.mark.parametrize(
    ("installed", "wanted", "kind", "name"),
    [
        (["chromium", "firefox-esr"], None, "chromium", "chromium"),
        (["chromium-browser"], None, "chromium", "chromium-browser"),
        (["google-chrome-stable", "firefox"], None, "chrome", "google-chrome-stable"),
        (["firefox-esr"], None, "firefox", "firefox-esr"),
        (["chromium", "firefox"], "firefox", "firefox", "firefox"),
    ],
)
def test_the_browser_used_is_the_one_asked_for_or_the_first_found(monkeypatch, tmp_path, installed, wanted, kind, name):
    fake_path(monkeypatch, tmp_path, *installed)
    found = browse.find_browser(wanted)
    assert (found.kind, found.path.name) == (kind, name)


@pytest.mark.parametrize(
    ("installed", "wanted", "says"),
    [
        ([], None, "no browser found (looked for Chromium, Google Chrome and Firefox): install Chromium"),
        (["chromium"], "firefox", "no firefox found on this machine: install Firefox (Debian: `sudo apt install firefox-esr libnss3-tools`)"),
    ],
)
def test_no_browser_says_what_to_install(monkeypatch, tmp_path, installed, wanted, says):
    fake_path(monkeypatch, tmp_path, *installed)
    with pytest.raises(ConfigError) as refused:
        browse.find_browser(wanted)
    assert says in str(refused.value)


def test_google_chrome_gets_proxy_and_ca_and_is_told_about_the_extension(tmp_path):
    from tests.conftest import ROOT

    confdir = tmp_path / "mitmproxy"
    confdir.mkdir()
    from mitmproxy.certs import CertStore

    CertStore.from_store(str(confdir), "mitmproxy", 2048)
    options = browse.BrowseOptions(tmp_path, 8401, 8080, confdir, url="https://example.com/", extension=ROOT / "extension")
    command, note = browse.chromium_command(browse.FoundBrowser("chrome", Path("/opt/google/chrome/chrome")), options, tmp_path / "p", "ABCD-EFGH")
    assert "--proxy-server=http://127.0.0.1:8080" in command and any(a.startswith("--ignore-certificate-errors-spki-list=") for a in command)
    assert command[-1] == "https://example.com/"  # no extension page: Chrome would not have it
    assert "ignores --load-extension since version 137" in note and "companion pair" in note

    command, note = browse.chromium_command(browse.FoundBrowser("chromium", Path("/usr/bin/chromium")), options, tmp_path / "p", "ABCD-EFGH")
    extension_id = browse.chromium_extension_id(ROOT / "extension")
    assert command[-1] == (
        f"chrome-extension://{extension_id}/pair/pair.html#code=ABCD-EFGH&port=8401&next=https%3A%2F%2Fexample.com%2F"
    )
    assert note == "the extension is loaded and paired"
