"""What the server's own words say: the error codes and messages of a 401, read for meaning.

The strongest evidence there is (DESIGN.md, "How the evidence ranks"): a body or a challenge
that says the key is wrong, the token expired, nothing arrived, a second factor is needed.
The vocabulary comes from what real servers send — frameworks' default messages (Spring
Security, ASP.NET Core, Django REST framework, Flask-JWT-Extended, express-jwt, jsonwebtoken,
PyJWT, golang-jwt, Devise, Laravel), identity providers (Keycloak, Okta, Auth0, Microsoft
Entra) and the error references of public APIs (OpenAI, Anthropic, Stripe, GitHub, GitLab,
Google, AWS, Azure, Kong, Envoy …); `tests/diagnosis/server_words.py` holds those strings
with their sources, and the tests hold this module to them.

A text can say several things ("the token is invalid, expired, or revoked"); `read` returns
every meaning it finds, and `Said` answers the questions the rules ask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from functools import lru_cache

__all__ = ["Said", "read"]


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_KEY = r"api[ _-]?(?:key|token)|apikey|x-api-key|subscription[ _-]?key|access[ _-]?key"
_TOKEN = r"token|jwt|bearer|access[ _-]?token|id[ _-]?token|json web token"
_SECRET = r"password|passwd|client[ _-]?secret|client credentials|user credentials|e-?mail or password|username or password|user name or password|login or password"

# RFC 6750's stock text and servers that copy it list every reason at once: "expired,
# revoked, malformed, or invalid". Such a list names no single reason.
_REASON = r"(?:expired|revoked|malformed|invalid|inactive|unknown|incorrect|missing|not supported)"
_REASON_LIST = re.compile(rf"\b{_REASON}\b(?:\s*,\s*(?:or\s+)?|\s+or\s+|\s*/\s*)(?:\w+\s+)?\b{_REASON}\b", re.IGNORECASE)

EXPIRED = _any(
    r"expir", r"timed?[ _-]?out", r"lifetime validation failed", r"\bidx10223\b", r"no longer valid",
    r"token is not active", r"session (?:has )?ended", r"session (?:is )?not active", r"max ?age exceeded",
    r"too far in the past", r"\bexp\b.{0,30}(?:check )?failed",
)  # fmt: skip
# "The token has no expiration", "missing an Expiration Time": a refusal, not an expiry.
_NO_EXPIRY = re.compile(r"(?:\bno|without|missing (?:an? |the )?)\s*expiration", re.IGNORECASE)
# A sentence that lists possibilities ("Either you supplied the wrong credentials, or your
# browser doesn't understand how to supply them") says only no; one that speaks of the
# credentials provided is no claim that none were.
_EITHER = re.compile(r"\beither\b", re.IGNORECASE)
_PROVIDED = re.compile(r"(?:with|using) (?:the )?provided|provided (?:credentials|token|key)", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[A-Z\"'])|\n\s*\n")
# "JWT missing required audience": a part of the token is missing, not the token.
_MISSING_PART = re.compile(
    r"missing (?:an? |the )?(?:required )?[\"']?(?:exp|iss|aud|nbf|sub|kid|audience|issuer|claims?|expiration)\b", re.IGNORECASE
)
NOT_YET_VALID = _any(
    r"not (?:yet )?valid (?:yet|before)", r"not valid yet", r"\bnot yet valid\b", r"jwt not active", r"\bnbf\b",
    r"before (?:its )?(?:nbf|not[ -]before)", r"issued (?:at |in the )?future", r"used before", r"\bidx10222\b",
    r"immature", r"not before", r"before use", r"\bearly by\b", r"cannot be used yet", r"must not be accepted before",
    r"\biat\b.{0,40}(?:future|should be in the past|validation failed|prior)", r"with iat prior to",
)  # fmt: skip
STEP_UP = _any(
    r"insufficient.user.authentication", r"insufficient.claims", r"\bmfa\b", r"multi[- ]?factor", r"two[- ]?factor",
    r"\b2fa\b", r"\botp\b", r"one[- ]time (?:password|code|passcode)", r"step[- ]?up", r"re-?authenticat",
    r"fresh (?:token|sign[- ]?in|login)", r"interaction.required", r"\baadsts50076\b", r"\baadsts50079\b",
    r"\baadsts50158\b", r"second factor", r"verification code", r"authentication level", r"more recent authentication",
    r"\baal\b", r"security challenge",
)  # fmt: skip
SCOPE = _any(
    r"insufficient.scope", r"missing (?:the )?(?:required )?scopes?", r"insufficient (?:authentication )?scopes?",
    r"scopes? (?:is |are )?(?:required|missing|insufficient)", r"(?:not|doesn't|does not) have (?:the )?(?:required )?scopes?",
    r"not enough permissions", r"higher privileges",
)  # fmt: skip
NETWORK = re.compile(
    r"\bip(?:v[46])?\b|\bip[ -]?address|client address|remote address|\bnetwork\b|\bregion\b|"
    r"\bcountry\b|\bgeo|\bvpn\b|\bcidr\b|\blocation\b|\bfirewall\b|\bterritory\b",
    re.IGNORECASE,
)
_NETWORK_REFUSED = re.compile(
    r"block|not allowed|denied|forbidden|restrict|refused|not permitted|allow[- ]?list|"
    r"white[- ]?list|black[- ]?list|unauthori[sz]ed|not authori[sz]ed|banned|unavailable|mismatch|not supported|unsupported|firewall",
    re.IGNORECASE,
)
# Nothing arrived: the server looked and found no credential.
NOTHING_SENT = _any(
    r"(?:were|was|is|are) not (?:been )?(?:provided|supplied|present|sent|included|given)",
    r"not provided", r"(?:didn't|did not|must|need to|please) provide", r"must be provided",
    r"\bno (?:valid )?(?:api[ _-]?key|token|jwt|bearer|credentials?|authori[sz]ation|authentication|auth|session|cookie|key|apikey)\b(?! found for)",
    r"\bmissing (?:the )?(?:api[ _-]?key|token|jwt|bearer|credentials?|authori[sz]ation|authentication|auth|subscription key|x-api-key|apikey|key|header|username)",
    r"\bmissing (?:cookie|['\"][\w -]*['\"] (?:header|query|key|cookie))", r"missing [\w'\"-]+ query param",
    r"\bmissing .{0,60}headers?\b(?! parameter)",
    r"(?:token|jwt|api[ _-]?key|key|credentials?|authori[sz]ation(?: header)?|header) (?:is |was )?(?:missing|absent|empty|not (?:present|set))(?! (?:the |a |required )?[\"']?\w+[\"']? claim)",
    r"(?:x-api-key|api[ _-]?key|token|credentials?)(?: header)? is required", r"authori[sz]ation header (?:is )?required",
    r"\bnot authenticated\b", r"requires authentication", r"full authentication is required", r"credentials.required",
    r"credentials.missing", r"missing (?:required )?authentication", r"anonymous (?:access|user|request)",
    r"no authorization token was found", r"sign in or sign up", r"please (?:log|sign) in", r"\bnil (?:json web )?token",
    r"requires a (?:valid )?bearer token", r"no authentication information", r"is missing a (?:bearer|token|pop)",
    r"must contain the following parameter", r"\bnot authed\b", r"(?:login|log in|sign in) (?:is )?required",
)  # fmt: skip
WRONG_SCHEME = _any(
    r"format is authorization", r"must (?:start|begin) with", r"expected ['\"]?authorization: ?bearer",
    r"bad authorization header", r"unsupported (?:authorization|authentication) (?:type|scheme)", r"invalid (?:authorization|auth) (?:header )?(?:format|scheme|type)",
    r"credentials.bad.scheme", r"authorization header (?:is )?malformed", r"unknown (?:authorization|authentication) scheme",
    r"(?:scheme|type) (?:is )?not supported", r"\bdpop\b", r"header format must be", r"auth(?:orization)? header is invalid",
    r"password authentication (?:was removed|is not supported|is deprecated|is disabled|has been removed)",
    r"basic authentication (?:with (?:e-?mail and )?passwords? )?(?:is |are )?(?:deprecated|not supported|disabled)",
    r"support for password authentication", r"(?:log in|sign in|authenticate) with a personal access token",
    r"in (?:the )?authorization header",
)  # fmt: skip
MALFORMED = _any(
    r"not enough segments", r"malformed", r"invalid number of segments", r"could not (?:be )?(?:parse|decode)d?",
    r"(?:parse|parsing|decode|decoding) (?:failed|error)", r"compacttoken", r"credentials.bad.format", r"invalid (?:jwt|token) format",
    r"not a valid (?:jwt|json web token)", r"invalid header padding", r"token contains an invalid", r"segments?\b",
    r"two space.delimited", r"(?:exactly|must (?:have|contain)) .{0,20}(?:periods?|dots?|parts)", r"expected \d+ parts",
    r"unrecogni[sz]able", r"empty (?:jwt|token)", r"while decoding", r"not (?:given )?in the correct format",
    r"invalid \w+ header", r"should not contain", r"bad authorization header", r"invalid authentication (?:info|header)",
    r"\b\d+ parts\b",
)  # fmt: skip
ACCOUNT = _any(
    r"\baccount (?:is |has been )?(?:locked|disabled|suspended|deactivated|inactive|not (?:confirmed|verified|activated|fully set up))",
    r"\b(?:user|account) (?:is )?(?:locked|disabled|suspended|deactivated|blocked|inactive|banned|not confirmed)\b",
    r"unconfirmed", r"not (?:yet )?(?:confirmed|activated) your", r"confirm your (?:e-?mail|account)", r"email not confirmed",
    r"(?:account|password|user credentials) (?:has |have |is )?expired", r"attempts exceeded", r"\bbanned\b",
    r"member of an organi[sz]ation", r"account.state", r"follow the instructions in the e-?mail", r"user record is disabled",
)  # fmt: skip
# The credential was looked at and refused: the heart of "invalid_*".
REFUSED = _any(
    r"\binvalid\b", r"\bincorrect\b", r"\bwrong\b", r"\bbad\b", r"\brevoked\b", r"\bunknown\b",
    r"not (?:valid|recogni[sz]ed|accepted|active|signed|granted|issued)", r"isn't (?:valid|active)",
    r"(?:could|can)n?(?:'t| ?not) (?:be )?(?:authenticate|verif|validat)", r"unable to (?:authenticate|verify|validate)",
    r"authentication (?:failed|failure|error)", r"failed to (?:authenticate|verify|validate)", r"verification fail", r"signature",
    r"\baudiences?\b", r"\bissuers?\b", r"\btenant\b", r"mismatch", r"(?:does|do) not match", r"should match",
    r"not (?:a )?member", r"rejected", r"no longer",
    r"(?:key|token|credentials?|secret|impersonation)\b.{0,40}\b(?:disabled|deleted)\b", r"invalid.(?:token|client|grant|api.key|request)", r"unauthorized.client", r"permission denied", r"\bnot found\b",
    r"not supported", r"unsupported", r"(?:provide|use|supply|pass|enter) (?:a )?(?:valid|correct)", r"not allowed", r"unexpected",
    r"black ?listed", r"block ?listed", r"no (?:recogni[sz]able|applicable|mandatory|active|credentials found)",
    r"password (?:has been )?changed", r"\bmissing (?:an? |the )?(?:required )?[\"']?(?:exp|iss|aud|nbf|sub|kid|audience|claims?|expiration)\b",
    r"\bclaims?\b", r"cryptographic", r"has no expiration", r"no expiration time", r"\bkey (?:was )?not found", r"invalidated",
    r"(?:unable to|could not|cannot|can't) find", r"(?:does not|doesn't) (?:belong|have (?:a |the )?key)", r"\bstale\b",
    r"only [\w -]{1,40} (?:are|is) allowed",
)  # fmt: skip
# Words that only say "no" without a reason ("Unauthorized", "401 Unauthorized").
GENERIC = _any(
    r"^\W*(?:\d{3}\W*)?(?:unauthori[sz]ed|unauthenticated|forbidden|access denied|authentication required|authorization required|"
    r"not authori[sz]ed|authentication failed|authenticate)\W*$"
)  # fmt: skip
# Words that say no without saying why, wherever they stand: "Unauthorized Access", Express's
# "UnauthorizedError: …" before the reason, "Access denied".
_GENERIC_WORDS = _any(
    r"\bunauthori[sz]ed\b", r"\bunauthenticated\b", r"\bforbidden\b", r"\bdenied\b", r"\bnot authori[sz]ed\b",
    r"\bauthentication required\b", r"\bauthorization required\b", r"\bmust be authenticated\b",
)  # fmt: skip
_CAMEL_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|_+|-(?=[a-z])")


def _normal(text: str) -> str:
    """`NoAuthenticationInformation`, `not_authenticated` and `token-expired` as words."""
    return _CAMEL_BREAK.sub(" ", text).strip() if " " not in text.strip() else text.replace("_", " ")


# Codes whose meaning a person would not guess from the word alone: (what it names, what it says).
_CODES: dict[str, tuple[str, str]] = {
    "e0000011": ("token", "refused"), "e0000004": ("secret", "refused"), "e0000005": ("session", "refused"),
    "e0000069": ("", "account"),  # Okta: invalid token, authentication failed, invalid session, user locked
    "aadsts7000215": ("secret", "refused"), "aadsts7000222": ("secret", "refused"), "aadsts50126": ("secret", "refused"),
    "invalid_client": ("secret", "refused"), "unauthorized_client": ("secret", "refused"), "invalid_grant": ("secret", "refused"),
    "unrecognizedclientexception": ("key", "refused"), "invalidclienttokenid": ("key", "refused"),  # AWS
    "invalidauthenticationtoken": ("token", "refused"), "invalidauthenticationtokentenant": ("token", "refused"),
    "invalidauthenticationtokenaudience": ("token", "refused"), "expiredauthenticationtoken": ("token", "expired"),  # Azure
    "api_key_invalid": ("key", "refused"), "invalid_api_key": ("key", "refused"),
    "pgrst301": ("token", "refused"), "pgrst302": ("", "nothing_sent"), "pgrst303": ("token", "refused"),  # PostgREST
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Said:
    """Everything the server's texts say, by meaning; each list holds the texts that say it."""

    expired: list[str] = field(default_factory=list)
    not_yet_valid: list[str] = field(default_factory=list)
    step_up: list[str] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)
    nothing_sent: list[str] = field(default_factory=list)
    wrong_scheme: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)
    account: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    generic: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    """What kinds of credential the words name: `key`, `token`, `secret` (a password or a
    client secret), `session`."""

    @property
    def rejected(self) -> list[str]:
        """Texts that say the credential was looked at and refused, for whatever reason."""
        return [*self.refused, *self.malformed, *self.account, *self.generic]


