"""Hosts, origins and sites (registrable domains, eTLD+1) for matching and cookie clearing."""

from __future__ import annotations

import ipaddress
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


@lru_cache(maxsize=4096)
def site_of(host: str) -> str:
    """The registrable domain of a host (`app.example.co.uk` → `example.co.uk`); an IP
    address or a single-label name is its own site."""
    host = host.lower().strip(".")
    if _is_ip(host) or "." not in host:
        return host
    from publicsuffix2 import get_sld  # shipped with mitmproxy; loads its list once

    return get_sld(host) or host


def host_of_origin(origin: str | None) -> str | None:
    """`https://app.example.com:8443` → `app.example.com`; None for none or `null`."""
    if not origin or origin == "null":
        return None
    try:
        return urlsplit(origin).hostname
    except ValueError:
        return None
