"""Describe a credential without keeping it: scheme, length, keyed fingerprint, problems.

Runs inside the addon, on the request side of a 401/407 only. Everything returned here may be
stored and shown (DESIGN.md, "Secrets"): Basic user names and JWT header and claims are kept;
passwords, token strings, signatures and API keys are not.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import Any

from companion.capture.jwt import unverified_jwt
from companion.capture.keys import key_prefix
from companion.capture.redact import is_token_like, redact_url, redacted_marker
from companion.net.challenge import parse_challenges

__all__ = ["basic_parts", "describe_api_key", "describe_authorization", "fingerprint", "scheme_of"]

# An auth scheme as it is met in practice: a short word followed by whitespace or the end.
# (RFC 9110 allows any token characters, but so does a bare token pasted without a scheme,
# and the scheme is kept while the token must not be.)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}(?=\s|$)")
# The IANA registry's schemes, and those of vendors people meet (Discord's Bot, Okta's SSWS,
# Azure Storage's SharedKey …). Any other first word may be part of a secret ("hunter two"):
# it is not kept, only its length.
_KNOWN_SCHEMES = frozenset(
    {"basic", "bearer", "digest", "negotiate", "ntlm", "kerberos", "token", "jwt", "hoba", "mutual",
     "scram-sha-1", "scram-sha-256", "vapid", "dpop", "apikey", "api-key", "key", "oauth", "privatetoken", "concealed",
     "bot", "ssws", "mac", "hawk", "signature", "sharedkey", "sharedkeylite", "sharedaccesssignature", "googlelogin",
     "splunk", "client-id", "zoho-oauthtoken", "klaviyo-api-key", "otp", "gssapi", "pop", "sso-key", "session",
     "eg1-hmac-sha256", "goog4-hmac-sha256", "ocs-apirequest"}
)  # fmt: skip
_PLAIN_WORD = re.compile(r"[A-Za-z][A-Za-z-]{0,19}")
_SPACE = re.compile(r"\s")
# Credentials that are auth-params (RFC 9110 §11.2): a name, "=", and a value or a quote (not
# the "=" padding of a token68).
_AUTH_PARAM = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+[ \t]*=[ \t]*(?:\"|[^\s,=])")
_PLACEHOLDERS = {"undefined", "null", "none", "nil", "[object object]", "false", "true", "bearer"}

def fingerprint(value: str | bytes, key: bytes) -> str:
    """A short keyed fingerprint: equal values match within one run, and it cannot be
    reversed or brute-forced offline without the key, which never leaves the addon."""
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:12]


def scheme_of(value: str) -> str | None:
    """The scheme of an Authorization value, cheaply, or None when it has none. The scheme is
    kept and shown, so only a known scheme or a plain word of letters counts: a bare token,
    or a password pasted with a space after it, is never taken for one."""
    text = value.strip()
    match = _SCHEME.match(text)
    if not match:
        return None
    word = match.group(0)
    if word.lower() in _KNOWN_SCHEMES or word.lower().startswith("aws4-"):
        return word
    return None


def _unknown_scheme_length(text: str) -> int | None:
    """The length of a first word that could be a scheme we do not know (a plain word, then a
    space and more), or None: then the value has no scheme at all."""
    match = _SCHEME.match(text)
    if match and match.end() < len(text) and _PLAIN_WORD.fullmatch(match.group(0)):
        return len(match.group(0))
    return None


def basic_parts(payload: str) -> list[str]:
    """The user name and password of a Basic payload, as sent; [] when it does not decode."""
    payload = payload.rstrip("=")  # padding sent twice over is still the same pair
    try:
        text = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return []
    user, sep, password = text.partition(":")
    return [user, password] if sep else [user]


def _basic(payload: str, problems: list[str]) -> dict[str, Any]:
    """Decode a Basic payload (RFC 7617) into user name and password length."""
    out: dict[str, Any] = {}
    compact = payload.strip()
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        problems.append("not_base64")
        return out
    try:
        text = raw.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        # RFC 7617 leaves the charset to the server unless it asks for UTF-8; Latin-1 is what
        # browsers historically sent, and it never fails.
        problems.append("not_utf8")
        text = raw.decode("latin-1")
        encoding = "latin-1"
    user, sep, password = text.partition(":")
    if not sep:
        problems.append("no_colon")
        return out
    # Which parts hold non-ASCII characters (never which characters): with the encoding, that
    # is what decides an RFC 7617 charset mismatch.
    non_ascii = [part for part, value in (("user", user), ("password", password)) if not value.isascii()]
    if non_ascii:
        out["params"] = {"encoding": encoding, "non_ascii": ",".join(non_ascii)}
    # Some APIs take the key as the user name with no password (Stripe), or as the password of
    # a fixed user (Mailgun's "api"): the key's documented prefix says so, and the "user" is
    # then a secret.
    known = key_prefix(user) or key_prefix(password)
    if known:
        out.setdefault("params", {}).update(key_prefix=known[0], key_kind=known[1])
    key_like = is_token_like(user) or key_prefix(user) is not None or (not password and len(user) >= 16)
    out["username"] = redacted_marker(user) if key_like else user
    out["password_length"] = len(password)
    if not user and not password:
        problems.append("empty_credentials")
    return out


# Digest parameters that describe the attempt without revealing anything derived from the
# password (`response`) or replayable (`cnonce`).
_DIGEST_KEPT = ("realm", "algorithm", "qop", "uri", "nc", "userhash", "charset")


def _digest(text: str) -> dict[str, Any]:
    """User name and the non-secret parameters of a Digest Authorization (RFC 7616), from its
    first 4 KB (a real one is a few hundred bytes; a page may send megabytes)."""
    parsed = parse_challenges(text[:4096])
    if not parsed.challenges:
        return {}
    params = parsed.challenges[0].params
    out: dict[str, Any] = {"params": {k: params[k] for k in _DIGEST_KEPT if k in params}}
    if "uri" in out["params"]:
        out["params"]["uri"] = redact_url(out["params"]["uri"])
    if "username" in params:
        out["username"] = params["username"]
    elif "username*" in params:
        out["username"] = params["username*"]  # RFC 8187 form, kept as sent
    if "nonce" in params:
        out["params"]["nonce_length"] = str(len(params["nonce"]))
    return out


def _negotiate(token: str) -> dict[str, str]:
    """Which mechanism a Negotiate/NTLM token carries, and for NTLM which message of the
    three-step handshake it is (1 negotiate, 3 authenticate). Nothing else is read."""
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except (binascii.Error, ValueError):
        return {"mechanism": "unreadable"}
    if raw.startswith(b"NTLMSSP\x00") and len(raw) >= 12:
        return {"mechanism": "ntlm", "ntlm_message": str(int.from_bytes(raw[8:12], "little"))}
    if raw[:1] == b"\x60":  # an ASN.1 application tag: SPNEGO / Kerberos (GSS-API) token
        return {"mechanism": "ntlm" if b"NTLMSSP\x00" in raw else "spnego"}
    if raw[:1] == b"\xa1":  # a SPNEGO continuation (NegTokenResp)
        return {"mechanism": "spnego-continuation"}
    return {"mechanism": "unknown"}


def describe_authorization(value: str, *, source: str, key: bytes) -> dict[str, Any]:
    """What an `Authorization` (or `Proxy-Authorization`) header said, as a `Credential`
    dict (models.py), with no secret in it."""
    problems: list[str] = []
    if "\n" in value or "\r" in value:
        problems.append("newline")
    if value != value.strip():
        problems.append("whitespace")
    text = value.strip()
    out: dict[str, Any] = {"source": source, "fingerprint": fingerprint(value, key)}

    scheme = scheme_of(text)  # a lone word that is no scheme we know is a token sent without one
    hidden = _unknown_scheme_length(text) if scheme is None else None
    if hidden is not None:
        # "Word rest": a scheme we do not know, or a secret with a space in it. Neither is kept.
        out.update(scheme=None, length=len(text) - hidden - 1, params={"scheme_length": str(hidden)}, problems=problems)
        return out
    if scheme is None:
        # No scheme: a bare token pasted where "Bearer <token>" belonged, or quotes around it.
        problems.append("no_scheme")
        if text[:1] in "\"'":
            problems.append("surrounding_quotes")
        if text.strip("\"'").lower() in _PLACEHOLDERS:
            problems.append("placeholder_token")
        out.update(scheme=None, length=len(text), problems=problems)
        jwt_info = unverified_jwt(text.strip("\"'"))
        if jwt_info:
            out["jwt"] = jwt_info
        out.update(_prefix_params(text.strip("\"'")))
        return out

    credentials = text[len(scheme) :].strip()
    lowered = scheme.lower()
    out["scheme"] = scheme

    # "Bearer Bearer x" is a classic client bug: the scheme added twice by two layers.
    again = _SCHEME.match(credentials)
    if again and again.group(0).lower() == lowered and credentials[again.end() : again.end() + 1].isspace():
        problems.append("doubled_scheme")
        credentials = credentials[again.end() :].strip()
    if credentials[:1] in {'"', "'"} and lowered not in {"digest"}:
        problems.append("surrounding_quotes")
        credentials = credentials.strip("\"'")
    out["length"] = len(credentials)
    if not credentials:
        problems.append("empty_credentials")
    elif credentials.lower() in _PLACEHOLDERS:
        # "Bearer undefined": the app sent the token before it had one.
        problems.append("placeholder_token")

    if lowered == "basic" and credentials:
        out.update(_basic(credentials, problems))
    elif lowered == "digest":
        out.update(_digest(text))
    elif lowered in {"negotiate", "ntlm"} and credentials:
        out["params"] = _negotiate(credentials)
    elif credentials and lowered != "kerberos":
        # Whitespace is stray in a token (RFC 9110 token68), never between the parameters of
        # a scheme that sends them (`Credential=…, SignedHeaders=…`, Hawk's and OAuth's `id="…"`).
        if _SPACE.search(credentials) and not _AUTH_PARAM.match(credentials):
            problems.append("whitespace")
        jwt_info = unverified_jwt(credentials)
        if jwt_info:
            out["jwt"] = jwt_info
        out.update(_prefix_params(credentials))
    out["problems"] = list(dict.fromkeys(problems))
    return out


def _prefix_params(secret: str) -> dict[str, Any]:
    known = key_prefix(secret)
    return {"params": {"key_prefix": known[0], "key_kind": known[1]}} if known else {}


def describe_api_key(value: str, *, source: str, key: bytes) -> dict[str, Any]:
    """A `Credential` dict for an API key found in a header or the query string."""
    stripped = value.strip()
    out: dict[str, Any] = {
        "source": source,
        "scheme": None,
        "length": len(stripped),
        "fingerprint": fingerprint(value, key),
        "problems": [],
    }
    if not stripped:
        out["problems"].append("empty_credentials")
    elif stripped.lower() in _PLACEHOLDERS:
        out["problems"].append("placeholder_token")
    if source == "request.query.access_token":
        out["scheme"] = "Bearer"  # RFC 6750 §2.3: a bearer token in the URI
    jwt_info = unverified_jwt(stripped)
    if jwt_info:
        out["jwt"] = jwt_info
    out.update(_prefix_params(stripped))
    return out
