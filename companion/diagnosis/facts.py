"""What every rule needs: the finding a rule returns, and a read-only view of the exchange
with the parsing done once (challenges, the server's clock, the server's own words)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from companion.diagnosis.models import Credential, Evidence, Exchange
from companion.diagnosis.wording import aware
from companion.net.challenge import Challenge, ParsedChallenges, parse_header_lines

__all__ = [
    "Finding",
    "Rule",
    "View",
    "ev",
    "make_view",
]

API_KEY_SOURCES = ("request.header.", "request.query.")
# Schemes whose credentials are tokens (RFC 6750 and friends), as opposed to passwords.
TOKEN_SCHEMES = frozenset({"bearer", "token", "jwt", "dpop", "mac", "access_token"})
PASSWORD_SCHEMES = frozenset({"basic", "digest"})
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
    api_keys: tuple[Credential, ...]
    now: datetime
    """The server's clock (its Date) or, failing that, when the response arrived."""
    now_source: str
    server_texts: tuple[ServerText, ...] = field(default=())

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
        """Credentials that are tokens: a token scheme, or anything that decodes as a JWT."""
        return [
            cred
            for cred in self.exchange.request.credentials
            if cred.jwt is not None or (cred.scheme or "").lower() in TOKEN_SCHEMES
        ]

    def texts_matching(self, pattern: re.Pattern[str]) -> list[ServerText]:
        return [t for t in self.server_texts if pattern.search(t.text)]


Rule = Callable[[View], Finding | None]


def _server_texts(exchange: Exchange, challenges: ParsedChallenges) -> tuple[ServerText, ...]:
    # Sentences before codes: the first match is what a summary quotes.
    body = exchange.response.body_error
    said = [("response.body", "message", body.message if body else None)]
    said += [("response.www-authenticate", "error_description", c.param("error_description")) for c in challenges]
    said += [("response.body", "code", body.code if body else None)]
    said += [("response.www-authenticate", "error", c.param("error")) for c in challenges]
    return tuple(ServerText(source, label, text) for source, label, text in said if text)


def make_view(exchange: Exchange) -> View:
    request, response = exchange.request, exchange.response
    challenges = parse_header_lines(response.www_authenticate)
    authorization = next((c for c in request.credentials if c.source == "request.authorization"), None)
    api_keys = tuple(c for c in request.credentials if c.source.startswith(API_KEY_SOURCES) and c.scheme is None)
    if response.date is not None:
        now, now_source = aware(response.date), "response.date"
    else:
        now, now_source = aware(response.received), "response.received"
    return View(
        exchange=exchange,
        challenges=challenges,
        proxy_challenges=parse_header_lines(response.proxy_authenticate),
        authorization=authorization,
        api_keys=api_keys,
        now=now,
        now_source=now_source,
        server_texts=_server_texts(exchange, challenges),
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
    return "the Authorization header"
