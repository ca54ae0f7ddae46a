"""HAR 1.2 (HTTP Archive) of stored events, for Chrome DevTools, HTTP Toolkit and support.

Built from the redacted exchange the addon sent, never from anything else: header values the
addon redacted stay `[redacted: N chars]`, cookies are names with their values' lengths, the
response body is not there (only the error code and message the companion read from it, with
anything token-like masked). What the HAR format cannot say without guessing is marked as
unknown (`-1`) rather than invented. The diagnosis goes in each entry's `comment` and in
`_companion` (custom fields start with an underscore, by the spec).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from companion.diagnosis.models import Exchange
from companion.service.models import Event

__all__ = ["har_entry", "har_log_head"]

_NOTE = (
    "Exported by 401 Companion from redacted exchanges: no password, token, API key or cookie value is in "
    "this file (secret header values read [redacted: N chars]); response bodies are not kept."
)


def har_log_head(version: str) -> str:
    """The document up to the first entry; the caller writes the entries and then `]}}`."""
    head = json.dumps({"version": "1.2", "creator": {"name": "401 Companion", "version": version}, "pages": [], "comment": _NOTE})
    return '{"log":' + head[:-1] + ',"entries":['


def _iso(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _pairs(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in headers]


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _size(headers: list[tuple[str, str]]) -> int:
    length = _header(headers, "content-length")
    return int(length) if length and length.strip().isdigit() and len(length) < 16 else -1


def _redacted(length: int) -> str:
    return f"[redacted: {length} chars]"


def _request(event: Event, exchange: Exchange | None) -> dict[str, Any]:
    headers = exchange.request.headers if exchange else []
    query = urlsplit(event.url).query
    return {
        "method": event.method,
        "url": event.url.split("#", 1)[0],
        "httpVersion": exchange.http_version if exchange else "HTTP/1.1",
        "cookies": [
            {"name": cookie.name, "value": _redacted(cookie.length)} for cookie in (exchange.request.cookies if exchange else [])
        ],
        "headers": _pairs(headers),
        "queryString": [{"name": name, "value": value} for name, value in parse_qsl(query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": _size(headers),
    }


def _set_cookie(cookie: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"name": cookie.name, "value": _redacted(cookie.value_length)}
    if cookie.path is not None:
        found["path"] = cookie.path
    if cookie.domain is not None:
        found["domain"] = cookie.domain
    if cookie.expires is not None:
        found["expires"] = _iso(cookie.expires)
    found["httpOnly"] = cookie.httponly
    found["secure"] = cookie.secure
    if cookie.samesite:
        found["_sameSite"] = cookie.samesite
    if cookie.deletes:
        found["comment"] = "this Set-Cookie deletes the cookie"
    return found


def _response(event: Event, exchange: Exchange | None) -> dict[str, Any]:
    if exchange is None:
        return {
            "status": event.status, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [], "headers": [],
            "content": {"size": -1, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": -1,
        }  # fmt: skip
    response = exchange.response
    content: dict[str, Any] = {"size": response.body_length, "mimeType": response.content_type or ""}
    error = response.body_error
    if error is not None and (error.code or error.message):
        said = {key: value for key, value in (("error", error.code), ("message", error.message), ("reason", error.reason)) if value}
        content["text"] = json.dumps(said, ensure_ascii=False)
        content["comment"] = "not the body: the error the companion read from it" + (f" ({error.field})" if error.field else "")
    return {
        "status": exchange.status,
        "statusText": exchange.reason,
        "httpVersion": exchange.http_version,
        "cookies": [_set_cookie(cookie) for cookie in response.set_cookies],
        "headers": _pairs(response.headers),
        "content": content,
        "redirectURL": _header(response.headers, "location") or "",
        "headersSize": -1,
        "bodySize": response.body_length,
    }


def har_entry(event: Event) -> dict[str, Any]:
    """One HAR entry for one stored event."""
    exchange = event.exchange
    started = exchange.time if exchange else event.time
    waited = 0.0
    if exchange is not None:
        received = exchange.response.received
        if received.tzinfo is None:
            received = received.replace(tzinfo=UTC)
        start = started if started.tzinfo else started.replace(tzinfo=UTC)
        waited = max(0.0, round((received - start).total_seconds() * 1000, 3))
    d = event.diagnosis
    return {
        "startedDateTime": _iso(started),
        "time": waited,
        "request": _request(event, exchange),
        "response": _response(event, exchange),
        "cache": {},
        "timings": {"send": 0, "wait": waited, "receive": 0},
        "comment": f"401 Companion: {d.title}. {d.summary}",
        "_companion": {
            "event": event.id, "cause": d.cause, "title": d.title, "summary": d.summary,
            "confidence": d.confidence, "also": d.also,
        },
    }  # fmt: skip
