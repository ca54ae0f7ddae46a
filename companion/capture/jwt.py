"""Read a JWT's header and claims without verifying it, and without its signature.

The standard library only (base64url and JSON): the addon runs inside any mitmproxy. What a
token holds is chosen by whoever made it, and any web page can make a browser send one, so
what is read is bounded in size, depth and breadth before it is kept.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any

__all__ = ["MAX_JWT_CHARS", "looks_like_jwt", "unverified_jwt"]

MAX_JWT_CHARS = 16 * 1024
"""Longer tokens are not decoded (real ones are a few KB at most)."""
_MAX_DEPTH = 6
_MAX_ITEMS = 64
_MAX_STRING = 512
_JWT = re.compile(r"^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*$")


def looks_like_jwt(token: str) -> bool:
    return len(token) <= MAX_JWT_CHARS and token.startswith("eyJ") and bool(_JWT.match(token))


def _part(text: str) -> Any:
    padded = text + "=" * (-len(text) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def _bounded(value: Any, depth: int = 0) -> Any:
    """The value with nesting past `_MAX_DEPTH`, long lists and maps, and long strings cut,
    and numbers JSON cannot carry (10^400 as a float is infinity) kept as text."""
    if isinstance(value, str):
        return value if len(value) <= _MAX_STRING else value[:_MAX_STRING] + "…"
    if isinstance(value, float) and not math.isfinite(value):
        return "[not a finite number]"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return "[number too large]"
    if isinstance(value, dict | list):
        if depth >= _MAX_DEPTH:
            return "[nested too deep]"
        if isinstance(value, list):
            return [_bounded(item, depth + 1) for item in value[:_MAX_ITEMS]]
        return {str(k)[:_MAX_STRING]: _bounded(v, depth + 1) for k, v in list(value.items())[:_MAX_ITEMS]}
    return value


def unverified_jwt(token: str) -> dict[str, Any] | None:
    """`{"header": …, "claims": …}` of a JWT, never verified and without its signature;
    None when the string is not a decodable JWT."""
    if not looks_like_jwt(token):
        return None
    try:
        head_part, claims_part, _ = token.split(".")
        header, claims = _part(head_part), _part(claims_part)
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return {"header": _bounded(header), "claims": _bounded(claims)}
