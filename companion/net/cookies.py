"""RFC 6265's rules for which cookies a request carries: domain, path and expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["cookie_pairs", "default_path", "domain_covers", "expires_at", "path_covers"]


def default_path(request_path: str) -> str:
    """Where a cookie set without a Path applies (RFC 6265 §5.1.4): the folder of the URL
    that set it, so `/auth/login` scopes it to `/auth`."""
    path = request_path.partition("?")[0]
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rindex("/")]


def domain_covers(domain: str, host: str) -> bool:
    """Whether a cookie of `domain` is sent to `host` (RFC 6265 §5.1.3 domain-match)."""
    domain, host = domain.lstrip(".").lower(), host.lower()
    return host == domain or host.endswith("." + domain)


def path_covers(cookie_path: str, request_path: str) -> bool:
    """Whether a cookie of `cookie_path` is sent to `request_path` (§5.1.4 path-match)."""
    if request_path == cookie_path:
        return True
    return request_path.startswith(cookie_path) and (
        cookie_path.endswith("/") or request_path[len(cookie_path) : len(cookie_path) + 1] == "/"
    )


def expires_at(set_at: datetime | None, max_age: int | None, expires: datetime | None) -> datetime | None:
    """When a cookie stops being sent: Max-Age counts from when it was set and wins over
    Expires (RFC 6265 §5.3); None for a session cookie."""
    if max_age is not None and set_at is not None:
        return set_at + timedelta(seconds=max_age)
    return expires


def cookie_pairs(header: str) -> list[tuple[str, str]]:
    """The `(name, value)` pairs of a Cookie header. A pair without "=" is a cookie with no
    name (RFC 6265bis §5.4: browsers send a nameless cookie as its value alone), so it comes
    back as `("", value)`: a value is never taken for a name."""
    pairs = []
    for piece in header.split(";"):
        piece = piece.strip()
        if not piece:
            continue
        name, sep, value = piece.partition("=")
        pairs.append((name.strip(), value.strip()) if sep else ("", piece))
    return pairs
