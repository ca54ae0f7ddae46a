"""Build the redacted `Exchange` (`companion.diagnosis.models`) of one 401/407 flow, as
plain JSON-ready dicts.

Only called for 401 and 407 responses, and pure: the addon, which owns the site memory, adds
the `context` and records what it learns. Every value that leaves this module has passed
through credentials.py (credentials → scheme, length, fingerprint) or redact.py.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mitmproxy import http
from mitmproxy.net.http import cookies as mcookies
from mitmproxy.net.http import url

from companion.capture.bodyerror import MAX_BODY_BYTES, extract_body_error
from companion.capture.credentials import (
    basic_parts,
    describe_api_key,
    describe_authorization,
    fingerprint,
    scheme_of,
)
from companion.capture.decode import decoded_prefix
from companion.capture.jwt import looks_like_jwt, unverified_jwt
from companion.capture.keys import key_prefix
from companion.capture.redact import (
    API_KEY_QUERY_PARAMS,
    MASK,
    is_credential_header,
    is_secret_name,
    is_token_like,
    keeps_words,
    mask_tokens,
    redact_header_value,
    redact_url,
    scrub,
)
from companion.net.challenge import parse_challenges
from companion.net.cookies import cookie_pairs
from companion.net.dates import parse_http_date, utc_iso
from companion.wire import MAX_EXCHANGE_BYTES, SCHEMA_VERSION

__all__ = [
    "Caught",
    "Taken",
    "catch",
    "finish",
    "initiator_of",
    "parse_set_cookies",
    "set_cookie_lines",
    "set_cookies_of",
    "site_host_of",
    "take",
]
# Opaque blobs in challenges (Negotiate/NTLM continuation tokens) are masked past this size.
_BLOB = re.compile(r"^[A-Za-z0-9+/_-]{40,}={0,2},?$")
# Only this much of a (compressed) body is ever read: a 401's message is at its start.
_MAX_RAW_BODY = 64 * 1024
# What one exchange keeps at most, so that none outgrows the service's ingest limit (and is
# lost there) whatever a server sends; what was cut is said in `truncated`.
MAX_HEADERS = 64
_MAX_COOKIE_AGE_S = 400 * 86400
MAX_HEADER_VALUE = 1024
MAX_CHALLENGES = 16
MAX_COOKIES = 64
MAX_CREDENTIALS = 16
# Headers read on their own below, never as API keys.
_OWN_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def initiator_of(origin: str | None, referer: str | None) -> str | None:
    """The origin of the page that made the request: `Origin`, else the Referer's origin;
    rebuilt from scheme, host and port so nothing else (userinfo, a path) comes along."""
    for header in (origin if origin != "null" else None, referer):
        if not header:
            continue
        try:
            parts = urlsplit(scrub(header))
            port = parts.port
        except ValueError:
            continue
        if parts.scheme in {"http", "https"} and parts.hostname:
            host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
            return f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    return None


def _scrubbed(value: Any) -> Any:
    """Every string of the exchange safe to encode (see redact.scrub)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {_scrubbed(k): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrubbed(v) for v in value]
    return value


def parse_set_cookies(lines: list[str], now: float) -> list[dict[str, Any]]:
    """Names and attributes of each Set-Cookie line; the value only as its length."""
    found = []
    for line in lines:
        for cookie, max_age, expires_at in _parsed_line(line):
            deletes = (max_age is not None and max_age <= 0) or (max_age is None and expires_at is not None and expires_at < now)
            found.append({**cookie, "deletes": deletes})
    return found


_ParsedLine = tuple[tuple[dict[str, Any], int | None, float | None], ...]
# Set-Cookie lines already parsed, by their shape (the value blanked out: no value is ever
# kept here). Normal responses set the same cookies again and again, and each is remembered.
_SHAPES: dict[str, _ParsedLine] = {}
_MAX_SHAPES = 1024


