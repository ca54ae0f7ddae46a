"""Build the redacted `Exchange` (`companion.diagnosis.models`) of one 401/407 flow, as
plain JSON-ready dicts.

Only called for 401 and 407 responses, and pure: the addon, which owns the site memory, adds
the `context` and records what it learns. Every value that leaves this module has passed
through credentials.py (credentials → scheme, length, fingerprint) or redact.py.
"""

from __future__ import annotations

import html
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
from companion.capture.echoes import MAX_SECRETS, MIN_ECHO, Echoes
from companion.capture.jwt import looks_like_jwt, unverified_jwt
from companion.capture.keys import key_prefix
from companion.capture.redact import (
    API_KEY_QUERY_PARAMS,
    is_credential_header,
    is_secret_name,
    is_token_like,
    keeps_words,
    mask_tokens,
    redact_header_value,
    redact_url,
    redacted_marker,
    scrub,
)
from companion.net.challenge import parse_challenges
from companion.net.cookies import cookie_pairs
from companion.net.dates import parse_http_date, utc_iso
from companion.wire import (
    MAX_CHALLENGES,
    MAX_COOKIES,
    MAX_CREDENTIALS,
    MAX_EXCHANGE_BYTES,
    MAX_HEADER_VALUE,
    MAX_HEADERS,
    SCHEMA_VERSION,
)

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
# Of a request's body, this much is read for the secrets it carried (a login form's fields).
_MAX_SENT_BODY = 8 * 1024
# What one exchange keeps at most, so that none outgrows the service's ingest limit (and is
# lost there) whatever a server sends; what was cut is said in `truncated`.
_MAX_COOKIE_AGE_S = 400 * 86400
_MAX_ATTRIBUTES = 16
_MAX_DECODED = 256 * 1024
# Of a longer header value, this much is masked and the rest only counted: what is kept is cut
# at MAX_HEADER_VALUE, and a token across the cut is masked whole.
_MASK_WINDOW = MAX_HEADER_VALUE + 256
# The header text one exchange masks at most (a real 401's are a few KB): past it, a value
# keeps its length only. Masking reads URLs and pairs in a value, and 128 headers of 8 KB of
# URL pairs cost the proxy over a second before this bound.
_MASK_BUDGET = 16 * 1024
# The service's own limits (`companion.diagnosis.models.Exchange`): a field past them would
# get the whole 401 refused, so each is cut to fit here.
_MAX_METHOD = 32
_MAX_URL = 16 * 1024
_MAX_HOST = 1024
# Of a request's structured header (a Digest `Authorization`), this much is parsed.
_MAX_PARSED = 4096
# Headers read on their own below, never as API keys.
_OWN_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def initiator_of(origin: str | None, referer: str | None) -> str | None:
    """The origin of the page that made the request: `Origin`, else the Referer's origin;
    rebuilt from scheme, host and port so nothing else (userinfo, a path) comes along."""
    for header in (origin if origin != "null" else None, referer):
        if not header:
            continue
        try:
            parts = urlsplit(scrub(header[:_MAX_HOST]))  # an origin is at the start: no megabyte parsed
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
    quoted value, a `;` or `,` in the name), which is parsed as it is and not remembered.
    The value runs to the first `;`, commas and all, as `_parse_line` reads it."""
    name, eq, rest = line.partition("=")
    if not eq or ";" in name or "," in name or rest.startswith('"'):
        return None
    end = rest.find(";")
    end = len(rest) if end < 0 else end
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
    """The cookie of one line: its value-free `SetCookie` dict but `deletes`, its Max-Age and
    its Expires (a timestamp), from which `deletes` is worked out at the time it is received.

    One line sets one cookie, as browsers read it (RFC 6265bis §5.6): its name and value run to
    the first `;`, commas and all. mitmproxy's parser also splits a line at commas (folded
    lines of old), which would take the part of a value after a comma (`ids=YWJj,SGVs…==`) for
    a second cookie's name: it reads only the attributes here."""
    pair, _, attributes = line.partition(";")
    name, eq, value = pair.partition("=")
    if not eq:
        # "Set-Cookie: abc123" has no "=": a cookie with no name whose value is abc123. The
        # value is never kept as a name.
        name, value = "", pair
    name, value = name.strip(" \t"), value.strip(" \t")
    # The attributes a cookie has (Path, Domain, Expires, Max-Age, SameSite, Secure, HttpOnly,
    # Partitioned, Priority): a line of hundreds more is read for its first ones only.
    attributes = ";".join(attributes.split(";", _MAX_ATTRIBUTES)[:_MAX_ATTRIBUTES])
    try:
        parsed = mcookies.parse_set_cookie_header(f"x=;{attributes}") if attributes.strip() else []
    except Exception:  # noqa: BLE001 - a server's junk must not stop the capture
        parsed = []
    attrs = parsed[0][2] if parsed else mcookies.CookieAttrs()
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
        "path": redact_url(scrub(lowered["path"]))[:_MAX_URL] if lowered.get("path") else None,
        "expires": expires.isoformat() if expires else None,
        "max_age": max_age,
        "samesite": scrub(lowered["samesite"]) if lowered.get("samesite") else None,
        "secure": "secure" in lowered,
        "httponly": "httponly" in lowered,
        "partitioned": "partitioned" in lowered,
    }
    return ((cookie, max_age, expires.timestamp() if expires else None),)


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
        return host.lower()[:_MAX_HOST]  # lowered first: "İ" lowers to two characters
    if "@" in authority and authority.rpartition("@")[2]:
        authority = authority.rpartition("@")[2]  # `user:password@host` is no Host header a browser sends: the host alone
    if len(authority) > 255:
        # Longer than any host: the request's own host, never IDNA's work on what a client
        # chose (a kilobyte of distinct letters cost 200 ms of the proxy's CPU, a megabyte 4 s).
        return host.lower()[:_MAX_HOST]
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
        # Of a value of megabytes (which decode at 4 ns a byte when they are not UTF-8), its
        # first `_MAX_DECODED` bytes: far more than anything reads of it.
        self.pairs: list[tuple[str, str]] = [
            (name[:_MAX_DECODED].decode("utf-8", "surrogateescape"), value[:_MAX_DECODED].decode("utf-8", "surrogateescape"))
            for name, value in fields
        ]
        self._by_name: dict[str, list[str]] = {}
        for name, value in self.pairs:
            self._by_name.setdefault(_ascii_lower(name), []).append(value)

    def get_all(self, name: str) -> list[str]:
        return self._by_name.get(_ascii_lower(name), [])

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._by_name.get(_ascii_lower(name))
        return ", ".join(values) if values else default