def says_expired(text: str) -> bool:
    """True when a text says a credential expired, not merely that it might have."""
    return bool(EXPIRED.search(text)) and not _REASON_LIST.search(text)


def read(messages: list[str], codes: list[str] = ()) -> Said:  # type: ignore[assignment]
    """What a 401's texts say: its sentences (body message, challenge error_description)
    first. Codes (body code and reason, challenge error) add what they name, and whether the
    credential expired, needs a step-up or a scope, or the network is refused; whether it was
    refused or never arrived they tell only when the sentences are silent on it: OpenAI's
    `invalid_request_error` beside "You didn't provide an API key" is no refusal of a key."""
    said = Said()
    _read_into(said, messages)
    from_codes = Said()
    _read_into(from_codes, list(codes))
    said.names.update(from_codes.names)
    for name in ("expired", "not_yet_valid", "step_up", "scope", "network"):
        getattr(said, name).extend(getattr(from_codes, name))
    if not (said.refused or said.nothing_sent or said.generic or said.malformed or said.account or said.wrong_scheme):
        for name in ("refused", "nothing_sent", "generic", "malformed", "account", "wrong_scheme"):
            getattr(said, name).extend(getattr(from_codes, name))
    return said


def _read_into(said: Said, texts: list[str]) -> None:
    for text in texts:
        meanings, names = _meanings(text)
        said.names.update(names)
        for meaning in meanings:
            _add(getattr(said, meaning), text)