def _shape(line: str) -> str | None:
    """`name=value; attrs` with the value as as many `x`: it parses exactly as the line does
    (same name, same value length, same attributes). None for any other form (no `=`, a
    quoted value, a `;` or `,` in the name), which is parsed as it is and not remembered."""
    name, eq, rest = line.partition("=")
    if not eq or ";" in name or "," in name or rest.startswith('"'):
        return None
    end = len(rest)
    for delimiter in ";,":
        found = rest.find(delimiter, 0, end)
        if found >= 0:
            end = found
    return f"{name}={'x' * end}{rest[end:]}"


def _parsed_line(line: str) -> _ParsedLine:
    shape = _shape(line)
    if shape is None:
        return _parse_line(line)
    parsed = _SHAPES.get(shape)
    if parsed is None:
        parsed = _parse_line(shape)
        if len(parsed) == 1:  # a line with a second cookie would keep that one's value
            if len(_SHAPES) >= _MAX_SHAPES:
                _SHAPES.clear()
            _SHAPES[shape] = parsed
    return parsed


def _parse_line(line: str) -> _ParsedLine:
    """Each cookie of one line: its value-free `SetCookie` dict but `deletes`, its Max-Age and
    its Expires (a timestamp), from which `deletes` is worked out at the time it is received."""
    try:
        parsed = mcookies.parse_set_cookie_header(line)
    except Exception:  # noqa: BLE001 - a server's junk must not stop the capture
        return ()
    found = []
    for name, value, attrs in parsed:
        if value is None:
            # "Set-Cookie: abc123" has no "=": a cookie with no name whose value is abc123
            # (RFC 6265bis §5.6). The value is never kept as a name.
            name, value = "", name
        lowered = {k.lower(): v for k, v in attrs.items(multi=True)}
        max_age = None
        if lowered.get("max-age") is not None:
            try:
                # Browsers cap a cookie's life at 400 days (RFC 6265bis); so do we, so that
                # a server's 400-digit Max-Age cannot overflow the time arithmetic.
                max_age = max(-1, min(int(lowered["max-age"][:20]), _MAX_COOKIE_AGE_S))
            except ValueError:
                max_age = None
        expires = parse_http_date(lowered.get("expires"))
        cookie = {
            "name": scrub(name),
            "value_length": len(value or ""),
            "domain": scrub(lowered["domain"]) if lowered.get("domain") else None,
            "path": scrub(lowered["path"]) if lowered.get("path") else None,
            "expires": expires.isoformat() if expires else None,
            "max_age": max_age,
            "samesite": scrub(lowered["samesite"]) if lowered.get("samesite") else None,
            "secure": "secure" in lowered,
            "httponly": "httponly" in lowered,
            "partitioned": "partitioned" in lowered,
        }
        found.append((cookie, max_age, expires.timestamp() if expires else None))
    return tuple(found)


def _bounded(items: list, limit: int, what: str, truncated: list[str]) -> list:
    if len(items) > limit:
        truncated.append(f"{what}: {limit} of {len(items)} kept")
        return items[:limit]
    return items


def _short(value: str) -> str:
    if len(value) <= MAX_HEADER_VALUE:
        return value
    return value[:MAX_HEADER_VALUE] + f"[… {len(value) - MAX_HEADER_VALUE} more chars]"


def _ascii_lower(name: str) -> str:
    """A header name as mitmproxy compares them: its ASCII letters lowered, nothing else (the
    Kelvin sign is no k)."""
    return name.lower() if name.isascii() else "".join(c.lower() if c.isascii() else c for c in name)


@lru_cache(maxsize=1024)
def _host_of_authority(authority: str) -> str:
    return url.parse_authority(authority, check=False)[0].lower()


def site_host_of(authority: str | None, host: str) -> str:
    """`request.pretty_host`, lowered, from a request's Host header (or HTTP/2 authority) and
    its host: the host the addon files a request under. Its parse of the Host header
    (mitmproxy's, with IDNA) is remembered per header value: a browser sends a few hosts many
    times over, and every normal response that sets a cookie asks."""
    if not authority:
        return host.lower()
    if len(authority) > 255:  # no real host: parsed each time, never remembered
        return url.parse_authority(authority, check=False)[0].lower()
    return _host_of_authority(authority)


_RawFields = tuple[tuple[bytes, bytes], ...]
"""A message's `headers.fields`: (name, value) pairs as sent."""