def _raw_values_named(fields: _RawFields, name: bytes) -> list[bytes]:
    """The values of the fields named `name` (in lower case), as sent."""
    size = len(name)
    return [value for key, value in fields if len(key) == size and key.lower() == name]


def _values_named(fields: _RawFields, name: bytes) -> list[str]:
    """`headers.get_all(name)` (`name` in lower case) of a message's `headers.fields`, by a
    scan of them: what mitmproxy's lookup answers, for a fifth of its cost."""
    return [value.decode("utf-8", "surrogateescape") for value in _raw_values_named(fields, name)]


def set_cookie_lines(fields: _RawFields, truncated: list[str] | None = None) -> list[str]:
    """The Set-Cookie lines of a response's `headers.fields`, bounded in number and length:
    the one way both a captured 401 and a remembered normal response read them. Only what is
    kept of a line is decoded (a normal response's hook read 16 MB of them for 70 ms)."""
    found = _raw_values_named(fields, b"set-cookie")
    lines = _bounded(found, MAX_COOKIES, "response.set_cookies", truncated if truncated is not None else [])
    return [
        _short(line.decode("utf-8", "surrogateescape"))
        if len(line) <= MAX_HEADER_VALUE
        else line[: 4 * MAX_HEADER_VALUE].decode("utf-8", "surrogateescape")[:MAX_HEADER_VALUE] + f"[… {len(line) - MAX_HEADER_VALUE} more bytes]"
        for line in lines
    ]


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


class _Budget:
    """What is left of an exchange's `_MASK_BUDGET`."""

    __slots__ = ("left", "spent_out")

    def __init__(self) -> None:
        self.left = _MASK_BUDGET
        self.spent_out = 0

    def allows(self, text: str) -> bool:
        if len(text) > self.left:
            self.spent_out += 1
            return False
        self.left -= len(text)
        return True


def _window(value: str) -> str:
    """What is masked of a value: all of it, or of a long one the window that is kept."""
    return value if len(value) <= MAX_HEADER_VALUE else value[:_MASK_WINDOW]


