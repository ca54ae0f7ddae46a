"""What every rule needs: the finding a rule returns, and a read-only view of the exchange
with the parsing done once (challenges, the server's clock, the server's own words)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from companion.diagnosis.cookie_names import classify as cookie_category
from companion.diagnosis.documented import ApiForm, form_of
from companion.diagnosis.models import Credential, Evidence, Exchange, SentCookie
from companion.diagnosis.wording import aware, quote, utc_or_none
from companion.diagnosis.words import Said, read
from companion.net.challenge import Challenge, ParsedChallenges, parse_header_lines

__all__ = [
    "Finding",
    "Rule",
    "View",
    "asks_for",
    "challenge_evidence",
    "ev",
    "make_view",
    "same_family",
    "signs_in_by_form",
]

API_KEY_SOURCES = ("request.header.", "request.query.", "request.path")
# Schemes whose credentials are tokens (RFC 6750 and friends), as opposed to passwords.
TOKEN_SCHEMES = frozenset({"bearer", "token", "jwt", "dpop", "mac", "access_token"})
PASSWORD_SCHEMES = frozenset({"basic", "digest"})
_SCHEME_WORDS = re.compile(r"\b(bearer|basic|digest|token|jwt|dpop|negotiate|ntlm|apikey)\b", re.IGNORECASE)
NEGOTIATE_SCHEMES = frozenset({"negotiate", "ntlm", "kerberos"})


@dataclass(frozen=True, slots=True)
class Finding:
    """One cause that holds for an exchange, with the facts that show it."""

    cause: str
    confidence: float
    summary: str
    """One plain sentence with the concrete names and numbers."""
    evidence: tuple[Evidence, ...] = ()
    steps: tuple[str, ...] = ()
    """Steps specific to this exchange, shown before the catalogue's general ones."""
    developer_notes: tuple[str, ...] = ()


def ev(source: str, fact: str) -> Evidence:
    return Evidence(source=source, fact=fact)


