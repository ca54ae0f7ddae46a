"""RFC 6265's matching rules: which cookies a request should have carried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from companion.net.cookies import default_path, domain_covers, expires_at, path_covers


@pytest.mark.parametrize(
    ("request_path", "expected"),
    [
        # RFC 6265 §5.1.4: empty, not starting with "/", or a single "/" → "/".
        ("", "/"),
        ("login", "/"),
        ("/", "/"),
        ("/login", "/"),
        # Otherwise up to, not including, the right-most "/".
        ("/auth/login", "/auth"),
        ("/auth/", "/auth"),
        ("/a/b/c", "/a/b"),
        ("/a//b", "/a/"),
        # The query is not part of the path, whatever slashes it holds.
        ("/auth/login?next=/app/home", "/auth"),
        ("/login?next=/app/home", "/"),
    ],
)
def test_default_path(request_path, expected):
    """A cookie set without Path by `/auth/login` is not sent to `/api`: that is a real 401 cause."""
    assert default_path(request_path) == expected


@pytest.mark.parametrize(
    ("domain", "host", "covered"),
    [
        ("example.com", "example.com", True),
        ("example.com", "www.example.com", True),
        ("example.com", "a.b.example.com", True),
        (".example.com", "www.example.com", True),
        ("Example.COM", "WWW.example.com", True),
        ("example.com", "badexample.com", False),
        ("www.example.com", "example.com", False),
        ("www.example.com", "api.example.com", False),
        ("example.com", "example.com.evil.test", False),
        ("ample.com", "example.com", False),
    ],
)
def test_domain_covers(domain, host, covered):
    """§5.1.3 domain-match: a suffix counts only at a label boundary."""
    assert domain_covers(domain, host) is covered


@pytest.mark.parametrize(
    ("cookie_path", "request_path", "covered"),
    [
        ("/", "/", True),
        ("/", "/anything/at/all", True),
        ("/docs", "/docs", True),
        ("/docs", "/docs/", True),
        ("/docs", "/docs/web/page", True),
        ("/docs/", "/docs/web", True),
        ("/docs", "/docsets", False),
        ("/docs", "/Docs", False),
        ("/docs/", "/docs", False),
        ("/docs/web", "/docs", False),
        ("/auth", "/api/me", False),
    ],
)
def test_path_covers(cookie_path, request_path, covered):
    """§5.1.4 path-match: `/docs` covers `/docs/web` but not `/docsets`; paths are case-sensitive."""
    assert path_covers(cookie_path, request_path) is covered


SET_AT = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
EXPIRES = datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("set_at", "max_age", "expires", "ends"),
    [
        (SET_AT, 3600, EXPIRES, SET_AT + timedelta(hours=1)),
        (SET_AT, 3600, None, SET_AT + timedelta(hours=1)),
        (SET_AT, None, EXPIRES, EXPIRES),
        (None, 3600, EXPIRES, EXPIRES),
        (SET_AT, None, None, None),
        (SET_AT, 0, EXPIRES, SET_AT),
    ],
)
def test_expires_at(set_at, max_age, expires, ends):
    """Max-Age counts from when the cookie was set and wins over Expires (§5.3); neither is a session cookie."""
    assert expires_at(set_at, max_age, expires) == ends


def test_a_negative_max_age_has_already_ended():
    """`Max-Age=-1` deletes the cookie at once, whatever Expires says."""
    ends = expires_at(SET_AT, -1, EXPIRES)
    assert ends is not None and ends <= SET_AT