def _cut(masked: str, value: str) -> str:
    """`masked` (`value`'s window, masked) cut as what is kept, saying how much of `value` was not."""
    if len(value) <= MAX_HEADER_VALUE:
        return _short(masked)
    return masked[:MAX_HEADER_VALUE] + f"[… {len(value) - MAX_HEADER_VALUE} more chars]"


def _headers(
    headers: Fields, what: str, truncated: list[str], secrets: list[str], echoes: Echoes, budget: _Budget
) -> list[tuple[str, str]]:
    """The headers, redacted; each value with the request's secrets masked where it echoes them
    (before anything else reads a server's; after the redaction of a request's own, which
    reduces the secrets' sources to their lengths), then cut."""
    request, echoed = what.startswith("request"), bool(echoes.found)
    kept = []
    for name, value in _bounded(headers.pairs, MAX_HEADERS, what, truncated):
        head = _window(value)
        if _keeps_words(name[:256]) and not budget.allows(head):
            kept.append((_short(name), redacted_marker(value)))
            continue
        if echoed and not request:
            head = echoes(head)
        masked = _masked(f"header {name}", head, partial(redact_header_value, name), secrets)
        if echoed and request:
            masked = echoes(masked)
        kept.append((_short(name), _short(masked) if head is value else _cut(masked, value)))
    return kept


def _challenges(values: list[str], secrets: list[str], echoes: Echoes, budget: _Budget) -> list[str]:
    """A response's challenges (`WWW-Authenticate` or `Proxy-Authenticate` lines): the request's
    secrets masked where they are echoed, then tokens, then cut."""
    return [
        _cut(_masked("challenge", echoes(_window(v)), _mask_challenge, secrets), v) if budget.allows(_window(v)) else redacted_marker(v)
        for v in values
    ]


def _mask_challenge(line: str) -> str:
    # Server continuation blobs (Negotiate/NTLM) are opaque and may carry session material.
    words = [f"[blob: {len(w)} chars]" if _BLOB.match(w) else w for w in line.split(" ")]
    return mask_tokens(" ".join(words))


def _credentials(full_path: str, key: bytes, headers: Fields) -> tuple[list[dict], list[dict]]:
    """The credentials a request carried, described (`MAX_CREDENTIALS` of each kind at most:
    the exchange keeps no more, and describing ten thousand cost the proxy 65 ms)."""
    auth = headers.get_all("authorization")[:MAX_CREDENTIALS]
    creds = [describe_authorization(v, source="request.authorization", key=key) for v in auth]
    proxy_auth = headers.get_all("proxy-authorization")[:MAX_CREDENTIALS]
    proxy = [describe_authorization(v, source="request.proxy-authorization", key=key) for v in proxy_auth]
    found = 0
    for name, value in headers.pairs:
        if name.lower() not in _OWN_HEADERS and _credential_header(name[:256]):
            found += 1
            if found <= MAX_CREDENTIALS:
                creds.append(describe_api_key(value, source=f"request.header.{name.lower()[:64]}", key=key))
    path, _, query = full_path[:_MAX_URL].partition("?")
    if query:
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name.lower() in API_KEY_QUERY_PARAMS:
                creds.append(describe_api_key(value, source=f"request.query.{name.lower()}", key=key))
                if len(creds) > 2 * MAX_CREDENTIALS:
                    break
    for segment in path.split("/"):
        # A key in the URL path (Telegram's /bot<token>/…): only a JWT or a key of a known
        # form counts, never an id that merely looks random.
        if 16 <= len(segment) <= 4096 and (key_prefix(segment) or looks_like_jwt(segment)):
            creds.append(describe_api_key(segment, source="request.path", key=key))
    return creds, proxy


