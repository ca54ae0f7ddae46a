"""Turn text and headers that may hold secrets into text and headers that do not.

Plain functions, stdlib only, so the addon can use them inside any mitmproxy. What may be
kept is listed in DESIGN.md, "Secrets"; everything here errs on the side of masking. Every
pattern runs in linear time and every input is capped first: a server chooses these
strings, and the proxy must not stall on them.
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

__all__ = [
    "API_KEY_HEADERS",
    "API_KEY_QUERY_PARAMS",
    "MASK",
    "MAX_TEXT",
    "is_credential_header",
    "is_secret_name",
    "is_sensitive_header",
    "is_token_like",
    "mask_tokens",
    "redact_header_value",
    "redact_url",
    "redacted_marker",
    "scrub",
]

MASK = "[masked]"
MAX_TEXT = 8192
"""Longer values are cut to this before any pattern runs (and say how much was cut)."""

# Headers that carry an API key (lower case): each is a credential of the request, and each
# name is a secret name too (`is_secret_name`), so its value is never kept.
API_KEY_HEADERS = frozenset(
    {"x-api-key", "api-key", "apikey", "x-apikey", "x-api-token", "x-auth-token", "x-access-token",
     "x-goog-api-key", "ocp-apim-subscription-key", "x-functions-key", "private-token"}
)  # fmt: skip
API_KEY_QUERY_PARAMS = frozenset(
    {"api_key", "apikey", "api-key", "key", "access_token", "token", "auth", "auth_token"}
)

# A request header named with one of these words carries a credential (`X-Shopify-Access-Token`,
# `PRIVATE-TOKEN`, `DD-API-KEY`, `X-Auth-Email`), unless it is one of the protocol's own.
_CREDENTIAL_WORDS = frozenset(
    {"token", "key", "apikey", "secret", "session", "signature", "access", "password", "passwd", "jwt", "credential",
     "credentials", "sessionid", "sid"}
)  # fmt: skip
_NOT_CREDENTIAL_HEADERS = frozenset({"idempotency-key", "x-idempotency-key", "sec-websocket-key", "sec-websocket-accept"})

# Headers whose values are protocol facts a person may read (RFC 9110 and the web platform's);
# every other header's value is kept as its length only.
_HARMLESS_HEADERS = frozenset(
    {"accept", "accept-encoding", "accept-language", "accept-ranges", "age", "allow", "alt-svc", "cache-control",
     "connection", "content-disposition", "content-encoding", "content-language", "content-length", "content-location",
     "content-range", "content-security-policy", "content-security-policy-report-only", "content-type",
     "cross-origin-embedder-policy", "cross-origin-opener-policy", "cross-origin-resource-policy", "date", "dnt", "etag",
     "expect", "expires", "host", "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
     "keep-alive", "last-modified", "link", "location", "max-forwards", "nel", "origin", "permissions-policy", "pragma",
     "priority", "range", "referer", "referrer-policy", "report-to", "retry-after", "server", "server-timing",
     "strict-transport-security", "te", "timing-allow-origin", "trailer", "transfer-encoding", "upgrade",
     "upgrade-insecure-requests", "user-agent", "vary", "via", "warning", "x-content-type-options", "x-frame-options",
     "x-powered-by", "x-request-id", "x-correlation-id", "x-xss-protection", "x-requested-with", "x-forwarded-proto",
     "traceparent", "tracestate", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit",
     "ratelimit-policy", "x-github-otp", "npm-notice", "x-cache", "cf-ray", "x-amz-cf-id", "x-amzn-requestid",
     "x-ms-request-id", "request-id", "x-envoy-upstream-service-time", "x-served-by",
     # Vendors' own error codes, often the only one a bodiless 401 has, and request dates.
     "x-amzn-errortype", "x-amz-error-code", "x-amz-error-message", "x-ms-error-code", "x-amz-date"}
)  # fmt: skip
_HARMLESS_PREFIXES = ("access-control-", "sec-fetch-", "sec-ch-", "content-")

# Header names whose values are secrets, whatever they look like.
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "set-cookie2", "x-amz-signature"}
)
# Headers whose value is one URL, absolute or not.
_URL_HEADERS = frozenset({"location", "content-location"})
# Headers whose values are plain protocol facts; token-like runs are still masked in them.
_SAFE_HEADERS = frozenset(
    {"www-authenticate", "proxy-authenticate", "authentication-info", "proxy-authentication-info"}
)
# A name (header or parameter) holding one of these anywhere is a secret's name…
_SECRET_SUBSTRINGS = (
    "token", "secret", "passw", "passphrase", "passcode", "apikey", "api_key", "api-key", "session", "sessid",
    "signature", "credential", "cookie", "jwt", "auth", "assertion", "saml", "csrf", "xsrf",
    "privatekey", "accesskey", "appkey", "licensekey", "resetkey", "totp",
    # "Password" in the languages login forms are written in, and card codes.
    "contrasena", "contraseña", "senha", "motdepasse", "mot_de_passe", "wachtwoord", "haslo", "hasło", "kennwort",
    "parola", "losenord", "salasana", "adgangskode", "heslo", "jelszo", "sifre", "şifre", "cvv", "cvc",
)  # fmt: skip
# …and so is one with one of these as a whole word (`pin` but not `shipping`).
_SECRET_WORDS = frozenset(
    {"key", "pass", "pwd", "pw", "psw", "pswd", "pin", "sid", "sess", "otp", "mfa", "code", "sig", "ticket", "nonce",
     "state", "hash", "verifier", "hint", "secret", "phpsessid", "jsessionid", "aspsessionid", "sessionid", "private"}
)  # fmt: skip
_NAME_WORDS = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# Token-like runs. JWT: only from the start of a run (the look-behind) and possessive, so a
# long "eyJeyJ…" costs one pass, not one pass per "eyJ".
_JWT_RUN = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]*+")
# A credential after its scheme word; it must hold a digit within reach, so that challenge
# parameters (`Bearer error=invalid_token`) and prose ("token provided") stay readable.
_BEARER_RUN = re.compile(r"(?i)\b(bearer|basic|token)\s++(?=[A-Za-z._~+/=-]{0,256}\d)[A-Za-z0-9._~+/=-]{8,}+")
_LONG_RUN = re.compile(r"[A-Za-z0-9_~+/=.-]{20,}+")
# Words run together in PascalCase or camelCase (`InvalidAuthenticationTokenTenant`): an error
# code, not a secret. Every capital starts a word of at least three letters, and no digit.
_WORDS_IN_CASE = re.compile(r"[a-z]{0,20}(?:[A-Z][a-z]{2,20}){2,16}+")
_URL_IN_TEXT = re.compile(r"(?i)\bhttps?://[^\s<>\"',;]++")
# A password in any URL's userinfo (`postgres://app:pw@db`, `redis://:pw@cache`), however it is
# spelt (a `;` in it too): masked before URLs are read, for every scheme.
_USERINFO_IN_TEXT = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,31}+://[^\s/?#@:<>\"']{0,256}+):([^\s/?#@<>\"']{1,256}+)@")
# `<Password>…</Password>` in XML (SOAP faults, S3-style errors): the element's name says secret.
_ELEMENT_PAIR = re.compile(r"<([A-Za-z][A-Za-z0-9_.:-]{0,63}+)(?:\s[^<>]{0,256}+)?>([^<]{1,512}+)</\1>")
# `name=value` pairs inside free text (`Refresh: 0; url=…`, `Link: <…>; rel=…`, messages).
_PAIR_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]{0,63}+)=([^\s&;,#\"'<>]++)")


# `"key": "value"`, `'key': 'value'` (JSON and its look-alikes quoted in messages) and
# `key: value` in free text: the value goes when the key sounds secret.
_QUOTED_PAIR = re.compile(r"""(["'])([A-Za-z][A-Za-z0-9_.-]{0,63}+)\1\s{0,8}+:\s{0,8}+(["'])([^"'\n]{1,512}+)\3""")
# `password="x"`, `password = x`, `password: "x"`, PHP's `'password' => 'x'`: a secret's name,
# spaces or quotes around it, an `=`, `=>` or `:`, and a quoted or spaced value.
_SPACED_PAIR = re.compile(
    r"""(?<![A-Za-z0-9_.-])(["']?)([A-Za-z][A-Za-z0-9_.-]{0,63}+)\1([ \t]{0,8}+(?:=>|=|:)[ \t]{0,8}+)(["'])([^"'\n]{1,512}+)\4"""
    r"""|(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]{0,63}+)([ \t]{1,8}+=[ \t]{1,8}+)([^\s"',;<>]{1,512}+)"""
)
_COLON_PAIR = re.compile(r"""(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]{0,63}+):[ \t]{1,8}+([^\s"',;<>]{1,512}+)""")


def scrub(text: str) -> str:
    """Text safe to encode: the lone surrogates mitmproxy uses for bytes that are not UTF-8
    become U+FFFD (a server's junk must not make the capture or the store fail)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _capped(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT] + f"[… {len(text) - MAX_TEXT} more chars]"


def is_token_like(run: str) -> bool:
    """A run of 20+ token characters that is a token rather than words. An opaque string
    (few separators) is a token when it mixes letters and digits or switches case like
    random text; a slug of short words (`jwt-nbf-10-minutes-ahead`) only when it still looks
    random: mostly digits (a UUID), switching case, or mixed case with digits."""
    if len(run) < 20 or _WORDS_IN_CASE.fullmatch(run):
        return False
    if run.isalpha() and run.islower():
        return _random_letters(run)
    letters = sum(c.isalpha() for c in run)
    digits = sum(c.isdigit() for c in run)
    switches = sum(1 for a, b in itertools.pairwise(run) if a.isalpha() and b.isalpha() and a.isupper() != b.isupper())
    separators = sum(c in "-_.~+/=" for c in run)
    if len(run) / (separators + 1) >= 10:
        return (letters >= 2 and digits >= 2) or switches >= 6
    mixed_case = any(c.isupper() for c in run) and any(c.islower() for c in run)
    return digits >= 0.3 * len(run) or switches >= 6 or (mixed_case and digits >= 2)


_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]{5,}")


def _random_letters(run: str) -> bool:
    """A run of lowercase letters alone (a reset link's key, a base-26 id) is random rather
    than words run together when it has too few vowels for language (words hold about two in
    five; random letters one in five), too many of the letters language rarely uses, or five
    consonants in a row, which words almost never have."""
    vowels = sum(c in "aeiouy" for c in run)
    rare = sum(c in "jkqvwxz" for c in run)  # about one letter in twenty of words, one in four of random text
    return vowels < 0.3 * len(run) or rare >= 0.15 * len(run) or _CONSONANT_RUN.search(run) is not None


def is_secret_name(name: str) -> bool:
    """Whether a header or parameter of this name carries a secret (`access_token`,
    `X-Api-Key`, `PHPSESSID`, `password`, `id_token_hint`, `pin` …)."""
    lowered = name.lower()
    if any(part in lowered for part in _SECRET_SUBSTRINGS):
        return True
    words = _NAME_WORDS.findall(_CAMEL.sub("_", name).lower())
    return any(word in _SECRET_WORDS or (word.endswith("s") and word[:-1] in _SECRET_WORDS) for word in words)


def _mask_runs(text: str) -> str:
    text = _JWT_RUN.sub(MASK, text)
    text = _BEARER_RUN.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _LONG_RUN.sub(lambda m: MASK if is_token_like(m.group(0)) else m.group(0), text)


def _mask_pair(match: re.Match[str]) -> str:
    name = match.group(1)
    return f"{name}=REDACTED" if is_secret_name(name) else match.group(0)


def _a_word(value: str) -> bool:
    """`expired`, `Invalid`, `missing`: a word the server says about a secret, not one; it
    must stay readable (the diagnosis reads it)."""
    return len(value) <= 16 and value.isalpha() and (value.islower() or value.istitle())


def _mask_quoted_pair(match: re.Match[str]) -> str:
    quote_, name, value_quote, value = match.groups()
    if not is_secret_name(name) or _a_word(value):
        return match.group(0)
    return f"{quote_}{name}{quote_}: {value_quote}REDACTED{value_quote}"


# Elements that hold the server's own error codes (`<Code>InvalidAccessKeyId</Code>`), never a
# secret, whatever their names say.
_CODE_ELEMENTS = frozenset({"code", "errorcode", "error_code", "status", "type"})


def _mask_element(match: re.Match[str]) -> str:
    name, value = match.groups()
    local = name.rpartition(":")[2]
    if local.lower() in _CODE_ELEMENTS or not is_secret_name(local) or _a_word(value.strip()):
        return match.group(0)
    return match.group(0).replace(f">{value}<", ">REDACTED<", 1)


def _mask_spaced_pair(match: re.Match[str]) -> str:
    if match.group(2) is not None:
        name_quote, name, between, value_quote, value = match.group(1, 2, 3, 4, 5)
        if not is_secret_name(name) or _a_word(value):
            return match.group(0)
        return f"{name_quote}{name}{name_quote}{between}{value_quote}REDACTED{value_quote}"
    name, between, value = match.group(6, 7, 8)
    return f"{name}{between}REDACTED" if is_secret_name(name) and not _a_word(value) else match.group(0)


def _mask_colon_pair(match: re.Match[str]) -> str:
    name, value = match.groups()
    return f"{name}: REDACTED" if is_secret_name(name) and not _a_word(value) else match.group(0)


def mask_tokens(text: str) -> str:
    """Mask anything secret in free text (server error messages, header values): URLs'
    secret parts, `secret_name=value`, `"secret_name": "value"` and `secret_name: value`
    pairs, JWTs, `Bearer xyz`, long token-like runs."""
    text = _capped(scrub(text))
    if "@" in text and "://" in text:
        text = _USERINFO_IN_TEXT.sub(lambda m: f"{m.group(1)}:REDACTED@", text)
    text = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)
    if "</" in text:
        text = _ELEMENT_PAIR.sub(_mask_element, text)
    text = _PAIR_IN_TEXT.sub(_mask_pair, text)
    text = _QUOTED_PAIR.sub(_mask_quoted_pair, text)
    if "=" in text or '"' in text or "'" in text:
        text = _SPACED_PAIR.sub(_mask_spaced_pair, text)
    text = _COLON_PAIR.sub(_mask_colon_pair, text)
    return _mask_runs(text)


def is_credential_header(name: str) -> bool:
    """Whether a request header of this name carries a credential: an API key or a token in a
    vendor's own header. CORS, fetch-metadata and CSRF headers are the protocol's, not keys."""
    lowered = name.lower()
    if lowered in _NOT_CREDENTIAL_HEADERS or lowered.startswith(("access-control-", "sec-")) or "csrf" in lowered or "xsrf" in lowered:
        return False
    if lowered in API_KEY_HEADERS:
        return True
    words = _NAME_WORDS.findall(_CAMEL.sub("_", name).lower())
    return any(word in _CREDENTIAL_WORDS or word.startswith("auth") for word in words)


def redacted_marker(value: str) -> str:
    return f"[redacted: {len(value)} chars]"


def is_sensitive_header(name: str) -> bool:
    lowered = name.lower()
    if lowered in _SAFE_HEADERS:
        return False
    return lowered in _SECRET_HEADERS or is_secret_name(lowered) or is_credential_header(lowered)


def redact_header_value(name: str, value: str) -> str:
    """The value of a header as it may be stored. A value is a secret unless its header is a
    known-harmless one (DESIGN.md, "Secrets"): a vendor's `X-Partner-Plain` keeps its name and
    length only. Harmless ones keep their words, with URLs, secret pairs and token-like runs
    masked all the same."""
    if not keeps_words(name):
        return redacted_marker(value)
    if "@" in value and name.lower() == "host":  # `user:password@host`: the host alone
        value = value.rpartition("@")[2]
    if name.lower() in _URL_HEADERS:  # a relative one too: `/cb?%74oken=…` is read as a URL
        value = redact_url(value)
    return mask_tokens(value)


def keeps_words(name: str) -> bool:
    """Whether a header of this name is a known-harmless one, whose value keeps its words
    (masked for tokens); any other header's value is a secret."""
    lowered = name.lower()
    return lowered in _SAFE_HEADERS or (
        (lowered in _HARMLESS_HEADERS or lowered.startswith(_HARMLESS_PREFIXES)) and not is_sensitive_header(name)
    )


def _is_secret_param(name: str, value: str) -> bool:
    return bool(value) and (is_secret_name(name) or bool(_JWT_RUN.search(value)) or is_token_like(value))


_MAX_PAIRS = 64
"""Parameters of one query (or fragment) read; the rest of it is said, not kept: a page may
send thousands, each costing the proxy its decoding."""


def _redact_pairs(query: str) -> str:
    """`a=1&token=x;b=2` with the secret values replaced; names, order and separators kept."""
    out = []
    pieces = re.split(r"([&;])", query, maxsplit=_MAX_PAIRS)
    if len(pieces) > 2 * _MAX_PAIRS:
        rest = pieces.pop()
        pieces.append(f"[… {rest.count('&') + rest.count(';') + 1} more parameters]")
    for piece in pieces:
        if piece in {"&", ";"} or piece.startswith("[… "):
            out.append(piece)
            continue
        name, sep, value = piece.partition("=")
        if sep and _is_secret_param(_unquote(name), _unquote(value)):
            out.append(f"{name}=REDACTED")
        elif not sep and is_token_like(_unquote(name)):
            out.append(MASK)
        else:
            out.append(quote(_unquote(name), safe="[]") + sep + quote(_unquote(value), safe="") if sep else piece)
    return "".join(out)


def _unquote(text: str) -> str:
    return scrub(unquote_plus(text))


# A path of short plain segments (`/v1/users/42/orders`): no query, no fragment, nothing a
# JWT (13 characters at least) or a token (20) could hide in. Most paths are; they go as they
# are, without the parse below.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9._~/-]{0,256}")
_PLAIN_SEGMENT_MAX = 12
# The same behind a plain origin (`https://api.example.com:8443/v1/me`): no userinfo, no
# query, no fragment, segments too short for a token. The full redaction leaves it as it is.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]{0,12}){0,32}")
# A query of short plain pairs after either (`?page=2&sort=name`): values too short for a token,
# nothing to decode or encode. It goes as it is unless a name says secret (`pw=`, `key=`).
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9_.-]{1,32}=[A-Za-z0-9._~-]{0,12}(?:&[A-Za-z0-9_.-]{1,32}=[A-Za-z0-9._~-]{0,12}){0,31}")


def _is_plain(url: str) -> bool:
    """A URL or path that the full redaction leaves as it is, without a query."""
    if _PLAIN_URL.fullmatch(url):
        return True
    return bool(_PLAIN_PATH.fullmatch(url)) and not url.startswith("//") and all(len(s) <= _PLAIN_SEGMENT_MAX for s in url.split("/"))


def redact_url(url: str) -> str:
    """The URL without userinfo, with secret query and fragment values and token-like path
    segments masked. Parameter names and order are kept: they tell a person which parameter
    the site expected."""
    base, asks, query = url.partition("?")
    if _is_plain(base) and (
        not asks or (_PLAIN_QUERY.fullmatch(query) and not any(is_secret_name(pair.partition("=")[0]) for pair in query.split("&")))
    ):
        return url
    url = _capped(scrub(url))
    try:
        parts = urlsplit(url)
    except ValueError:
        return _mask_runs(url)
    netloc = parts.netloc.rpartition("@")[2]
    path = "/".join(MASK if (_JWT_RUN.search(seg) or is_token_like(seg)) else seg for seg in parts.path.split("/"))
    query = _redact_pairs(parts.query) if parts.query else ""
    fragment = parts.fragment
    if fragment:
        # OAuth's implicit flow puts the token in the fragment: `#access_token=…&state=…`.
        fragment = _redact_pairs(fragment) if "=" in fragment else (MASK if is_token_like(fragment) else fragment)
    return urlunsplit((parts.scheme, netloc, path, query, fragment))
