"""What the addon remembers between requests: cookies per site, the scheme that worked, 401 loops;
bounded, and never a cookie's value."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.capture import memory as memory_module
from companion.capture.exchange import parse_set_cookies
from companion.capture.memory import SiteMemory
from companion.net.dates import utc_iso
from companion.net.sites import site_of

T0 = 1_795_000_000.0  # 2026-11-18T11:06:40Z
SECRET = "s3cr3t-session-value-9f8e7d6c"


def remember(memory: SiteMemory, host: str, *lines: str, path: str = "/", now: float = T0) -> None:
    """Feed Set-Cookie lines the way the addon does: parsed (value-free), then noted."""
    memory.note_set_cookies(host, parse_set_cookies(list(lines), now), now, path)


def names(memory: SiteMemory, host: str) -> list[str]:
    return [c["name"] for c in memory.cookies_of_site(host)]


@pytest.mark.parametrize(
    ("set_by", "asked_for", "seen"),
    [
        ("app.example.com", "app.example.com", True),
        ("app.example.com", "api.example.com", True),
        ("app.example.com", "example.com", True),
        ("www.example.co.uk", "api.example.co.uk", True),
        ("a.example.co.uk", "a.other.co.uk", False),
        ("myapp.vercel.app", "api.myapp.vercel.app", True),
        ("myapp.vercel.app", "other.vercel.app", False),
        ("app.example.com", "app.example.org", False),
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.1", "localhost", False),
    ],
)
def test_cookies_are_remembered_per_site(set_by, asked_for, seen):
    """A 401 on api.example.com can name the cookie app.example.com set; another site's never."""
    memory = SiteMemory()
    remember(memory, set_by, f"sid={SECRET}; Path=/")
    assert names(memory, asked_for) == (["sid"] if seen else [])


def test_a_cookie_with_domain_is_one_cookie_for_every_host_of_that_domain():
    """Set with `Domain=.Example.com` on the login host, deleted with `Domain=example.com` by
    another host of the site: the browser deletes it, so the memory forgets it."""
    memory = SiteMemory()
    remember(memory, "login.example.com", f"sid={SECRET}; Domain=.Example.com; Path=/")
    assert [c["host_only_for"] for c in memory.cookies_of_site("api.example.com")] == [None]
    remember(memory, "www.example.com", "sid=; Domain=example.com; Path=/; Max-Age=0", now=T0 + 1)
    assert names(memory, "api.example.com") == []


@pytest.mark.parametrize(
    ("set_by", "domain", "kept"),
    [
        ("evil.test", "bank.example.org", False),
        ("example.org", "bank.example.org", False),  # a parent cannot set a child's cookie
        ("notbank.example.org", "bank.example.org", False),
        ("a.bank.example.org", "bank.example.org", True),
        ("bank.example.org", ".BANK.example.org", True),
    ],
)
def test_a_cookie_for_a_domain_the_host_is_not_in_is_never_remembered(set_by, domain, kept):
    """Browsers refuse a `Set-Cookie` whose Domain does not cover the host that sent it; so
    does the memory: a response from one site must not plant cookies in another site's 401s."""
    memory = SiteMemory()
    remember(memory, set_by, f"session=x; Domain={domain}; Path=/")
    assert names(memory, "bank.example.org") == (["session"] if kept else [])


def test_no_cookie_value_is_remembered():
    """Memory holds names and attributes only: the value never reaches an exchange."""
    memory = SiteMemory()
    remember(memory, "app.example.com", f"sid={SECRET}; Path=/; Secure; HttpOnly; SameSite=Lax")
    kept = memory.cookies_of_site("app.example.com")
    assert kept[0]["value_length"] == len(SECRET)
    assert SECRET not in json.dumps(kept)