@dataclass(frozen=True, slots=True)
class ServerText:
    """Something the server said in words: a body error or a challenge parameter."""

    source: str
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class View:
    exchange: Exchange
    challenges: ParsedChallenges
    proxy_challenges: ParsedChallenges
    authorization: Credential | None
    """The credential from the Authorization header, if one was sent."""
    now: datetime
    """The server's clock (its Date) or, failing that (absent or unusable), when the response
    arrived; in UTC, and far enough from the calendar's ends to compute with."""
    now_source: str
    server_texts: tuple[ServerText, ...] = field(default=())
    said: Said = field(default_factory=Said)
    """What the server's texts say, by meaning (words.py)."""
    form: ApiForm | None = None
    """What the API at this host documents about its credentials (documented.py)."""

    @property
    def status(self) -> int:
        return self.exchange.status

    @property
    def now_label(self) -> str:
        return "the server's Date" if self.now_source == "response.date" else "the time the response arrived"

    def oauth_error(self) -> tuple[str, Challenge] | None:
        """The RFC 6750 `error` code of the first challenge that has one, lower-cased."""
        for challenge in self.challenges:
            error = challenge.param("error")
            if error:
                return error.strip().lower(), challenge
        return None

    def token_credentials(self) -> list[Credential]:
        """Credentials that are tokens (`kind`), anything that decodes as a JWT, and JWTs kept
        in cookies (as `request.cookie.<name>`)."""
        sent = [cred for cred in self.exchange.request.credentials if cred.jwt is not None or self.kind(cred) == "token"]
        in_cookies = [
            Credential(source=f"request.cookie.{c.name}", length=c.length, fingerprint=c.fingerprint, jwt=c.jwt)
            for c in self.exchange.request.cookies
            if c.jwt is not None
        ]
        return sent + in_cookies

    def texts_matching(self, pattern: re.Pattern[str]) -> list[ServerText]:
        return [t for t in self.server_texts if pattern.search(t.text)]

    def quoted(self, texts: Iterable[str]) -> list[Evidence]:
        """Evidence for the server's texts among `texts`, each with where it was said."""
        wanted = set(texts)
        return [ev(t.source, f"{t.label}: {quote(t.text)}") for t in self.server_texts if t.text in wanted]

    def schemes_wanted(self) -> set[str]:
        """The schemes the server's words ask for ("Format is Authorization: Bearer [token]",
        "Expected 'Authorization: Bearer <JWT>'"), lower-cased; empty when they name none."""
        return {m.lower() for text in self.said.wrong_scheme for m in _SCHEME_WORDS.findall(text)}

    def wrong_scheme_for(self, cred: Credential) -> bool:
        """The server's words ask for another scheme than `cred` was sent with."""
        wanted = self.schemes_wanted()
        return bool(wanted) and (cred.scheme or "").lower() not in wanted

    @property
    def reason_given(self) -> bool:
        """The server names a reason beyond "this credential is wrong": it expired, is not
        valid yet, lacks a scope, or needs a step-up. The rules of those causes explain the
        refusal; a plain "invalid …" reading would only repeat it."""
        said = self.said
        return bool(said.expired or said.not_yet_valid or said.scope or said.step_up or said.network)

    def kind(self, cred: Credential) -> str:
        """What a credential is: `api_key`, `token`, `password` (Basic, Digest), `windows`
        (Negotiate, NTLM) or `cookie`. From its documented prefix first, then what the API
        documents, then where it travelled and under which scheme."""
        scheme = (cred.scheme or "").lower()
        if cred.source.startswith("request.cookie."):
            return "token"
        by_prefix = cred.params.get("key_kind")
        if cred.source.startswith(API_KEY_SOURCES):
            # A key header or parameter, unless the server calls what it refused a token
            # (Firebase's ?auth=, a token in X-Auth-Token) and never a key, and the key's own
            # documented prefix does not say it is an API key.
            names = self.said.names
            calls_it_token = "token" in names and "key" not in names and by_prefix != "api_key"
            return "token" if calls_it_token else "api_key"
        if by_prefix:
            return by_prefix
        if scheme in NEGOTIATE_SCHEMES:
            return "windows"
        if self.form is not None and self.form.bearer_is_api_key and scheme not in {"digest"}:
            return "api_key"
        if scheme in PASSWORD_SCHEMES:
            return "password"
        if cred.jwt is not None or scheme in TOKEN_SCHEMES:
            return "token"
        # A scheme of the vendor's own (Bot, SSWS, Key …, or one the capture did not know and
        # kept only the length of) carries the vendor's key.
        return "api_key" if scheme or "scheme_length" in cred.params else "token"

    def credential_cookies(self) -> list[SentCookie]:
        """The cookies that may sign the person in: not analytics, consent, preference, CSRF,
        A/B or bot-defence cookies (cookie_names.py), unless the site set one HttpOnly."""
        httponly = {c.name for c in self.exchange.context.cookies_set_earlier if c.httponly}
        return [c for c in self.exchange.request.cookies if c.name in httponly or cookie_category(c.name) is None]

    def other_cookies(self) -> list[tuple[str, str]]:
        """`(name, category)` of the cookies sent that sign nobody in."""
        keep = {c.name for c in self.credential_cookies()}
        return [(c.name, cookie_category(c.name) or "") for c in self.exchange.request.cookies if c.name not in keep]


Rule = Callable[[View], Finding | None]


def _server_texts(exchange: Exchange, challenges: ParsedChallenges) -> tuple[ServerText, ...]:
    # Sentences before codes: the first match is what a summary quotes.
    body = exchange.response.body_error
    said = [("response.body", "message", body.message if body else None)]
    said += [("response.www-authenticate", "error_description", c.param("error_description")) for c in challenges]
    said += [("response.body", "code", body.code if body else None)]
    said += [("response.body", "reason", body.reason if body else None)]
    said += [("response.www-authenticate", "error", c.param("error")) for c in challenges]
    return tuple(ServerText(source, label, text) for source, label, text in said if text)


@lru_cache(maxsize=512)
def _parsed(lines: tuple[str, ...]) -> ParsedChallenges:
    """A site sends the same challenge with every 401: parsed once (the result is immutable)."""
    return parse_header_lines(lines)


