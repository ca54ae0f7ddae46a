"""Sites (registrable domains) and origins: what the memory groups by and what clearing touches."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from companion.net.sites import host_of_origin, site_of
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("host", "site"),
    [
        # Platforms on today's public suffix list: each customer is a site of its own.
        ("myapp.vercel.app", "myapp.vercel.app"),
        ("api.myapp.vercel.app", "myapp.vercel.app"),
        ("x.pages.dev", "x.pages.dev"),
        ("y.netlify.app", "y.netlify.app"),
        ("z.fly.dev", "z.fly.dev"),
        ("a.b.github.io", "b.github.io"),
        # Ordinary registrable domains, under one and two-label suffixes.
        ("app.example.co.uk", "example.co.uk"),
        ("example.co.uk", "example.co.uk"),
        ("a.b.c.example.com", "example.com"),
        ("App.Example.COM", "example.com"),
        # Trailing dots (a fully qualified name) are the same host.
        ("www.example.com.", "example.com"),
        ("example.com..", "example.com"),
        # Addresses and single labels are their own site.
        ("127.0.0.1", "127.0.0.1"),
        ("10.1.2.3", "10.1.2.3"),
        ("[::1]", "[::1]"),
        ("::1", "::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("localhost", "localhost"),
        ("intranet", "intranet"),
        # A public suffix alone is never widened to something else.
        ("co.uk", "co.uk"),
        ("vercel.app", "vercel.app"),
    ],
)
def test_site_of(host, site):
    """Cookies are grouped and cleared per site: a wrong site clears another customer's cookies."""
    assert site_of(host) == site


@pytest.mark.parametrize(
    ("one", "other"),
    [("myapp.vercel.app", "other.vercel.app"), ("x.pages.dev", "y.pages.dev"), ("a.example.co.uk", "a.other.co.uk")],
)
def test_neighbours_on_a_shared_suffix_are_different_sites(one, other):
    """Clearing one Vercel app's cookies must never touch another's."""
    assert site_of(one) != site_of(other)


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("https://app.example.com:8443", "app.example.com"),
        ("http://example.com", "example.com"),
        ("HTTPS://App.Example.com", "app.example.com"),
        ("http://[::1]:8401", "::1"),
        ("https://user:pw@example.com", "example.com"),
        ("null", None),
        ("", None),
        (None, None),
        ("http://[not-closed", None),
        ("no scheme here", None),
    ],
)
def test_host_of_origin(origin, host):
    """An Origin header (or `null` from a sandboxed page) names the calling page's host, or none."""
    assert host_of_origin(origin) == host


_BLOCK = textwrap.dedent(
    """\
    import importlib.abc, json, sys
    BLOCKED = {blocked!r}

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"blocked: {{name}}")
            return None

    sys.meta_path.insert(0, Blocker())
    from companion.net.sites import site_of
    hosts = ["app.example.co.uk", "a.b.example.com", "127.0.0.1", "localhost", "www.example.com."]
    print(json.dumps({{"sites": {{h: site_of(h) for h in hosts}}, "loaded": sorted(m for m in sys.modules if "publicsuffix" in m)}}))
    """
)


def _sites_without(*blocked: str) -> dict:
    script = _BLOCK.format(blocked=set(blocked))
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_without_publicsuffixlist_mitmproxys_list_answers():
    """Inside a mitmproxy lacking publicsuffixlist, sites still come from a suffix list
    (mitmproxy's publicsuffix2): `example.co.uk`, not the naive last two labels `co.uk`."""
    found = _sites_without("publicsuffixlist")
    assert found["sites"] == {
        "app.example.co.uk": "example.co.uk",
        "a.b.example.com": "example.com",
        "127.0.0.1": "127.0.0.1",
        "localhost": "localhost",
        "www.example.com.": "example.com",
    }
    assert "publicsuffixlist" not in found["loaded"]
    assert "publicsuffix2" in found["loaded"]


def test_without_any_suffix_list_a_site_is_still_answered():
    """With no list at all the grouping is coarser, but capture never fails over it."""
    found = _sites_without("publicsuffixlist", "publicsuffix2")
    assert found["sites"]["a.b.example.com"] == "example.com"
    assert found["sites"]["127.0.0.1"] == "127.0.0.1"
    assert found["sites"]["localhost"] == "localhost"