@pytest.mark.parametrize(
    ("set_line", "set_path", "delete_line", "delete_path", "forgotten"),
    [
        ("sid=v; Path=/", "/", "sid=; Path=/; Max-Age=0", "/", True),
        ("sid=v; Path=/", "/", "sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "/", True),
        # Set and deleted without Path from the same folder: the same cookie.
        ("sid=v", "/auth/login", "sid=; Max-Age=0", "/auth/logout", True),
        ("sid=v; Domain=example.com; Path=/", "/", "sid=; Domain=.example.com; Path=/; Max-Age=0", "/", True),
        # A deletion for another path or domain is another cookie: the browser keeps this one.
        ("sid=v; Path=/app", "/", "sid=; Path=/; Max-Age=0", "/", False),
        ("sid=v", "/auth/login", "sid=; Max-Age=0", "/logout", False),
        ("sid=v; Path=/", "/", "sid=; Domain=example.com; Path=/; Max-Age=0", "/", False),
        ("sid=v; Path=/", "/", "other=; Path=/; Max-Age=0", "/", False),
    ],
)
def test_deleted_cookies_are_forgotten(set_line, set_path, delete_line, delete_path, forgotten):
    """A logout that deletes the session cookie must not leave it 'set earlier' in later diagnoses."""
    memory = SiteMemory()
    remember(memory, "app.example.com", set_line, path=set_path, now=T0)
    remember(memory, "app.example.com", delete_line, path=delete_path, now=T0 + 10)
    assert ("sid" not in names(memory, "app.example.com")) is forgotten


@pytest.mark.parametrize(
    ("line", "request_path", "path", "default"),
    [
        ("sid=v", "/auth/login", None, "/auth"),
        ("sid=v", "/login", None, "/"),
        ("sid=v", "/a/b/c?next=/x/y", None, "/a/b"),
        ("sid=v; Path=/", "/auth/login", "/", None),
        ("sid=v; Path=/api", "/auth/login", "/api", None),
    ],
)
def test_default_path_of_a_cookie_without_path(line, request_path, path, default):
    """A cookie set without Path by `/auth/login` only goes to `/auth`: the diagnosis needs to know."""
    memory = SiteMemory()
    remember(memory, "app.example.com", line, path=request_path)
    [cookie] = memory.cookies_of_site("app.example.com")
    assert (cookie["path"], cookie["default_path"]) == (path, default)


@pytest.mark.parametrize(
    ("host", "line", "host_only_for"),
    [
        ("app.example.com", "sid=v; Path=/", "app.example.com"),
        ("APP.Example.com", "sid=v; Path=/", "app.example.com"),
        ("app.example.com", "sid=v; Path=/; Domain=example.com", None),
    ],
)
def test_host_only_for_a_cookie_without_domain(host, line, host_only_for):
    """A cookie set without Domain by app.example.com is never sent to api.example.com."""
    memory = SiteMemory()
    remember(memory, host, line)
    [cookie] = memory.cookies_of_site("example.com")
    assert cookie["host_only_for"] == host_only_for


def test_cookies_come_newest_first_with_when_they_were_set():
    memory = SiteMemory()
    remember(memory, "app.example.com", "a=1; Path=/", now=T0)
    remember(memory, "app.example.com", "b=1; Path=/", now=T0 + 60)
    kept = memory.cookies_of_site("app.example.com")
    assert [(c["name"], c["set_at"]) for c in kept] == [("b", "2026-11-18T11:07:40Z"), ("a", "2026-11-18T11:06:40Z")]


def test_setting_a_cookie_again_replaces_it():
    """One cookie (name, domain, path) is one entry, with its latest attributes."""
    memory = SiteMemory()
    remember(memory, "app.example.com", "sid=v; Path=/", now=T0)
    remember(memory, "app.example.com", "sid=v; Path=/; Secure; SameSite=None", now=T0 + 5)
    kept = memory.cookies_of_site("app.example.com")
    assert [(c["name"], c["secure"], c["samesite"]) for c in kept] == [("sid", True, "None")]


def test_old_cookies_fall_out_first():
    memory = SiteMemory(max_cookies=3)
    for n in range(5):
        remember(memory, "app.example.com", f"c{n}=v; Path=/", now=T0 + n)
    assert names(memory, "app.example.com") == ["c4", "c3", "c2"]


def test_a_cookie_set_again_is_young_again():
    """A session cookie refreshed on every response is not the one pushed out by a flood of others."""
    memory = SiteMemory(max_cookies=3)
    for n, name in enumerate(["sid", "a", "b", "sid", "c"]):
        remember(memory, "app.example.com", f"{name}=v; Path=/", now=T0 + n)
    assert names(memory, "app.example.com") == ["c", "sid", "b"]


def test_a_site_with_many_cookies_lists_the_newest_within_the_limit():
    memory = SiteMemory()
    remember(memory, "app.example.com", *(f"c{n}=v; Path=/" for n in range(60)))
    assert names(memory, "app.example.com") == [f"c{n}" for n in range(59, 9, -1)]
    assert len(memory.cookies_of_site("app.example.com", limit=5)) == 5


def test_a_flood_of_cookies_leaves_memory_bounded():
    """Whatever sites send, the memory keeps at most max_cookies entries."""
    memory = SiteMemory(max_cookies=10)
    for n in range(200):
        remember(memory, f"h{n}.example.com", f"c{n}=v; Path=/")
    kept = memory.cookies_of_site("example.com", limit=1000)
    assert [c["name"] for c in kept] == [f"c{n}" for n in range(199, 189, -1)]


def test_old_hosts_fall_out_of_the_schemes_that_worked():
    memory = SiteMemory(max_hosts=2)
    for host in ("a.test", "b.test", "c.test"):
        memory.note_success(host, "Bearer")
    assert [memory.context(h, "GET", f"http://{h}/", "fp")["last_success_scheme"] for h in ("a.test", "b.test", "c.test")] == [
        None, "Bearer", "Bearer",
    ]  # fmt: skip


def test_old_requests_fall_out_of_loop_counting():
    memory = SiteMemory(max_requests=2)
    for n in range(3):
        memory.note_401("GET", f"http://a.test/{n}", "fp", now=T0)
    assert memory.note_401("GET", "http://a.test/0", "fp", now=T0 + 1) == (0, 0)
    assert memory.note_401("GET", "http://a.test/2", "fp", now=T0 + 1) == (1, 1)


@pytest.mark.parametrize(
    ("attempts", "counts"),
    [
        # (seconds after T0, credential fingerprint) → (earlier 401s of the request, of those with this credential)
        ([(0, "a"), (10, "a"), (20, "a")], [(0, 0), (1, 1), (2, 2)]),
        ([(0, "a"), (1, "b"), (2, "a"), (3, "c")], [(0, 0), (1, 0), (2, 1), (3, 0)]),
        ([(0, "a"), (59, "a")], [(0, 0), (1, 1)]),
        ([(0, "a"), (61, "a")], [(0, 0), (0, 0)]),
        ([(0, "a"), (30, "a"), (75, "a")], [(0, 0), (1, 1), (1, 1)]),
    ],
)
def test_loops_are_counted_within_a_minute_and_by_credential(attempts, counts):
    """A client retrying the same rejected token is a loop; a retry with a new token or after a minute is not."""
    memory = SiteMemory()
    seen = [memory.note_401("GET", "https://api.example.com/me", fp, now=T0 + at) for at, fp in attempts]
    assert seen == counts


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("GET", "https://api.example.com/me"), ("POST", "https://api.example.com/me")),
        (("GET", "https://api.example.com/me"), ("GET", "https://api.example.com/you")),
    ],
)
def test_loops_are_counted_per_request(first, second):
    memory = SiteMemory()
    memory.note_401(*first, "fp", now=T0)
    assert memory.note_401(*second, "fp", now=T0 + 1) == (0, 0)
    assert memory.note_401(*first, "fp", now=T0 + 2) == (1, 1)


