"""Rules about cookies: sent but refused, sent twice, or not sent at all (and why the browser
left them off: SameSite, Domain, Path, Secure over http, the page's credentials mode)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from companion.net.cookies import domain_covers, expires_at, path_covers

from .facts import Finding, View, ev
from .models import Evidence, SetCookie
from .wording import fmt_clock, fmt_span, plural, quote, utc_or_none

__all__ = [
    "conflicting_cookies",
    "cookie_not_sent",
    "credentials_not_included",
    "expired_session",
    "insecure_transport",
    "missing_cookies",
]

_SESSION_NAME = re.compile(
    r"sess|(^|[_.-])sid($|[_.-])|auth|token|login|jwt|remember|identity|connect\.sid", re.IGNORECASE
)
_SESSION_ENDED = re.compile(
    r"session.{0,40}(expir|timed?[ _-]?out|no longer valid|invalid|ended|not found|revoked)|"
    r"(expired|invalid|unknown)[ _-]session|not logged in|logged out",
    re.IGNORECASE,
)
_HTTPS_REQUIRED = re.compile(
    r"https.{0,30}(required|only|must)|(require|must use|only (over|via|with)).{0,20}(https|ssl|tls)|"
    r"(ssl|tls)[ _-]required|insecure (connection|transport|request)",
    re.IGNORECASE,
)
# Most servers refuse request headers past 8 KB (nginx, Apache, Node's default is 16 KB).
_OVERSIZED_COOKIE_HEADER = 8 * 1024
_HEADER_SCHEMES = frozenset({"basic", "bearer", "digest", "negotiate", "ntlm"})


@dataclass(frozen=True, slots=True)
class Missing:
    """A cookie the site set earlier that this request did not carry, and why not."""

    cookie: SetCookie
    reason: str
    """`expired`, `host_only` (set without Domain by the calling page's host), `path` (a
    defaulted Path), `scoped` (the site's own Domain/Path scoping, not a cause), `secure`,
    `samesite`, `third_party`, `not_included` or `unexplained`."""
    detail: str


def looks_like_session(cookie_name: str) -> bool:
    return bool(_SESSION_NAME.search(cookie_name))


def _attributes(cookie: SetCookie) -> str:
    parts = [cookie.name]
    if cookie.samesite:
        parts.append(f"SameSite={cookie.samesite}")
    parts += [name for name, on in (("Secure", cookie.secure), ("HttpOnly", cookie.httponly)) if on]
    parts += [f"{name}={value}" for name, value in (("Domain", cookie.domain), ("Path", cookie.path)) if value]
    return "; ".join(parts)


RECENT_EXPIRY = timedelta(hours=1)


def _end_of(cookie: SetCookie) -> datetime | None:
    """When the browser stopped sending the cookie, in UTC (a time without zone is UTC); None
    for a session cookie, and for an end no calendar holds (a Max-Age of a billion years, an
    Expires in the year 9999): an unusable end is treated as absent."""
    try:
        return utc_or_none(expires_at(cookie.set_at, cookie.max_age, cookie.expires))
    except OverflowError:
        return None


def _why_missing(view: View, cookie: SetCookie) -> Missing:
    exchange, request = view.exchange, view.exchange.request
    path = exchange.path.partition("?")[0] or "/"
    ends, sent_at = _end_of(cookie), utc_or_none(exchange.time)
    # Only a recent expiry explains this 401; one from hours ago is history, not the cause.
    if ends is not None and sent_at is not None and sent_at - RECENT_EXPIRY <= ends <= sent_at:
        return Missing(
            cookie,
            "expired",
            f"it expired at {fmt_clock(ends, sent_at)}, {fmt_span(sent_at - ends)} before this request",
        )
    # A session cookie set without Domain by the very page that now calls a sibling host
    # (app. calling api.) is the classic cross-subdomain bug; other hosts' cookies are theirs.
    owner = cookie.host_only_for
    if owner and owner != exchange.host:
        calling = view.exchange.initiator and urlsplit(view.exchange.initiator).hostname
        if calling == owner and (cookie.httponly or looks_like_session(cookie.name)):
            return Missing(
                cookie,
                "host_only",
                f"{owner} set it without a Domain attribute, so the browser sends it to {owner} only, "
                f"not to {exchange.host}",
            )
        return Missing(cookie, "scoped", f"it belongs to {owner} only")
    # An explicit Domain or Path that does not cover this request is the site scoping the
    # cookie on purpose: not a cause. A Path the browser had to default is the classic bug.
    if cookie.domain and not domain_covers(cookie.domain, exchange.host):
        return Missing(cookie, "scoped", f"its Domain={cookie.domain} does not cover {exchange.host}")
    if cookie.path and not path_covers(cookie.path, path):
        return Missing(cookie, "scoped", f"its Path={cookie.path} does not cover {path}")
    if cookie.default_path and not path_covers(cookie.default_path, path):
        return Missing(
            cookie,
            "path",
            f"it was set without a Path by a page under {cookie.default_path}/, so the browser sends it "
            f"only there and not to {path}",
        )
    if cookie.secure and exchange.scheme == "http" and exchange.host not in {"localhost", "127.0.0.1", "::1"}:
        return Missing(cookie, "secure", "it is Secure and this request is plain http")
    site = (request.sec_fetch_site or "").lower()
    mode = (request.sec_fetch_mode or "").lower()
    nothing_sent = not request.cookies and not request.cookie_header_count
    samesite = (cookie.samesite or "").lower()
    if site == "cross-site":
        top_level = (
            mode == "navigate"
            and exchange.method.upper() in {"GET", "HEAD"}
            and (request.sec_fetch_dest in {None, "document"})
        )
        if samesite == "strict":
            return Missing(cookie, "samesite", "SameSite=Strict keeps it off every cross-site request")
        if samesite in {"lax", ""} and not top_level:
            said = "SameSite=Lax" if samesite else "it has no SameSite attribute, which Chrome treats as Lax"
            return Missing(
                cookie, "samesite", f"{said}, which keeps it off cross-site requests other than top-level navigation"
            )
        if samesite == "none" and not cookie.secure:
            return Missing(cookie, "samesite", "SameSite=None without Secure is refused by browsers")
        if samesite == "none":
            if mode == "cors" and nothing_sent:
                return Missing(cookie, "not_included", "SameSite=None; Secure allows it on this cross-site request")
            return Missing(
                cookie,
                "third_party",
                "SameSite=None; Secure allows it, so the browser is probably blocking third-party cookies",
            )
    if site == "same-site" and mode == "cors" and nothing_sent:
        return Missing(cookie, "not_included", "a same-site request may carry it whatever its SameSite")
    return Missing(cookie, "unexplained", "")


def missing_cookies(view: View) -> list[Missing]:
    """Cookies the site set earlier that the request did not carry, with why, sessions first."""
    sent = {cookie.name for cookie in view.exchange.request.cookies}
    found = [_why_missing(view, c) for c in view.exchange.context.cookies_set_earlier if c.name not in sent]
    return sorted(found, key=lambda m: not (m.cookie.httponly or looks_like_session(m.cookie.name)))


def _request_context_evidence(view: View) -> list[Evidence]:
    request = view.exchange.request
    facts = [
        ("request.sec-fetch-site", request.sec_fetch_site),
        ("request.sec-fetch-mode", request.sec_fetch_mode),
        ("request.origin", request.origin),
    ]
    return [ev(source, value) for source, value in facts if value]


def _sent_cookies_fact(view: View) -> str:
    names = [cookie.name for cookie in view.exchange.request.cookies]
    return f"Cookies sent: {', '.join(names)}" if names else "No Cookie header"


def cookie_not_sent(view: View) -> Finding | None:
    if view.status != 401 or view.authorization is not None:
        return None
    weights = {"samesite": 0.8, "expired": 0.75, "host_only": 0.75, "path": 0.7, "third_party": 0.6}
    candidates = [
        m for m in missing_cookies(view)
        if m.reason in weights
        # An expired tracking cookie explains no 401; an expired session does.
        and (m.reason != "expired" or m.cookie.httponly or looks_like_session(m.cookie.name))
    ]  # fmt: skip
    if not candidates:
        return None
    best = candidates[0]
    confidence = weights[best.reason]
    if best.reason == "samesite" and not best.cookie.samesite:
        confidence = 0.65  # Firefox and Safari treat a missing SameSite as None, not Lax
    if not (best.cookie.httponly or looks_like_session(best.cookie.name)):
        confidence -= 0.1
    caller = view.exchange.request.origin or view.exchange.initiator
    where = f" from {caller}" if caller and best.reason in {"samesite", "third_party"} else ""
    return Finding(
        "cookie_not_sent",
        round(confidence, 2),
        f'The cookie "{best.cookie.name}" that the site set earlier was not sent with this '
        f"request{where}: {best.detail}.",
        (
            ev("context", f"Set earlier: {_attributes(best.cookie)}"),
            ev("request.cookie", _sent_cookies_fact(view)),
            *_request_context_evidence(view),
            *(ev("context", f'Also not sent: "{m.cookie.name}" ({m.detail})') for m in candidates[1:3]),
        ),
    )


def credentials_not_included(view: View) -> Finding | None:
    if view.status != 401 or view.exchange.request.credentials:
        return None
    allowed = [m for m in missing_cookies(view) if m.reason == "not_included"]
    if not allowed:
        return None
    cookie = allowed[0].cookie
    caller = view.exchange.request.origin or view.exchange.initiator or "another origin"
    names = ", ".join(f'"{m.cookie.name}"' for m in allowed[:3])
    return Finding(
        "credentials_not_included",
        0.75,
        f"The fetch from {caller} went out with no cookies although {names} would have been "
        f'allowed ({allowed[0].detail}): the page\'s fetch or XHR did not ask for them (credentials: "include").',
        (
            ev("request.cookie", "No Cookie header"),
            *_request_context_evidence(view),
            ev("context", f"Set earlier and still valid: {_attributes(cookie)}"),
        ),
    )


def insecure_transport(view: View) -> Finding | None:
    exchange = view.exchange
    if view.status != 401 or exchange.scheme != "http":
        return None
    place = exchange.url.partition("?")[0]  # as the person typed it, port included
    blocked = [m for m in missing_cookies(view) if m.reason == "secure"]
    if blocked:
        return Finding(
            "insecure_transport",
            0.85,
            f'The Secure cookie "{blocked[0].cookie.name}" set earlier cannot travel over plain http, '
            f"so {place} went without it.",
            (
                ev("context", f"Set earlier: {_attributes(blocked[0].cookie)}"),
                ev("request.cookie", _sent_cookies_fact(view)),
            ),
        )
    said = view.texts_matching(_HTTPS_REQUIRED)
    if said:
        return Finding(
            "insecure_transport",
            0.8,
            f"The server accepts credentials only over https, and {place} is plain http: {quote(said[0].text)}.",
            tuple(ev(t.source, f"{t.label}: {quote(t.text)}") for t in said),
        )
    dropped = [c for c in exchange.response.set_cookies if c.secure and not c.deletes]
    if dropped:
        return Finding(
            "insecure_transport",
            0.7,
            f'The 401 sets the Secure cookie "{dropped[0].name}" over plain http, which browsers '
            f"refuse to store, so the sign-in cannot stick.",
            (ev("response.set-cookie", _attributes(dropped[0])),),
        )
    return None


def expired_session(view: View) -> Finding | None:
    request, response = view.exchange.request, view.exchange.response
    if view.status != 401 or not request.cookies:
        return None
    sent = {cookie.name for cookie in request.cookies}
    deleted = [c.name for c in response.set_cookies if c.deletes and c.name in sent]
    said = view.texts_matching(_SESSION_ENDED)
    evidence = [ev("request.cookie", _sent_cookies_fact(view))]
    if deleted:
        names = ", ".join(f'"{name}"' for name in deleted)
        evidence.append(ev("response.set-cookie", f"Deletes {names}"))
        evidence += [ev(t.source, f"{t.label}: {quote(t.text)}") for t in said]
        return Finding(
            "expired_session",
            0.85,
            f"The request sent the {'cookie' if len(deleted) == 1 else 'cookies'} {names}, and the 401 deletes "
            f"{'it' if len(deleted) == 1 else 'them'}: the server has ended the session.",
            tuple(evidence),
        )
    if said:
        evidence += [ev(t.source, f"{t.label}: {quote(t.text)}") for t in said]
        return Finding(
            "expired_session",
            0.8,
            f"The server says the session has ended: {quote(said[0].text)}.",
            tuple(evidence),
        )
    credential_cookies = {cookie.name for cookie in view.credential_cookies()}
    session_like = [name for name in sent & credential_cookies if looks_like_session(name)]
    other_auth = request.credentials or any(s in _HEADER_SCHEMES for s in view.challenges.schemes)
    if session_like and not other_auth and "secret" not in view.said.names:
        # Only cookie names to go on: a plausible reading, stated with modest confidence.
        return Finding(
            "expired_session",
            0.5,
            f'The request sent the session cookie "{sorted(session_like)[0]}" and was still refused: '
            f"the session has probably ended.",
            tuple(evidence),
        )
    return None


def conflicting_cookies(view: View) -> Finding | None:
    request = view.exchange.request
    if view.status != 401:
        return None
    counts = Counter(cookie.name for cookie in request.cookies)
    doubled = [name for name, count in counts.items() if count > 1]
    if doubled:
        name = doubled[0]
        lengths = " and ".join(str(c.length) for c in request.cookies if c.name == name)
        return Finding(
            "conflicting_cookies",
            0.8,
            f'The Cookie header carries "{name}" {counts[name]} times (values of {lengths} characters), '
            f"so the server may have read a stale one.",
            tuple(ev("request.cookie", f'"{n}" sent {counts[n]} times') for n in doubled),
        )
    if request.cookie_header_length > _OVERSIZED_COOKIE_HEADER:
        return Finding(
            "conflicting_cookies",
            0.7,
            f"The Cookie header is {request.cookie_header_length:,} bytes with "
            f"{plural(len(request.cookies), 'cookie')}, above the 8 KB many servers accept.",
            (ev("request.cookie", f"{request.cookie_header_length:,} bytes"),),
        )
    if request.cookie_header_count > 1 and view.exchange.http_version.upper().startswith("HTTP/1"):
        return Finding(
            "conflicting_cookies",
            0.6,
            f"The request carried {request.cookie_header_count} Cookie headers; over HTTP/1.1 "
            f"servers often read only one of them.",
            (ev("request.cookie", f"{request.cookie_header_count} Cookie headers"),),
        )
    return None