def _decoded_body(raw: bytes, headers: Fields) -> bytes | None:
    """A body's first bytes (at most `_MAX_RAW_BODY`, as sent), decoded: at most MAX_BODY_BYTES."""
    if not raw:
        return None
    # Never get_content(): it decodes the whole body, and a compression bomb is a few KB.
    return decoded_prefix(raw, headers.get("content-encoding"), MAX_BODY_BYTES)


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
    sent_body: bytes = b""
    """The request body's first bytes (at most `_MAX_SENT_BODY`): never kept, only read for the
    secrets it carried (a login form's password), to mask where the server echoes them."""

    @property
    def size(self) -> int:
        """Bytes it holds of the flow: what waiting for its delivery keeps in memory."""
        held = len(self.body) + len(self.sent_body) + len(self.full_path) + len(self.pretty_url) + len(self.reason)
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
        # mitmproxy's pretty URL reads the Host header through IDNA: of a Host header longer
        # than any host, the URL with the request's own host (see `site_host_of`).
        pretty_url=request.pretty_url if len(request.host_header or "") <= 255 else request.url,
        http_version=request.http_version,
        status=response.status_code,
        reason=response.reason or "",
        sent=request.headers.fields,
        answered=response.headers.fields,
        body=raw[:_MAX_RAW_BODY],
        body_length=len(raw),
        sent_body=(request.raw_content or b"")[:_MAX_SENT_BODY],
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
    sent_body = caught.sent_body
    if sent_body and sent.get("content-encoding"):  # a compressed request body: its first 8 KB decoded
        sent_body = decoded_prefix(sent_body, sent.get("content-encoding"), _MAX_SENT_BODY) or b""
    secrets = request_secrets(caught.full_path, sent, sent_body)
    body = _decoded_body(caught.body, answered)
    echoes = Echoes(secrets, _server_texts(caught, sent, answered, body) if secrets else ())
    budget = _Budget()
    credentials = _bounded(taken.credentials, MAX_CREDENTIALS, "request.credentials", truncated)
    proxy_credentials = _bounded(taken.proxy_credentials, MAX_CREDENTIALS, "request.proxy_credentials", truncated)
    sent_cookies: list[dict] = []
    cookie_lines = sent.get_all("cookie")
    pairs = [pair for line in cookie_lines for pair in cookie_pairs(line[: _MAX_PARSED * 16])]
    for name, value in _bounded(pairs, MAX_COOKIES, "request.cookies", truncated):
        cookie: dict[str, Any] = {"name": _short(scrub(name)), "length": len(value), "fingerprint": fingerprint(value, key)}
        if looks_like_jwt(value) and (claims := unverified_jwt(value)):
            cookie["jwt"] = claims  # a token kept in a cookie: its times are evidence
        sent_cookies.append(cookie)
    truncated += taken.set_cookie_cuts

    origin = sent.get("origin")
    referer = sent.get("referer")
    date_raw = answered.get("date")
    date = parse_http_date(date_raw)

    exchange: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "flow_id": caught.flow_id,
        "time": utc_iso(caught.started or caught.caught_at),
        "method": caught.method[:_MAX_METHOD],
        "url": _fitted(taken.url, _MAX_URL),
        "scheme": caught.scheme,
        "host": taken.host,
        "port": caught.port,
        "path": _fitted(redact_url(caught.full_path.partition("?")[0]), _MAX_URL),
        "http_version": caught.http_version,
        "status": caught.status,
        "reason": _cut(_masked("text", echoes(_window(caught.reason)), mask_tokens, secrets), caught.reason),
        "initiator": initiator_of(origin, referer),
        "request": {
            "headers": _headers(sent, "request.headers", truncated, secrets, echoes, budget),
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
            "user_agent": _short(echoes(_masked("text", sent.get("user-agent") or "", mask_tokens, secrets))) or None,
        },
        "response": {
            "headers": _headers(answered, "response.headers", truncated, secrets, echoes, budget),
            "www_authenticate": _challenges(
                _bounded(answered.get_all("www-authenticate"), MAX_CHALLENGES, "response.www_authenticate", truncated), secrets, echoes, budget
            ),
            "proxy_authenticate": _challenges(
                _bounded(answered.get_all("proxy-authenticate"), MAX_CHALLENGES, "response.proxy_authenticate", truncated), secrets, echoes, budget
            ),
            "set_cookies": taken.set_cookies,
            "date": date.isoformat() if date else None,
            "date_raw": _short_or_none(date_raw),
            "received": utc_iso(caught.received),
            "content_type": _short_or_none(answered.get("content-type")),
            "body_length": caught.body_length,
            "body_error": extract_body_error(answered.get("content-type"), body, echoes) if body else None,
        },
    }
    if budget.spent_out:
        truncated.append(f"headers: {budget.spent_out} values past {_MASK_BUDGET // 1024} KB of text kept as their lengths only")
    exchange["truncated"] = truncated
    try:  # one C-speed check; the walk only for the rare exchange carrying undecodable bytes
        dumped = json.dumps(exchange, ensure_ascii=False)
        size = len(dumped.encode("utf-8"))
    except UnicodeEncodeError:
        exchange = _scrubbed(exchange)
        dumped = json.dumps(exchange, ensure_ascii=False)
        size = len(dumped.encode("utf-8", "replace"))
    # Whatever else of the server's text still echoes the request's own secrets (a cookie
    # name taken from a `Set-Cookie`, the content type) is masked there too: matched, not guessed.
    left = echoes.left_in(dumped) if secrets else None
    if left is not None:
        exchange["response"] = _without(exchange["response"], left)
        exchange["reason"] = _without(exchange["reason"], left)
    return _within_limit(exchange, size)