_MEANINGS = tuple(f.name for f in fields(Said) if f.name != "names")


@lru_cache(maxsize=1024)
def _meanings(text: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """What one text says (the names of `Said`'s lists it belongs in) and which credentials
    it names. A text's meaning depends on nothing else, and a server says the same words
    again and again: each is read once (some forty searches), not once per 401."""
    said = Said()
    code = _CODES.get(text.lower().strip())
    if code:
        name, meaning = code
        if name:
            said.names.add(name)
        _add(getattr(said, meaning), text)
    words = _normal(text)
    lowered = words.lower()
    if re.search(_KEY, lowered):
        said.names.add("key")
    if re.search(_TOKEN, lowered):
        said.names.add("token")
    if re.search(_SECRET, lowered):
        said.names.add("secret")
    if "session" in lowered:
        said.names.add("session")
    for sentence in _SENTENCE.split(words):
        if sentence.strip():
            _read_sentence(said, sentence, text)
    # Whatever one sentence says, the whole text decides these: a broken header or a
    # missing claim is no absence of credentials, a token without expiry none expired.
    if text in said.malformed or _MISSING_PART.search(words):
        _drop(said.nothing_sent, text)
    if _NO_EXPIRY.search(words):
        _drop(said.expired, text)
    return tuple(m for m in _MEANINGS if getattr(said, m)), frozenset(said.names)


def _drop(found: list[str], text: str) -> None:
    if text in found:
        found.remove(text)


def _add(found: list[str], text: str) -> None:
    if text not in found:
        found.append(text)


def _read_sentence(said: Said, sentence: str, text: str) -> None:
    """Each sentence of `text` on its own: "Authentication failed. The 'Authorization' header
    is missing." says no, then why."""
    listed = bool(_REASON_LIST.search(sentence))
    if STEP_UP.search(sentence):
        _add(said.step_up, text)
    if SCOPE.search(sentence):
        _add(said.scope, text)
    if NETWORK.search(sentence) and _NETWORK_REFUSED.search(sentence):
        _add(said.network, text)
    account = bool(ACCOUNT.search(sentence))
    if account:
        _add(said.account, text)
    if NOT_YET_VALID.search(sentence):
        _add(said.not_yet_valid, text)
    elif EXPIRED.search(sentence) and not listed and not account and not _NO_EXPIRY.search(sentence):
        # An expired account or password is the account's state, not a token's expiry.
        _add(said.expired, text)
    if WRONG_SCHEME.search(sentence):
        _add(said.wrong_scheme, text)
    malformed = bool(MALFORMED.search(sentence))
    if malformed:
        _add(said.malformed, text)
    if _EITHER.search(sentence):
        _add(said.generic, text)
        return
    # "Invalid basic header. No credentials provided." is a broken header, not an absence.
    if NOTHING_SENT.search(sentence) and not listed and not malformed and not _PROVIDED.search(sentence):
        _add(said.nothing_sent, text)
    if GENERIC.search(sentence):
        _add(said.generic, text)
    elif REFUSED.search(sentence) or listed:
        _add(said.refused, text)
    elif _GENERIC_WORDS.search(sentence):
        _add(said.generic, text)
