"""Find the error code and message in (the first few KB of) a 401 body.

Servers say why they refused in many shapes: OAuth's `error`/`error_description`, Problem
Details' `title`/`detail`, `{"error": {"code", "message"}}`, `message`, `msg`, plain text.
Everything returned is masked for tokens: servers do echo the token they rejected.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from companion.capture.redact import mask_tokens
from companion.wire import MAX_BODY_BYTES, MAX_BODY_FIELD

if TYPE_CHECKING:
    from companion.capture.echoes import Echoes

__all__ = ["MAX_BODY_BYTES", "extract_body_error"]


_CODE_KEYS = ("error", "code", "error_code", "errorCode", "type", "status_code", "reason")
_MESSAGE_KEYS = (
    "error_description", "message", "msg", "detail", "details", "title", "description", "error_message", "errorMessage",
    "errorSummary", "errorMessages", "error_summary",
)  # fmt: skip
# A second, finer code some APIs add: Google's ErrorInfo `details[].reason`, a gRPC-style
# `status`, Okta's `errorCode` beside its summary, Anthropic's `type`.
_REASON_KEYS = ("reason", "status", "errorCode", "type", "subcode", "error_subcode")
# A tag holds no "<": each scan stops at the next one, so "<<<<…" costs one pass, not one per "<".
_TAG = re.compile(r"<[^<>]+>")
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"\s+")


def _short(value: Any, unecho: Callable[[str], str] | None = None) -> str | None:
    if isinstance(value, list) and value:
        value = value[0]  # Jira's `errorMessages: ["…"]`
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    # Masked first, then cut: a token that straddles the cut must not leave its head behind.
    # Echoes of the request's secrets again, now that the server's escapes are undone.
    value = _SPACE.sub(" ", value).strip()
    if unecho is not None:
        value = unecho(value)
    return mask_tokens(value)[:MAX_BODY_FIELD]


def _from_json(doc: Any, unecho: Callable[[str], str] | None = None) -> dict[str, str | None] | None:
    if isinstance(doc, list) and doc and isinstance(doc[0], dict):
        doc = doc[0]  # GraphQL-ish `[{"message": …}]`
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("errors"), list) and doc["errors"] and isinstance(doc["errors"][0], dict):
        nested = _from_json(doc["errors"][0], unecho)
        if nested:
            nested["field"] = "json:errors[0]." + (nested["field"] or "").removeprefix("json:")
            return nested
    inner = doc.get("error")
    if isinstance(inner, dict):
        nested = _from_json(inner, unecho)
        if nested:
            nested["field"] = "json:error." + (nested["field"] or "").removeprefix("json:")
            return nested
    code = message = None
    field = ""
    for key in _CODE_KEYS:
        code = _short(doc.get(key), unecho)
        if code:
            field = f"json:{key}"
            break
    for key in _MESSAGE_KEYS:
        message = _short(doc.get(key), unecho)
        if message:
            field = f"json:{key}"
            break
    if not code and not message:
        return None
    found: dict[str, str | None] = {"code": code, "message": message, "field": field}
    reason = _reason(doc, code, unecho)
    if reason:
        found["reason"] = reason
    return found


def _reason(doc: dict[str, Any], code: str | None, unecho: Callable[[str], str] | None = None) -> str | None:
    details = doc.get("details")
    if isinstance(details, list):
        for item in details[:4]:
            if isinstance(item, dict) and isinstance(item.get("reason"), str):
                return _short(item["reason"], unecho)
    for key in _REASON_KEYS:
        value = doc.get(key)
        if isinstance(value, str) and not value.isdigit():
            short = _short(value, unecho)
            if short and short != code:
                return short
    return None


# Titles that say only "error": the page's own words are further down (Express's default
# error page puts them in a <pre>, servers' 401 pages in an <h1> or a <p>).
_BARE_TITLE = re.compile(r"^\W*(?:error|\d{3}(?:\s+\w+)*|unauthori[sz]ed|access denied|forbidden)\W*$", re.IGNORECASE)
# Each part: where it opens, where it ends. Its first opening is found, then the first end after
# it: one pass over the page (a lazy `<p>(.*?)</p>` tried again from every later `<p>` when none
# closes, 4 KB of `<pre>` cost 27 ms).
_HTML_PARTS = tuple(
    (part, re.compile(opening, re.IGNORECASE), re.compile(end, re.IGNORECASE))
    for part, opening, end in (
        ("title", r"<title\b[^<>]{0,256}>", r"</title>"),
        ("pre", r"<pre\b[^<>]{0,256}>", r"<br\s{0,8}/?>|\n|</pre>"),
        ("h1", r"<h1\b[^<>]{0,256}>", r"</h1>"),
        ("p", r"<p\b[^<>]{0,256}>", r"</p>"),
    )
)


def _from_html(text: str, unecho: Callable[[str], str] | None = None) -> dict[str, str | None] | None:
    """The page's most telling words: its title, unless that only says "Error"; then the first
    <pre> line, heading or paragraph; the whole text as the last resort."""
    found: list[tuple[str, str]] = []
    for part, opening, end in _HTML_PARTS:
        opened = opening.search(text)
        if opened is None:
            continue
        closed = end.search(text, opened.end())
        if closed and (words := _short(_TAG.sub(" ", html.unescape(text[opened.end() : closed.start()])), unecho)):
            found.append((part, words))
    telling = next(((part, words) for part, words in found if not _BARE_TITLE.match(words)), None)
    if telling is None:
        telling = found[0] if found else ("text", _short(html.unescape(_TAG.sub(" ", text)), unecho) or "")
    part, message = telling
    return {"code": None, "message": message, "field": f"html:{part}"} if message else None


def extract_body_error(content_type: str | None, body: bytes | None, echoes: Echoes | None = None) -> dict[str, str | None] | None:
    """The server's own error code and message, or None. Reads at most MAX_BODY_BYTES.
    `echoes` masks what the body echoes of the request's secrets: in its text before anything
    else reads it, and in each field again once the server's escapes are undone."""
    if not body:
        return None
    head = body[:MAX_BODY_BYTES]
    text = head.decode("utf-8", "replace")
    unecho = None
    if echoes is not None and echoes.forms:
        text, unecho = echoes(text), echoes.anywhere
    ctype = (content_type or "").lower()
    stripped = text.lstrip()
    if "json" in ctype or stripped[:1] in "{[":
        try:
            # The leading JSON document: a body may go on after it (padding, a second
            # document, the zeros of a compression bomb) past the part that is read.
            found = _from_json(_DECODER.raw_decode(stripped)[0], unecho)
        except (ValueError, RecursionError):
            found = None  # truncated or not JSON after all: fall through to text
        if found:
            return found
    if "html" in ctype or stripped[:1] == "<":
        return _from_html(text, unecho)
    message = _short(text, unecho)
    return {"code": None, "message": message, "field": "text"} if message else None
