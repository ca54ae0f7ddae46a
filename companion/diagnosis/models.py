"""What the diagnosis reads and what it writes: the redacted `Exchange` and the `Diagnosis`.

The addon builds an `Exchange` as plain JSON (stdlib only, on the proxy's hot path; the keys
are the fields below, `tests/diagnosis/test_models.py` keeps them equal); the service
validates it with these models at `POST /api/ingest`. Nothing in an `Exchange` is a secret:
credentials appear as scheme, length and a keyed fingerprint; cookies as names; Set-Cookie as
names and attributes (see DESIGN.md, "Secrets").
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from companion.diagnosis.wording import utc_or_none
from companion.wire import (
    MAX_BODY_FIELD,
    MAX_CHALLENGES,
    MAX_COOKIES,
    MAX_CREDENTIALS,
    MAX_HEADER_VALUE,
    MAX_HEADERS,
    SCHEMA_VERSION,
)

__all__ = [
    "BodyError",
    "Credential",
    "Diagnosis",
    "Evidence",
    "Exchange",
    "Fix",
    "FixId",
    "JwtInfo",
    "RedirectFacts",
    "RequestFacts",
    "ResponseFacts",
    "SentCookie",
    "SetCookie",
    "SiteContext",
]

class _Model(BaseModel):
    # Unknown fields are ignored so that a newer addon can feed an older service.
    model_config = ConfigDict(extra="ignore", frozen=False)


_MAX_DEPTH = 8
_MAX_ITEMS = 256
_MAX_INT = 2**63

# What the addon keeps of one exchange at most (companion/wire.py) is what the service
# accepts: a longer list or value was not cut by an addon, and the diagnosis must never read
# more than these (its cost grows with them, and it must stay bounded whatever is posted).
# A header value the addon cut ends with `[… N more chars]`: room for that marker.
_CUT_MARKER = 32
_HeaderText = Annotated[str, Field(max_length=MAX_HEADER_VALUE + _CUT_MARKER)]
_BodyText = Annotated[str, Field(max_length=MAX_BODY_FIELD)]


def _bounded(value: Any, depth: int = 0) -> Any:
    """Refuse what no real token holds and what would make a stored event unreadable: deep
    nesting, huge containers, numbers past 64 bits (10^400 is valid JSON)."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"nested deeper than {_MAX_DEPTH} levels")
    if isinstance(value, dict | list):
        if len(value) > _MAX_ITEMS:
            raise ValueError(f"more than {_MAX_ITEMS} items")
        for item in value.values() if isinstance(value, dict) else value:
            _bounded(item, depth + 1)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _MAX_INT:
        raise ValueError("a number larger than 64 bits")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a number that is not finite")
    return value


def _on_a_clock(value: datetime) -> datetime:
    """A time the addon took from this computer's clock: one no clock shows (the year 9999,
    or 1) was not written by an addon, and the diagnosis could not compute with it. (Times a
    server sent, its Date or a cookie's Expires, are kept whatever they say: the diagnosis
    treats an unusable one as absent.)"""
    if utc_or_none(value) is None:
        raise ValueError("a time no clock shows")
    return value


_ClockTime = Annotated[datetime, AfterValidator(_on_a_clock)]


