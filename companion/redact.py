"""Turn text and headers that may hold secrets into text and headers that do not.

Plain functions, stdlib only, so the addon can use them inside any mitmproxy. What may be
kept is listed in DESIGN.md, "Secrets"; everything here errs on the side of masking.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

__all__ = [
    "MASK",
    "scrub",
    "is_sensitive_header",
    "mask_tokens",
    "redact_header_value",
    "redact_url",
    "redacted_marker",
]

MASK = "[masked]"

# Header names whose values are secrets, whatever they look like.
_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "set-cookie2",
        "x-csrf-token",
        "x-xsrf-token",
        "x-amz-security-token",
        "x-amz-signature",
    }
)
# A header whose name contains one of these words is treated as secret as well.
_SECRET_NAME_PART = re.compile(
    r"(?i)(auth|token|secret|passw|api[-_]?key|apikey|session|signature|credential|cookie|jwt|otp)"
)
# Headers whose values are plain protocol facts; token-like runs are still masked in them.
_SAFE_HEADERS = frozenset(
    {
        "www-authenticate",
        "proxy-authenticate",
        "authentication-info",
        "proxy-authentication-info",
    }
)

# Query parameter names whose values are secrets.
_SECRET_PARAM = re.compile(
    r"(?i)^(.*(token|secret|passw|pwd|api[-_]?key|apikey|signature|sig|session|sess|auth|jwt|"
    r"code|otp|credential|key|ticket|assertion|saml\w*|nonce|state|hash)s?)$"
)

# Token-like runs: JWTs, "Bearer xyz", long base64/hex-ish strings with letters and digits.
_JWT_RUN = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# A credential after its scheme word; it must hold a digit, so that challenge parameters
# (`Bearer error=invalid_token`) and prose ("token provided") stay readable.
_BEARER_RUN = re.compile(r"(?i)\b(bearer|basic|token)\s+(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}")
_LONG_RUN = re.compile(r"[A-Za-z0-9_~+/=.-]{24,}")


def scrub(text: str) -> str:
    """Text safe to encode: the lone surrogates mitmproxy uses for bytes that are not UTF-8
    become U+FFFD (a server's junk must not make the capture or the store fail)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _is_token_like(run: str) -> bool:
    letters = sum(c.isalpha() for c in run)
    digits = sum(c.isdigit() for c in run)
    # Long words ("unauthorized_client_credentials") have no digits; tokens nearly always do.
    return digits >= 3 and letters >= 3


def mask_tokens(text: str) -> str:
    """Mask anything token-like in free text (server error messages, header values)."""
    text = _JWT_RUN.sub(MASK, text)
    text = _BEARER_RUN.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _LONG_RUN.sub(lambda m: MASK if _is_token_like(m.group(0)) else m.group(0), text)


def redacted_marker(value: str) -> str:
    return f"[redacted: {len(value)} chars]"


def is_sensitive_header(name: str) -> bool:
    lowered = name.lower()
    if lowered in _SAFE_HEADERS:
        return False
    return lowered in _SECRET_HEADERS or bool(_SECRET_NAME_PART.search(lowered))


def redact_header_value(name: str, value: str) -> str:
    """The value of a header as it may be stored: secret headers are replaced by their
    length, URLs lose their secret query values, others have token-like runs masked."""
    if is_sensitive_header(name):
        return redacted_marker(value)
    lowered = name.lower()
    if lowered in {"referer", "location", "content-location", "origin"}:
        return redact_url(value)
    return mask_tokens(value)


def _is_secret_param(name: str, value: str) -> bool:
    return bool(_SECRET_PARAM.match(name)) or bool(_JWT_RUN.search(value)) or (
        len(value) >= 24 and _is_token_like(value)
    )


def redact_url(url: str) -> str:
    """The URL without userinfo, with secret-looking query values and path segments masked.

    Parameter names and order are kept: they are what tells a person which parameter the
    site expected.
    """
    url = scrub(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_tokens(url)
    netloc = parts.netloc.rpartition("@")[2]
    path = "/".join(
        MASK if (_JWT_RUN.search(seg) or (len(seg) >= 24 and _is_token_like(seg))) else seg
        for seg in parts.path.split("/")
    )
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = "&".join(
            f"{quote(k, safe='[]')}=" + ("REDACTED" if v and _is_secret_param(k, v) else quote(v, safe=""))
            for k, v in pairs
        )
    fragment = MASK if parts.fragment and _is_token_like(parts.fragment) else parts.fragment
    return urlunsplit((parts.scheme, netloc, path, query, fragment))
