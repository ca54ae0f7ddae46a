"""Hosts, origins and sites (registrable domains, eTLD+1) for matching and cookie clearing.

A site comes from a current public suffix list: `publicsuffixlist` (a dependency of the
companion, works offline), so `myapp.vercel.app` and `other.vercel.app` are two sites and
clearing one never touches the other. Inside a user's own mitmproxy that lacks it, the
`publicsuffix2` list mitmproxy ships is used instead (older, but never missing); a capture
only groups its memory by site, so that is a coarser grouping, never a failure.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

__all__ = ["LOOPBACK_HOSTS", "host_of_origin", "site_of"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
"""Names of this machine, as a Host header or a flow's host may spell them."""


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@lru_cache(maxsize=1)
def _registrable() -> Callable[[str], str | None]:
    try:
        from publicsuffixlist import PublicSuffixList
    except ImportError:
        pass
    else:
        return PublicSuffixList().privatesuffix
    try:
        from publicsuffix2 import get_sld
    except ImportError:
        return lambda host: ".".join(host.split(".")[-2:])
    return get_sld


@lru_cache(maxsize=4096)
def site_of(host: str) -> str:
    """The registrable domain of a host (`app.example.co.uk` → `example.co.uk`,
    `myapp.vercel.app` → itself); an IP address, a single-label name or a public suffix is
    its own site."""
    host = host.lower().strip(".")
    if _is_ip(host) or "." not in host:
        return host
    return _registrable()(host) or host


def host_of_origin(origin: str | None) -> str | None:
    """`https://app.example.com:8443` → `app.example.com`; None for none or `null`."""
    if not origin or origin == "null":
        return None
    try:
        return urlsplit(origin).hostname
    except ValueError:
        return None
