"""https through the proxy: CONNECT, mitmproxy's leaf certificate, a 401 from inside TLS."""

from __future__ import annotations

import base64

from tests.conftest import Companion, Site
from tests.support.testsite import PASSWORD, make_jwt


def test_a_401_inside_https_is_captured_and_diagnosed(companion: Companion, tls_site: Site):
    """Most sites are https: the addon sees the decrypted exchange and names the cause."""
    url = f"{tls_site.origin}/bearer?over=tls"
    token = make_jwt(-120)
    status, _ = companion.through_proxy("GET", url, {"Authorization": f"Bearer {token}"})
    assert status == 401
    event = companion.wait_event(url)
    assert event["diagnosis"]["cause"] == "expired_token"
    assert event["exchange"]["scheme"] == "https" and event["exchange"]["port"] == tls_site.port
    for path in companion.data_dir.glob("events.sqlite3*"):
        assert token.encode() not in path.read_bytes()


def test_https_success_passes_untouched(companion: Companion, tls_site: Site):
    good = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    status, body = companion.through_proxy("GET", f"{tls_site.origin}/basic", {"Authorization": good})
    assert status == 200 and b"alice" in body