def test_a_long_loop_is_still_a_loop_and_stays_bounded():
    """A page hammering one URL is still counted as a loop, without its history growing without end."""
    memory = SiteMemory()
    counts = [memory.note_401("GET", "https://api.example.com/me", "fp", now=T0 + n * 0.01) for n in range(1000)]
    assert counts[-1][0] == counts[-1][1]
    assert 2 <= counts[-1][0] <= 64


@pytest.mark.parametrize(
    ("successes", "asked", "scheme"),
    [
        ([("api.example.com", "Bearer")], "api.example.com", "Bearer"),
        ([("api.example.com", "Basic"), ("api.example.com", "Bearer")], "api.example.com", "Bearer"),
        ([("api.example.com", "Basic"), ("api.example.com", None)], "api.example.com", "Basic"),
        ([("api.example.com", "Bearer")], "www.example.com", None),
        ([], "api.example.com", None),
    ],
)
def test_last_success_scheme(successes, asked, scheme):
    """A 401 for Basic where Bearer worked before is told apart; a request without a scheme changes nothing."""
    memory = SiteMemory()
    for host, sent in successes:
        memory.note_success(host, sent)
    assert memory.context(asked, "GET", f"https://{asked}/me", "fp")["last_success_scheme"] == scheme


def test_context_counts_this_401_for_the_next_one():
    """The context is taken for each captured 401 in turn: the second sees the first."""
    memory = SiteMemory()
    first = memory.context("api.example.com", "GET", "https://api.example.com/me", "fp")
    second = memory.context("api.example.com", "GET", "https://api.example.com/me", "fp")
    assert (first["recent_401s_same_request"], second["recent_401s_same_request"]) == (0, 1)
    assert (first["recent_401s_same_credential"], second["recent_401s_same_credential"]) == (0, 1)


