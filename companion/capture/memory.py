"""What the addon remembers across requests: bounded, and free of any secret value.

Per cookie: its name and attributes (never its value). Per host: the auth scheme that last
worked. Per request: when it last got a 401, and with which credential fingerprint. Old
entries fall out first; nothing grows without bound whatever a site sends.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from companion.net.cookies import default_path
from companion.net.dates import utc_iso
from companion.net.sites import site_of

__all__ = ["SiteMemory"]

_LOOP_WINDOW_S = 60.0


@dataclass(slots=True)
class _Cookie:
    attrs: dict[str, Any]
    """A `SetCookie` dict (the wire schema), value-free."""
    set_at: float


class SiteMemory:
    def __init__(self, max_cookies: int = 4096, max_hosts: int = 1024, max_requests: int = 2048):
        self._cookies: OrderedDict[tuple[str, str, str], _Cookie] = OrderedDict()
        # The same cookies by site, in the same order: a 401's context reads its own site's,
        # never a walk over every site's (thousands, after an hour of browsing).
        self._by_site: dict[str, OrderedDict[tuple[str, str, str], _Cookie]] = {}
        self._schemes: OrderedDict[str, str] = OrderedDict()
        self._recent: OrderedDict[tuple[str, str], deque[tuple[float, str]]] = OrderedDict()
        self._redirects: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._max_cookies = max_cookies
        self._max_hosts = max_hosts
        self._max_requests = max_requests

    @staticmethod
    def _bounded_put(table: OrderedDict, key: Any, value: Any, limit: int) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > limit:
            table.popitem(last=False)

    def note_set_cookies(
        self, host: str, set_cookies: list[dict[str, Any]], now: float | None = None, request_path: str | Callable[[], str] = "/"
    ) -> None:
        """Remember the cookies a response to `request_path` set (or forget those it deleted).
        `request_path` (redacted) only serves a cookie set without a Path: it may be given as
        a function that redacts it, called only then (most cookies say `Path=/`)."""
        now = time.time() if now is None else now
        host = host.lower()
        for cookie in set_cookies:
            domain = (cookie.get("domain") or host).lstrip(".").lower()
            if domain != host and not host.endswith("." + domain):
                # A Domain the host is not in: browsers refuse the cookie, and a response from
                # one site must never plant cookies in another site's memory.
                continue
            if cookie.get("path"):
                path = cookie["path"]
            else:
                if callable(request_path):
                    request_path = request_path()
                path = default_path(request_path)[:1024]  # a path of kilobytes is no cookie's
            key = (domain, path, cookie["name"])
            if cookie.get("deletes"):
                self._forget_cookie(key)
                continue
            remembered = _Cookie(
                attrs={
                    **cookie,
                    "default_path": None if cookie.get("path") else path,
                    "host_only_for": None if cookie.get("domain") else domain,
                },
                set_at=now,
            )
            self._cookies[key] = remembered
            self._cookies.move_to_end(key)
            of_site = self._by_site.setdefault(site_of(domain), OrderedDict())
            of_site[key] = remembered
            of_site.move_to_end(key)
            while len(self._cookies) > self._max_cookies:
                self._forget_cookie(next(iter(self._cookies)))

    def _forget_cookie(self, key: tuple[str, str, str]) -> None:
        if self._cookies.pop(key, None) is None:
            return
        site = site_of(key[0])
        of_site = self._by_site.get(site)
        if of_site is not None:
            of_site.pop(key, None)
            if not of_site:
                del self._by_site[site]

    def note_redirect(self, target_url: str, facts: dict[str, Any], now: float | None = None) -> None:
        """A redirect to `target_url` (redacted) answered a request that carried credentials;
        `facts` is a `RedirectFacts` dict (the wire schema)."""
        self._bounded_put(self._redirects, target_url, (time.time() if now is None else now, facts), self._max_requests)

    def redirect_to(self, url: str, now: float | None = None) -> dict[str, Any] | None:
        """The redirect that led to `url` within the last minute, if one carried credentials."""
        found = self._redirects.get(url)
        now = time.time() if now is None else now
        if found is None or now - found[0] > _LOOP_WINDOW_S:
            return None
        return found[1]

    def note_success(self, host: str, scheme: str | None) -> None:
        if scheme:
            self._bounded_put(self._schemes, host, scheme, self._max_hosts)

    def note_401(self, method: str, url: str, credential_fp: str, now: float | None = None) -> tuple[int, int]:
        """Record a 401 and answer how many earlier 401s the same request got within the
        last minute, and how many of those carried the same credential."""
        now = time.time() if now is None else now
        key = (method, url)
        history = self._recent.get(key) or deque(maxlen=32)
        while history and now - history[0][0] > _LOOP_WINDOW_S:
            history.popleft()
        same_request = len(history)
        same_credential = sum(1 for _, fp in history if fp == credential_fp)
        history.append((now, credential_fp))
        self._bounded_put(self._recent, key, history, self._max_requests)
        return same_request, same_credential

    def cookies_of_site(self, host: str, limit: int = 50) -> list[dict[str, Any]]:
        """Every cookie remembered for this host's site (registrable domain), newest first,
        with when it was set, whether or not it would match this request and even when it
        has expired since: which ones should have been sent is the diagnosis's question."""
        found = []
        for cookie in reversed(self._by_site.get(site_of(host), {}).values()):
            found.append({**cookie.attrs, "set_at": utc_iso(cookie.set_at)})
            if len(found) >= limit:
                break
        return found

    def context(self, host: str, method: str, url: str, credential_fp: str, now: float | None = None) -> dict[str, Any]:
        """The `SiteContext` dict (the wire schema) for a 401 captured at `now` (default: now)."""
        now = time.time() if now is None else now
        same_request, same_credential = self.note_401(method, url, credential_fp, now)
        return {
            "cookies_set_earlier": self.cookies_of_site(host),
            "last_success_scheme": self._schemes.get(host),
            "recent_401s_same_request": same_request,
            "recent_401s_same_credential": same_credential,
            "redirect": self.redirect_to(url, now),
        }