class JwtInfo(_Model):
    """A JWT's decoded header and claims. The signature is never decoded nor kept."""

    header: dict[str, Any] = Field(default_factory=dict)
    claims: dict[str, Any] = Field(default_factory=dict)

    @field_validator("header", "claims")
    @classmethod
    def _within_bounds(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _bounded(value)


class Credential(_Model):
    """What one credential-carrying header or query parameter said, without its value.

    `source` names where it came from: `request.authorization`,
    `request.proxy-authorization`, `request.header.<name>` (API-key headers) or
    `request.query.<name>` (API keys in the URL).
    """

    source: str
    scheme: str | None = None
    """The scheme as sent (`Basic`, `bearer`, `Token` …); None for API keys."""
    length: int = 0
    """Length in characters of the secret part (after the scheme)."""
    fingerprint: str = ""
    """A short keyed fingerprint of the value: equal values, equal fingerprints, in one run."""
    username: str | None = None
    """Basic only: the user name (not a secret by DESIGN.md)."""
    password_length: int | None = None
    """Basic only: how long the password was."""
    problems: list[str] = Field(default_factory=list, max_length=_MAX_ITEMS)
    """Why the header is malformed, as stable codes: `empty_credentials`, `doubled_scheme`,
    `not_base64`, `no_colon`, `surrounding_quotes`, `whitespace`, `newline`,
    `not_utf8`, `no_scheme`, `placeholder_token` (`Bearer undefined`)."""
    jwt: JwtInfo | None = None
    params: dict[str, str] = Field(default_factory=dict, max_length=_MAX_ITEMS)
    """Non-secret parameters of the attempt: Digest `realm`, `algorithm`, `qop`, `uri`,
    `nc`, `userhash`, `nonce_length`; Negotiate/NTLM `mechanism` (`ntlm`, `spnego`, …) and
    `ntlm_message` (1 negotiate, 3 authenticate)."""


class SentCookie(_Model):
    """One cookie the request carried: its name and how long its value was."""

    name: str
    length: int = 0
    fingerprint: str = ""
    jwt: JwtInfo | None = None
    """When the value is a JWT (a token kept in a cookie): its header and claims."""


class SetCookie(_Model):
    """One `Set-Cookie` of the response: its name and attributes, never its value."""

    name: str
    value_length: int = 0
    domain: str | None = None
    path: str | None = None
    expires: datetime | None = None
    max_age: int | None = None
    samesite: str | None = None
    secure: bool = False
    httponly: bool = False
    partitioned: bool = False
    deletes: bool = False
    """True when this Set-Cookie removes the cookie (Max-Age <= 0, Expires in the past, or
    an empty value with an expiry in the past)."""
    host_only_for: str | None = None
    """In `SiteContext.cookies_set_earlier` only, for a cookie set without a Domain: the one
    host that set it, the only host the browser sends it to."""
    default_path: str | None = None
    """In `SiteContext.cookies_set_earlier` only, for a cookie set without a Path: the path it
    applies to, the folder of the URL that set it (RFC 6265 §5.1.4)."""
    set_at: _ClockTime | None = None
    """In `SiteContext.cookies_set_earlier` only: when the site set it (Max-Age counts from
    then)."""


class BodyError(_Model):
    """The error code and message a 401 body carried, with anything token-like masked."""

    code: _BodyText | None = None
    message: _BodyText | None = None
    field: _BodyText | None = None
    """Where it was found, e.g. `json:error_description`, `json:error.message`, `text`."""
    reason: _BodyText | None = None
    """A finer code beside the main one: Google's `details[].reason` (`ACCESS_TOKEN_EXPIRED`),
    a `status` (`UNAUTHENTICATED`), Okta's `errorCode`, Anthropic's error `type`."""


class RequestFacts(_Model):
    headers: list[tuple[_HeaderText, _HeaderText]] = Field(default_factory=list, max_length=MAX_HEADERS)
    """Every request header in order; values of sensitive headers replaced by
    `[redacted: N chars]`."""
    credentials: list[Credential] = Field(default_factory=list, max_length=MAX_CREDENTIALS)
    proxy_credentials: list[Credential] = Field(default_factory=list, max_length=MAX_CREDENTIALS)
    cookies: list[SentCookie] = Field(default_factory=list, max_length=MAX_COOKIES)
    cookie_header_count: int = 0
    cookie_header_length: int = 0
    origin: str | None = None
    referer: str | None = None
    """Scheme, host and path of the Referer; its query is dropped."""
    sec_fetch_site: str | None = None
    sec_fetch_mode: str | None = None
    sec_fetch_dest: str | None = None
    access_control_request_method: str | None = None
    user_agent: str | None = None


class ResponseFacts(_Model):
    headers: list[tuple[_HeaderText, _HeaderText]] = Field(default_factory=list, max_length=MAX_HEADERS)
    www_authenticate: list[_HeaderText] = Field(default_factory=list, max_length=MAX_CHALLENGES)
    """Each `WWW-Authenticate` header line as received (long opaque blobs masked)."""
    proxy_authenticate: list[_HeaderText] = Field(default_factory=list, max_length=MAX_CHALLENGES)
    set_cookies: list[SetCookie] = Field(default_factory=list, max_length=MAX_COOKIES)
    date: datetime | None = None
    """The server's `Date` header, parsed; None when absent or unreadable."""
    date_raw: str | None = None
    received: _ClockTime
    """When the addon saw the response, by the local clock."""
    content_type: str | None = None
    body_length: int = 0
    body_error: BodyError | None = None


class RedirectFacts(_Model):
    """A redirect the addon saw answer a request that carried credentials, whose target is the
    URL of this 401."""

    from_url: str
    """The URL that was redirected (redacted like every URL)."""
    status: int = Field(ge=300, le=399)
    scheme: str | None = None
    """The Authorization scheme the redirected request carried."""
    cross_origin: bool = False
    """The target is on another origin (scheme, host or port), where clients drop Authorization."""


class SiteContext(_Model):
    """What the addon remembers of this site from earlier exchanges (bounded, value-free)."""

    # The addon's memory hands at most 50 (memory.cookies_of_site, a limit with no name to
    # import): bounded as a response's own Set-Cookies are.
    cookies_set_earlier: list[SetCookie] = Field(default_factory=list, max_length=MAX_COOKIES)
    """Cookies this site (registrable domain) set earlier, names and attributes, newest first:
    also those whose Domain or Path does not cover this request, host-only ones of sibling
    hosts, and those that expired since; which should have been sent is for the diagnosis."""
    last_success_scheme: str | None = None
    """The Authorization scheme of the site's last non-401 response, if any."""
    recent_401s_same_request: int = 0
    """How many 401s the same method + URL got within the last minute, this one excluded."""
    recent_401s_same_credential: int = 0
    """How many of those carried the same credential fingerprint."""
    redirect: RedirectFacts | None = None
    """The redirect, within the last minute, that sent the client to this URL after a request
    that carried credentials."""


class Exchange(_Model):
    """One redacted 401/407 exchange, as the addon hands it to the service."""

    schema_version: int = SCHEMA_VERSION
    flow_id: str
    time: _ClockTime
    """When the request started, by the local clock."""
    method: str = Field(max_length=32)
    url: str = Field(max_length=16 * 1024)
    """The full URL with userinfo removed and secret-looking query values redacted."""
    scheme: str
    host: str = Field(max_length=1024)
    port: int = Field(ge=0, le=65535)
    path: str = Field(max_length=16 * 1024)
    http_version: str = "HTTP/1.1"
    status: Literal[401, 407]
    """Only 401 and 407 are captured; anything else is no exchange of this product."""
    reason: str = Field(default="", max_length=2048)
    request: RequestFacts
    response: ResponseFacts
    context: SiteContext = Field(default_factory=SiteContext)
    initiator: str | None = None
    """Origin of the page that made the request (from `Origin`, else `Referer`)."""
    truncated: list[str] = Field(default_factory=list, max_length=_MAX_ITEMS)
    """What the addon cut to keep the exchange bounded, e.g. `response.set_cookies: 64 of 20000 kept`."""


class Evidence(_Model):
    source: str
    """Where the fact came from: `request.authorization`, `response.www-authenticate`,
    `response.date`, `response.body`, `context` …"""
    fact: str


FixId = Literal[
    "clear_cookies",
    "clear_site_data",
    "reload",
    "open_private_window",
    "open_login",
    "open_https",
    "copy_report",
    "manual",
]
"""The fix ids of DESIGN.md: what the extension knows how to do."""


class Fix(_Model):
    id: FixId
    title: str
    one_click: bool = True
    steps: list[str] = Field(default_factory=list)
    """For `manual`: what the person does, one step a line."""


class Diagnosis(_Model):
    cause: str
    confidence: float = Field(ge=0.0, le=1.0)
    title: str
    summary: str
    evidence: list[Evidence] = Field(default_factory=list)
    also: list[str] = Field(default_factory=list)
    fixes: list[Fix] = Field(default_factory=list)
    developer_notes: list[str] = Field(default_factory=list)
    """"For the site's developers": present where the fault is server-side."""