class Fields:
    """A message's header fields, read once: mitmproxy's `Headers` find a name by scanning and
    decoding every field, and building an exchange asks for some twenty names (a fifth of
    its cost). Answers as `Headers` does: `get` joins repeated fields with ", "."""

    __slots__ = ("_by_name", "pairs")

    def __init__(self, fields: _RawFields) -> None:
        # What `headers.items(multi=True)` answers, decoded here without its generator.
        self.pairs: list[tuple[str, str]] = [
            (name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape")) for name, value in fields
        ]
        self._by_name: dict[str, list[str]] = {}
        for name, value in self.pairs:
            self._by_name.setdefault(_ascii_lower(name), []).append(value)

    def get_all(self, name: str) -> list[str]:
        return self._by_name.get(_ascii_lower(name), [])

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._by_name.get(_ascii_lower(name))
        return ", ".join(values) if values else default


def _values_named(fields: _RawFields, name: bytes) -> list[str]:
    """`headers.get_all(name)` (`name` in lower case) of a message's `headers.fields`, by a
    scan of them: what mitmproxy's lookup answers, for a fifth of its cost."""
    size = len(name)
    return [value.decode("utf-8", "surrogateescape") for key, value in fields if len(key) == size and key.lower() == name]


def set_cookie_lines(fields: _RawFields, truncated: list[str] | None = None) -> list[str]:
    """The Set-Cookie lines of a response's `headers.fields`, bounded in number and length:
    the one way both a captured 401 and a remembered normal response read them."""
    found = _values_named(fields, b"set-cookie")
    lines = _bounded(found, MAX_COOKIES, "response.set_cookies", truncated if truncated is not None else [])
    return [_short(line) for line in lines]


def set_cookies_of(fields: _RawFields, received: float, truncated: list[str] | None = None) -> list[dict[str, Any]]:
    """The cookies a response's `headers.fields` set (see `set_cookie_lines`), parsed."""
    return parse_set_cookies(set_cookie_lines(fields, truncated), received)


def _short_or_none(value: str | None) -> str | None:
    return _short(value) if value else None


# redact.py's decisions on a name alone, asked for every header of every 401; a site sends the
# same names each time. Names are kept in the exchange anyway: none is a secret.
_credential_header = lru_cache(maxsize=1024)(is_credential_header)
_keeps_words = lru_cache(maxsize=1024)(keeps_words)
_secret_name = lru_cache(maxsize=1024)(is_secret_name)

# Values that masking left exactly as they were (`Accept`, `Server`, a site's challenge: the
# same on every 401), by what masked them: the next time they cost a lookup, not a dozen
# regular expressions. Only a value that goes to the service as it is, and that holds none of
# the request's own secrets, is remembered.
_AS_THEY_WERE: dict[tuple[str, str], None] = {}
_MAX_AS_THEY_WERE = 2048


def _masked(kind: str, value: str, mask: Callable[[str], str], secrets: list[str]) -> str:
    """`mask(value)`, remembered when it changes nothing (see above)."""
    if (kind, value) in _AS_THEY_WERE:
        return value
    masked = mask(value)
    if masked == value and len(value) <= MAX_HEADER_VALUE and not any(secret in value for secret in secrets):
        if len(_AS_THEY_WERE) >= _MAX_AS_THEY_WERE:
            _AS_THEY_WERE.clear()
        _AS_THEY_WERE[(kind, value)] = None
    return masked


def _headers(headers: Fields, what: str, truncated: list[str], secrets: list[str]) -> list[tuple[str, str]]:
    pairs = _bounded(headers.pairs, MAX_HEADERS, what, truncated)
    return [(_short(n), _short(_masked(f"header {n}", v, partial(redact_header_value, n), secrets))) for n, v in pairs]


def _mask_challenge(line: str) -> str:
    # Server continuation blobs (Negotiate/NTLM) are opaque and may carry session material.
    words = [f"[blob: {len(w)} chars]" if _BLOB.match(w) else w for w in line.split(" ")]
    return mask_tokens(" ".join(words))


def _credentials(full_path: str, key: bytes, headers: Fields) -> tuple[list[dict], list[dict]]:
    creds = [describe_authorization(v, source="request.authorization", key=key) for v in headers.get_all("authorization")]
    proxy = [describe_authorization(v, source="request.proxy-authorization", key=key) for v in headers.get_all("proxy-authorization")]
    for name, value in headers.pairs:
        if name.lower() not in _OWN_HEADERS and _credential_header(name):
            creds.append(describe_api_key(value, source=f"request.header.{name.lower()}", key=key))
    path, _, query = full_path.partition("?")
    if query:
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name.lower() in API_KEY_QUERY_PARAMS:
                creds.append(describe_api_key(value, source=f"request.query.{name.lower()}", key=key))
    for segment in path.split("/"):
        # A key in the URL path (Telegram's /bot<token>/…): only a JWT or a key of a known
        # form counts, never an id that merely looks random.
        if 16 <= len(segment) <= 4096 and (key_prefix(segment) or looks_like_jwt(segment)):
            creds.append(describe_api_key(segment, source="request.path", key=key))
    return creds, proxy


def _body_error(raw: bytes, headers: Fields) -> dict | None:
    """The error a body's first bytes (at most `_MAX_RAW_BODY`, as sent) tell of."""
    if not raw:
        return None
    # Never get_content(): it decodes the whole body, and a compression bomb is a few KB.
    body = decoded_prefix(raw, headers.get("content-encoding"), MAX_BODY_BYTES)
    return extract_body_error(headers.get("content-type"), body)


@dataclass(slots=True, frozen=True)
class Caught:
    """What the response hook reads of a 401 flow, and nothing more: values that nothing
    changes afterwards (the header fields, the body's first bytes), so that an addon that
    edits the flow after this one changes nothing of what was captured. The rest of the work
    waits for the 401's delivery: the 401s of a delivery are then worked on one after another,
    their code warm, not each amid the proxy's other work."""

    flow_id: str
    caught_at: float
    received: float
    started: float | None
    method: str
    scheme: str
    authority: str | None
    """The Host header (or HTTP/2 authority), as `site_host_of` reads it."""
    host_name: str
    port: int
    full_path: str
    pretty_url: str
    http_version: str
    status: int
    reason: str
    sent: _RawFields
    answered: _RawFields
    body: bytes
    """The body's first bytes as sent (at most `_MAX_RAW_BODY`)."""
    body_length: int

    @property
    def size(self) -> int:
        """Bytes it holds of the flow: what waiting for its delivery keeps in memory."""
        held = len(self.body) + len(self.full_path) + len(self.pretty_url) + len(self.reason)
        return held + sum(len(name) + len(value) for name, value in (*self.sent, *self.answered))


def catch(flow: http.HTTPFlow) -> Caught:
    """What the hook must read of a flow with a response (see `Caught`)."""
    request, response = flow.request, flow.response
    assert response is not None
    now = time.time()
    raw = response.raw_content or b""
    return Caught(
        flow_id=flow.id,
        caught_at=now,
        received=response.timestamp_end or response.timestamp_start or now,
        started=request.timestamp_start,
        method=request.method,
        scheme=request.scheme,
        authority=request.host_header,
        host_name=request.host,
        port=request.port,
        full_path=request.path,
        pretty_url=request.pretty_url,
        http_version=request.http_version,
        status=response.status_code,
        reason=response.reason or "",
        sent=request.headers.fields,
        answered=response.headers.fields,
        body=raw[:_MAX_RAW_BODY],
        body_length=len(raw),
    )


@dataclass(slots=True)
class Taken:
    """What the addon's memory needs of a caught 401, read in the order the flows came (the
    site, the redacted URL, the credentials, the cookies the response set); `finish` builds
    the exchange from it."""

    caught: Caught
    host: str
    url: str
    sent: Fields
    credentials: list[dict]
    proxy_credentials: list[dict]
    set_cookies: list[dict[str, Any]]
    set_cookie_cuts: list[str]

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the first credential (site or proxy), or "" for none: what tells
        a retry with the same credential from a new attempt."""
        first = (self.credentials or self.proxy_credentials or [{}])[0]
        return first.get("fingerprint", "")


def take(caught: Caught, *, key: bytes) -> Taken:
    """A caught 401's turn: what the memory needs of it (see `Taken`)."""
    sent = Fields(caught.sent)
    credentials, proxy_credentials = _credentials(caught.full_path, key, sent)
    cuts: list[str] = []
    return Taken(
        caught=caught,
        host=site_host_of(caught.authority, caught.host_name),
        url=redact_url(caught.pretty_url),
        sent=sent,
        credentials=credentials,
        proxy_credentials=proxy_credentials,
        set_cookies=set_cookies_of(caught.answered, caught.received, cuts),
        set_cookie_cuts=cuts,
    )


def finish(taken: Taken, *, key: bytes) -> dict[str, Any]:
    """The redacted exchange of a 401 from what the hook caught of it: a JSON-ready `Exchange`
    dict without its `context` (what the addon remembers of the site)."""
    caught = taken.caught
    truncated: list[str] = []
    sent, answered = taken.sent, Fields(caught.answered)
    secrets = request_secrets(caught.full_path, sent)
    credentials = _bounded(taken.credentials, MAX_CREDENTIALS, "request.credentials", truncated)
    proxy_credentials = _bounded(taken.proxy_credentials, MAX_CREDENTIALS, "request.proxy_credentials", truncated)
    sent_cookies: list[dict] = []
    cookie_lines = sent.get_all("cookie")
    for line in cookie_lines:
        for name, value in cookie_pairs(line):
            cookie: dict[str, Any] = {"name": _short(scrub(name)), "length": len(value), "fingerprint": fingerprint(value, key)}
            if looks_like_jwt(value) and (claims := unverified_jwt(value)):
                cookie["jwt"] = claims  # a token kept in a cookie: its times are evidence
            sent_cookies.append(cookie)
    sent_cookies = _bounded(sent_cookies, MAX_COOKIES, "request.cookies", truncated)
    truncated += taken.set_cookie_cuts

    origin = sent.get("origin")
    referer = sent.get("referer")
    date_raw = answered.get("date")
    date = parse_http_date(date_raw)

    exchange: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "flow_id": caught.flow_id,
        "time": utc_iso(caught.started or caught.caught_at),
        "method": caught.method,
        "url": taken.url,
        "scheme": caught.scheme,
        "host": taken.host,
        "port": caught.port,
        "path": redact_url(caught.full_path.partition("?")[0]),
        "http_version": caught.http_version,
        "status": caught.status,
        "reason": _masked("text", caught.reason, mask_tokens, secrets),
        "initiator": initiator_of(origin, referer),
        "request": {
            "headers": _headers(sent, "request.headers", truncated, secrets),
            "credentials": credentials,
            "proxy_credentials": proxy_credentials,
            "cookies": sent_cookies,
            "cookie_header_count": len(cookie_lines),
            "cookie_header_length": sum(len(line) for line in cookie_lines),
            "origin": redact_url(origin) if origin else None,
            "referer": redact_url(referer.partition("?")[0]) if referer else None,
            "sec_fetch_site": _short_or_none(sent.get("sec-fetch-site")),
            "sec_fetch_mode": _short_or_none(sent.get("sec-fetch-mode")),
            "sec_fetch_dest": _short_or_none(sent.get("sec-fetch-dest")),
            "access_control_request_method": _short_or_none(sent.get("access-control-request-method")),
            "user_agent": _short(_masked("text", sent.get("user-agent") or "", mask_tokens, secrets)) or None,
        },
        "response": {
            "headers": _headers(answered, "response.headers", truncated, secrets),
            "www_authenticate": [
                _masked("challenge", _short(v), _mask_challenge, secrets)
                for v in _bounded(answered.get_all("www-authenticate"), MAX_CHALLENGES, "response.www_authenticate", truncated)
            ],
            "proxy_authenticate": [
                _masked("challenge", _short(v), _mask_challenge, secrets)
                for v in _bounded(answered.get_all("proxy-authenticate"), MAX_CHALLENGES, "response.proxy_authenticate", truncated)
            ],
            "set_cookies": taken.set_cookies,
            "date": date.isoformat() if date else None,
            "date_raw": _short_or_none(date_raw),
            "received": utc_iso(caught.received),
            "content_type": _short_or_none(answered.get("content-type")),
            "body_length": caught.body_length,
            "body_error": _body_error(caught.body, answered),
        },
    }
    exchange["truncated"] = truncated
    try:  # one C-speed check; the walk only for the rare exchange carrying undecodable bytes
        dumped = json.dumps(exchange, ensure_ascii=False)
        size = len(dumped.encode("utf-8"))
    except UnicodeEncodeError:
        exchange = _scrubbed(exchange)
        dumped = json.dumps(exchange, ensure_ascii=False)
        size = len(dumped.encode("utf-8", "replace"))
    # Whatever the server echoed of the request's own secrets (a password in a message, the
    # rejected token quoted back) is masked whatever it looks like: matched, not guessed.
    echoed = [secret for secret in secrets if secret in dumped]
    if echoed:
        exchange["response"] = _without(exchange["response"], echoed)
        exchange["reason"] = _without(exchange["reason"], echoed)
    return _within_limit(exchange, size)