def make_view(exchange: Exchange) -> View:
    request, response = exchange.request, exchange.response
    challenges = _parsed(tuple(response.www_authenticate))
    texts = _server_texts(exchange, challenges)
    realms = tuple(c.param("realm") or "" for c in challenges)
    authorization = next((c for c in request.credentials if c.source == "request.authorization"), None)
    date = utc_or_none(response.date)
    if date is not None:
        now, now_source = date, "response.date"
    else:
        # The model refuses a `received` no clock shows (models.py), so this never overflows.
        now, now_source = aware(response.received).astimezone(UTC), "response.received"
    return View(
        exchange=exchange,
        challenges=challenges,
        proxy_challenges=_parsed(tuple(response.proxy_authenticate)),
        authorization=authorization,
        now=now,
        now_source=now_source,
        server_texts=texts,
        said=read(
            [t.text for t in texts if t.label in {"message", "error_description"}],
            [t.text for t in texts if t.label not in {"message", "error_description"}],
        ),
        form=form_of(exchange.host, realms),
    )


def claim_time(claims: dict[str, Any], name: str) -> datetime | None:
    """A NumericDate claim (RFC 7519 §2) as an aware datetime; None if absent or not a number."""
    value = claims.get(name)
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def describe_challenge(challenge: Challenge) -> str:
    """`Bearer realm="api", error="invalid_token"`: a challenge as a person would read it."""
    shown = [f'{name}="{value}"' for name, value in challenge.params.items() if name != "nonce"]
    if challenge.token68:
        shown = ["with a token"]
    return f"{challenge.scheme} {', '.join(shown)}".strip()


def describe_challenges(challenges: Iterable[Challenge]) -> str:
    return "; ".join(describe_challenge(c) for c in challenges)


def credential_place(cred: Credential) -> str:
    """Where a credential travelled, in words: `the X-Api-Key header`, `the URL parameter key`."""
    if cred.source.startswith("request.header."):
        return f"the {cred.source.removeprefix('request.header.')} header"
    if cred.source.startswith("request.query."):
        return f"the URL parameter {cred.source.removeprefix('request.query.')}"
    if cred.source == "request.proxy-authorization":
        return "the Proxy-Authorization header"
    if cred.source.startswith("request.cookie."):
        return f"the cookie “{cred.source.removeprefix('request.cookie.')}”"
    return "the Authorization header"


def challenge_evidence(view: View) -> list[Evidence]:
    if not view.challenges:
        return []
    return [ev("response.www-authenticate", describe_challenges(view.challenges))]


def asks_for(view: View) -> str:
    if not view.challenges:
        return "the 401 names no scheme"
    return f"the server asks for {describe_challenges(view.challenges)}"


def same_family(a: str, b: str) -> bool:
    # SPNEGO ("Negotiate") carries NTLM and Kerberos tokens, so those never mismatch.
    return a == b or (a in NEGOTIATE_SCHEMES and b in NEGOTIATE_SCHEMES)


# Where sign-in forms and token endpoints post: /login, /users/sign_in, /api/v1/authn,
# /oauth2/v2.0/token, /protocol/openid-connect/token, /session …
_SIGN_IN_PATH = re.compile(r"/(?:log[-_]?in|sign[-_]?in|signin|authn|authenticate|auth|token|oauth2?|sessions?)(?:[/?.;]|$)", re.IGNORECASE)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def signs_in_by_form(view: View) -> bool:
    """A sign-in form or a token endpoint: the credentials are in the body, which the proxy
    does not keep, and the server's words are about a password or a client's secret."""
    exchange, said = view.exchange, view.said
    if exchange.method.upper() != "POST" or not said.rejected or said.nothing_sent:
        return False
    content_type = next((v.lower() for n, v in exchange.request.headers if n.lower() == "content-type"), "")
    posts_a_form = bool(_SIGN_IN_PATH.search(exchange.path)) or content_type.startswith(_FORM_TYPES)
    return posts_a_form and ("secret" in said.names or _form_failure(view))


def _form_failure(view: View) -> bool:
    return any("authentication failed" in text.lower() for text in view.said.rejected)