def _server_texts(caught: Caught, sent: Fields, answered: Fields, body: bytes | None) -> list[str]:
    """The texts of an exchange that may echo the request's secrets: all the server sent that is
    kept (its reason, headers, the start of its body), and the request's headers kept as words;
    of each, the part that is masked."""
    texts = [caught.reason[:_MASK_WINDOW], *(value[:_MASK_WINDOW] for _, value in answered.pairs[: 2 * MAX_HEADERS])]
    if len(answered.pairs) > 2 * MAX_HEADERS:  # what is kept of the rest: challenges, type, date
        kept = ("www-authenticate", "proxy-authenticate", "content-type", "date", "set-cookie")
        texts += [value[:_MASK_WINDOW] for name, value in answered.pairs[2 * MAX_HEADERS :] if name.lower() in kept][: 4 * MAX_CHALLENGES]
    if body:
        texts.append(body[:MAX_BODY_BYTES].decode("utf-8", "replace"))
    texts += [value[:_MASK_WINDOW] for name, value in sent.pairs[:MAX_HEADERS] if _keeps_words(name[:256]) and not _credential_header(name[:256])]
    return texts


def _fitted(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, saying so at its end."""
    return text if len(text) <= limit else text[: limit - 20] + "[… cut]"


def _within_limit(exchange: dict[str, Any], size: int) -> dict[str, Any]:
    """An exchange trimmed to fit what the service accepts, least telling parts first (the
    full header lists, then the cookies), saying what was cut: a 401 is never lost to its size."""
    parts = (("response", "headers"), ("request", "headers"), ("request", "cookies"), ("response", "set_cookies"), ("request", "credentials"))
    for part, key in parts:
        if size <= MAX_EXCHANGE_BYTES:
            break
        items = exchange.get(part, {}).get(key)
        if items:
            exchange["truncated"].append(f"{part}.{key}: all {len(items)} dropped to fit the size limit")
            exchange[part][key] = []
            size = len(json.dumps(exchange, ensure_ascii=False).encode("utf-8", "replace"))
    return exchange


def request_secrets(full_path: str, headers: Fields, body: bytes = b"") -> list[str]:
    """The secret values a request (its path with the query, its headers, its body) carried,
    the credentials first: credentials (and the parts of a Basic pair), credential headers,
    secret query values, keys in the path, secret fields of the body, then cookie values, each
    kind longest first."""
    credentials: list[str] = []  # matched first: never crowded out by the others
    found: list[str] = []
    cookies: list[str] = []
    for name, value in headers.pairs[: 4 * MAX_HEADERS]:
        lowered = name[:256].lower()
        if lowered in {"authorization", "proxy-authorization"}:
            scheme = scheme_of(value)
            secret = value.strip()[len(scheme) :].strip() if scheme else value.strip()
            credentials.append(secret)
            if scheme and scheme.lower() == "basic":
                credentials += basic_parts(secret)
            elif scheme and scheme.lower() == "digest":
                # The parts a server might quote back on their own: the client nonce and the
                # response hash (never kept, and masked wherever they come back).
                params = next(iter(parse_challenges(value.strip()[:_MAX_PARSED]).challenges), None)
                credentials += [params.param(name) or "" for name in ("cnonce", "response")] if params else []
            elif not scheme:
                credentials += secret[:_MAX_PARSED].split()[:16]  # "hunter two": each word may come back alone
        elif lowered == "cookie":
            cookies += [v for _, v in cookie_pairs(value[:_MAX_PARSED * 16])]
        elif _credential_header(lowered) or not _keeps_words(lowered):
            found.append(value.strip())  # a vendor's own header: a secret unless shown otherwise
    path, _, query = full_path[:_MAX_URL].partition("?")
    found += [v for n, v in parse_qsl(query, keep_blank_values=True) if n.lower() in API_KEY_QUERY_PARAMS or _secret_name(n[:256])]
    found += [
        segment for segment in path.split("/")
        if MIN_ECHO <= len(segment) <= 4096 and (key_prefix(segment) or looks_like_jwt(segment) or is_token_like(segment))
    ]  # fmt: skip
    if body:
        credentials += [value for name, value in body_fields(body, headers.get("content-type")) if _is_secret_field(name, value)]
    # Bounded like everything a request brings: thousands of cookies must not make the
    # matching cost the proxy seconds; seventy tracking cookies, or forty vendor headers, must
    # not crowd out a session's cookie or the password.
    unique = dict.fromkeys(
        [*credentials, *sorted(found, key=len, reverse=True), *sorted(cookies, key=len, reverse=True)]
    )  # fmt: skip
    return [secret for secret in unique if len(secret) >= MIN_ECHO][:MAX_SECRETS]


# Fields the addon writes itself from what it parsed (times): never text to mask, and the service
# refuses them masked (a cookie valued as today's date made a 401 vanish).
_WRITTEN = frozenset({"date", "received", "expires", "set_at"})


def _without(value: Any, echoes: Echoes) -> Any:
    """`value` with every echo masked, at any depth (the addon's own time fields aside)."""
    if isinstance(value, str):
        masked = echoes(value)
        return masked if len(masked) <= len(value) else masked[: len(value)]  # it fit: it still fits
    if isinstance(value, dict):
        return {k: v if k in _WRITTEN else _without(v, echoes) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without(v, echoes) for v in value]
    return value


def _is_secret_field(name: str, value: str) -> bool:
    return bool(value) and (name.lower() in API_KEY_QUERY_PARAMS or _secret_name(name[:256]) or is_token_like(value))


# A body's fields, each a name and a value: a form's `name=value`, a JSON document's string
# values by their keys, a multipart form's parts.
_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.){1,64})"\s{0,8}:\s{0,8}(?:"((?:[^"\\]|\\.){0,1024})"|(-?[0-9][0-9.eE+-]{0,63}))')
_XML_FIELD = re.compile(r"<(?:[A-Za-z][\w.-]{0,31}:)?([A-Za-z][\w.-]{0,63})(?:\s[^<>]{0,256})?>(?:<!\[CDATA\[)?([^<\]]{1,1024})")
_PART = re.compile(
    r"""(?im)^content-disposition:[^\r\n]{0,256}?\bname=["']?([^"'\r\n;]{1,64})["']?[^\r\n]{0,256}\r?\n"""
    r"(?:[^\r\n]{1,256}\r?\n){0,4}\r?\n([^\r\n]{0,1024})"
)  # anchored at a part's own header line: each line is tried once
_MAX_FIELDS = 256


def _json_text(escaped: str) -> str:
    """A JSON string's text from between its quotes (as it was, if its escapes are broken)."""
    if "\\" not in escaped:
        return escaped
    try:
        return json.loads(f'"{escaped}"')
    except ValueError:
        return escaped


def body_fields(body: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """The fields a request body carried (at most `_MAX_FIELDS`, from its first bytes): what a
    login form, a token request or an API call sends as name and value."""
    text = body.decode("utf-8", "replace")
    ctype = (content_type or "").lower()
    if "multipart" in ctype:
        return [(m.group(1), m.group(2)) for m, _ in zip(_PART.finditer(text), range(_MAX_FIELDS), strict=False)]
    stripped = text.lstrip()
    if "json" in ctype or stripped[:1] in ("{", "["):
        fields: list[tuple[str, str]] = []
        for match, _ in zip(_JSON_PAIR.finditer(stripped), range(_MAX_FIELDS), strict=False):
            name = _json_text(match.group(1))
            # A number too: a PIN or a code sent as one.
            fields.append((name, match.group(3) if match.group(3) is not None else _json_text(match.group(2))))
        return fields
    if "xml" in ctype or stripped[:1] == "<":  # a SOAP login, an XML API's
        return [(m.group(1), html.unescape(m.group(2).strip())) for m, _ in zip(_XML_FIELD.finditer(stripped), range(_MAX_FIELDS), strict=False)]
    return parse_qsl(text, keep_blank_values=True, max_num_fields=None)[:_MAX_FIELDS]