def _within_limit(exchange: dict[str, Any], size: int) -> dict[str, Any]:
    """An exchange trimmed to fit what the service accepts, least telling parts first (the
    full header lists, then the cookies), saying what was cut: a 401 is never lost to its size."""
    for part, key in (("response", "headers"), ("request", "headers"), ("request", "cookies"), ("response", "set_cookies")):
        if size <= MAX_EXCHANGE_BYTES:
            break
        items = exchange.get(part, {}).get(key)
        if items:
            exchange["truncated"].append(f"{part}.{key}: all {len(items)} dropped to fit the size limit")
            exchange[part][key] = []
            size = len(json.dumps(exchange, ensure_ascii=False).encode("utf-8", "replace"))
    return exchange


# Secrets shorter than this are not matched: "1234" would mask every number in the exchange.
_MIN_ECHO = 6
_MAX_SECRETS = 64


def request_secrets(full_path: str, headers: Fields) -> list[str]:
    """The secret values a request (its path with the query, its headers) carried, longest
    first: credentials (and the parts of a Basic pair), cookie values, credential headers,
    secret query values, keys in the path."""
    found: list[str] = []
    for name, value in headers.pairs:
        lowered = name.lower()
        if lowered in {"authorization", "proxy-authorization"}:
            scheme = scheme_of(value)
            secret = value.strip()[len(scheme) :].strip() if scheme else value.strip()
            found.append(secret)
            if scheme and scheme.lower() == "basic":
                found += basic_parts(secret)
            elif scheme and scheme.lower() == "digest":
                # The parts a server might quote back on their own: the client nonce and the
                # response hash (never kept, and masked wherever they come back).
                params = next(iter(parse_challenges(value.strip()).challenges), None)
                found += [params.param(name) or "" for name in ("cnonce", "response")] if params else []
            elif not scheme:
                found += secret.split()  # "hunter two": each word may come back alone
        elif lowered == "cookie":
            found += [v for _, v in cookie_pairs(value)]
        elif _credential_header(name) or not _keeps_words(name):
            found.append(value.strip())  # a vendor's own header: a secret unless shown otherwise
    path, _, query = full_path.partition("?")
    found += [v for n, v in parse_qsl(query, keep_blank_values=True) if n.lower() in API_KEY_QUERY_PARAMS or _secret_name(n)]
    found += [segment for segment in path.split("/") if key_prefix(segment) or looks_like_jwt(segment) or is_token_like(segment)]
    unique = {secret for secret in found if len(secret) >= _MIN_ECHO}
    # Bounded like everything a request brings: thousands of cookies must not make the
    # matching cost the proxy seconds.
    return sorted(unique, key=len, reverse=True)[:_MAX_SECRETS]


def _without(value: Any, secrets: list[str]) -> Any:
    """`value` with every occurrence of each secret replaced by the mask, at any depth."""
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {k: _without(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without(v, secrets) for v in value]
    return value
