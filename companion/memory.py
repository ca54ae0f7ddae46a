"""What the addon remembers across requests: bounded, and free of any secret value.

Per cookie: its name and attributes (never its value). Per host: the auth scheme that last
worked. Per request: when it last got a 401, and with which credential fingerprint. Old
entries fall out first; nothing grows without bound whatever a site sends.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["SiteMemory"]

_LOOP_WINDOW_S = 60.0


@dataclass(slots=True)
class _Cookie:
    attrs: dict[str, Any]
    """A `SetCookie` dict (models.py), value-free."""
    set_at: float
    expires_at: float | None


def _domain_matches(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


class SiteMemory:
    def __init__(self, max_cookies: int = 4096, max_hosts: int = 1024, max_requests: int = 2048):
        self._cookies: OrderedDict[tuple[str, str, str], _Cookie] = OrderedDict()
        self._schemes: OrderedDict[str, str] = OrderedDict()
        self._recent: OrderedDict[tuple[str, str], deque[tuple[float, str]]] = OrderedDict()
        self._max_cookies = max_cookies
        self._max_hosts = max_hosts
        self._max_requests = max_requests

    @staticmethod
    def _bounded_put(table: OrderedDict, key: Any, value: Any, limit: int) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > limit:
            table.popitem(last=False)

    def note_set_cookies(self, host: str, set_cookies: list[dict[str, Any]], now: float | None = None) -> None:
        """Remember the cookies a response set (or forget the ones it deleted)."""
        now = time.time() if now is None else now
        for cookie in set_cookies:
            domain = (cookie.get("domain") or host).lstrip(".").lower()
            key = (domain, cookie.get("path") or "/", cookie["name"])
            if cookie.get("deletes"):
                self._cookies.pop(key, None)
                continue
            expires_at = None
            if cookie.get("max_age") is not None:
                expires_at = now + cookie["max_age"]
            elif cookie.get("expires") is not None:
                expires_at = datetime.fromisoformat(cookie["expires"]).timestamp()
            self._bounded_put(
                self._cookies,
                key,
                _Cookie(attrs={**cookie, "domain": cookie.get("domain")}, set_at=now, expires_at=expires_at),
                self._max_cookies,
            )

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

    def cookies_for(self, host: str, path: str, now: float | None = None) -> list[dict[str, Any]]:
        """The cookies set earlier that are still alive and would match this host and path."""
        now = time.time() if now is None else now
        found = []
        for (domain, cookie_path, _), cookie in self._cookies.items():
            if cookie.expires_at is not None and cookie.expires_at <= now:
                continue
            host_only = cookie.attrs.get("domain") is None
            if (domain == host) if host_only else _domain_matches(host, domain):
                if path == cookie_path or path.startswith(cookie_path.rstrip("/") + "/") or cookie_path == "/":
                    found.append(cookie.attrs)
        return found

    def context(self, host: str, path: str, method: str, url: str, credential_fp: str) -> dict[str, Any]:
        """The `SiteContext` dict (models.py) for a 401 that is being captured now."""
        same_request, same_credential = self.note_401(method, url, credential_fp)
        return {
            "cookies_set_earlier": self.cookies_for(host, path),
            "last_success_scheme": self._schemes.get(host),
            "recent_401s_same_request": same_request,
            "recent_401s_same_credential": same_credential,
        }