_HOSTS = ["app.example.com", "api.example.com", "example.com", "shop.example.co.uk", "other.org", "127.0.0.1", "localhost"]


@settings(max_examples=200)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(_HOSTS), st.sampled_from(["a", "b", "c"]), st.sampled_from([None, "example.com", "example.co.uk"]), st.booleans()),
        max_size=40,
    ),
    limit=st.integers(1, 6),
)
def test_a_site_s_cookies_are_those_a_walk_over_every_cookie_finds(steps, limit):
    """A 401's context reads its own site's cookies from an index kept beside the memory;
    what it reads is what a walk over every remembered cookie finds, in the same order,
    through sets, deletions and the oldest falling out."""
    memory = SiteMemory(max_cookies=limit)
    for n, (host, name, domain, deletes) in enumerate(steps):
        line = f"{name}=v" + (f"; Domain={domain}" if domain else "") + ("; Max-Age=0" if deletes else "")
        remember(memory, host, line, now=T0 + n)
    for host in _HOSTS:
        site = site_of(host)
        walked = [
            {**cookie.attrs, "set_at": utc_iso(cookie.set_at)}
            for (domain, _, _), cookie in reversed(memory._cookies.items())
            if domain == host or site_of(domain) == site
        ]
        assert memory.cookies_of_site(host) == walked
    assert sum(len(of_site) for of_site in memory._by_site.values()) == len(memory._cookies) <= limit


def test_a_401_s_context_reads_its_own_site_s_cookies_only(monkeypatch):
    """After an hour of browsing the memory holds thousands of other sites' cookies: a 401's
    context looks at its own site's, not at every one (which cost the proxy a millisecond
    per 401 at 4,096 cookies)."""
    memory = SiteMemory()
    for n in range(4096):
        remember(memory, f"www.site{n}.example", f"c{n}=v", now=T0 + n)
    remember(memory, "app.example.com", "session=v")
    looked_at: list[str] = []
    real = memory_module.site_of
    monkeypatch.setattr(memory_module, "site_of", lambda host: looked_at.append(host) or real(host))
    context = memory.context("api.example.com", "GET", "https://api.example.com/me", "")
    assert [c["name"] for c in context["cookies_set_earlier"]] == ["session"]
    assert len(looked_at) <= 2
